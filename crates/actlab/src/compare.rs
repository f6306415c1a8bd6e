//! `actlab compare` (run a sweep, then report) and `actlab report` (report from run
//! directories).
//!
//! Each grid point is trained by a child `actlab train` process: a crash or an out-of-memory
//! kill costs one point, peak RSS in each summary is that run's own, and `--jobs` needs no
//! sharing of Burn's global thread pool. Ctrl-C reaches the children (they checkpoint); the
//! next `compare` resumes them and skips finished points.

use std::path::{Path, PathBuf};

use actlab_data::Sources;
use actlab_eval::output;
use actlab_eval::report;
use actlab_eval::sweep::{Point, Shard, SweepConfig};
use actlab_train::RunStatus;
use actlab_train::run::{self, DirLock};
use anyhow::bail;
use clap::Args;

use crate::data::{CliProgress, DATASETS_ROOT};
use crate::runner::run_units;
use crate::tune::TuneEnd;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The sweep file, e.g. configs/sweep-quick.toml.
    sweep: PathBuf,
    /// Where the runs go [the sweep's [output] dir, or runs/<sweep name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Runs at a time (each gets cores / jobs threads).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Run only the i-th of N deterministic slices of the grid (e.g. a job array); the report
    /// is then left to `actlab report`. `auto`: the slice from the scheduler's environment
    /// (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or MIN/MAX; or a Kubernetes Indexed
    /// Job's JOB_COMPLETION_INDEX with ACTLAB_SHARDS).
    #[arg(long, value_name = "i/N|auto")]
    shard: Option<Shard>,
    /// One line at the end of each run, no progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// The activation to compare with [the sweep's baseline].
    #[arg(long)]
    baseline: Option<String>,
    /// Use local dataset copies only.
    #[arg(long)]
    offline: bool,
    /// Train runs that differ only in activation and learning rate as packed networks of at
    /// most K runs each (`auto`: every eligible run on GPU backends, none on CPU backends); the
    /// tuning stage's too, its survivors regrouped after each halving.
    #[arg(long, value_name = "K|auto")]
    pack: Option<crate::pack::PackChoice>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Directories holding run directories (searched three levels deep).
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// Output directory [the first directory's report/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The activation to compare with.
    #[arg(long, default_value = "relu")]
    baseline: String,
}

