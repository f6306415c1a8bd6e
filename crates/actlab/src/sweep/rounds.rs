//! A stage of `compare` planned in rounds from its run directories — the tuning stage's
//! halving rounds, sequential seeding's looks: ask the plan what must be trained next, train
//! it, ask again. Everything is re-derived from the run directories each round, so a stopped
//! stage resumes and shards agree. A shard trains its own slice first, then the runs of other
//! shards that no process is training (a job array that runs one task at a time cannot
//! deadlock), and waits for those another process holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use actlab_format::config::BackendName;
use actlab_format::run::{RunStatus, RunSummary};
use actlab_format::sweep::Point;
use actlab_train::run::DirLock;
use anyhow::bail;

use super::DataOnce;
use super::runner::{Failures, run_units};
use super::tune::observe;
use super::units::{PackChoice, units};

/// How a stage trains: runs at a time, packing, quiet.
pub struct Training {
    /// Child processes at a time (`--jobs`).
    pub jobs: usize,
    /// `--pack`: each round's runs packed as `compare`'s final runs are (a halving's survivors
    /// regrouped).
    pub pack: Option<PackChoice>,
    /// `--quiet`.
    pub quiet: bool,
}

/// What a round must train.
pub struct Round {
    /// The points that have not reached it yet.
    pub points: Vec<Point>,
    /// Stop them with a checkpoint after this epoch (a halving epoch); none: to their end.
    pub pause: Option<usize>,
    /// The round in words, for the log ("to epoch 2, then halving").
    pub what: String,
}

/// What the plan says next.
pub enum Next<T> {
    /// Train this round.
    Train(Round),
    /// The stage is over.
    Done(T),
}

/// How a stage ended.
pub enum End<T> {
    /// The plan is done.
    Done(T),
    /// Ctrl-C or SIGTERM: the exit status to return.
    Interrupted(u8),
}

/// Where a stage trains and who it is.
pub struct Stage<'a> {
    /// "tuning", "seeds": the log's prefix.
    pub label: &'static str,
    /// What a run that fails for good prevents ("the rates cannot be chosen").
    pub needed_for: &'static str,
    /// The directory its runs go into.
    pub dir: &'a Path,
    /// The point names of this process's shard (all of them without `--shard`).
    pub mine: BTreeSet<String>,
    /// The sweep's backend (packing depends on it).
    pub backend: BackendName,
    /// Jobs, packing, quiet.
    pub training: &'a Training,
    /// A run that fails [`ATTEMPTS`] times is set aside (its name written under
    /// `<dir>/failed/`, see [`failed_for_good`]) and the stage goes on, instead of ending it:
    /// the search, where a candidate that diverges is an answer, not an accident.
    pub set_aside_failures: bool,
}

/// Whether the run `name` of a stage in `dir` was set aside after failing for good.
pub fn failed_for_good(dir: &Path, name: &str) -> bool {
    dir.join("failed").join(name).is_file()
}

/// How often a waiting shard looks again.
const POLL: Duration = Duration::from_secs(3);
/// Attempts at a run that fails without another process holding it.
const ATTEMPTS: usize = 2;

/// Runs `stage` until `plan` says it is done; `data` is found before the first run starts.
pub fn drive<T>(
    stage: &Stage,
    data: &mut DataOnce,
    mut plan: impl FnMut() -> anyhow::Result<Next<T>>,
) -> anyhow::Result<End<T>> {
    let dir = stage.dir;
    let mut failed: BTreeMap<String, usize> = BTreeMap::new();
    let mut waiting_since: Option<Instant> = None;
    loop {
        let round = match plan()? {
            Next::Done(value) => return Ok(End::Done(value)),
            Next::Train(round) => round,
        };
        // Own runs first, then other shards' that nobody is training.
        let (own, others): (Vec<&Point>, Vec<&Point>) = round
            .points
            .iter()
            .filter(|p| !DirLock::is_held(&dir.join(&p.name)))
            .partition(|p| stage.mine.contains(&p.name));
        let todo: Vec<Point> = own.iter().chain(&others).map(|p| (*p).clone()).collect();
        if todo.is_empty() {
            // Everything left is being trained by other processes.
            if waiting_since.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                eprintln!(
                    "{}: waiting for {} run(s) other processes are training {}",
                    stage.label,
                    round.points.len(),
                    round.what
                );
                waiting_since = Some(Instant::now());
            }
            std::thread::sleep(POLL);
            continue;
        }
        data.ensure()?;
        let idle = match others.len() {
            0 => String::new(),
            n => format!(" ({n} of other shards, idle)"),
        };
        eprintln!(
            "{}: {} run(s) {}{idle}",
            stage.label,
            todo.len(),
            round.what
        );
        let (units, packing) = units(&todo, dir, stage.training.pack, stage.backend);
        if let Some(line) = packing {
            eprintln!("{}: {line}", stage.label);
        }
        let failures = run_units(
            &units,
            dir,
            stage.training.jobs,
            stage.training.quiet,
            round.pause,
        )?;
        if let Some(code) = failures.interrupted {
            return Ok(End::Interrupted(code));
        }
        count_failures(stage, failures, &mut failed)?;
        check_progress(stage, &todo, &failed, &round)?;
    }
}

/// Counts each failed run's attempts; a run that failed [`ATTEMPTS`] times without another
/// process holding it ends the stage (the plan cannot go on without it).
fn count_failures(
    stage: &Stage,
    failures: Failures,
    failed: &mut BTreeMap<String, usize>,
) -> anyhow::Result<()> {
    for (name, log) in failures.failed {
        if DirLock::is_held(&stage.dir.join(&name)) {
            continue; // another shard took it at the same moment
        }
        let count = failed.entry(name.clone()).or_default();
        *count += 1;
        if *count >= ATTEMPTS && stage.set_aside_failures {
            let marker = stage.dir.join("failed");
            std::fs::create_dir_all(&marker)?;
            actlab_format::fsio::write_atomic(
                &marker.join(&name),
                format!("{}\n", log.display()).as_bytes(),
            )?;
            eprintln!(
                "{}: run {name} failed {ATTEMPTS} times (see {}): set aside",
                stage.label,
                log.display()
            );
        } else if *count >= ATTEMPTS {
            bail!(
                "{} run {name} failed {ATTEMPTS} times (see {}): {} without it",
                stage.label,
                log.display(),
                stage.needed_for
            );
        }
    }
    Ok(())
}

/// A run that "succeeded" but recorded nothing new would loop forever: an error instead.
fn check_progress(
    stage: &Stage,
    todo: &[Point],
    failed: &BTreeMap<String, usize>,
    round: &Round,
) -> anyhow::Result<()> {
    let dir = stage.dir;
    let reached = |p: &Point| {
        let seen = observe(&dir.join(&p.name));
        seen.finished || round.pause.is_some_and(|epoch| seen.val_acc.len() >= epoch)
    };
    let stuck = todo
        .iter()
        .filter(|p| !failed.contains_key(&p.name) && !DirLock::is_held(&dir.join(&p.name)))
        .find(|p| !reached(p));
    if let Some(p) = stuck {
        let run = dir.join(&p.name);
        let summary = RunSummary::load(&run).ok();
        bail!(
            "{} run {} ended without getting {} (status: {:?}, summary: {}); its metrics.csv \
             is missing or unreadable",
            stage.label,
            run.display(),
            round.what,
            RunStatus::of(&run),
            summary.map_or("none", |_| "present")
        );
    }
    Ok(())
}
