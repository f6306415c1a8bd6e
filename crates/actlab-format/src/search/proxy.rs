//! The search's proxy stage: every screened candidate trains on the proxy (`[budget] proxy`:
//! its epochs, `train_limit` and seeds), ranked on **validation** accuracy; successive halving
//! promotes the best `keep` fraction (never fewer than the finalists) to twice the epochs, for
//! `rounds` rounds; the best `finalists` of the last round go on to confirmation.
//!
//! Proxy runs are stopped with a checkpoint at every rung and never run to their end (their
//! `[train] epochs` is one past the last rung), so the trainer never evaluates them on the test
//! set: a search's run directories hold no test numbers. [`plan`] is a pure function of what
//! the run directories hold, as the tuning stage's is, so a stopped search resumes and shards
//! agree.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SearchConfig;
use crate::activation::ActivationConfig;
use crate::config::ConfigError;
use crate::sweep::Point;
use crate::tuning::Observed;

/// The epochs of each rung: `proxy.epochs × 2^r` for r = 0 … `rounds`.
pub fn rungs(config: &SearchConfig) -> Vec<usize> {
    let b = &config.budget;
    (0..=b.halving.rounds)
        .map(|r| b.proxy.epochs.saturating_mul(1 << r))
        .collect()
}

/// A proxy run's name: `<candidate>-s<seed>`.
pub fn run_name(candidate: &str, seed: u64) -> String {
    format!("{candidate}-s{seed}")
}

/// The proxy runs: each candidate (`(name, activation)`) at each proxy seed, the base
/// experiment with the candidate as its activation, `train_limit` images, and one epoch past
/// the last rung. `path` names the search file in errors.
pub fn points(
    config: &SearchConfig,
    candidates: &[(String, ActivationConfig)],
    path: &Path,
) -> Result<Vec<Point>, ConfigError> {
    let last = rungs(config).last().copied().unwrap_or(1);
    let mut out = Vec::new();
    for (candidate, activation) in candidates {
        for &seed in &config.budget.proxy.seeds {
            let mut experiment = config.base.clone();
            let name = run_name(candidate, seed);
            experiment.name = Some(name.clone());
            experiment.model.activation = Some(activation.clone());
            experiment.train.seed = seed;
            experiment.train.epochs = last + 1;
            experiment.train.early_stopping = None;
            experiment.output.dir = None;
            if let Some(limit) = config.budget.proxy.train_limit {
                experiment.data.train_limit = Some(limit);
            }
            out.push(Point {
                name,
                group: candidate.clone(),
                experiment: experiment.validate(path)?,
            });
        }
    }
    Ok(out)
}

/// Where a candidate ended in the proxy stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    /// `cand-<n>`.
    pub candidate: String,
    /// Mean validation accuracy over the proxy seeds at `epoch` (NaN when it failed).
    pub val_accuracy: f64,
    /// The rung it was last ranked at.
    pub epoch: usize,
    /// A finalist: it goes on to confirmation.
    pub finalist: bool,
    /// A run of it failed for good (a non-finite loss, say).
    pub failed: bool,
}

/// What the proxy stage needs next.
#[derive(Debug, Clone, PartialEq)]
pub enum ProxyPlan {
    /// Train these runs (names) to this epoch, and stop them there.
    Train {
        /// The rung.
        epoch: usize,
        /// The runs that have not reached it.
        points: Vec<String>,
    },
    /// Every rung is ranked: the finalists first (best first), then the others from the last
    /// rung down, each rung best first, failures last.
    Done(Vec<Standing>),
}

