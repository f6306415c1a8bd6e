//! Every pair of groups tested against each other, Holm-corrected over all pairs.

use serde::Serialize;

use super::ActivationResult;
use super::versus::test_groups;
use crate::stats::Difference;
use crate::verdict::{self, Judgement, Tested, Verdict};

/// Two groups compared (paired over shared seeds, Welch otherwise).
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// The row group (higher in the table).
    pub row: String,
    /// The column group.
    pub column: String,
    /// Mean accuracy difference row − column, with its raw CI and raw p-value.
    #[serde(flatten)]
    pub test: Difference,
    /// The verdict within the family of all pairs of the table (Holm p, equivalence,
    /// simultaneous interval).
    #[serde(flatten)]
    pub judgement: Judgement,
    /// Whether the difference is decided (better or worse: Holm p below α).
    pub significant: bool,
}

/// The most groups compared pairwise (19,900 pairs); above it, the pairs are skipped (and the
/// report says so): their number grows with the square of the groups.
pub const MAX_PAIR_GROUPS: usize = 200;

/// One test per pair of groups with at least two runs, judged as one family (Holm, and
/// equivalence within `margin`, an accuracy fraction); none above [`MAX_PAIR_GROUPS`] groups.
pub fn all_pairs(results: &[ActivationResult], margin: Option<f64>) -> Vec<Pair> {
    if results.len() > MAX_PAIR_GROUPS {
        return Vec::new();
    }
    let mut tests = Vec::new();
    for (i, a) in results.iter().enumerate() {
        for b in results.iter().skip(i + 1) {
            // The same function under two names is one group (`same_as`): no pair of its own.
            if a.n < 2 || b.n < 2 || a.same_as.is_some() || b.same_as.is_some() {
                continue;
            }
            tests.push((a.name.clone(), b.name.clone(), test_groups(a, b)));
        }
    }
    let family: Vec<Tested> = tests.iter().map(|(_, _, t)| *t).collect();
    let judged = verdict::judge(&family, margin);
    tests
        .into_iter()
        .zip(judged)
        .map(|((row, column, tested), judgement)| Pair {
            row,
            column,
            test: tested.test,
            significant: matches!(judgement.verdict, Verdict::Better | Verdict::Worse),
            judgement,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats;

    fn group(name: &str, accuracies: &[f64]) -> ActivationResult {
        ActivationResult {
            name: name.into(),
            kind: "relu".into(),
            activation_label: "relu".into(),
            hidden_layers: 1,
            hidden: vec![128],
            n: accuracies.len(),
            seeds: (1..=accuracies.len() as u64).collect(),
            data_seeds: None,
            keys: (1..=accuracies.len() as u64).collect(),
            accuracies: accuracies.to_vec(),
            accuracy: stats::ci95(accuracies),
            std: stats::sample_std(accuracies),
            min: 0.0,
            max: 1.0,
            epoch_seconds: 1.0,
            params: 1,
            learned: None,
            vs_baseline: None,
            same_as: None,
            tuned_lr: None,
            lr_curve: None,
            rank: None,
            variance: None,
        }
    }

    #[test]
    fn pairs_are_bounded_by_the_number_of_groups() {
        let few: Vec<ActivationResult> = (0..3)
            .map(|i| group(&format!("g{i}"), &[0.8 + 0.01 * i as f64, 0.81, 0.79]))
            .collect();
        assert_eq!(all_pairs(&few, None).len(), 3);
        // A group with one run is in no pair.
        let mut with_single = few.clone();
        with_single.push(group("single", &[0.9]));
        assert_eq!(all_pairs(&with_single, None).len(), 3);
        let many: Vec<ActivationResult> = (0..=MAX_PAIR_GROUPS)
            .map(|i| group(&format!("g{i}"), &[0.8, 0.81, 0.79]))
            .collect();
        assert!(
            all_pairs(&many, None).is_empty(),
            "201 groups: skipped, not 20,100 tests"
        );
    }
}
