//! Claim (g): Swish's advantage over ReLU grows with depth — measured when the sweep's
//! `[grid] hidden` has several depths, as the change of the per-seed advantage between the
//! shallowest and the deepest network.

use super::{Claim, Verdict, directional};
use crate::report::{ActivationResult, Report};
use crate::stats::{self, Difference};

/// The per-seed advantage of `a` over `b` (same seeds required), by seed.
fn advantage(a: &ActivationResult, b: &ActivationResult) -> Option<(Vec<u64>, Vec<f64>)> {
    (a.seeds == b.seeds && a.n >= 2).then(|| {
        let d = a.accuracies.iter().zip(&b.accuracies).map(|(x, y)| x - y);
        (a.seeds.clone(), d.collect())
    })
}

/// How the advantage of `label` over ReLU changes from the shallowest to the deepest depth at
/// which both were run: `(shallow, deep, test of deep − shallow)`; the test is paired over
/// seeds when all four groups share them, Welch's otherwise.
fn growth(report: &Report, label: &str) -> Option<(usize, usize, Difference)> {
    let relu = |depth: usize| {
        report
            .results
            .iter()
            .find(|r| r.kind == "relu" && r.hidden_layers == depth)
    };
    let mut depths: Vec<usize> = report
        .results
        .iter()
        .filter(|r| r.activation_label == label && relu(r.hidden_layers).is_some())
        .map(|r| r.hidden_layers)
        .collect();
    depths.sort_unstable();
    depths.dedup();
    let (&shallow, &deep) = (depths.first()?, depths.last()?);
    if shallow == deep {
        return None;
    }
    let at = |depth: usize| {
        let a = report
            .results
            .iter()
            .find(|r| r.activation_label == label && r.hidden_layers == depth)?;
        advantage(a, relu(depth)?)
    };
    let ((s_seeds, s), (d_seeds, d)) = (at(shallow)?, at(deep)?);
    let test = if s_seeds == d_seeds {
        stats::paired_t(&d, &s)
    } else {
        stats::welch_t(&d, &s)
    };
    Some((shallow, deep, test))
}

pub(super) fn advantage_grows_with_depth(report: &Report) -> Claim {
    let depths: std::collections::BTreeSet<usize> =
        report.results.iter().map(|r| r.hidden_layers).collect();
    let mut labels: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.kind == "swish")
        .map(|r| r.activation_label.as_str())
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let measured: Vec<(&str, usize, usize, Difference)> = labels
        .iter()
        .filter_map(|l| growth(report, l).map(|(s, d, t)| (*l, s, d, t)))
        .collect();
    let (evidence, verdict) = if depths.len() < 2 {
        (
            "one depth only: give `[grid] hidden` several depths (e.g. [[128], [128, 128, 128]])"
                .to_string(),
            Verdict::Inconclusive,
        )
    } else if measured.is_empty() {
        (
            "needs Swish and ReLU at two depths or more, on the same seeds (≥ 2)".to_string(),
            Verdict::Inconclusive,
        )
    } else {
        // Holm over the Swish variants tested.
        let raw: Vec<f64> = measured.iter().map(|m| m.3.p).collect();
        let holm = stats::holm(&raw);
        let mut parts = Vec::new();
        let mut verdicts = Vec::new();
        for ((label, shallow, deep, test), p_holm) in measured.iter().zip(holm) {
            parts.push(format!(
                "{label}: advantage over ReLU at {deep} hidden layers minus at {shallow}: \
                 Δ = {:+.2} points [{:+.2}, {:+.2}], {}, Holm {}",
                100.0 * test.difference.mean,
                100.0 * test.difference.low,
                100.0 * test.difference.high,
                stats::p_text(test.p),
                stats::p_text(p_holm),
            ));
            let adjusted = Difference { p: p_holm, ..*test };
            verdicts.push(directional(Some(&adjusted), 1.0));
        }
        let verdict = if verdicts.contains(&Verdict::Contradicted) {
            Verdict::Contradicted
        } else if verdicts.contains(&Verdict::Supported) {
            Verdict::Supported
        } else {
            Verdict::Inconclusive
        };
        (parts.join("; "), verdict)
    };
    Claim {
        id: 'g',
        claim: "Swish's advantage over ReLU grows with depth.",
        evidence,
        verdict,
    }
}
