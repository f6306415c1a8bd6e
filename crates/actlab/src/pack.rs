//! Packed training from the command line: how `compare --pack` groups a sweep's points into
//! packs, and `actlab train-pack`, the child that trains one pack.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::Ordering;

use actlab_data::Sources;
use actlab_eval::sweep::Point;
use actlab_train::pack::pack_key;
use actlab_train::{BackendName, ExperimentConfig, Outcome, RunStatus, TrainError, TrainOptions};
use clap::Args;

use crate::data::{CliProgress, DATASETS_ROOT};
use crate::train::{INTERRUPTED, TERMINATED, watch_signals};

/// `--pack`: the most runs per pack, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackChoice {
    /// At most this many runs per pack (1: none packed).
    Max(usize),
    /// By backend: none on CPU backends (their GEMM is at its plateau with one model), every
    /// eligible run on GPU backends.
    Auto,
}

impl FromStr for PackChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(PackChoice::Auto);
        }
        match s.parse::<usize>() {
            Ok(k) if k >= 1 => Ok(PackChoice::Max(k)),
            _ => Err(format!(
                "expected `auto` or a number of runs per pack (1 or more), not `{s}`"
            )),
        }
    }
}

/// Groups `todo` into units for the runner: runs that may share a pack (same [`pack_key`],
/// not started yet) in packs of at most the chosen size; a checkpointed pack as the pack it
/// was; members of packs whose mates are not all here (survivors of a halving) regrouped by
/// key and epoch, at most the chosen size; every other run alone. Returns the units and a
/// line for the log saying what was chosen and why.
pub fn units(
    todo: &[Point],
    out: &Path,
    choice: Option<PackChoice>,
    backend: BackendName,
) -> anyhow::Result<(Vec<Vec<Point>>, Option<String>)> {
    let gpu = actlab_train::backend::is_gpu(backend);
    let resuming = todo
        .iter()
        .any(|p| !actlab_train::checkpoint::packed_with(&out.join(&p.name)).is_empty());
    let (max, why) = match choice {
        None if !resuming => return Ok((todo.iter().map(|p| vec![p.clone()]).collect(), None)),
        None => (
            1,
            "no --pack, but checkpointed packs resume as packs".to_string(),
        ),
        Some(PackChoice::Max(k)) => (k, format!("--pack {k}")),
        Some(PackChoice::Auto) if gpu => (
            usize::MAX,
            format!(
                "--pack auto on {} (a GPU backend: all eligible runs)",
                backend.as_str()
            ),
        ),
        Some(PackChoice::Auto) => (
            1,
            format!(
                "--pack auto on {} (a CPU backend: its GEMM gains nothing from packing; runs alone)",
                backend.as_str()
            ),
        ),
    };
    // Each point's checkpoint position, read once.
    let positions: std::collections::BTreeMap<&str, Option<(usize, usize)>> = todo
        .iter()
        .map(|p| {
            let at = actlab_train::checkpoint::position(&out.join(&p.name));
            (p.name.as_str(), at)
        })
        .collect();
    let key_of = |point: &Point| -> anyhow::Result<Option<String>> {
        let path = out.join("configs").join(format!("{}.toml", point.name));
        Ok(pack_key(&point.config.validate(&path)?))
    };
    let mut groups: Vec<(Option<String>, Vec<Point>)> = Vec::new();
    for point in todo {
        let dir = out.join(&point.name);
        let mates = actlab_train::checkpoint::packed_with(&dir);
        let here = positions.get(point.name.as_str()).copied().flatten();
        let (key, limit) = if mates.is_empty() {
            if RunStatus::of(&dir) == RunStatus::Empty && max > 1 {
                (key_of(point)?, max)
            } else {
                (None, 1)
            }
        } else if mates
            .iter()
            .all(|m| *m == point.name || positions.get(m.as_str()) == Some(&here))
        {
            // A checkpointed pack resumes as the pack it was, whatever --pack says now
            // (bit-identical to one that never stopped).
            let mut all = mates;
            all.push(point.name.clone());
            all.sort();
            all.dedup();
            (Some(format!("resume {}", all.join(","))), usize::MAX)
        } else {
            // Part of a pack (the survivors of a tuning stage's halving; mates that diverged):
            // regrouped with the runs checkpointed after the same epoch that could share a pack,
            // at most --pack of them, or without --pack as many as its pack had.
            let key = key_of(point)?.map(|k| format!("after {here:?}: {k}"));
            let limit = if choice.is_some() {
                max
            } else {
                mates.len() + 1
            };
            (key, limit)
        };
        match groups
            .iter_mut()
            .find(|(k, g)| key.is_some() && *k == key && g.len() < limit)
        {
            Some((_, group)) => group.push(point.clone()),
            None => groups.push((key, vec![point.clone()])),
        }
    }
    let units: Vec<Vec<Point>> = groups.into_iter().map(|(_, g)| g).collect();
    let packs: Vec<String> = units
        .iter()
        .filter(|u| u.len() > 1)
        .map(|u| u.len().to_string())
        .collect();
    let alone = units.iter().filter(|u| u.len() == 1).count();
    let line = format!(
        "packing: {why}: {} pack(s) ({}), {alone} run(s) alone",
        packs.len(),
        if packs.is_empty() {
            "none".to_string()
        } else {
            packs.join(" + ")
        }
    );
    Ok((units, Some(line)))
}

