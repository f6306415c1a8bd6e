//! A tuned sweep in the report: the chosen rates (`tune/selection.json`, written by `actlab
//! compare`), a second leaderboard with every activation at the shared rate (the tuning runs at
//! `base.train`'s rate), and the activations whose rank differs between the two.

use std::path::PathBuf;

use actlab_format::tuning::{GroupChoice, SELECTION, Selection};
use serde::Serialize;

use super::{ActivationResult, Report, build_report, collect_runs};
use crate::error::EvalError;

/// One activation whose rank differs between the leaderboards (1 = best).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankChange {
    /// The group.
    pub name: String,
    /// Its rank at the shared rate.
    pub shared: usize,
    /// Its rank at its tuned rate.
    pub tuned: usize,
}

/// The tuning stage as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    /// What was chosen, and every candidate's validation accuracy.
    pub selection: Selection,
    /// Every activation at the shared rate (the tuning runs at that rate: tuning seeds and
    /// epochs); `None` when the shared rate is not a candidate.
    pub shared: Option<Box<Report>>,
    /// Activations without a shared-rate row, and why.
    pub absent: Vec<String>,
    /// Activations ranked differently by the two leaderboards (among those in both).
    pub rank_changes: Vec<RankChange>,
    /// How firmly each group's rate was chosen, in the selection's order.
    pub margins: Vec<ChoiceMargin>,
}

/// How firmly a rate was chosen: its lead over the runner-up on validation accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceMargin {
    /// The group (as in `selection.json`).
    pub group: String,
    /// The best rate that was not chosen (among those not pruned); none with one candidate.
    pub runner_up: Option<f64>,
    /// The chosen rate's mean validation accuracy minus the runner-up's (a fraction; ≥ 0).
    pub margin: f64,
    /// The same as validation predictions over the tuning seeds: margin × images × seeds.
    pub margin_images: f64,
    /// One standard error of that difference from the validation images' own sampling,
    /// √(2p(1 − p) / (images × seeds)), in the same predictions.
    pub noise_images: f64,
    /// The margin is below that standard error: another draw of validation images could well
    /// have chosen the runner-up.
    pub near_tie: bool,
}

/// The margin of `choice` with `images` validation images per run and `seeds` tuning seeds.
pub fn choice_margin(choice: &GroupChoice, images: usize, seeds: usize) -> ChoiceMargin {
    let kept: Vec<&actlab_format::tuning::RateScore> = choice
        .lr_curve
        .iter()
        .filter(|s| s.pruned_after.is_none())
        .collect();
    let chosen = kept.iter().find(|s| s.lr == choice.tuned_lr);
    let runner_up = kept
        .iter()
        .filter(|s| s.lr != choice.tuned_lr)
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy));
    let predictions = (images * seeds) as f64;
    let (margin, p) = match (chosen, runner_up) {
        (Some(c), Some(r)) => (c.val_accuracy - r.val_accuracy, c.val_accuracy),
        (Some(c), None) => (f64::NAN, c.val_accuracy),
        _ => (f64::NAN, f64::NAN),
    };
    // No validation images known: no noise scale, no near-tie flag.
    let noise = if predictions > 0.0 {
        (2.0 * p * (1.0 - p) / predictions).sqrt()
    } else {
        f64::NAN
    };
    ChoiceMargin {
        group: choice.group.clone(),
        runner_up: runner_up.map(|r| r.lr),
        margin,
        margin_images: margin * predictions,
        noise_images: noise * predictions,
        near_tie: margin < noise,
    }
}

/// Reads the tuning stage under the first of `roots` that has a `tune/` directory into
/// `report` (its `tuning`, or a `tuning_note` when the stage is not finished, and each result's
/// `tuned_lr` / `lr_curve`).
pub fn attach(report: &mut Report, roots: &[PathBuf], baseline: &str) -> Result<(), EvalError> {
    let Some(dir) = roots.iter().map(|r| r.join("tune")).find(|d| d.is_dir()) else {
        return Ok(());
    };
    let path = dir.join(SELECTION);
    if !path.exists() {
        report.tuning_note = Some(format!(
            "the tuning stage in {} has not finished (no {SELECTION}): no rate is chosen yet, \
             and these runs are at `base.train`'s rate; run `actlab compare` on the sweep again \
             to finish it",
            dir.display()
        ));
        return Ok(());
    }
    let selection = Selection::read(&path)?;
    for result in &mut report.results {
        if let Some(choice) = selection.groups.iter().find(|g| matches(g, result)) {
            result.tuned_lr = Some(choice.tuned_lr);
            result.lr_curve = Some(choice.lr_curve.clone());
        }
    }
    let (runs, _) = collect_runs(std::slice::from_ref(&dir))?;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
    let images = runs.first().map_or(0, |r| r.summary.validation_samples);
    let shared_runs: Vec<_> = runs
        .into_iter()
        .filter(|r| close(r.summary.lr, selection.shared_lr))
        .collect();
    let shared = (selection.shared_is_candidate && !shared_runs.is_empty())
        .then(|| Box::new(build_report(&shared_runs, baseline)));
    let mut absent = Vec::new();
    for group in &selection.groups {
        let at_shared = group
            .lr_curve
            .iter()
            .find(|s| close(s.lr, selection.shared_lr));
        if let Some(epoch) = at_shared.and_then(|s| s.pruned_after) {
            absent.push(format!(
                "{}: halving stopped the shared rate after epoch {epoch}",
                group.group
            ));
        }
    }
    let rank_changes = shared
        .as_ref()
        .map_or_else(Vec::new, |s| rank_changes(&s.results, &report.results));
    let margins = selection
        .groups
        .iter()
        .map(|g| choice_margin(g, images, selection.seeds.len()))
        .collect();
    report.tuning = Some(Tuning {
        selection,
        shared,
        absent,
        rank_changes,
        margins,
    });
    Ok(())
}

