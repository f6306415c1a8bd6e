//! Each group against its baseline (one family per baseline, judged by [`verdict::judge`]),
//! and the groups that are the same function counted once.

use serde::Serialize;

use super::{ActivationResult, MAX_SEEDS, RunRecord};
use actlab_format::sweep::compare::Correction;

use crate::stats::{self, Difference, EffectSize, TestKind};
use crate::verdict::{self, Judgement, Tested};

/// The comparison with the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct VersusBaseline {
    /// The group compared with (the baseline of this row's hidden shape when shapes vary).
    pub baseline: String,
    /// Mean accuracy difference (this − baseline) with its raw (unadjusted) 95% CI and raw
    /// p-value.
    #[serde(flatten)]
    pub test: Difference,
    /// The verdict within the family of comparisons with this baseline (with several hidden
    /// shapes: the comparisons at this row's shape): Holm p, equivalence, simultaneous interval.
    #[serde(flatten)]
    pub judgement: Judgement,
    /// Standardised difference: paired d_z, or Hedges' g for Welch.
    pub effect_size: EffectSize,
    /// The smallest difference (accuracy points) these seeds detect with power 0.8 at α/m,
    /// Holm's strictest step (the rule the verdicts use).
    pub mde_points: f64,
    /// The comparison at the image level: a bootstrap over seeds and test images, P(this >
    /// baseline), McNemar per seed (when both groups' runs have per-image predictions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<crate::bootstrap::ImageComparison>,
    /// The family its p-value and verdict belong to: "baseline comparisons" (every comparison
    /// with this baseline), or with `[compare] family` "confirmatory" / "exploratory".
    pub family: String,
}

/// The accuracies of `a` and `b` on the seeds they share, in `a`'s order, when those pair them:
/// distinct seeds in each, at least two shared, and one group's seeds all among the other's (the
/// same grid; a design that stopped one earlier; a grid that lost a run) — the other's extra
/// runs are left out. `None`: test them as independent samples.
pub(super) fn paired_values(
    a: &ActivationResult,
    b: &ActivationResult,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let distinct = |keys: &[u64]| {
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        sorted.windows(2).all(|w| w[0] != w[1])
    };
    if !(distinct(&a.keys) && distinct(&b.keys)) {
        return None;
    }
    let shared: Vec<(f64, f64)> = a
        .keys
        .iter()
        .zip(&a.accuracies)
        .filter_map(|(k, x)| {
            let j = b.keys.iter().position(|t| t == k)?;
            Some((*x, b.accuracies[j]))
        })
        .collect();
    let nested = shared.len() == a.keys.len().min(b.keys.len());
    (nested && shared.len() >= 2).then(|| shared.into_iter().unzip())
}

/// `a` tested against `b`: a paired t-test over the seeds they share when those pair them
/// ([`paired_values`]), Welch's otherwise, with the spread of one seed's difference — the sd of
/// the paired differences, or for Welch √(s_a² + s_b²) (a difference of two means over n seeds
/// each spreads by that / √n: plans equal seeds). The baseline rows and the pairs both test
/// this way.
pub(super) fn test_groups(a: &ActivationResult, b: &ActivationResult) -> Tested {
    if let Some((x, y)) = paired_values(a, b) {
        let diffs: Vec<f64> = x.iter().zip(&y).map(|(x, y)| x - y).collect();
        Tested {
            test: stats::paired_t(&x, &y),
            sd: stats::sample_std(&diffs),
        }
    } else {
        Tested {
            test: stats::welch_t(&a.accuracies, &b.accuracies),
            sd: (a.std.powi(2) + b.std.powi(2)).sqrt(),
        }
    }
}

/// The effect size of `a` against the baseline `b`: paired d_z, or Hedges' g for Welch.
fn effect(a: &[f64], b: &[f64], test: &Difference) -> EffectSize {
    match test.test {
        TestKind::Paired => EffectSize {
            kind: "d_z",
            value: stats::cohen_dz(a, b),
        },
        TestKind::Welch => EffectSize {
            kind: "hedges_g",
            value: stats::hedges_g(a, b),
        },
    }
}

