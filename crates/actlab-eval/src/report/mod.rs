//! The comparison behind `actlab report` and `actlab compare`, as data: runs found under some
//! directories, grouped, with statistics and tests against a baseline. Built from run
//! directories alone (so runs made on several machines merge by copying their directories
//! together). `crate::output::report` writes it out.

mod environment;
pub mod images;
mod pairs;
pub mod sequential;
pub mod sources;
pub mod tuning;
mod versus;

pub use environment::{Environment, environments};
pub use pairs::{MAX_PAIR_GROUPS, Pair, all_pairs};
pub use versus::VersusBaseline;
mod group;
use group::group_result;
use versus::{FamilyRule, compare_with_baseline, duplicates, seeds_for};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use actlab_format::activation::ActivationConfig;
use actlab_format::run::{RunStatus, RunSummary, metrics};
use actlab_format::state::EpochRecord;
use serde::Serialize;

use crate::error::EvalError;
use crate::stats::{self, Interval};
use crate::verdict;

/// A finished run found on disk.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Its directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: RunSummary,
    /// `metrics.csv` (empty if missing).
    pub history: Vec<EpochRecord>,
    /// Its per-image test results (`predictions.bin`, checked against the summary).
    pub images: Option<images::RunImages>,
    /// Why it has none that can be used, when it has a file that cannot.
    pub images_note: Option<String>,
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
        let read = RunSummary::load(&dir).and_then(|summary| Ok((summary, metrics::read(&dir)?)));
        match read {
            Ok((summary, history)) => {
                let (images, images_note) =
                    match images::read(&dir, summary.test_samples, summary.test_correct) {
                        Ok(images) => (images, None),
                        Err(note) => (None, Some(note)),
                    };
                runs.push(RunRecord {
                    history,
                    dir,
                    summary,
                    images,
                    images_note,
                })
            }
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
            // A sweep's tuning runs (`<sweep>/tune/`) are not its results: `tuning` reads them.
            if entry.file_type().is_ok_and(|t| t.is_dir()) && entry.file_name() != "tune" {
                find_runs(&entry.path(), depth + 1, out);
            }
        }
    }
}

/// Seeds the power analyses consider at most.
pub const MAX_SEEDS: usize = crate::verdict::MAX_SEEDS;

/// One row of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct ActivationResult {
    /// The group: the activation with its parameters (plus sizes or rate when those vary).
    pub name: String,
    /// The activation kind.
    pub kind: String,
    /// The activation with its parameters (the group's name without sizes or rate).
    pub activation_label: String,
    /// Hidden layers of the group's model.
    pub hidden_layers: usize,
    /// Their sizes.
    pub hidden: Vec<usize>,
    /// Runs (seeds).
    pub n: usize,
    /// Their seeds.
    pub seeds: Vec<u64>,
    /// Their data seeds (`[train] data_seed`), when the sweep varied the sources apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_seeds: Option<Vec<u64>>,
    /// What pairs a run with another group's: its seed, or its seed and data seed.
    #[serde(skip)]
    pub keys: Vec<u64>,
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
    /// The group whose runs this one reproduces exactly (the same function under another
    /// name): it is counted once, as that group, in every family; its comparison is that one's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// In a tuned sweep: the rate chosen on validation accuracy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned_lr: Option<f64>,
    /// In a tuned sweep: every candidate rate's mean validation accuracy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_curve: Option<Vec<actlab_format::tuning::RateScore>>,
    /// Its rank on the leaderboard with a 95% interval from the bootstrap over seeds and test
    /// images (when its runs have per-image predictions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<crate::bootstrap::Rank>,
    /// Where its spread comes from, when its runs cross initialisation and data seeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance: Option<sources::VarianceSources>,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The baseline group's name (or what was asked for, if no run matched).
    pub baseline: String,
    /// Whether a baseline group was found.
    pub baseline_found: bool,
    /// The groups that served as baselines: one, or one per hidden shape when the runs have
    /// several (each group is compared with the baseline activation at its own shape, so a
    /// depth sweep compares like with like and the baseline is not the best of its shapes).
    pub baselines: Vec<String>,
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
    /// Runs trained in packs (`summary.json` has `packed_with`).
    pub packed_runs: usize,
    /// Every pair of groups (with at least 2 runs each), in table order (row before column):
    /// Δ = row − column, Holm-corrected over all pairs.
    pub pairs: Vec<Pair>,
    /// Seeds a paired comparison needs to detect a difference of 0.2 points with power 0.8 at
    /// α/m (Holm's strictest step over the largest family), at the median spread of the table's
    /// paired differences: `(seeds, that sd)`; `None` without paired comparisons
    /// (`Some((None, sd))` above 1000 seeds).
    pub seeds_for_two_tenths: Option<(Option<usize>, f64)>,
    /// The margin of equivalence δ in accuracy points (`[compare] margin`, `--margin`): a
    /// difference inside ±δ does not matter to the user. `None`: equivalence is not judged.
    pub margin: Option<f64>,
    /// The level each verdict holds at, family-wise.
    pub alpha: f64,
    /// The tuning stage of a tuned sweep ([`tuning::attach`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<tuning::Tuning>,
    /// Why there is no `tuning` although the sweep has a tuning stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_note: Option<String>,
    /// What the image-level statistics (bootstrap over seeds and test images, P(A > B),
    /// McNemar, rank intervals) rest on; absent when no run has per-image predictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<images::ImagesSummary>,
    /// Seeds until decided: the design, and what it needs next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<sequential::SequentialReport>,
}

