//! The comparison behind `actlab report` and `actlab compare`, as data: runs found under some
//! directories, grouped, with statistics and tests against a baseline. Built from run
//! directories alone (so runs made on several machines merge by copying their directories
//! together). `crate::output::report` writes it out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use actlab_train::run::{self, RunStatus};
use actlab_train::{EpochRecord, RunSummary};
use serde::Serialize;

use crate::error::EvalError;
use crate::stats::{self, Difference, Interval};

/// A finished run found on disk.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Its directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: RunSummary,
    /// `metrics.csv` (empty if missing).
    pub history: Vec<EpochRecord>,
}

/// Finds every finished run at or below `roots` (three levels deep), sorted by directory.
/// Runs that cannot be used — an unreadable summary or metrics file, a run still checkpointed —
/// are reported in the second list, with the reason.
pub fn collect_runs(roots: &[PathBuf]) -> Result<(Vec<RunRecord>, Vec<String>), EvalError> {
    let mut dirs = BTreeSet::new();
    for root in roots {
        if !root.is_dir() {
            return Err(EvalError::NoDirectory { path: root.clone() });
        }
        find_runs(root, 0, &mut dirs);
    }
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let status = RunStatus::of(&dir);
        if let RunStatus::Checkpointed { epoch, step } = status {
            skipped.push(format!(
                "{}: not finished (checkpointed after {epoch} epoch(s) and {step} step(s))",
                dir.display()
            ));
            continue;
        }
        let read =
            RunSummary::load(&dir).and_then(|summary| Ok((summary, run::metrics::read(&dir)?)));
        match read {
            Ok((summary, history)) => runs.push(RunRecord {
                history,
                dir,
                summary,
            }),
            Err(error) => skipped.push(error.to_string()),
        }
    }
    Ok((runs, skipped))
}

fn find_runs(dir: &Path, depth: usize, out: &mut BTreeSet<PathBuf>) {
    match RunStatus::of(dir) {
        RunStatus::Finished | RunStatus::Checkpointed { .. } => {
            out.insert(dir.to_path_buf());
            return;
        }
        RunStatus::Empty | RunStatus::NotARun => {}
    }
    if depth >= 3 {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                find_runs(&entry.path(), depth + 1, out);
            }
        }
    }
}

/// The comparison with the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct VersusBaseline {
    /// Mean accuracy difference (this − baseline) with its 95% CI and p-value.
    #[serde(flatten)]
    pub test: Difference,
    /// "better", "worse" or "no significant difference" (at 0.05).
    pub verdict: &'static str,
}

/// One row of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct ActivationResult {
    /// The group: the activation with its parameters (plus sizes or rate when those vary).
    pub name: String,
    /// The activation kind.
    pub kind: String,
    /// Runs (seeds).
    pub n: usize,
    /// Their seeds.
    pub seeds: Vec<u64>,
    /// Test accuracies, in seed order.
    pub accuracies: Vec<f64>,
    /// Mean test accuracy with its 95% CI (Student t over seeds).
    pub accuracy: Interval,
    /// Sample standard deviation.
    pub std: f64,
    /// Lowest.
    pub min: f64,
    /// Highest.
    pub max: f64,
    /// Mean training seconds per epoch.
    pub epoch_seconds: f64,
    /// Trainable parameters.
    pub params: usize,
    /// Mean ± std over runs of the learned PReLU slope or Swish β (mean over units per run).
    pub learned: Option<(String, f64, f64)>,
    /// Against the baseline (absent for the baseline itself or with fewer than 2 runs).
    pub vs_baseline: Option<VersusBaseline>,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The baseline group's name (or what was asked for, if no run matched).
    pub baseline: String,
    /// Whether a baseline group was found.
    pub baseline_found: bool,
    /// Finished runs used.
    pub runs: usize,
    /// Datasets seen.
    pub datasets: Vec<String>,
    /// Test images per run (the largest seen).
    pub test_images: usize,
    /// Epochs per run (the largest seen).
    pub epochs: usize,
    /// Half-width of the 95% sampling interval of one accuracy measured on `test_images`
    /// images, at the best mean accuracy: the noise floor of any single run.
    pub sampling_half_width: f64,
    /// One row per group, best mean first.
    pub results: Vec<ActivationResult>,
    /// The environments the runs came from (`summary.json`'s provenance), most runs first.
    pub environments: Vec<Environment>,
}

/// Runs that share one environment: the same determinism key (code, backend, adapter, SIMD
/// features, threads, data), so the same config gives the same numbers among them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// One line (`flex on AMD EPYC, avx2, 2 threads, actlab 0.1.0 1a2b3c4d5e, Burn 0.22.1`), or
    /// `not recorded` for runs written before provenance was.
    pub description: String,
    /// Runs from it.
    pub runs: usize,
}

/// The runs' environments, grouped by determinism key, most runs first.
pub fn environments(runs: &[RunRecord]) -> Vec<Environment> {
    let mut groups: Vec<(Vec<(&'static str, String)>, Environment)> = Vec::new();
    for run in runs {
        let (key, description) = match &run.summary.provenance {
            Some(p) => (p.determinism_key(), p.short()),
            None => (Vec::new(), "not recorded".to_string()),
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, env)) => env.runs += 1,
            None => groups.push((
                key,
                Environment {
                    description,
                    runs: 1,
                },
            )),
        }
    }
    let mut out: Vec<Environment> = groups.into_iter().map(|(_, e)| e).collect();
    out.sort_by(|a, b| b.runs.cmp(&a.runs).then(a.description.cmp(&b.description)));
    out
}

