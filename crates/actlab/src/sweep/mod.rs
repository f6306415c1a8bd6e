//! `actlab compare` (run a sweep, then report) and `actlab report` (report from run
//! directories), with the pieces a sweep needs: the tuning stage's driver ([`tune`]), how
//! points are grouped into packs ([`units`]) and the child-process runner ([`runner`]).
//!
//! Each grid point is trained by a child `actlab train` process (a pack of points by one
//! `actlab train-pack`): a crash or an out-of-memory kill costs one child, peak RSS in each
//! summary is that run's own, and `--jobs` needs no sharing of Burn's global thread pool.
//! Ctrl-C reaches the children (they checkpoint); the next `compare` resumes them and skips
//! finished points.

mod final_runs;
pub mod looks;
mod next_steps;
pub mod rounds;
pub mod runner;
pub mod tune;
pub mod units;

use std::path::{Path, PathBuf};

use actlab_eval::output;
use actlab_eval::report::{self, ReportOptions};
use actlab_eval::sequential::Design;
use actlab_format::config::ExperimentConfig;
use actlab_format::diagnose::DiagnoseReport;
use actlab_format::run::RunStatus;
use actlab_format::shard::Shard;
use actlab_format::sweep::compare::Correction;
use actlab_format::sweep::{Point, Sweep, SweepConfig};
use actlab_train::run::{self, DirLock};
use anyhow::{Context, bail};
use clap::Args;

use crate::flags::DataFlags;
use final_runs::{final_points, to_train};
use rounds::End;
use runner::run_units;
use tune::TuneEnd;
use units::PackChoice;

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
    #[arg(long, value_name = "i/N|auto", value_parser = crate::flags::parse_shard)]
    shard: Option<Shard>,
    /// One line at the end of each run, no progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// The activation to compare with [the sweep's baseline].
    #[arg(long)]
    baseline: Option<String>,
    /// The margin of equivalence δ in points of test accuracy [the sweep's `[compare] margin`]:
    /// comparisons provably within ±δ are judged equivalent.
    #[arg(long, value_name = "POINTS", value_parser = parse_margin)]
    margin: Option<f64>,
    /// Seeds until decided: train the grid's seeds, judge every comparison with the baseline,
    /// and add as many seeds again only for the undecided ones, up to MAX seeds (a
    /// group-sequential design; `[grid] seeds = { start, step, max }` says the same in the
    /// sweep file, and this sets its max).
    #[arg(long, value_name = "MAX", num_args = 0..=1, default_missing_value = "40")]
    until_decided: Option<usize>,
    #[command(flatten)]
    data: DataFlags,
    /// Train runs that differ only in activation and learning rate as packed networks of at
    /// most K runs each (`auto`: every eligible run on GPU backends, none on CPU backends); the
    /// tuning stage's too, its survivors regrouped after each halving.
    #[arg(long, value_name = "K|auto")]
    pack: Option<PackChoice>,
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
    /// The margin of equivalence δ in points of test accuracy [none: no equivalence verdicts].
    #[arg(long, value_name = "POINTS", value_parser = parse_margin)]
    margin: Option<f64>,
}

fn parse_margin(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of points (e.g. 0.3)"))?;
    actlab_format::sweep::compare::check_margin(value)
}

/// Builds and writes the report for `dirs` into `out`; prints where.
pub(crate) fn write_report(
    dirs: &[PathBuf],
    out: &Path,
    baseline: &str,
    options: &ReportOptions,
) -> anyhow::Result<()> {
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
    let _lock = DirLock::acquire_output(out)?;
    let mut built = report::build_report_with(&runs, baseline, options);
    report::tuning::attach(&mut built, dirs, baseline)?;
    let deep = DiagnoseReport::find(dirs);
    let claims = actlab_eval::claims::claims(&built, &runs, deep.as_ref());
    let written = output::report::write(&built, &claims, &runs, out)?;
    println!("{}", output::report::markdown(&built, &claims));
    for file in written {
        eprintln!("wrote {}", file.display());
    }
    eprintln!("{}", next_steps::line(&built, out, dirs));
    Ok(())
}

pub fn report(args: ReportArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.runs[0].join("report"));
    let mut recorded = recorded(&args.runs[0], args.margin.is_none())?;
    recorded.margin = args.margin.or(recorded.margin);
    write_report(&args.runs, &out, &args.baseline, &report_options(&recorded))
}

