//! The tuning stage of a sweep (`[tune]`): every activation tries every candidate learning rate
//! on its own tuning seeds, optionally with successive halving, and keeps the rate with the best
//! mean **validation** accuracy. Pure logic: [`plan`] looks at what the tuning runs have recorded
//! (validation accuracy per epoch, nothing else) and says either which runs must reach which epoch
//! next, or what was chosen. `actlab compare` trains what it asks for and calls it again, so a
//! stopped or sharded tuning stage resumes from the run directories alone.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::error::FileError;
use crate::fsio::{MAX_TEXT_BYTES, read_text, write_atomic};
use crate::sweep::tune::{Halving, NearTies, TunePoint};
use crate::sweep::{Point, Sweep};

/// What a tuning run has recorded so far, as [`plan`] sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// Validation accuracy of each finished epoch (index 0 is epoch 1).
    pub val_acc: Vec<f64>,
    /// The run has finished (early stopping may finish it before the tuning epochs).
    pub finished: bool,
}

impl Observed {
    /// Whether the run has reached `epoch` (or finished before it).
    pub(crate) fn reached(&self, epoch: usize) -> bool {
        self.finished || self.val_acc.len() >= epoch
    }

    /// The validation accuracy at `epoch`, or at the last epoch if it finished earlier.
    pub(crate) fn at(&self, epoch: usize) -> Option<f64> {
        let k = epoch.min(self.val_acc.len());
        (k > 0).then(|| self.val_acc[k - 1])
    }
}

/// One candidate rate of one group, as tuning left it (`lr_curve` in `results.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateScore {
    /// The rate.
    pub lr: f64,
    /// Mean validation accuracy over the tuning seeds at `epoch`.
    pub val_accuracy: f64,
    /// Tuning seeds averaged.
    pub n: usize,
    /// The epoch measured: the tuning epochs, or the epoch at which halving pruned the rate.
    pub epoch: usize,
    /// Set when halving stopped this rate after that epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned_after: Option<usize>,
}

/// The tuning outcome of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupChoice {
    /// The group (run names start with it).
    pub group: String,
    /// The activation's label (as in `summary.json`'s `activation_label`).
    pub activation_label: String,
    /// The group's hidden sizes (`None`: the base model's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// The chosen rate: best mean validation accuracy at the last epoch among the rates that
    /// were not pruned; ties go to the lower rate.
    pub tuned_lr: f64,
    /// Every candidate, in increasing rate.
    pub lr_curve: Vec<RateScore>,
}

/// The outcome of the tuning stage: `tune/selection.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// `base.train`'s rate: the "shared rate" every activation gets without tuning.
    pub shared_lr: f64,
    /// Whether the shared rate is one of the candidates (else the shared-rate leaderboard is
    /// absent).
    pub shared_is_candidate: bool,
    /// Epochs per tuning run.
    pub epochs: usize,
    /// The tuning seeds.
    pub seeds: Vec<u64>,
    /// The halving used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halving: Option<Halving>,
    /// One entry per group, in grid order.
    pub groups: Vec<GroupChoice>,
}

/// The file name of [`Selection`] in `<sweep>/tune/`.
pub const SELECTION: &str = "selection.json";

/// What the tuning stage needs next.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// These runs (names of [`TunePoint::point`]) must reach `epoch`; `pause` says whether to
    /// stop them there (a halving epoch) or let them finish.
    Train {
        /// The epoch to reach.
        epoch: usize,
        /// Stop with a checkpoint at `epoch` (it is below the tuning epochs).
        pause: bool,
        /// Runs that have not reached it.
        points: Vec<String>,
    },
    /// Every rate is settled.
    Done(Selection),
}

/// The mean of `values`.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Orders rates best first: higher score, then the lower rate.
fn best_first(scores: &mut [(f64, f64)]) {
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.total_cmp(&b.0)));
}

/// Puts first, in scores ordered best first, the lowest rate whose score is within one standard
/// error of the best (√(2p(1 − p)/predictions), p the best score): `[tune] near_ties = "lower"`.
fn lowest_near_tie(scores: &mut [(f64, f64)], predictions: f64) {
    let Some(&(_, best)) = scores.first() else {
        return;
    };
    if !(predictions > 0.0 && best.is_finite()) {
        return;
    }
    let se = (2.0 * best * (1.0 - best) / predictions).sqrt();
    let lowest = (0..scores.len())
        .filter(|&i| best - scores[i].1 < se)
        .min_by(|&a, &b| scores[a].0.total_cmp(&scores[b].0));
    if let Some(i) = lowest {
        scores[..=i].rotate_right(1);
    }
}