#[derive(Debug, Args)]
pub struct TrainPackArgs {
    /// Experiment configs that differ only in activation and learning rate (each with its own
    /// `[output] dir` or name); with --resume, the run directories of every member of a pack.
    #[arg(required = true, num_args = 1..)]
    configs: Vec<PathBuf>,
    /// Continue a checkpointed pack from its members' run directories.
    #[arg(long)]
    resume: bool,
    /// No per-epoch lines.
    #[arg(long, short)]
    quiet: bool,
    /// Use local dataset copies only.
    #[arg(long)]
    offline: bool,
    /// Stop with every member's checkpoint after this epoch (exit status 0); `--resume`
    /// continues, with all of them or with some (what the tuning stage's halving does).
    #[arg(long, value_name = "EPOCH")]
    pause_after: Option<usize>,
}

/// `actlab train-pack`: returns the exit status (1 when a member failed).
pub fn train_pack(args: TrainPackArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(
        args.resume || args.configs.len() >= 2,
        "a pack needs at least two configs (train one with `actlab train`)"
    );
    let experiments = if args.resume {
        args.configs
            .iter()
            .map(|dir| actlab_train::resume_config(dir, None))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        args.configs
            .iter()
            .map(|path| ExperimentConfig::load(path))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut sources = Sources::standard(DATASETS_ROOT);
    if args.offline {
        sources = sources.offline();
    }
    eprintln!("dataset {}:", experiments[0].data.dataset);
    let data = actlab_train::load_data(
        experiments[0].config(),
        sources,
        &mut CliProgress::default(),
    )?;
    let options = TrainOptions {
        build: crate::build_info(),
        pause_after: args.pause_after,
        ..TrainOptions::default()
    };
    let terminated = watch_signals(&options.stop)?;
    let quiet = args.quiet;
    // Step lines (one per read-back) at most every 10 s; every other line as it comes.
    let mut last_step_line: Option<std::time::Instant> = None;
    let mut say = |line: String| {
        if quiet {
            return;
        }
        if line.contains(": step ") {
            if last_step_line.is_some_and(|t| t.elapsed().as_secs() < 10) {
                return;
            }
            last_step_line = Some(std::time::Instant::now());
        }
        eprintln!("{line}");
    };
    let outcome = if args.resume {
        actlab_train::pack::resume_pack(&args.configs, &data, &options, &mut say)
    } else {
        actlab_train::pack::train_pack(&experiments, &data, &options, &mut say)
    };
    let results = match outcome {
        Err(TrainError::Pack(message)) if options.stop.load(Ordering::SeqCst) => {
            eprintln!("interrupted ({message})");
            return Ok(if terminated.load(Ordering::SeqCst) {
                TERMINATED
            } else {
                INTERRUPTED
            });
        }
        other => other?,
    };
    let mut failed = false;
    for (experiment, result) in experiments.iter().zip(results) {
        match result {
            Ok(Outcome::Finished(summary) | Outcome::AlreadyComplete(summary)) => println!(
                "{}: test accuracy {:.2}% → {}",
                experiment.name(),
                100.0 * summary.test_accuracy,
                experiment.run_dir().display()
            ),
            Ok(Outcome::Paused { epochs_completed }) => eprintln!(
                "{}: paused after epoch {epochs_completed} (--pause-after) → {}",
                experiment.name(),
                experiment.run_dir().display()
            ),
            Ok(Outcome::Interrupted { .. }) => {}
            Err(error) => {
                failed = true;
                eprintln!("{}: error: {error}", experiment.name());
            }
        }
    }
    Ok(u8::from(failed))
}
