//! `actlab compare` (run a sweep, then report) and `actlab report` (report from run
//! directories).
//!
//! Each grid point is trained by a child `actlab train` process: a crash or an out-of-memory
//! kill costs one point, peak RSS in each summary is that run's own, and `--jobs` needs no
//! sharing of Burn's global thread pool. Ctrl-C reaches the children (they checkpoint); the
//! next `compare` resumes them and skips finished points.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actlab_data::Sources;
use actlab_eval::output;
use actlab_eval::report;
use actlab_eval::sweep::{Point, Shard, SweepConfig};
use actlab_train::run::DirLock;
use actlab_train::{RunStatus, RunSummary};
use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{CliProgress, DATASETS_ROOT};
use crate::train::{INTERRUPTED, TERMINATED};
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
    /// is then left to `actlab report`.
    #[arg(long, value_name = "i/N")]
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

struct Running {
    name: String,
    dir: PathBuf,
    child: Child,
    started: Instant,
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
            match crate::tune::run(
                &sweep,
                &out,
                args.shard,
                args.jobs,
                args.quiet,
                &mut ensure_data,
            )? {
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
    let failures = run_points(&todo, &out, args.jobs, args.quiet, None)?;
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

/// What went wrong while training points: failed runs (with their logs), or an interruption.
#[derive(Default)]
pub struct Failures {
    /// Runs that failed, with their log files.
    pub failed: Vec<(String, PathBuf)>,
    /// Set when Ctrl-C or SIGTERM stopped the runs: the exit code to return.
    pub interrupted: Option<u8>,
}

/// Trains `todo` as child `actlab train` processes, `jobs` at a time, into `out/<point name>`
/// (configs in `out/configs`, logs in `out/logs`); with `pause_after`, each stops with a
/// checkpoint after that epoch. A point whose directory another process holds (another shard
/// training it) is skipped.
pub fn run_points(
    todo: &[Point],
    out: &Path,
    jobs: usize,
    quiet: bool,
    pause_after: Option<usize>,
) -> anyhow::Result<Failures> {
    let mut failures = Failures::default();
    if todo.is_empty() {
        return Ok(failures);
    }
    let exe = std::env::current_exe().context("finding the actlab binary")?;
    let configs = out.join("configs");
    let logs = out.join("logs");
    for dir in [&configs, &logs] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // Ctrl-C or SIGTERM: each child is sent SIGINT once (it checkpoints), then we wait.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .context("installing the signal handlers")?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores / jobs).max(1);
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(todo.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} runs {msg} eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    };
    // indicatif drops `println` when its bar is hidden (stderr not a terminal): print plainly.
    let say = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let mut queue = todo.iter();
    let mut running: Vec<Running> = Vec::new();
    let mut done = 0usize;
    let mut forwarded = false;
    loop {
        while running.len() < jobs && !stop.load(Ordering::SeqCst) {
            let Some(point) = queue.next() else { break };
            if DirLock::is_held(&out.join(&point.name)) {
                done += 1;
                bar.inc(1);
                say(format!(
                    "[{done}/{}] {}: another process is training it; skipped",
                    todo.len(),
                    point.name
                ));
                continue;
            }
            let job = Job {
                point,
                pause_after,
                threads: (jobs > 1).then_some(threads),
            };
            running.push(spawn(&exe, &job, out, &configs, &logs)?);
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        let mut still = Vec::new();
        for mut job in running.drain(..) {
            match job.child.try_wait() {
                Ok(None) => still.push(job),
                Ok(Some(status)) => {
                    done += 1;
                    bar.inc(1);
                    let seconds = job.started.elapsed().as_secs_f64();
                    match status.code() {
                        Some(0) => {
                            let line = RunSummary::load(&job.dir).map_or_else(
                                |_| match pause_after {
                                    Some(e) => {
                                        format!("{}: at epoch {e} ({seconds:.1} s)", job.name)
                                    }
                                    None => format!("{}: done ({seconds:.1} s)", job.name),
                                },
                                |s| {
                                    format!(
                                        "{}: test accuracy {:.2}% ({seconds:.1} s)",
                                        job.name,
                                        100.0 * s.test_accuracy
                                    )
                                },
                            );
                            say(format!("[{done}/{}] {line}", todo.len()));
                        }
                        Some(code)
                            if code == i32::from(INTERRUPTED) || code == i32::from(TERMINATED) =>
                        {
                            failures.interrupted = Some(INTERRUPTED);
                        }
                        _ => {
                            say(format!("[{done}/{}] {}: FAILED", todo.len(), job.name));
                            failures
                                .failed
                                .push((job.name.clone(), logs.join(format!("{}.log", job.name))));
                        }
                    }
                }
                Err(error) => {
                    say(format!("{}: cannot wait for the run: {error}", job.name));
                    failures
                        .failed
                        .push((job.name.clone(), logs.join(format!("{}.log", job.name))));
                }
            }
        }
        running = still;
        if stop.load(Ordering::SeqCst) && !forwarded {
            failures.interrupted = Some(INTERRUPTED);
            // Children run in their own process groups, so a terminal's Ctrl-C reaches only
            // this process: forward it once (a second SIGINT makes `train` quit without a
            // checkpoint). Each child finishes its step, checkpoints and exits.
            forwarded = true;
            for job in &running {
                let _ = Command::new("kill")
                    .args(["-INT", &job.child.id().to_string()])
                    .status();
            }
        }
    }
    bar.finish_and_clear();
    Ok(failures)
}

/// One child to start: the point, where to pause, and the threads to give it (`None`: all).
struct Job<'a> {
    point: &'a Point,
    pause_after: Option<usize>,
    threads: Option<usize>,
}

fn spawn(
    exe: &Path,
    job: &Job,
    out: &Path,
    configs: &Path,
    logs: &Path,
) -> anyhow::Result<Running> {
    let point = job.point;
    let dir = out.join(&point.name);
    let mut command = Command::new(exe);
    match RunStatus::of(&dir) {
        RunStatus::Checkpointed { .. } => {
            command.args(["train", "--resume"]).arg(&dir);
        }
        _ => {
            let mut config = point.config.clone();
            config.output.dir = Some(dir.clone());
            let path = configs.join(format!("{}.toml", point.name));
            config.write_atomic(&path)?;
            command.arg("train").arg(&path);
        }
    }
    command.arg("--quiet");
    if let Some(epoch) = job.pause_after {
        command.args(["--pause-after", &epoch.to_string()]);
    }
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    if let Some(threads) = job.threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    let log_path = logs.join(format!("{}.log", point.name));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting actlab train")?;
    Ok(Running {
        name: point.name.clone(),
        dir,
        child,
        started: Instant::now(),
    })
}