/// The report's options: every image-level resample.
pub(crate) fn report_options(recorded: &Recorded) -> ReportOptions {
    ReportOptions {
        margin: recorded.margin,
        design: recorded.sequential.clone(),
        resamples: actlab_eval::bootstrap::RESAMPLES,
        family: recorded.family.clone(),
        correction: recorded.correction,
    }
}

impl Recorded {
    /// How a sweep is judged: its `[compare]` section, the margin (`--margin` or the file's) and
    /// its design.
    pub(crate) fn of(sweep: &Sweep, margin: Option<f64>, design: Option<&Design>) -> Recorded {
        let compare = sweep.compare.clone().unwrap_or_default();
        Recorded {
            margin,
            sequential: design.cloned(),
            family: compare.family,
            correction: compare.correction.unwrap_or_default(),
        }
    }

    /// Only a margin (`bench --report`).
    pub(crate) fn margin(margin: Option<f64>) -> Recorded {
        Recorded {
            margin,
            ..Recorded::default()
        }
    }
}

/// The sweep file, with `--until-decided MAX` turning its seeds into a sequential design.
fn load_sweep(path: &Path, until_decided: Option<usize>) -> anyhow::Result<Sweep> {
    use actlab_format::config::ConfigFile;
    let Some(max) = until_decided else {
        return Ok(SweepConfig::load(path)?);
    };
    let mut raw = SweepConfig::read(path)?;
    raw.grid.seeds = raw
        .grid
        .seeds
        .until_decided(max)
        .map_err(|e| anyhow::anyhow!("--until-decided {max}: {e}"))?;
    Ok(raw.validate(path)?)
}

/// `compare.json` in a sweep directory: what `compare` judged with — the margin and, for
/// seeds until decided, the design — so `actlab report` on the same directory (after shards,
/// on another machine) judges alike.
const COMPARE_FILE: &str = "compare.json";

/// What `compare.json` holds.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Recorded {
    margin: Option<f64>,
    #[serde(default)]
    sequential: Option<Design>,
    #[serde(default)]
    family: Option<Vec<String>>,
    #[serde(default)]
    correction: Correction,
}

/// Records how `compare` judges — the margin (null: none), the design, the declared family
/// and the correction — in `out/compare.json`, atomically.
fn record(out: &Path, recorded: &Recorded) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join(COMPARE_FILE);
    let text = serde_json::to_string(recorded)?;
    actlab_format::fsio::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// What a `compare` recorded in `dir` (nothing without `compare.json`); a file that does not
/// hold a valid design, or — when `use_margin` — a valid margin, is an error naming it.
fn recorded(dir: &Path, use_margin: bool) -> anyhow::Result<Recorded> {
    let path = dir.join(COMPARE_FILE);
    let text = match actlab_format::fsio::read_text(&path, 1 << 20) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Recorded::default()),
        Err(e) => bail!("{}: {e}", path.display()),
    };
    let recorded: Recorded = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (expected {{\"margin\": points or null, \"sequential\": a design or \
             null}}; pass --margin to override)",
            path.display()
        )
    })?;
    if let Some(margin) = recorded.margin.filter(|_| use_margin) {
        actlab_format::sweep::compare::check_margin(margin)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    if let Some(d) = &recorded.sequential {
        // The recorded looks must be a design's (start, start + step, …, all seeds).
        let start = d.looks.first().copied().unwrap_or(0);
        let step = d.looks.windows(2).map(|w| w[1] - w[0]).next().unwrap_or(1);
        let again = Design::new(d.seeds.clone(), start, step, d.spending)
            .map_err(|e| anyhow::anyhow!("{}: sequential: {e}", path.display()))?;
        if again.looks != d.looks {
            bail!(
                "{}: sequential: looks {:?} are not a design's",
                path.display(),
                d.looks
            );
        }
    }
    Ok(recorded)
}

/// Finds (or fetches) the sweep's dataset once, before the first child looks for it (and
/// not at all when nothing is left to train).
pub struct DataOnce<'a> {
    flags: DataFlags,
    config: &'a ExperimentConfig,
    ready: bool,
}

