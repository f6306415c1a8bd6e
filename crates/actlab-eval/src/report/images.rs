//! The report's image-level statistics: each run's `predictions.bin` read and checked against
//! its summary, then one joint bootstrap over seeds and test images
//! ([`crate::bootstrap::analyse`]) for every comparison with a baseline and the leaderboard's
//! ranks.

use std::collections::BTreeMap;
use std::path::Path;

use actlab_format::run::TestPredictions;
use serde::Serialize;

use super::{ActivationResult, RunRecord};
use crate::bootstrap::{self, Correct, GroupImages, Wanted};
use crate::verdict::ALPHA;

/// A run's per-image results, as the report uses them.
#[derive(Debug, Clone)]
pub struct RunImages {
    /// The SHA-256 of the test images it was scored on.
    pub test_sha256: String,
    /// Which it classified correctly.
    pub correct: Correct,
}

/// Reads `predictions.bin` of a run and checks it against the summary (same number of test
/// images, same number correct). `Ok(None)`: the run has none (trained before actlab wrote
/// them). `Err`: why it cannot be used.
pub fn read(
    dir: &Path,
    test_samples: usize,
    test_correct: usize,
) -> Result<Option<RunImages>, String> {
    let predictions = match TestPredictions::read(dir) {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let correct = predictions.correct_count();
    if predictions.len() != test_samples || correct != test_correct {
        return Err(format!(
            "{}: {} images, {correct} correct, but summary.json says {test_samples} and \
             {test_correct}: not used",
            dir.join(actlab_format::run::files::PREDICTIONS).display(),
            predictions.len(),
        ));
    }
    Ok(Some(RunImages {
        correct: bootstrap::Correct::new(&predictions.correct()),
        test_sha256: predictions.test_sha256,
    }))
}

/// What the image-level statistics rest on.
#[derive(Debug, Clone, Serialize)]
pub struct ImagesSummary {
    /// Runs whose per-image predictions were used.
    pub runs: usize,
    /// Runs without usable ones (none, unreadable, or another test set): their groups have no
    /// image-level statistics.
    pub runs_without: usize,
    /// Bootstrap resamples per comparison (the ranks use the first [`bootstrap::RANK_RESAMPLES`]).
    pub resamples: usize,
    /// Why runs were left out, one line each (at most a few).
    pub notes: Vec<String>,
}

/// Attaches the image-level comparison to every row compared with a baseline and a rank
/// interval to every group whose runs all have per-image predictions on the most common test
/// set. Returns what it rested on (`None` when no run has predictions).
pub fn attach(
    results: &mut [ActivationResult],
    runs: &[RunRecord],
    keys: &[String],
    resamples: usize,
) -> Option<ImagesSummary> {
    let mut notes: Vec<String> = runs.iter().filter_map(|r| r.images_note.clone()).collect();
    // The test set most runs were scored on.
    let mut sets: BTreeMap<&str, usize> = BTreeMap::new();
    for run in runs.iter().filter_map(|r| r.images.as_ref()) {
        *sets.entry(run.test_sha256.as_str()).or_default() += 1;
    }
    let (&set, _) = sets.iter().max_by_key(|(_, n)| **n)?;
    if sets.len() > 1 {
        notes.push(format!(
            "runs were scored on {} different test sets; only those on the most common ({}…) \
             are compared image by image",
            sets.len(),
            &set[..12.min(set.len())]
        ));
    }
    let (per_group, used) = usable(results, runs, keys, set);
    let index: Vec<Option<usize>> = {
        let mut next = 0;
        per_group
            .iter()
            .map(|g| {
                g.as_ref().map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    };
    let groups: Vec<GroupImages> = per_group
        .iter()
        .flatten()
        .map(|(seeds, runs)| GroupImages { seeds, runs })
        .collect();
    let names: Vec<&str> = results
        .iter()
        .zip(&index)
        .filter(|(_, i)| i.is_some())
        .map(|(r, _)| r.name.as_str())
        .collect();
    let by_name =
        |results: &[ActivationResult], name: &str| results.iter().position(|r| r.name == name);
    let mut wanted = Vec::new();
    let mut rows = Vec::new();
    for (row, r) in results.iter().enumerate() {
        let Some(v) = &r.vs_baseline else { continue };
        if r.same_as.is_some() {
            continue;
        }
        let b = by_name(results, &v.baseline).and_then(|b| index[b]);
        let (Some(a), Some(b)) = (index[row], b) else {
            continue;
        };
        wanted.push(Wanted {
            a,
            b,
            level: ALPHA / v.judgement.family_size.max(1) as f64,
        });
        rows.push(row);
    }
    let analysis = match bootstrap::analyse(
        &groups,
        &names,
        &wanted,
        resamples,
        bootstrap::RANK_RESAMPLES.min(resamples),
    ) {
        Ok(analysis) => analysis,
        Err(e) => {
            notes.push(e.to_string());
            return Some(summary(used, runs.len(), resamples, notes));
        }
    };
    for (row, comparison) in rows.iter().zip(analysis.comparisons) {
        if let Some(v) = results[*row].vs_baseline.as_mut() {
            v.images = comparison;
        }
    }
    if let Some(ranks) = analysis.ranks {
        for (row, i) in index.iter().enumerate() {
            if let Some(i) = i {
                results[row].rank = Some(ranks[*i]);
            }
        }
    }
    // A twin shares its original's image-level comparison.
    for row in 0..results.len() {
        let twin = results[row].same_as.clone();
        if let Some(j) = twin.and_then(|name| by_name(results, &name)) {
            let images = results[j]
                .vs_baseline
                .as_ref()
                .and_then(|v| v.images.clone());
            if let Some(v) = results[row].vs_baseline.as_mut() {
                v.images = images;
            }
        }
    }
    Some(summary(used, runs.len(), resamples, notes))
}

/// Per group (in `results`' order): its runs' pairing keys and correct images, when every run
/// has predictions on the test set `set`.
type Usable<'a> = Vec<Option<(Vec<u64>, Vec<&'a Correct>)>>;

/// [`Usable`], and how many runs it holds.
fn usable<'a>(
    results: &[ActivationResult],
    runs: &'a [RunRecord],
    keys: &[String],
    set: &str,
) -> (Usable<'a>, usize) {
    let mut used = 0;
    let groups = results
        .iter()
        .map(|r| {
            let usable: Option<Vec<(u64, &Correct)>> = runs
                .iter()
                .zip(keys)
                .filter(|(_, k)| **k == r.name)
                .map(|(run, _)| {
                    let images = run.images.as_ref().filter(|i| i.test_sha256 == set)?;
                    Some((super::pair_key(&run.summary), &images.correct))
                })
                .collect();
            usable.map(|mut list| {
                list.sort_by_key(|(key, _)| *key);
                used += list.len();
                list.into_iter().unzip()
            })
        })
        .collect();
    (groups, used)
}

fn summary(used: usize, total: usize, resamples: usize, mut notes: Vec<String>) -> ImagesSummary {
    notes.truncate(5);
    ImagesSummary {
        runs: used,
        runs_without: total - used,
        resamples,
        notes,
    }
}