/// How a report judges: the margin of equivalence, a group-sequential design, and whether to
/// compute the image-level statistics.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The margin of equivalence δ in accuracy points (`None`: equivalence is not judged).
    pub margin: Option<f64>,
    /// Seeds until decided: verdicts from the design's looks instead of a fixed sample.
    pub design: Option<crate::sequential::Design>,
    /// Bootstrap resamples of the image-level statistics (0: none, e.g. to plan a look).
    pub resamples: usize,
    /// The declared confirmatory family (`[compare] family`): the other comparisons with the
    /// baseline are judged as a second, exploratory family.
    pub family: Option<Vec<String>>,
    /// How a family's difference tests are corrected (`[compare] correction`).
    pub correction: actlab_format::sweep::compare::Correction,
}

/// The sizes of the hidden layers in a summary's `layers` (input and output dropped).
fn hidden_sizes(layers: &[usize]) -> Vec<usize> {
    match layers {
        [_, hidden @ .., _] => hidden.to_vec(),
        _ => Vec::new(),
    }
}

/// The group each run belongs to: its activation label, plus layers when they vary, plus the
/// rate when one activation (with its layers) ran at several rates — a rate grid; a tuned sweep
/// runs each activation at its one chosen rate and groups by activation.
pub fn group_keys(runs: &[RunRecord]) -> Vec<String> {
    let layers: BTreeSet<String> = runs
        .iter()
        .map(|r| format!("{:?}", r.summary.layers))
        .collect();
    let rates: BTreeSet<(String, String, String)> = runs
        .iter()
        .map(|r| {
            (
                r.summary.activation_label.clone(),
                format!("{:?}", r.summary.layers),
                r.summary.lr.to_string(),
            )
        })
        .collect();
    let several_rates = rates
        .iter()
        .zip(rates.iter().skip(1))
        .any(|(a, b)| a.0 == b.0 && a.1 == b.1);
    runs.iter()
        .map(|r| {
            let mut key = r.summary.activation_label.clone();
            if layers.len() > 1 {
                let sizes: Vec<String> = r.summary.layers.iter().map(ToString::to_string).collect();
                key.push_str(&format!(" [{}]", sizes.join("-")));
            }
            if several_rates {
                key.push_str(&format!(" lr={}", r.summary.lr));
            }
            key
        })
        .collect()
}

/// Groups the runs, computes the statistics and compares every group with `baseline` (a group
/// name, or an activation kind such as `relu`), judging no equivalence.
pub fn build_report(runs: &[RunRecord], baseline: &str) -> Report {
    build_report_with_margin(runs, baseline, None)
}

/// [`build_report`] with a margin of equivalence (accuracy points): comparisons whose
/// difference lies within ±`margin` (TOST, Holm over the family) are judged equivalent.
pub fn build_report_with_margin(runs: &[RunRecord], baseline: &str, margin: Option<f64>) -> Report {
    build_report_with(
        runs,
        baseline,
        &ReportOptions {
            margin,
            resamples: crate::bootstrap::RESAMPLES,
            ..ReportOptions::default()
        },
    )
}

