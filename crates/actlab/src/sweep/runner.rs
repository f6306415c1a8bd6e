//! Training sweep points as child processes, `jobs` at a time: one `actlab train` per point, or
//! one `actlab train-pack` per pack of points (`compare --pack`). A crash or an out-of-memory
//! kill costs one child; Ctrl-C and SIGTERM are forwarded once (children checkpoint).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actlab_format::run::{RunStatus, RunSummary};
use actlab_format::sweep::Point;
use actlab_train::run::DirLock;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::signals::{INTERRUPTED, TERMINATED};

/// What went wrong while training points: failed runs (with their logs), or an interruption.
#[derive(Default)]
pub struct Failures {
    /// Runs that failed, with their log files.
    pub failed: Vec<(String, PathBuf)>,
    /// Set when Ctrl-C or SIGTERM stopped the runs: the exit code to return.
    pub interrupted: Option<u8>,
}

/// A child at work: the points it trains (one, or a pack), where, and its log.
struct Running {
    points: Vec<(String, PathBuf)>,
    log: PathBuf,
    child: Child,
    started: Instant,
}

/// [`run_units`] with every point alone.
pub fn run_points(
    todo: &[Point],
    out: &Path,
    jobs: usize,
    quiet: bool,
    pause_after: Option<usize>,
) -> anyhow::Result<Failures> {
    let units: Vec<Vec<Point>> = todo.iter().map(|p| vec![p.clone()]).collect();
    run_units(&units, out, jobs, quiet, pause_after)
}

/// Trains `units` as child processes, `jobs` at a time, into `out/<point name>` (configs in
/// `out/configs`, logs in `out/logs`): a unit of one point is an `actlab train` child, a unit
/// of several (or a checkpointed pack member) one `actlab train-pack` child that trains them as
/// one packed network. With `pause_after`, each stops with a checkpoint after that epoch. A
/// point whose directory another process holds (another shard training it) is skipped.
pub fn run_units(
    units: &[Vec<Point>],
    out: &Path,
    jobs: usize,
    quiet: bool,
    pause_after: Option<usize>,
) -> anyhow::Result<Failures> {
    let total: usize = units.iter().map(Vec::len).sum();
    if total == 0 {
        return Ok(Failures::default());
    }
    // Ctrl-C or SIGTERM: each child is sent SIGINT once (it checkpoints), then we wait. Set
    // before anything is written, so a signal from the first file on is handled.
    let stop = crate::signals::stop_flag()?;
    let exe = std::env::current_exe().context("finding the actlab binary")?;
    let (configs, logs) = (out.join("configs"), out.join("logs"));
    for dir in [&configs, &logs] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (jobs > 1).then_some((cores / jobs).max(1));
    let mut runner = Runner {
        bar: progress_bar(total, quiet),
        total,
        done: 0,
        pause_after,
        failures: Failures::default(),
    };
    let mut queue = units.iter();
    let mut running: Vec<Running> = Vec::new();
    let mut forwarded = false;
    loop {
        while running.len() < jobs && !stop.load(Ordering::SeqCst) {
            let Some(unit) = queue.next() else { break };
            let free = runner.skip_held(unit, out);
            if !free.is_empty() {
                let job = Job {
                    points: free,
                    pause_after,
                    threads,
                };
                running.push(spawn(&exe, &job, out, &configs, &logs)?);
            }
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        running = runner.reap(running);
        if stop.load(Ordering::SeqCst) && !forwarded {
            runner.failures.interrupted = Some(INTERRUPTED);
            // Children run in their own process groups, so a terminal's Ctrl-C reaches only
            // this process: forward it once (a second SIGINT makes `train` quit without a
            // checkpoint). Each child finishes its step, checkpoints and exits.
            forwarded = true;
            for job in &running {
                crate::signals::interrupt(&job.child);
            }
        }
    }
    runner.bar.finish_and_clear();
    Ok(runner.failures)
}

/// A bar over the runs, or a hidden one when quiet.
fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} runs {msg} eta {eta}") {
        bar.set_style(style);
    }
    bar
}

/// What the runner counts while children come and go.
struct Runner {
    bar: ProgressBar,
    total: usize,
    done: usize,
    pause_after: Option<usize>,
    failures: Failures,
}

