//! `actlab report`: a comparison built from run directories alone (so runs made on several
//! machines merge by copying their directories together).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use actlab_train::RunSummary;
use actlab_train::run::{files, write_atomic};
use serde::Serialize;

use crate::EvalError;
use crate::stats::{self, Difference, Interval, TestKind};

/// One epoch of a run's `metrics.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRow {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation accuracy, if the run had a validation set.
    pub val_acc: Option<f64>,
}

/// A finished run found on disk.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Its directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: RunSummary,
    /// `metrics.csv` (empty if missing).
    pub history: Vec<EpochRow>,
}

/// Finds every finished run (a directory with `summary.json`) at or below `roots` (three
/// levels deep), sorted by directory. Unreadable summaries are reported in the second list.
pub fn collect_runs(roots: &[PathBuf]) -> Result<(Vec<RunRecord>, Vec<String>), EvalError> {
    let mut dirs = BTreeSet::new();
    for root in roots {
        if !root.is_dir() {
            return Err(EvalError::Io {
                path: root.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            });
        }
        find_runs(root, 0, &mut dirs);
    }
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        match RunSummary::load(&dir) {
            Ok(summary) => runs.push(RunRecord {
                history: read_metrics(&dir.join(files::METRICS)),
                dir,
                summary,
            }),
            Err(error) => skipped.push(error.to_string()),
        }
    }
    Ok((runs, skipped))
}

fn find_runs(dir: &Path, depth: usize, out: &mut BTreeSet<PathBuf>) {
    if dir.join(files::SUMMARY).is_file() {
        out.insert(dir.to_path_buf());
        return;
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

/// Parses `metrics.csv` (missing or malformed rows are skipped).
pub fn read_metrics(path: &Path) -> Vec<EpochRow> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            Some(EpochRow {
                epoch: cells.first()?.parse().ok()?,
                train_loss: cells.get(1)?.parse().ok()?,
                val_acc: cells.get(4).and_then(|c| c.parse().ok()),
            })
        })
        .collect()
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
    /// The reference article's claims (filled by [`crate::claims::claims`]).
    pub claims: Vec<crate::claims::Claim>,
}

/// The group a run belongs to: its activation label, plus layers / lr when they vary.
fn group_keys(runs: &[RunRecord]) -> Vec<String> {
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
        claims: Vec::new(),
    }
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}", 100.0 * v)
    } else {
        "–".into()
    }
}

/// `report.md`.
pub fn markdown(report: &Report) -> String {
    let mut md = String::from("# Activation comparison\n\n");
    md.push_str(&format!(
        "{} runs on {}, {} epoch(s) each, test accuracy on {} images. Sorted by mean test \
         accuracy; 95% confidence intervals are Student t over seeds.\n\n",
        report.runs,
        report.datasets.join(", "),
        report.epochs,
        report.test_images
    ));
    md.push_str("| activation | n | mean acc % | std | 95% CI | min–max | s/epoch | params | learned | vs baseline (Δ points, 95% CI, p) | verdict |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &report.results {
        let learned = r.learned.as_ref().map_or(String::new(), |(what, m, s)| {
            if s.is_finite() {
                format!("{what} {m:.3} ± {s:.3}")
            } else {
                format!("{what} {m:.3}")
            }
        });
        let (versus, verdict) = match &r.vs_baseline {
            Some(v) => (
                format!(
                    "{:+.2} [{:+.2}, {:+.2}], p = {:.3} ({})",
                    100.0 * v.test.difference.mean,
                    100.0 * v.test.difference.low,
                    100.0 * v.test.difference.high,
                    v.test.p,
                    match v.test.test {
                        TestKind::Paired => "paired",
                        TestKind::Welch => "Welch",
                    }
                ),
                v.verdict.to_string(),
            ),
            None if r.name == report.baseline => ("baseline".into(), String::new()),
            None => ("–".into(), String::new()),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | [{}, {}] | {}–{} | {:.2} | {} | {} | {} | {} |\n",
            r.name,
            r.n,
            pct(r.accuracy.mean),
            pct(r.std),
            pct(r.accuracy.low),
            pct(r.accuracy.high),
            pct(r.min),
            pct(r.max),
            r.epoch_seconds,
            r.params,
            learned,
            versus,
            verdict
        ));
    }
    md.push_str(&format!(
        "\nBaseline: {}{}. A difference is reported as significant when its two-sided p-value is \
         below 0.05 (paired t-test over shared seeds, Welch's t-test otherwise); with a handful \
         of seeds only large differences can be. For scale: the test set's own sampling error \
         is about ±{:.2} points for one accuracy of {:.1}% measured on {} images.\n",
        report.baseline,
        if report.baseline_found {
            ""
        } else {
            " (no runs found: no comparisons)"
        },
        100.0 * report.sampling_half_width,
        report
            .results
            .first()
            .map_or(0.0, |r| 100.0 * r.accuracy.mean),
        report.test_images
    ));
    if !report.claims.is_empty() {
        md.push_str(&crate::claims::markdown(&report.claims));
    }
    md.push_str("\n![validation accuracy](val_accuracy.svg)\n\n![test accuracy](test_accuracy.svg)\n\n![training loss](train_loss.svg)\n");
    md
}

/// `results.csv`.
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "activation,kind,n,mean,std,ci_low,ci_high,min,max,epoch_seconds,params,learned_mean,learned_std,diff_vs_baseline,diff_low,diff_high,p_value,test,verdict\n",
    );
    let num = |v: f64| {
        if v.is_finite() {
            v.to_string()
        } else {
            String::new()
        }
    };
    for r in &report.results {
        let (lm, ls) = r
            .learned
            .as_ref()
            .map_or((String::new(), String::new()), |(_, m, s)| {
                (num(*m), num(*s))
            });
        let (d, dl, dh, p, t, v) = r.vs_baseline.as_ref().map_or_else(Default::default, |v| {
            (
                num(v.test.difference.mean),
                num(v.test.difference.low),
                num(v.test.difference.high),
                num(v.test.p),
                format!("{:?}", v.test.test).to_lowercase(),
                v.verdict.to_string(),
            )
        });
        out.push_str(&format!(
            "\"{}\",{},{},{},{},{},{},{},{},{},{},{lm},{ls},{d},{dl},{dh},{p},{t},{v}\n",
            r.name.replace('"', "\"\""),
            r.kind,
            r.n,
            num(r.accuracy.mean),
            num(r.std),
            num(r.accuracy.low),
            num(r.accuracy.high),
            num(r.min),
            num(r.max),
            num(r.epoch_seconds),
            r.params
        ));
    }
    out
}

/// Writes `report.md`, `results.csv`, `results.json` and the plots into `out`.
pub fn write(report: &Report, runs: &[RunRecord], out: &Path) -> Result<Vec<PathBuf>, EvalError> {
    std::fs::create_dir_all(out).map_err(|source| EvalError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    let json = serde_json::to_string_pretty(report).map_err(|e| EvalError::Io {
        path: out.join("results.json"),
        source: std::io::Error::other(e),
    })?;
    for (name, text) in [
        ("report.md", markdown(report)),
        ("results.csv", csv(report)),
        ("results.json", json),
    ] {
        let path = out.join(name);
        write_atomic(&path, text.as_bytes()).map_err(|source| EvalError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    written.extend(crate::plot::plot_comparison(
        report,
        runs,
        &group_keys(runs),
        out,
    )?);
    Ok(written)
}
