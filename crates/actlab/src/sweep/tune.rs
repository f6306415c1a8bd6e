//! The tuning stage of `actlab compare`: trains what [`plan`] asks for, in
//! `<sweep>/tune/<point>/`, until every activation's rate is chosen, then writes
//! `tune/selection.json`. Everything is re-derived from the run directories each round, so a
//! stopped stage resumes and shards agree. A shard trains its own slice first; at a halving
//! epoch it then also trains the runs of other shards that no process is training (a job
//! array that runs one task at a time cannot deadlock), and waits for those another process
//! holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use actlab_format::run::{RunStatus, RunSummary, metrics};
use actlab_format::shard::Shard;
use actlab_format::sweep::tune::TunePoint;
use actlab_format::sweep::{Point, Sweep};
use actlab_format::tuning::{Observed, Plan, Selection, plan};
use actlab_train::run::DirLock;
use anyhow::bail;

use super::DataOnce;
use super::runner::{Failures, run_units};
use super::units::{PackChoice, units};

/// How the tuning stage ended.
pub enum TuneEnd {
    /// Every rate is chosen (and `selection.json` written).
    Done(Selection),
    /// Ctrl-C or SIGTERM: the exit status to return.
    Interrupted(u8),
}

/// How often a waiting shard looks again.
const POLL: Duration = Duration::from_secs(3);
/// Attempts at a run that fails without another process holding it.
const ATTEMPTS: usize = 2;

/// What a tuning run in `dir` has recorded: validation accuracy per finished epoch (read from
/// `metrics.csv`; the test numbers in `summary.json` are never read).
pub fn observe(dir: &Path) -> Observed {
    let (epochs, finished) = match RunStatus::of(dir) {
        RunStatus::Finished => (usize::MAX, true),
        RunStatus::Checkpointed { epoch, .. } => (epoch, false),
        RunStatus::Empty | RunStatus::NotARun => return Observed::default(),
    };
    let Ok(history) = metrics::read(dir) else {
        return Observed::default();
    };
    Observed {
        val_acc: history
            .iter()
            .take(epochs)
            .map(|r| r.val_acc.unwrap_or(f64::NAN))
            .collect(),
        finished,
    }
}

/// How the tuning stage trains: runs at a time, packing, quiet.
pub struct Training {
    /// Child processes at a time (`--jobs`).
    pub jobs: usize,
    /// `--pack`: each round's runs packed as `compare`'s final runs are (a halving's survivors
    /// regrouped).
    pub pack: Option<PackChoice>,
    /// `--quiet`.
    pub quiet: bool,
}

/// Runs the tuning stage of `sweep` into `out/tune`; `data` is found before the first run
/// starts.
pub fn run(
    sweep: &Sweep,
    out: &Path,
    shard: Option<Shard>,
    training: &Training,
    data: &mut DataOnce,
) -> anyhow::Result<TuneEnd> {
    let dir = out.join("tune");
    let all = sweep.tune_points();
    let mine: BTreeSet<String> = match shard {
        Some(s) => s.select(all).into_iter().map(|p| p.point.name).collect(),
        None => all.iter().map(|p| p.point.name.clone()).collect(),
    };
    let by_name: BTreeMap<&str, &TunePoint> =
        all.iter().map(|p| (p.point.name.as_str(), p)).collect();
    let mut failed: BTreeMap<String, usize> = BTreeMap::new();
    let mut waiting_since: Option<Instant> = None;
    loop {
        let next = plan(sweep, &mut |p| observe(&dir.join(&p.point.name)));
        let (epoch, pause, points) = match next {
            Some(Plan::Train {
                epoch,
                pause,
                points,
            }) => (epoch, pause, points),
            Some(Plan::Done(selection)) => {
                selection.write(&dir)?;
                return Ok(TuneEnd::Done(selection));
            }
            None => bail!("the sweep has no [tune] section"),
        };
        // Own runs first, then other shards' that nobody is training.
        let (own, others): (Vec<&str>, Vec<&str>) = points
            .iter()
            .map(String::as_str)
            .filter(|name| !DirLock::is_held(&dir.join(name)))
            .partition(|name| mine.contains(*name));
        let todo: Vec<Point> = own
            .iter()
            .chain(&others)
            .map(|name| by_name[name].point.clone())
            .collect();
        if todo.is_empty() {
            // Everything left is being trained by other processes.
            if waiting_since.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                eprintln!(
                    "tuning: waiting for {} run(s) other processes are training to reach epoch \
                     {epoch}",
                    points.len()
                );
                waiting_since = Some(Instant::now());
            }
            std::thread::sleep(POLL);
            continue;
        }
        data.ensure()?;
        let what = if pause {
            format!("to epoch {epoch}, then halving")
        } else {
            format!("to its last epoch ({epoch})")
        };
        let idle = match others.len() {
            0 => String::new(),
            n => format!(" ({n} of other shards, idle)"),
        };
        eprintln!("tuning: {} run(s) {what}{idle}", todo.len());
        let (units, packing) = units(&todo, &dir, training.pack, sweep.base.backend.name);
        if let Some(line) = packing {
            eprintln!("tuning: {line}");
        }
        let failures = run_units(
            &units,
            &dir,
            training.jobs,
            training.quiet,
            pause.then_some(epoch),
        )?;
        if let Some(code) = failures.interrupted {
            return Ok(TuneEnd::Interrupted(code));
        }
        count_failures(&dir, failures, &mut failed)?;
        check_progress(&dir, &todo, &failed, epoch)?;
    }
}

/// Counts each failed run's attempts; a run that failed [`ATTEMPTS`] times without another
/// process holding it ends the stage (the rates cannot be chosen without it).
fn count_failures(
    dir: &Path,
    failures: Failures,
    failed: &mut BTreeMap<String, usize>,
) -> anyhow::Result<()> {
    for (name, log) in failures.failed {
        if DirLock::is_held(&dir.join(&name)) {
            continue; // another shard took it at the same moment
        }
        let count = failed.entry(name.clone()).or_default();
        *count += 1;
        if *count >= ATTEMPTS {
            bail!(
                "tuning run {name} failed {ATTEMPTS} times (see {}): the rates cannot be chosen \
                 without it",
                log.display()
            );
        }
    }
    Ok(())
}

/// A run that "succeeded" but recorded nothing new would loop forever: an error instead.
fn check_progress(
    dir: &Path,
    todo: &[Point],
    failed: &BTreeMap<String, usize>,
    epoch: usize,
) -> anyhow::Result<()> {
    let stuck = todo
        .iter()
        .filter(|p| !failed.contains_key(&p.name) && !DirLock::is_held(&dir.join(&p.name)))
        .find(|p| {
            let seen = observe(&dir.join(&p.name));
            !(seen.finished || seen.val_acc.len() >= epoch)
        });
    if let Some(p) = stuck {
        let summary = RunSummary::load(&dir.join(&p.name)).ok();
        bail!(
            "tuning run {} ended without reaching epoch {epoch} (summary: {}); its metrics.csv is \
             missing or unreadable",
            dir.join(&p.name).display(),
            summary.map_or("none", |_| "present")
        );
    }
    Ok(())
}