/// The seeds a paired comparison needs to detect `delta` (an accuracy difference) at
/// `alpha`, at the median sd of the paired differences in `results`.
pub(super) fn seeds_for(results: &[ActivationResult], delta: f64) -> Option<(Option<usize>, f64)> {
    let judged = || results.iter().filter_map(|r| r.vs_baseline.as_ref());
    let m = judged().map(|v| v.judgement.family_size).max().unwrap_or(1);
    let mut sds: Vec<f64> = judged()
        .filter(|v| v.test.test == TestKind::Paired)
        // Paired: se = sd / √n with n = df + 1.
        .map(|v| v.test.se * (v.test.df + 1.0).sqrt())
        .filter(|sd| sd.is_finite())
        .collect();
    if sds.is_empty() {
        return None;
    }
    sds.sort_by(f64::total_cmp);
    let median = if sds.len() % 2 == 1 {
        sds[sds.len() / 2]
    } else {
        (sds[sds.len() / 2 - 1] + sds[sds.len() / 2]) / 2.0
    };
    let alpha = verdict::ALPHA / m as f64;
    Some((stats::seeds_needed(median, delta, MAX_SEEDS, alpha), median))
}

/// How a baseline's comparisons are judged: the margin (accuracy fraction), the correction of
/// the difference tests, and the declared confirmatory family (kinds, labels or group names).
pub(super) struct FamilyRule<'a> {
    pub margin: Option<f64>,
    pub correction: Correction,
    pub declared: Option<&'a [String]>,
}

/// A comparison before its family is judged: the row, its effect size, its test, its per-seed
/// differences with their seeds (paired), its family.
type Candidate = (
    usize,
    EffectSize,
    Tested,
    Option<(Vec<u64>, Vec<f64>)>,
    &'static str,
);

/// Which family a comparison belongs to, as the report names it.
fn family_of(r: &ActivationResult, declared: Option<&[String]>) -> &'static str {
    match declared {
        None => "baseline comparisons",
        Some(list) => {
            let named = |e: &String| *e == r.kind || *e == r.activation_label || *e == r.name;
            if list.iter().any(named) {
                "confirmatory"
            } else {
                "exploratory"
            }
        }
    }
}

/// Compares every group of `members` with at least two runs with the baseline `results[b]`: a
/// paired t-test when both ran the same seeds, Welch's otherwise; each family's verdicts (the
/// declared confirmatory one and the rest, or all together) by [`verdict::judge_with`] (Holm or
/// max-T, equivalence within the margin); effect size and power per comparison.
pub(super) fn compare_with_baseline(
    results: &mut [ActivationResult],
    b: usize,
    members: &[usize],
    rule: &FamilyRule,
) {
    let base = results[b].clone();
    let mut tested: Vec<Candidate> = Vec::new();
    for &i in members {
        let result = &results[i];
        if i == b || result.n < 2 || base.n < 2 || result.same_as.is_some() {
            continue;
        }
        let pair = test_groups(result, &base);
        let paired = paired_values(result, &base);
        let effect_size = match &paired {
            Some((x, y)) => effect(x, y, &pair.test),
            None => effect(&result.accuracies, &base.accuracies, &pair.test),
        };
        // Per-seed differences on the shared seeds, with those seeds (max-T needs every
        // comparison of a family on the same ones).
        let shared: Vec<u64> = result
            .keys
            .iter()
            .copied()
            .filter(|k| base.keys.contains(k))
            .collect();
        let diffs = paired.map(|(x, y)| (shared, x.iter().zip(&y).map(|(x, y)| x - y).collect()));
        let family = family_of(result, rule.declared);
        tested.push((i, effect_size, pair, diffs, family));
    }
    for family in ["baseline comparisons", "confirmatory", "exploratory"] {
        let members: Vec<&Candidate> = tested.iter().filter(|t| t.4 == family).collect();
        if members.is_empty() {
            continue;
        }
        let tests: Vec<Tested> = members.iter().map(|t| t.2).collect();
        // Max-T only when every comparison pairs on the same seeds.
        let paired: Option<Vec<&(Vec<u64>, Vec<f64>)>> =
            members.iter().map(|t| t.3.as_ref()).collect();
        let diffs: Option<Vec<Vec<f64>>> = paired
            .filter(|p| p.iter().all(|(keys, _)| *keys == p[0].0))
            .map(|p| p.iter().map(|(_, d)| d.clone()).collect());
        let judged = verdict::judge_with(&tests, rule.margin, rule.correction, diffs.as_deref());
        for (&&(i, effect_size, Tested { test, .. }, _, family), judgement) in
            members.iter().zip(judged)
        {
            let step = verdict::ALPHA / judgement.family_size as f64;
            results[i].vs_baseline = Some(VersusBaseline {
                baseline: base.name.clone(),
                mde_points: 100.0 * stats::minimal_detectable(test.se, test.df, step),
                judgement,
                effect_size,
                test,
                images: None,
                family: family.to_string(),
            });
        }
    }
    // A group counted once shares its twin's comparison (and verdict).
    for &i in members {
        let twin = results[i].same_as.clone();
        if let Some(j) = twin.and_then(|name| results.iter().position(|r| r.name == name)) {
            results[i].vs_baseline = results[j].vs_baseline.clone();
        }
    }
}

