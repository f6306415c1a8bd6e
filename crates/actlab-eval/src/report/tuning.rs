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
    report.tuning = Some(Tuning {
        selection,
        shared,
        absent,
        rank_changes,
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