/// The group each run belongs to: its activation label, plus layers / lr when they vary.
pub fn group_keys(runs: &[RunRecord]) -> Vec<String> {
    let layers: BTreeSet<String> = runs
        .iter()
        .map(|r| format!("{:?}", r.summary.layers))
        .collect();
    let rates: BTreeSet<String> = runs.iter().map(|r| r.summary.lr.to_string()).collect();
    runs.iter()
        .map(|r| {
            let mut key = r.summary.activation_label.clone();
            if layers.len() > 1 {
                let sizes: Vec<String> = r.summary.layers.iter().map(ToString::to_string).collect();
                key.push_str(&format!(" [{}]", sizes.join("-")));
            }
            if rates.len() > 1 {
                key.push_str(&format!(" lr={}", r.summary.lr));
            }
            key
        })
        .collect()
}

fn learned(summary: &RunSummary) -> Option<(String, f64)> {
    let mean = |values: Vec<f64>| -> Option<f64> {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    if let Some(slopes) = &summary.prelu_slopes {
        let all: Vec<f64> = slopes.iter().flatten().map(|&v| f64::from(v)).collect();
        return mean(all).map(|m| ("PReLU slope".to_string(), m));
    }
    if let Some(beta) = &summary.swish_beta {
        let all: Vec<f64> = beta.iter().map(|&v| f64::from(v)).collect();
        return mean(all).map(|m| ("Swish β".to_string(), m));
    }
    None
}

/// Groups the runs, computes the statistics and compares every group with `baseline` (a group
/// name, or an activation kind such as `relu`).
pub fn build_report(runs: &[RunRecord], baseline: &str) -> Report {
    let keys = group_keys(runs);
    let mut names: Vec<String> = keys.clone();
    names.sort();
    names.dedup();
    let mut results: Vec<ActivationResult> = names
        .iter()
        .map(|name| {
            let mut members: Vec<&RunRecord> = runs
                .iter()
                .zip(&keys)
                .filter(|(_, k)| *k == name)
                .map(|(r, _)| r)
                .collect();
            members.sort_by_key(|r| r.summary.seed);
            let accuracies: Vec<f64> = members.iter().map(|r| r.summary.test_accuracy).collect();
            let epoch_means: Vec<f64> = members
                .iter()
                .filter(|r| !r.summary.epoch_seconds.is_empty())
                .map(|r| stats::mean(&r.summary.epoch_seconds))
                .collect();
            let learned_values: Vec<(String, f64)> =
                members.iter().filter_map(|r| learned(&r.summary)).collect();
            let learned = learned_values.first().map(|(what, _)| {
                let values: Vec<f64> = learned_values.iter().map(|(_, v)| *v).collect();
                (
                    what.clone(),
                    stats::mean(&values),
                    stats::sample_std(&values),
                )
            });
            ActivationResult {
                name: name.clone(),
                kind: members[0].summary.activation.clone(),
                n: members.len(),
                seeds: members.iter().map(|r| r.summary.seed).collect(),
                accuracy: stats::ci95(&accuracies),
                std: stats::sample_std(&accuracies),
                min: accuracies.iter().copied().fold(f64::INFINITY, f64::min),
                max: accuracies.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                accuracies,
                epoch_seconds: if epoch_means.is_empty() {
                    f64::NAN
                } else {
                    stats::mean(&epoch_means)
                },
                params: members[0].summary.params,
                learned,
                vs_baseline: None,
            }
        })
        .collect();
    results.sort_by(|a, b| b.accuracy.mean.total_cmp(&a.accuracy.mean));

    let base_index = results
        .iter()
        .position(|r| r.name == baseline)
        .or_else(|| results.iter().position(|r| r.kind == baseline));
    if let Some(b) = base_index {
        let base = results[b].clone();
        for (i, result) in results.iter_mut().enumerate() {
            if i == b || result.n < 2 || base.n < 2 {
                continue;
            }
            let unique = |seeds: &[u64]| seeds.windows(2).all(|w| w[0] != w[1]);
            let test = if result.seeds == base.seeds && unique(&result.seeds) {
                stats::paired_t(&result.accuracies, &base.accuracies)
            } else {
                stats::welch_t(&result.accuracies, &base.accuracies)
            };
            result.vs_baseline = Some(VersusBaseline {
                verdict: stats::verdict(&test),
                test,
            });
        }
    }
    let test_images = runs
        .iter()
        .map(|r| r.summary.test_samples)
        .max()
        .unwrap_or(0);
    let best = results.first().map_or(0.0, |r| r.accuracy.mean);
    Report {
        baseline: base_index.map_or_else(|| baseline.to_string(), |b| results[b].name.clone()),
        baseline_found: base_index.is_some(),
        runs: runs.len(),
        datasets: runs
            .iter()
            .map(|r| r.summary.dataset.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        test_images,
        epochs: runs.iter().map(|r| r.summary.epochs).max().unwrap_or(0),
        sampling_half_width: stats::binomial_half_width(best, test_images.max(1)),
        results,
        environments: environments(runs),
    }
}