impl Runner {
    /// A line above the bar (plainly when the bar is hidden: indicatif drops `println` then).
    fn say(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Counts one point as done and says how it ended.
    fn point_done(&mut self, line: String) {
        self.done += 1;
        self.bar.inc(1);
        self.say(format!("[{}/{}] {line}", self.done, self.total));
    }

    /// The points of `unit` no other process holds; the others are skipped (said).
    fn skip_held<'p>(&mut self, unit: &'p [Point], out: &Path) -> Vec<&'p Point> {
        let (held, free): (Vec<&Point>, Vec<&Point>) = unit
            .iter()
            .partition(|p| DirLock::is_held(&out.join(&p.name)));
        for point in held {
            self.point_done(format!(
                "{}: another process is training it; skipped",
                point.name
            ));
        }
        free
    }

    /// The children still running; each that ended is judged, point by point.
    fn reap(&mut self, running: Vec<Running>) -> Vec<Running> {
        let mut still = Vec::new();
        for mut job in running {
            let status = match job.child.try_wait() {
                Ok(None) => {
                    still.push(job);
                    continue;
                }
                Ok(Some(status)) => status.code(),
                Err(error) => {
                    self.say(format!("cannot wait for a run: {error}"));
                    None
                }
            };
            self.judge(&job, status);
        }
        still
    }

    /// How a finished child's points ended. A pack exits 1 when one member failed: each member
    /// is judged by its own directory (a paused member has its checkpoint after the pause
    /// epoch).
    fn judge(&mut self, job: &Running, status: Option<i32>) {
        let seconds = job.started.elapsed().as_secs_f64();
        let packed = if job.points.len() > 1 { ", packed" } else { "" };
        let signalled = [INTERRUPTED, TERMINATED].map(i32::from);
        if status.is_some_and(|c| signalled.contains(&c)) {
            self.failures.interrupted = Some(INTERRUPTED);
            self.done += job.points.len();
            self.bar.inc(job.points.len() as u64);
            return;
        }
        for (name, dir) in &job.points {
            let paused = self
                .pause_after
                .filter(|&e| actlab_format::state::position(dir) == Some((e, 0)));
            let line = match (status, RunSummary::load(dir), paused) {
                (_, Ok(s), _) => format!(
                    "{name}: test accuracy {:.2}% ({seconds:.1} s{packed})",
                    100.0 * s.test_accuracy
                ),
                (_, Err(_), Some(e)) => format!("{name}: at epoch {e} ({seconds:.1} s{packed})"),
                (Some(0), Err(_), None) if self.pause_after.is_none() => {
                    format!("{name}: done ({seconds:.1} s)")
                }
                (_, Err(_), _) => {
                    self.failures.failed.push((name.clone(), job.log.clone()));
                    format!("{name}: FAILED")
                }
            };
            self.point_done(line);
        }
    }
}

/// One child to start: its points, where to pause, and the threads to give it (`None`: all).
struct Job<'a> {
    points: Vec<&'a Point>,
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
    let mut command = Command::new(exe);
    let first = job.points[0];
    let write_config = |point: &Point| -> anyhow::Result<PathBuf> {
        let mut config = point.experiment.config().clone();
        config.output.dir = Some(out.join(&point.name));
        let path = configs.join(format!("{}.toml", point.name));
        config.write_atomic(&path)?;
        Ok(path)
    };
    let checkpointed = |p: &&Point| {
        matches!(
            RunStatus::of(&out.join(&p.name)),
            RunStatus::Checkpointed { .. }
        )
    };
    let pack_checkpoint = job.points.iter().all(checkpointed)
        && (job.points.len() > 1
            || !actlab_format::state::packed_with(&out.join(&first.name)).is_empty());
    if pack_checkpoint {
        command.args(["train-pack", "--resume"]);
        command.args(job.points.iter().map(|p| out.join(&p.name)));
    } else if job.points.len() > 1 {
        command.arg("train-pack");
        for point in &job.points {
            command.arg(write_config(point)?);
        }
    } else {
        let dir = out.join(&first.name);
        match RunStatus::of(&dir) {
            RunStatus::Checkpointed { .. } => {
                command.args(["train", "--resume"]).arg(&dir);
            }
            _ => {
                command.arg("train").arg(write_config(first)?);
            }
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
    let log_name = if job.points.len() > 1 || pack_checkpoint {
        format!("{}.pack.log", first.name)
    } else {
        format!("{}.log", first.name)
    };
    let log_path = logs.join(log_name);
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting actlab")?;
    Ok(Running {
        points: job
            .points
            .iter()
            .map(|p| (p.name.clone(), out.join(&p.name)))
            .collect(),
        log: log_path,
        child,
        started: Instant::now(),
    })
}
