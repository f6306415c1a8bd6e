//! The reference article's claims, each put to a measurement: one line, the evidence (numbers
//! with 95% CIs where there are several seeds), and a verdict — supported, contradicted, or
//! inconclusive at this sample size. One function per claim, in `gradients.rs` (a, b) and
//! `training.rs` (c–f); `crate::output::claims` renders them.
//!
//! Evidence comes from run directories (summaries, `metrics.csv`, `diagnostics.csv`) and from
//! a `diagnose.json` (the deep-network experiment of `actlab diagnose`) when one is given.

mod depth;
mod gradients;
mod training;

use std::path::Path;

use actlab_format::activation::ActivationConfig;
use actlab_format::diagnose::DiagnoseReport;
use actlab_format::run::{RunSummary, diagnostics};
use actlab_format::state::LayerDiagnostics;
use serde::Serialize;

use crate::report::{Report, RunRecord};
use crate::stats::{self, Difference};

/// A claim's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measurement agrees (significantly, where a test applies).
    Supported,
    /// The measurement disagrees.
    Contradicted,
    /// Not enough evidence either way (or none measured).
    Inconclusive,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::Inconclusive => "inconclusive at this sample size",
        })
    }
}

/// One claim.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// `a` … `g`.
    pub id: char,
    /// The claim, in one line.
    pub claim: &'static str,
    /// What was measured.
    pub evidence: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// Evaluates the six claims on a comparison, its runs and (for (a) and (b)) a deep-network
/// diagnosis.
pub fn claims(report: &Report, runs: &[RunRecord], deep: Option<&DiagnoseReport>) -> Vec<Claim> {
    vec![
        gradients::vanishing(deep),
        gradients::dying_relu(runs, deep),
        training::prelu_learns_its_slope(runs),
        training::swish_beats_relu(report),
        training::swish_converges_faster(runs),
        training::tanh_trains_faster(runs),
        depth::advantage_grows_with_depth(report),
    ]
}

/// Mean dead fraction over the hidden layers at the last epoch of a run's `diagnostics.csv`
/// (`None` without one, or when it cannot be read).
pub fn final_dead_fraction(run_dir: &Path) -> Option<f64> {
    final_fraction(run_dir, |l| l.dead_fraction)
}

/// Mean inactive fraction (input ≤ 0 on every probe image) over the hidden layers at the last
/// epoch of a run's `diagnostics.csv` (`None` without one, or in files from before it).
pub fn final_inactive_fraction(run_dir: &Path) -> Option<f64> {
    final_fraction(run_dir, |l| l.inactive_fraction)
}

fn final_fraction(run_dir: &Path, f: fn(&LayerDiagnostics) -> Option<f64>) -> Option<f64> {
    let rows = diagnostics::read(run_dir).ok()??;
    let last = rows.iter().map(|r| r.epoch).max()?;
    let values: Vec<f64> = rows
        .iter()
        .filter(|r| r.epoch == last)
        .filter_map(|r| f(&r.layer))
        .collect();
    (!values.is_empty()).then(|| stats::mean(&values))
}

/// The runs of one activation kind, by seed; for `swish`, the article's fixed-β Swish only.
/// Compares the summaries' `activation_config` (a run summarised before that field existed is
/// known by its kind and whether it learned a β).
fn runs_of<'a>(runs: &'a [RunRecord], kind: &str) -> Vec<&'a RunRecord> {
    let matches = |s: &RunSummary| match &s.activation_config {
        Some(ActivationConfig::Swish { trainable, .. }) => kind == "swish" && !trainable,
        Some(config) => config.kind() == kind,
        None => s.activation == kind && (kind != "swish" || s.swish_beta.is_none()),
    };
    let mut out: Vec<&RunRecord> = runs.iter().filter(|r| matches(&r.summary)).collect();
    out.sort_by_key(|r| r.summary.seed);
    out
}

fn ci_text(values: &[f64], scale: f64, unit: &str) -> String {
    let ci = stats::ci95(values);
    if values.len() >= 2 {
        format!(
            "{:.2}{unit} [{:.2}, {:.2}] (n = {})",
            scale * ci.mean,
            scale * ci.low,
            scale * ci.high,
            values.len()
        )
    } else {
        format!("{:.2}{unit} (n = {})", scale * ci.mean, values.len())
    }
}

/// Compares `a` with `b` (paired when their seeds match), `None` below 2 runs each.
fn compare(a: &[(u64, f64)], b: &[(u64, f64)]) -> Option<Difference> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (sa, va): (Vec<u64>, Vec<f64>) = a.iter().copied().unzip();
    let (sb, vb): (Vec<u64>, Vec<f64>) = b.iter().copied().unzip();
    Some(if sa == sb {
        stats::paired_t(&va, &vb)
    } else {
        stats::welch_t(&va, &vb)
    })
}

/// Supported when `d` is significantly in the claimed direction (`sign` +1: a > b, −1: a < b),
/// contradicted when significantly against it, inconclusive otherwise.
fn directional(d: Option<&Difference>, sign: f64) -> Verdict {
    match d {
        Some(d) if d.p < 0.05 && d.difference.mean * sign > 0.0 => Verdict::Supported,
        Some(d) if d.p < 0.05 && d.difference.mean * sign < 0.0 => Verdict::Contradicted,
        _ => Verdict::Inconclusive,
    }
}

fn diff_text(d: Option<&Difference>, scale: f64, unit: &str) -> String {
    match d {
        Some(d) if d.p.is_finite() => format!(
            "Δ = {:+.2}{unit} [{:+.2}, {:+.2}], {}",
            scale * d.difference.mean,
            scale * d.difference.low,
            scale * d.difference.high,
            crate::stats::p_text(d.p)
        ),
        Some(d) => format!("Δ = {:+.2}{unit} (no variation)", scale * d.difference.mean),
        None => "too few runs to test".into(),
    }
}
