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
use crate::sweep::{Point, SweepConfig};

/// `[tune]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tune {
    /// Candidate learning rates (the optimizer kind stays `base.train`'s).
    pub lr: Vec<f64>,
    /// Tuning seeds; none may be a `[grid]` seed (the final runs' seeds stay unseen).
    pub seeds: Vec<u64>,
    /// Epochs per tuning run [`base.train.epochs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Successive halving [none: every candidate trains every epoch].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halving: Option<Halving>,
}

/// `halving = { after = [2], keep = 0.5 }`: after each listed epoch, only the better `keep`
/// fraction of an activation's remaining rates (⌈keep·n⌉, at least one) trains on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Halving {
    /// Epochs after which to prune, increasing, each below the tuning epochs.
    pub after: Vec<usize>,
    /// Fraction kept, in (0, 1) [0.5].
    #[serde(default = "default_keep")]
    pub keep: f64,
}

fn default_keep() -> f64 {
    0.5
}

impl Halving {
    /// How many of `n` rates continue.
    pub fn kept(&self, n: usize) -> usize {
        ((self.keep * n as f64).ceil() as usize).clamp(1, n.max(1))
    }
}

/// One tuning run: a grid group (activation, and hidden sizes when they vary) at one candidate
/// rate on one tuning seed. Its directory is `<sweep>/tune/<point name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct TunePoint {
    /// The group ([`Point::group`] of the final runs it tunes for).
    pub group: String,
    /// The candidate rate.
    pub lr: f64,
    /// The run.
    pub point: Point,
}

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
    fn reached(&self, epoch: usize) -> bool {
        self.finished || self.val_acc.len() >= epoch
    }

    /// The validation accuracy at `epoch`, or at the last epoch if it finished earlier.
    fn at(&self, epoch: usize) -> Option<f64> {
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

impl Tune {
    /// Epochs per tuning run.
    pub fn epochs(&self, sweep: &SweepConfig) -> usize {
        self.epochs.unwrap_or(sweep.base.train.epochs)
    }

    /// Checks `[tune]` against the rest of the sweep.
    pub fn check(&self, sweep: &SweepConfig, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        let list = |v: &[f64]| format!("{v:?}");
        if self.lr.is_empty() {
            return Err(invalid("tune.lr", "[]".into(), "at least one rate"));
        }
        if let Some(bad) = self.lr.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
            return Err(invalid("tune.lr", bad.to_string(), "positive finite rates"));
        }
        if has_repeats(&self.lr) {
            return Err(invalid("tune.lr", list(&self.lr), "distinct rates"));
        }
        if self.seeds.is_empty() {
            return Err(invalid("tune.seeds", "[]".into(), "at least one seed"));
        }
        let mut seeds = self.seeds.clone();
        seeds.sort_unstable();
        if seeds.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(
                "tune.seeds",
                format!("{:?}", self.seeds),
                "distinct seeds",
            ));
        }
        if let Some(seed) = self.seeds.iter().find(|s| sweep.grid.seeds.contains(s)) {
            return Err(invalid(
                "tune.seeds",
                format!("{:?} (grid.seeds = {:?})", self.seeds, sweep.grid.seeds),
                &format!(
                    "seeds disjoint from grid.seeds (both have {seed}): the final runs must be \
                     on seeds tuning never saw"
                ),
            ));
        }
        if sweep.grid.lr.is_some() {
            return Err(invalid(
                "grid.lr",
                "a list".into(),
                "no grid.lr beside [tune] (tuning chooses each activation's rate; list the \
                 candidates in tune.lr)",
            ));
        }
        if sweep.base.data.validation_size == 0 {
            return Err(invalid(
                "base.data.validation_size",
                "0".into(),
                "a validation split for [tune] to choose rates on (the test set is never used \
                 for choices)",
            ));
        }
        let epochs = self.epochs(sweep);
        if epochs == 0 {
            return Err(invalid("tune.epochs", "0".into(), "at least 1"));
        }
        if let Some(halving) = &self.halving {
            if !(halving.keep > 0.0 && halving.keep < 1.0) {
                return Err(invalid(
                    "tune.halving.keep",
                    halving.keep.to_string(),
                    "a fraction in (0, 1)",
                ));
            }
            let increasing = halving.after.windows(2).all(|w| w[0] < w[1]);
            let inside = halving.after.iter().all(|&e| e >= 1 && e < epochs);
            if halving.after.is_empty() || !increasing || !inside {
                return Err(invalid(
                    "tune.halving.after",
                    format!("{:?}", halving.after),
                    &format!(
                        "increasing epochs between 1 and {} (tune.epochs − 1)",
                        epochs - 1
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The number of tuning runs.
    pub fn runs(&self, sweep: &SweepConfig) -> Option<usize> {
        let groups = sweep
            .grid
            .activations
            .len()
            .checked_mul(sweep.grid.hidden.as_ref().map_or(1, Vec::len))?;
        groups
            .checked_mul(self.lr.len())?
            .checked_mul(self.seeds.len())
    }
}

fn has_repeats(values: &[f64]) -> bool {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// Every tuning run of `sweep`, in grid order (group, then rate, then seed); empty without
/// `[tune]`.
pub fn tune_points(sweep: &SweepConfig) -> Vec<TunePoint> {
    let Some(tune) = &sweep.tune else {
        return Vec::new();
    };
    let epochs = tune.epochs(sweep);
    let mut out = Vec::new();
    for group in sweep.group_points() {
        for &lr in &tune.lr {
            for &seed in &tune.seeds {
                let mut point = group.clone();
                point.set_lr(lr);
                point.config.train.seed = seed;
                point.config.train.epochs = epochs;
                point.name = format!("{}-lr{lr}-s{seed}", group.group);
                point.config.name = Some(point.name.clone());
                out.push(TunePoint {
                    group: group.group.clone(),
                    lr,
                    point,
                });
            }
        }
    }
    out
}

/// The mean of `values`.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Orders rates best first: higher score, then the lower rate.
fn best_first(scores: &mut [(f64, f64)]) {
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.total_cmp(&b.0)));
}

/// Decides the tuning stage from what the runs have recorded: `observe(point)` gives a run's
/// validation accuracies (it is never asked for anything else, so the test set cannot leak
/// into a choice).
pub fn plan(sweep: &SweepConfig, observe: &mut dyn FnMut(&TunePoint) -> Observed) -> Option<Plan> {
    let tune = sweep.tune.as_ref()?;
    let points = tune_points(sweep);
    let seen: Vec<Observed> = points.iter().map(&mut *observe).collect();
    let epochs = tune.epochs(sweep);
    // Per group: its rates still in the race, and the scores of those pruned.
    let mut groups: BTreeMap<&str, (Vec<f64>, Vec<RateScore>)> = BTreeMap::new();
    for p in &points {
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
            activation_label: group
                .config
                .model
                .activation
                .as_ref()
                .map_or_else(String::new, |a| a.label()),
            hidden: group.config.model.hidden.clone(),
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
    pub fn final_points(&self, sweep: &SweepConfig) -> Vec<Point> {
        let mut points = sweep.points();
        for point in &mut points {
            if let Some(choice) = self.groups.iter().find(|g| g.group == point.group) {
                point.set_lr(choice.tuned_lr);
            }
        }
        points
    }
}

#[cfg(test)]
#[path = "tune_tests.rs"]
mod tests;