/// The name the report gives each group of the selection (its results-table row), or the
/// run-name group when no row matches.
pub fn display_names(tuning: &Tuning, results: &[ActivationResult]) -> Vec<String> {
    tuning
        .selection
        .groups
        .iter()
        .map(|g| {
            results
                .iter()
                .find(|r| matches(g, r))
                .map_or_else(|| g.group.clone(), |r| r.name.clone())
        })
        .collect()
}

/// Whether `choice` is the group of `result`: the same activation, and the same hidden sizes
/// when the sweep varied them.
fn matches(choice: &GroupChoice, result: &ActivationResult) -> bool {
    choice.activation_label == result.activation_label
        && choice.hidden.as_ref().is_none_or(|h| *h == result.hidden)
}

/// The groups whose position differs between `shared` and `tuned` (both best first), ranked
/// among the groups present in both.
pub fn rank_changes(shared: &[ActivationResult], tuned: &[ActivationResult]) -> Vec<RankChange> {
    let both = |list: &[ActivationResult], other: &[ActivationResult]| -> Vec<String> {
        list.iter()
            .filter(|r| other.iter().any(|o| o.name == r.name))
            .map(|r| r.name.clone())
            .collect()
    };
    let (a, b) = (both(shared, tuned), both(tuned, shared));
    a.iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let j = b.iter().position(|n| n == name)?;
            (i != j).then(|| RankChange {
                name: name.clone(),
                shared: i + 1,
                tuned: j + 1,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actlab_format::tuning::RateScore;

    fn score(lr: f64, val_accuracy: f64, pruned_after: Option<usize>) -> RateScore {
        RateScore {
            lr,
            val_accuracy,
            n: 2,
            epoch: 10,
            pruned_after,
        }
    }

    #[test]
    fn a_choices_margin_and_near_tie_by_hand() {
        // 2 seeds × 5,000 validation images = 10,000 predictions. Chosen 0.8851, runner-up
        // 0.8846 (0.8870 was pruned at epoch 2: not a candidate at the end).
        let choice = GroupChoice {
            group: "elu".into(),
            activation_label: "elu(alpha=1)".into(),
            hidden: None,
            tuned_lr: 1e-3,
            lr_curve: vec![
                score(1e-4, 0.8870, Some(2)),
                score(3e-4, 0.8846, None),
                score(1e-3, 0.8851, None),
            ],
        };
        let m = choice_margin(&choice, 5_000, 2);
        assert_eq!(m.runner_up, Some(3e-4));
        assert!((m.margin_images - 5.0).abs() < 1e-6, "{m:?}");
        // √(2 · 0.8851 · 0.1149 / 10,000) · 10,000 = √(2 · 0.8851 · 0.1149 · 10,000) = 45.10.
        let noise = (2.0f64 * 0.8851 * 0.1149 * 10_000.0).sqrt();
        assert!((m.noise_images - noise).abs() < 1e-9 && (noise - 45.10).abs() < 0.01);
        assert!(m.near_tie);
        // A lead of 1 point is no near tie; a single candidate has no runner-up.
        let firm = GroupChoice {
            lr_curve: vec![score(3e-4, 0.8751, None), score(1e-3, 0.8851, None)],
            ..choice.clone()
        };
        assert!(!choice_margin(&firm, 5_000, 2).near_tie);
        let alone = GroupChoice {
            lr_curve: vec![score(1e-3, 0.8851, None)],
            ..choice
        };
        let m = choice_margin(&alone, 5_000, 2);
        assert!(m.runner_up.is_none() && m.margin.is_nan() && !m.near_tie);
    }
}