/// A group's runs as [`fingerprint`] gives them: (seed, that run's numbers).
pub(super) type Fingerprint = Vec<(u64, Vec<u64>)>;

/// Each run of a group, by seed, as numbers only the same function on the same seed
/// reproduces: its test accuracy, and every epoch's training loss and validation accuracy (as
/// bits).
pub(super) fn fingerprint(members: &[&RunRecord]) -> Fingerprint {
    members
        .iter()
        .map(|run| {
            let mut print = vec![run.summary.test_accuracy.to_bits()];
            for epoch in &run.history {
                print.push(epoch.train_loss.to_bits());
                print.push(epoch.val_acc.unwrap_or(f64::NAN).to_bits());
            }
            (super::pair_key(&run.summary), print)
        })
        .collect()
}

/// Whether two groups' runs are the same function's: at least two seeds in common, and every
/// run on a common seed reproduced exactly.
fn same_runs(a: &[(u64, Vec<u64>)], b: &[(u64, Vec<u64>)]) -> bool {
    let mut shared = 0;
    for (seed, print) in a {
        if let Some((_, other)) = b.iter().find(|(s, _)| s == seed) {
            if other != print {
                return false;
            }
            shared += 1;
        }
    }
    shared >= 2
}

/// Marks (`same_as`) each group whose runs reproduce another's exactly on every seed both ran
/// — same hidden sizes, [`same_runs`]: the same function under two names (SiLU and Swish with
/// β = 1), which must enter a family once. The one kept is a baseline if either is, else the
/// one with more runs (so a design that trains only the kept one keeps it), else the one
/// higher in the table. Groups with fewer than two runs are not compared, so not marked.
pub(super) fn duplicates(
    results: &mut [ActivationResult],
    prints: &[Fingerprint],
    baselines: &[usize],
) {
    // Kept first: baselines, then more runs, then table order.
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by_key(|&i| (!baselines.contains(&i), std::cmp::Reverse(results[i].n), i));
    for (rank, &i) in order.iter().enumerate() {
        if results[i].n < 2 || baselines.contains(&i) || results[i].same_as.is_some() {
            continue;
        }
        let kept = order[..rank].iter().copied().find(|&j| {
            results[j].same_as.is_none()
                && results[j].n >= 2
                && results[j].hidden == results[i].hidden
                && same_runs(&prints[j], &prints[i])
        });
        if let Some(j) = kept {
            results[i].same_as = Some(results[j].name.clone());
        }
    }
}