/// Decides the tuning stage from what the runs have recorded: `observe(point)` gives a run's
/// validation accuracies (it is never asked for anything else, so the test set cannot leak
/// into a choice).
pub fn plan(sweep: &Sweep, observe: &mut dyn FnMut(&TunePoint) -> Observed) -> Option<Plan> {
    let tune = sweep.tune.as_ref()?;
    let points = sweep.tune_points();
    let seen: Vec<Observed> = points.iter().map(&mut *observe).collect();
    let epochs = tune.epochs(sweep);
    // Per group: its rates still in the race, and the scores of those pruned.
    let mut groups: BTreeMap<&str, (Vec<f64>, Vec<RateScore>)> = BTreeMap::new();
    for p in points {
        let entry = groups.entry(&p.group).or_default();
        if !entry.0.contains(&p.lr) {
            entry.0.push(p.lr);
        }
    }
    let rungs = tune.halving.as_ref().map_or(&[][..], |h| &h.after[..]);
    let score = |group: &str, lr: f64, epoch: usize| -> (f64, usize) {
        let values: Vec<f64> = points
            .iter()
            .zip(&seen)
            .filter(|(p, _)| p.group == group && p.lr == lr)
            .filter_map(|(_, o)| o.at(epoch))
            .collect();
        (mean(&values), values.len())
    };
    for &epoch in rungs.iter().chain(std::iter::once(&epochs)) {
        let missing: Vec<String> = points
            .iter()
            .zip(&seen)
            .filter(|(p, o)| groups[p.group.as_str()].0.contains(&p.lr) && !o.reached(epoch))
            .map(|(p, _)| p.point.name.clone())
            .collect();
        if !missing.is_empty() {
            return Some(Plan::Train {
                epoch,
                pause: epoch < epochs,
                points: missing,
            });
        }
        if epoch == epochs {
            break;
        }
        for (group, (active, pruned)) in groups.iter_mut() {
            let mut scores: Vec<(f64, f64)> = active
                .iter()
                .map(|&lr| (lr, score(group, lr, epoch).0))
                .collect();
            best_first(&mut scores);
            let kept = tune
                .halving
                .as_ref()
                .map_or(scores.len(), |h| h.kept(scores.len()));
            for &(lr, _) in &scores[kept..] {
                let (val_accuracy, n) = score(group, lr, epoch);
                pruned.push(RateScore {
                    lr,
                    val_accuracy,
                    n,
                    epoch,
                    pruned_after: Some(epoch),
                });
            }
            active.retain(|lr| scores[..kept].iter().any(|(k, _)| k == lr));
        }
    }
    let mut choices = Vec::new();
    for group in sweep.group_points() {
        let (active, pruned) = &groups[group.group.as_str()];
        let mut scores: Vec<(f64, f64)> = active
            .iter()
            .map(|&lr| (lr, score(&group.group, lr, epochs).0))
            .collect();
        best_first(&mut scores);
        if tune.near_ties == NearTies::Lower {
            let predictions = (group.experiment.data.validation_size * tune.seeds.len()) as f64;
            lowest_near_tie(&mut scores, predictions);
        }
        let mut lr_curve: Vec<RateScore> = active
            .iter()
            .map(|&lr| {
                let (val_accuracy, n) = score(&group.group, lr, epochs);
                RateScore {
                    lr,
                    val_accuracy,
                    n,
                    epoch: epochs,
                    pruned_after: None,
                }
            })
            .chain(pruned.iter().cloned())
            .collect();
        lr_curve.sort_by(|a, b| a.lr.total_cmp(&b.lr));
        choices.push(GroupChoice {
            activation_label: group.experiment.network().activation().label(),
            hidden: sweep
                .grid
                .hidden
                .is_some()
                .then(|| group.experiment.network().activation_units()),
            group: group.group.clone(),
            tuned_lr: scores[0].0,
            lr_curve,
        });
    }
    let shared_lr = sweep.base.train.optimizer.lr();
    Some(Plan::Done(Selection {
        shared_lr,
        shared_is_candidate: tune.lr.contains(&shared_lr),
        epochs,
        seeds: tune.seeds.clone(),
        halving: tune.halving.clone(),
        groups: choices,
    }))
}

impl Selection {
    /// The final runs: the grid's points, each at its group's chosen rate.
    pub fn final_points(&self, sweep: &Sweep) -> Result<Vec<Point>, ConfigError> {
        let mut points = sweep.points().to_vec();
        for point in &mut points {
            if let Some(choice) = self.groups.iter().find(|g| g.group == point.group) {
                point.experiment = point.experiment.revised(sweep.path(), |config| {
                    config.train.optimizer.set_lr(choice.tuned_lr)
                })?;
            }
        }
        Ok(points)
    }

    /// Writes `tune_dir/selection.json` (atomically).
    pub fn write(&self, tune_dir: &Path) -> Result<(), FileError> {
        let path = tune_dir.join(SELECTION);
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| FileError::corrupt(&path, e.to_string()))?;
        write_atomic(&path, text.as_bytes()).map_err(FileError::io(path))
    }

    /// Reads a `selection.json`.
    pub fn read(path: &Path) -> Result<Selection, FileError> {
        let text = read_text(path, MAX_TEXT_BYTES).map_err(FileError::io(path))?;
        Selection::parse(&text, path)
    }

    /// `selection.json`'s text as read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Selection, FileError> {
        serde_json::from_str(text)
            .map_err(|e| FileError::corrupt(path, format!("not a tuning selection: {e}")))
    }
}

#[cfg(test)]
#[path = "tuning_tests.rs"]
mod tests;