/// The report as `options` say: [`build_report_with_margin`], with the verdicts of a
/// group-sequential design when it has one, and the image-level statistics unless
/// `resamples` is 0.
pub fn build_report_with(runs: &[RunRecord], baseline: &str, options: &ReportOptions) -> Report {
    let margin = options.margin;
    let keys = group_keys(runs);
    let mut names: Vec<String> = keys.clone();
    names.sort();
    names.dedup();
    let mut grouped: Vec<(ActivationResult, versus::Fingerprint)> = names
        .iter()
        .map(|name| {
            let mut members: Vec<&RunRecord> = runs
                .iter()
                .zip(&keys)
                .filter(|(_, k)| *k == name)
                .map(|(r, _)| r)
                .collect();
            members.sort_by_key(|r| (r.summary.seed, r.summary.data_seed));
            (group_result(name, &members), versus::fingerprint(&members))
        })
        .collect();
    grouped.sort_by(|a, b| b.0.accuracy.mean.total_cmp(&a.0.accuracy.mean));
    let (mut results, prints): (Vec<ActivationResult>, Vec<versus::Fingerprint>) =
        grouped.into_iter().unzip();
    let shapes: BTreeSet<Vec<usize>> = results.iter().map(|r| r.hidden.clone()).collect();
    // A group's name picks that one group; an activation (a kind or a label) picks the first
    // such group at each hidden shape (one family when there is one shape).
    let families: Vec<(usize, Vec<usize>)> = match results.iter().position(|r| r.name == baseline) {
        Some(b) => vec![(b, (0..results.len()).collect())],
        None => shapes
            .iter()
            .filter_map(|shape| {
                let members: Vec<usize> = (0..results.len())
                    .filter(|&i| &results[i].hidden == shape)
                    .collect();
                let b = members.iter().copied().find(|&i| {
                    let r = &results[i];
                    r.kind == baseline || r.activation_label == baseline
                })?;
                Some((b, members))
            })
            .collect(),
    };
    let baselines: Vec<String> = families
        .iter()
        .map(|(b, _)| results[*b].name.clone())
        .collect();
    let base_indices: Vec<usize> = families.iter().map(|(b, _)| *b).collect();
    duplicates(&mut results, &prints, &base_indices);
    let margin_fraction = margin.map(|points| points / 100.0);
    let rule = FamilyRule {
        margin: margin_fraction,
        correction: options.correction,
        declared: options.family.as_deref(),
    };
    for (b, members) in &families {
        compare_with_baseline(&mut results, *b, members, &rule);
    }
    let sequential = options
        .design
        .as_ref()
        .map(|design| sequential::apply(&mut results, &families, design, margin_fraction));
    let images = (options.resamples > 0)
        .then(|| images::attach(&mut results, runs, &keys, options.resamples))
        .flatten();
    let base_index = families.first().map(|(b, _)| *b);
    let power_line = seeds_for(&results, 0.002);
    let pairs = all_pairs(&results, margin_fraction);
    let test_images = runs
        .iter()
        .map(|r| r.summary.test_samples)
        .max()
        .unwrap_or(0);
    let best = results.first().map_or(0.0, |r| r.accuracy.mean);
    Report {
        baseline: match (families.len(), base_index) {
            (2.., _) => format!("{baseline} at each hidden shape"),
            (_, Some(b)) => results[b].name.clone(),
            _ => baseline.to_string(),
        },
        baseline_found: base_index.is_some(),
        baselines,
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
        packed_runs: runs
            .iter()
            .filter(|r| r.summary.packed_with.is_some())
            .count(),
        pairs,
        seeds_for_two_tenths: power_line,
        margin,
        alpha: verdict::ALPHA,
        tuning: None,
        tuning_note: None,
        images,
        sequential,
    }
}

/// What pairs a run with another group's run: its seed, or — when it has a data seed — both
/// (the seed in the high half, the data seed in the low; FNV-1a over both when either does not
/// fit in 32 bits).
pub fn pair_key(summary: &RunSummary) -> u64 {
    match summary.data_seed {
        None => summary.seed,
        Some(data) if summary.seed < 1 << 32 && data < 1 << 32 => {
            (summary.seed << 32) | data | 1 << 63
        }
        Some(data) => {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for b in summary
                .seed
                .to_le_bytes()
                .into_iter()
                .chain(data.to_le_bytes())
            {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            hash | 1 << 63
        }
    }
}