impl<'a> DataOnce<'a> {
    /// `config`'s dataset, found by `flags` when first needed.
    pub fn new(flags: DataFlags, config: &'a ExperimentConfig) -> DataOnce<'a> {
        DataOnce {
            flags,
            config,
            ready: false,
        }
    }

    /// Loads the dataset unless that was done.
    pub fn ensure(&mut self) -> anyhow::Result<()> {
        if !self.ready {
            self.flags.load(self.config)?;
            self.ready = true;
        }
        Ok(())
    }
}

/// Returns the exit status.
pub fn compare(args: CompareArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.jobs >= 1, "--jobs must be at least 1");
    let sweep = load_sweep(&args.sweep, args.until_decided)?;
    let design = sweep
        .grid
        .seeds
        .sequential()
        .map(Design::from_seeds)
        .transpose()
        .map_err(|e| anyhow::anyhow!("{}: grid.seeds: {e}", args.sweep.display()))?;
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
    let margin = args
        .margin
        .or(sweep.compare.as_ref().and_then(|c| c.margin));
    let judged_as = Recorded::of(&sweep, margin, design.as_ref());
    record(&out, &judged_as)?;
    let mut data = DataOnce::new(args.data, &sweep.base);
    let all = match final_points(&args, &sweep, &out, &mut data)? {
        Ok(points) => points,
        Err(code) => return Ok(code),
    };
    let points = match args.shard {
        Some(shard) => shard.select(&all),
        None => all.clone(),
    };
    if sweep.output.tensorboard && sweep.base.output.tensorboard {
        let experiments: Vec<_> = all.iter().map(|p| p.experiment.clone()).collect();
        let name = sweep.name.as_deref().unwrap_or("sweep");
        run::tensorboard::write_experiment(&out, name, &experiments)?;
    }
    let baseline = args.baseline.clone().unwrap_or(sweep.baseline.clone());
    if let Some(design) = &design {
        return decide(
            &args,
            &sweep,
            &all,
            design,
            &Judged {
                out: &out,
                baseline: &baseline,
                recorded: &judged_as,
            },
            &mut data,
        );
    }
    let todo = to_train(&args, &sweep, &points, all.len(), &out)?;
    if !todo.is_empty() {
        data.ensure()?;
    }
    let (units, packing) = units::units(&todo, &out, args.pack, sweep.base.backend.name);
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
        let written = write_report(
            std::slice::from_ref(&out),
            &out.join("report"),
            &baseline,
            &report_options(&judged_as),
        );
        match written {
            // Shards that finish together both find the sweep complete: one writes the report
            // from the same runs, the other leaves it to that one.
            Err(e) if args.shard.is_some() && is_busy(&e) => eprintln!(
                "shard done; another shard is writing the report in {}",
                out.join("report").display()
            ),
            other => other?,
        }
    }
    Ok(if failures.failed.is_empty() { 0 } else { 1 })
}

/// Whether `error` is another process holding a directory's lock.
fn is_busy(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<actlab_train::TrainError>(),
        Some(actlab_train::TrainError::Busy { .. })
    )
}

/// Where a sweep's runs are and how they are judged.
struct Judged<'a> {
    out: &'a Path,
    baseline: &'a str,
    recorded: &'a Recorded,
}

/// Seeds until decided: trains `all` look by look ([`looks::run`]), then writes the report
/// (a shard leaves it to `actlab report`). Returns the exit status.
fn decide(
    args: &CompareArgs,
    sweep: &Sweep,
    all: &[Point],
    design: &Design,
    judged: &Judged,
    data: &mut DataOnce,
) -> anyhow::Result<u8> {
    let out = judged.out;
    let training = rounds::Training {
        jobs: args.jobs,
        pack: args.pack,
        quiet: args.quiet,
    };
    let judging = looks::Judging {
        baseline: judged.baseline,
        options: ReportOptions {
            resamples: 0,
            ..report_options(judged.recorded)
        },
        design,
    };
    eprintln!(
        "seeds until decided: looks at {:?} seeds, {} spending → {}",
        design.looks,
        design.spending.as_str(),
        out.display()
    );
    if let End::Interrupted(code) =
        looks::run(sweep, all, out, args.shard, &training, data, &judging)?
    {
        eprintln!(
            "interrupted: finished runs are kept and unfinished ones checkpointed; run the same \
             command again to continue"
        );
        return Ok(code);
    }
    if args.shard.is_some() {
        // Every shard ends when the design does; one report, merged by `actlab report`.
        eprintln!(
            "shard done and the design complete; write the report with `actlab report {}`",
            out.display()
        );
    } else {
        let options = report_options(judged.recorded);
        write_report(
            &[out.to_path_buf()],
            &out.join("report"),
            judged.baseline,
            &options,
        )?;
    }
    Ok(0)
}
