//! The tuning stage of `actlab compare`: trains what [`plan`] asks for, in
//! `<sweep>/tune/<point>/`, until every activation's rate is chosen, then writes
//! `tune/selection.json` — a stage in rounds ([`super::rounds::drive`]), re-derived from the
//! run directories each round, so a stopped stage resumes and shards agree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use actlab_format::run::{RunStatus, metrics};
use actlab_format::shard::Shard;
use actlab_format::sweep::Sweep;
use actlab_format::sweep::tune::TunePoint;
use actlab_format::tuning::{Observed, Plan, Selection, plan};
use anyhow::bail;

use super::DataOnce;
use super::rounds::{End, Next, Round, Stage, Training, drive};

/// How the tuning stage ended.
pub enum TuneEnd {
    /// Every rate is chosen (and `selection.json` written).
    Done(Selection),
    /// Ctrl-C or SIGTERM: the exit status to return.
    Interrupted(u8),
}

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
    let stage = Stage {
        label: "tuning",
        needed_for: "the rates cannot be chosen",
        dir: &dir,
        mine,
        backend: sweep.base.backend.name,
        training,
        set_aside_failures: false,
    };
    let end = drive(&stage, data, || {
        match plan(sweep, &mut |p| observe(&dir.join(&p.point.name))) {
            Some(Plan::Train {
                epoch,
                pause,
                points,
            }) => Ok(Next::Train(Round {
                points: points
                    .iter()
                    .map(|name| by_name[name.as_str()].point.clone())
                    .collect(),
                pause: pause.then_some(epoch),
                what: if pause {
                    format!("to epoch {epoch}, then halving")
                } else {
                    format!("to its last epoch ({epoch})")
                },
            })),
            Some(Plan::Done(selection)) => {
                selection.write(&dir)?;
                Ok(Next::Done(selection))
            }
            None => bail!("the sweep has no [tune] section"),
        }
    })?;
    Ok(match end {
        End::Done(selection) => TuneEnd::Done(selection),
        End::Interrupted(code) => TuneEnd::Interrupted(code),
    })
}