/// The next step of the proxy stage. `candidates` in generation order (ties go to the earlier);
/// `observe` reads a run's validation curve, `failed` says whether a run failed for good.
pub fn plan(
    config: &SearchConfig,
    candidates: &[String],
    observe: &mut dyn FnMut(&str) -> Observed,
    failed: &dyn Fn(&str) -> bool,
) -> ProxyPlan {
    let b = &config.budget;
    let rungs = rungs(config);
    let mut active: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let mut out_by_rung: Vec<Vec<Standing>> = Vec::new();
    let mut failures: Vec<Standing> = Vec::new();
    for (r, &epoch) in rungs.iter().enumerate() {
        let mut missing = Vec::new();
        let mut scores: Vec<(&str, f64)> = Vec::new();
        for &candidate in &active {
            let mut values = Vec::new();
            let mut broken = false;
            for &seed in &b.proxy.seeds {
                let name = run_name(candidate, seed);
                if failed(&name) {
                    broken = true;
                    continue;
                }
                let seen = observe(&name);
                if !seen.reached(epoch) {
                    missing.push(name);
                } else if let Some(v) = seen.at(epoch) {
                    values.push(v);
                }
            }
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            if broken || (values.len() == b.proxy.seeds.len() && !mean.is_finite()) {
                failures.push(Standing {
                    candidate: candidate.to_string(),
                    val_accuracy: f64::NAN,
                    epoch,
                    finalist: false,
                    failed: true,
                });
            } else {
                scores.push((candidate, mean));
            }
        }
        if !missing.is_empty() {
            return ProxyPlan::Train {
                epoch,
                points: missing,
            };
        }
        // Best first; a stable sort keeps generation order among ties.
        scores.sort_by(|x, y| y.1.total_cmp(&x.1));
        let last = r + 1 == rungs.len();
        let n = scores.len();
        let kept = if last {
            b.finalists.min(n)
        } else {
            ((b.halving.keep * n as f64).ceil() as usize)
                .max(b.finalists)
                .min(n)
        };
        let standing = |(candidate, v): &(&str, f64), finalist: bool| Standing {
            candidate: candidate.to_string(),
            val_accuracy: *v,
            epoch,
            finalist,
            failed: false,
        };
        out_by_rung.push(scores[kept..].iter().map(|s| standing(s, false)).collect());
        if last {
            let mut all: Vec<Standing> = scores[..kept].iter().map(|s| standing(s, true)).collect();
            all.extend(out_by_rung.into_iter().rev().flatten());
            all.extend(failures);
            return ProxyPlan::Done(all);
        }
        active = scores[..kept].iter().map(|(c, _)| *c).collect();
    }
    ProxyPlan::Done(failures)
}

/// The baselines on the proxy: each `[confirm] baselines` activation at each proxy seed, named
/// `<activation slug>-s<seed>` (`relu-s7001`), trained to the last rung like a finalist but
/// never ranked with the candidates — the references that say what a proxy score is worth, and
/// the baselines' proxy scores for the Spearman check of the proxy's ranking.
pub fn reference_points(config: &SearchConfig, path: &Path) -> Result<Vec<Point>, ConfigError> {
    let references: Vec<(String, ActivationConfig)> = config
        .confirm
        .baselines
        .iter()
        .map(|a| (crate::sweep::activation_slug(a), a.clone()))
        .collect();
    points(config, &references, path)
}

/// The reference runs (names) that have not reached the last rung and have not failed for
/// good: the proxy stage's last round, after the candidates' halving.
pub fn references_missing(
    config: &SearchConfig,
    references: &[Point],
    observe: &mut dyn FnMut(&str) -> Observed,
    failed: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let last = rungs(config).last().copied().unwrap_or(1);
    references
        .iter()
        .filter(|p| !failed(&p.name) && !observe(&p.name).reached(last))
        .map(|p| p.name.clone())
        .collect()
}

/// Mean validation accuracy over the proxy seeds of `group` (a candidate or a reference slug)
/// at each rung it reached (`None` past the last rung it reached, or where a run failed).
pub fn rung_scores(
    config: &SearchConfig,
    group: &str,
    observe: &mut dyn FnMut(&str) -> Observed,
) -> Vec<Option<f64>> {
    rungs(config)
        .iter()
        .map(|&epoch| {
            let values: Option<Vec<f64>> = config
                .budget
                .proxy
                .seeds
                .iter()
                .map(|&seed| {
                    let seen = observe(&run_name(group, seed));
                    (seen.val_acc.len() >= epoch).then(|| seen.val_acc[epoch - 1])
                })
                .collect();
            values
                .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
                .filter(|m| m.is_finite())
        })
        .collect()
}
