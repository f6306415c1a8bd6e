//! `[tune]`: the tuning stage's section of a sweep file — candidate rates, tuning seeds,
//! epochs, successive halving — and the tuning runs it adds to the sweep. What the stage
//! decides from those runs is `crate::tuning`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{MAX_POINTS, Point, Sweep, SweepConfig};
use crate::config::ConfigError;

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
    /// How near-tied rates are chosen among [best].
    #[serde(default, skip_serializing_if = "NearTies::is_best")]
    pub near_ties: NearTies,
}

/// `[tune] near_ties`: what to choose when rates are nearly tied on validation accuracy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NearTies {
    /// The best mean validation accuracy (exact ties: the lower rate).
    #[default]
    Best,
    /// Rates within one standard error of the best — the validation images' own sampling,
    /// √(2p(1 − p) / (validation images × tuning seeds)) — count as one: the lowest of them,
    /// so the noise of the validation set does not choose the rate.
    Lower,
}

impl NearTies {
    fn is_best(&self) -> bool {
        *self == NearTies::Best
    }
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

impl Tune {
    /// Epochs per tuning run.
    pub fn epochs(&self, sweep: &SweepConfig) -> usize {
        self.epochs.unwrap_or(sweep.base.train.epochs)
    }

    /// Checks `[tune]` against the rest of the sweep.
    pub fn check(&self, sweep: &SweepConfig, path: &Path) -> Result<(), ConfigError> {
        if self.runs(sweep).is_none_or(|n| n > MAX_POINTS) {
            return Err(ConfigError::invalid(
                path,
                "tune",
                "activations × hidden × tune.lr × tune.seeds",
                format!("at most {MAX_POINTS} tuning runs"),
            ));
        }
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
        let grid_seeds = sweep.grid.seeds.values();
        if let Some(seed) = self.seeds.iter().find(|s| grid_seeds.contains(s)) {
            return Err(invalid(
                "tune.seeds",
                format!("{:?} (grid.seeds = {grid_seeds:?})", self.seeds),
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

/// Every tuning run of `sweep`, in grid order (group, then rate, then seed), each its group's
/// first point at that rate and seed, for `tune.epochs`; empty without `[tune]`.
pub(super) fn points(sweep: &Sweep) -> Result<Vec<TunePoint>, ConfigError> {
    let Some(tune) = &sweep.tune else {
        return Ok(Vec::new());
    };
    let epochs = tune.epochs(sweep);
    let mut out = Vec::new();
    for group in sweep.group_points() {
        for &lr in &tune.lr {
            for &seed in &tune.seeds {
                let name = format!("{}-lr{lr}-s{seed}", group.group);
                let experiment = group.experiment.revised(sweep.path(), |config| {
                    config.train.optimizer.set_lr(lr);
                    config.train.seed = seed;
                    config.train.epochs = epochs;
                    config.name = Some(name.clone());
                })?;
                out.push(TunePoint {
                    group: group.group.clone(),
                    lr,
                    point: Point {
                        name,
                        group: group.group.clone(),
                        experiment,
                    },
                });
            }
        }
    }
    Ok(out)
}