/// Builds and writes the report for `dirs` into `out`; prints where.
fn write_report(dirs: &[PathBuf], out: &Path, baseline: &str) -> anyhow::Result<()> {
    let (runs, skipped) = report::collect_runs(dirs)?;
    for reason in &skipped {
        eprintln!("skipped: {reason}");
    }
    if runs.is_empty() {
        bail!(
            "no finished runs (directories with summary.json) under {}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // The report directory is locked while it is written (after the runs were found: a missing
    // directory is an error, not something the lock creates).
    let _lock = DirLock::acquire(out)?;
    let mut built = report::build_report(&runs, baseline);
    report::tuning::attach(&mut built, dirs, baseline)?;
    let deep = output::diagnose::find_diagnosis(dirs);
    let claims = actlab_eval::claims::claims(&built, &runs, deep.as_ref());
    let written = output::report::write(&built, &claims, &runs, out)?;
    println!("{}", output::report::markdown(&built, &claims));
    for file in written {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}

pub fn report(args: ReportArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.runs[0].join("report"));
    write_report(&args.runs, &out, &args.baseline)
}

/// Returns the exit status.
pub fn compare(args: CompareArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.jobs >= 1, "--jobs must be at least 1");
    let sweep = SweepConfig::load(&args.sweep)?;
    let out = args.out.clone().unwrap_or_else(|| sweep.out_dir());
    // One compare at a time on a sweep directory (a second one gets "in use by process N"),
    // or on a shard of it: shards run side by side, each run directory locked by its trainer.
    let _lock = match args.shard {
        None => DirLock::acquire(&out)?,
        Some(s) => DirLock::acquire(
            &out.join("shards")
                .join(format!("{}-of-{}", s.index, s.count)),
        )?,
    };
    // Find (or fetch) the data once, before any child looks for it.
    let mut data_ready = false;
    let mut ensure_data = || -> anyhow::Result<()> {
        if !data_ready {
            let mut sources = Sources::standard(DATASETS_ROOT);
            if args.offline {
                sources = sources.offline();
            }
            eprintln!("dataset {}:", sweep.base.data.dataset);
            actlab_train::load_data(&sweep.base, sources, &mut CliProgress::default())?;
            data_ready = true;
        }
        Ok(())
    };
    let all = match &sweep.tune {
        None => sweep.points(),
        Some(tune) => {
            eprintln!(
                "tuning: {} runs ({} groups × {} rates × {} seeds, {} epochs{}) → {}",
                actlab_format::tune::tune_points(&sweep).len(),
                sweep.group_points().len(),
                tune.lr.len(),
                tune.seeds.len(),
                tune.epochs(&sweep),
                tune.halving.as_ref().map_or(String::new(), |h| format!(
                    ", halving after epochs {:?} keeping {}",
                    h.after, h.keep
                )),
                out.join("tune").display()
            );
            let training = crate::tune::Training {
                jobs: args.jobs,
                pack: args.pack,
                quiet: args.quiet,
            };
            match crate::tune::run(&sweep, &out, args.shard, &training, &mut ensure_data)? {
                TuneEnd::Interrupted(code) => {
                    eprintln!(
                        "interrupted: finished runs are kept and unfinished ones checkpointed; \
                         run the same command again to continue"
                    );
                    return Ok(code);
                }
                TuneEnd::Done(selection) => {
                    let chosen: Vec<String> = selection
                        .groups
                        .iter()
                        .map(|g| format!("{} {}", g.group, g.tuned_lr))
                        .collect();
                    eprintln!(
                        "tuned rates (best mean validation accuracy): {}",
                        chosen.join(", ")
                    );
                    selection.final_points(&sweep)
                }
            }
        }
    };
    let points: Vec<Point> = match args.shard {
        Some(shard) => shard.select(&all),
        None => all.clone(),
    };
    if sweep.output.tensorboard && sweep.base.output.tensorboard {
        let experiments = all
            .iter()
            .map(|p| p.config.validate(&args.sweep))
            .collect::<Result<Vec<_>, _>>()?;
        let name = sweep.name.as_deref().unwrap_or("sweep");
        run::tensorboard::write_experiment(&out, name, &experiments)?;
    }
    let mut todo = Vec::new();
    let (mut finished, mut partial) = (0, 0);
    for point in &points {
        let dir = out.join(&point.name);
        if sweep.tune.is_some() {
            check_rate(&dir, point)?;
        }
        match RunStatus::of(&dir) {
            RunStatus::Finished => finished += 1,
            RunStatus::Checkpointed { .. } => {
                partial += 1;
                todo.push(point.clone());
            }
            RunStatus::Empty => todo.push(point.clone()),
            RunStatus::NotARun => bail!(
                "{} is in the way of sweep point {}: it is not an actlab run directory (move it \
                 away; nothing was written there)",
                dir.display(),
                point.name
            ),
        }
    }
    let shard_note = args.shard.map_or(String::new(), |s| {
        format!(" (shard {}/{} of {})", s.index, s.count, all.len())
    });
    eprintln!(
        "sweep {}: {} runs{shard_note} → {}; {finished} finished, {partial} to resume, {} to train; {} at a time",
        sweep.name.as_deref().unwrap_or("sweep"),
        points.len(),
        out.display(),
        todo.len() - partial,
        args.jobs
    );
    if !todo.is_empty() {
        ensure_data()?;
    }
    let (units, packing) = crate::pack::units(&todo, &out, args.pack, sweep.base.backend.name)?;
    if let Some(line) = packing {
        eprintln!("{line}");
    }
    let failures = run_units(&units, &out, args.jobs, args.quiet, None)?;
    if let Some(code) = failures.interrupted {
        eprintln!(
            "interrupted: finished runs are kept and unfinished ones checkpointed; run the same \
             command again to continue"
        );
        return Ok(code);
    }
    for (name, log) in &failures.failed {
        eprintln!("failed: {name} (see {})", log.display());
    }
    let complete = all
        .iter()
        .all(|p| RunStatus::of(&out.join(&p.name)) == RunStatus::Finished);
    if args.shard.is_some() && !complete {
        eprintln!(
            "shard done; when every shard has finished, merge with `actlab report {}`",
            out.display()
        );
    } else {
        let baseline = args.baseline.clone().unwrap_or(sweep.baseline.clone());
        write_report(std::slice::from_ref(&out), &out.join("report"), &baseline)?;
    }
    Ok(if failures.failed.is_empty() { 0 } else { 1 })
}

/// A final run of a tuned sweep that already exists must be at the rate tuning chose (it was
/// not, for instance, after the tuning runs or `[tune]` changed): never reused silently.
fn check_rate(dir: &Path, point: &Point) -> anyhow::Result<()> {
    if matches!(RunStatus::of(dir), RunStatus::Empty | RunStatus::NotARun) {
        return Ok(());
    }
    let recorded = actlab_train::run::run_config(dir)?.train.optimizer.lr();
    let chosen = point.config.train.optimizer.lr();
    if (recorded - chosen).abs() > 1e-12 * chosen.abs() {
        bail!(
            "{} was trained at lr = {recorded}, but tuning now chooses {chosen} for {}: move it \
             away (or restore the tuning runs it came from); nothing was changed",
            dir.display(),
            point.group
        );
    }
    Ok(())
}
