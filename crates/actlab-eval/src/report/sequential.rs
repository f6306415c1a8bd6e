//! A sweep seeded until decided: each baseline's family replayed through the group-sequential
//! design ([`crate::sequential::replay`]) over the runs found, its outcomes put in place of the
//! fixed-sample verdicts, and the look still to train named — what `compare` trains next.

use serde::Serialize;

use super::ActivationResult;
use crate::sequential::{Boundaries, Design, Outcome, replay};
use crate::verdict::{Judgement, SequentialLook};

/// What the design has decided so far, and what it needs next.
#[derive(Debug, Clone, Serialize)]
pub struct SequentialReport {
    /// The design (seeds in order, the looks, the spending function).
    pub design: Design,
    /// Per family still open: the look to complete, its seeds, and the groups that need them
    /// (the open ones and their baseline). Empty: every comparison is decided or the last
    /// look is judged.
    pub next: Vec<NextTraining>,
    /// Seeds trained in all (every group's runs on the design's seeds).
    pub runs: usize,
    /// What a fixed grid of every seed would train: groups × seeds.
    pub fixed_runs: usize,
}

/// One family's next look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextTraining {
    /// The look (1-based).
    pub look: usize,
    /// Seeds each named group needs: the design's first `seeds`.
    pub seeds: usize,
    /// The groups (report names): the baseline first.
    pub groups: Vec<String>,
}

/// The accuracies of `r` at the design's seeds, in order, as far as it has them all.
fn prefix(r: &ActivationResult, design: &Design) -> Vec<f64> {
    design
        .seeds
        .iter()
        .map_while(|s| r.seeds.iter().position(|t| t == s).map(|i| r.accuracies[i]))
        .collect()
}

/// Replays `design` over each family (`(baseline, members)`, indices into `results`) and
/// writes the outcomes into the members' comparisons (`margin`: accuracy fraction).
pub fn apply(
    results: &mut [ActivationResult],
    families: &[(usize, Vec<usize>)],
    design: &Design,
    margin: Option<f64>,
) -> SequentialReport {
    let mut bounds = Boundaries::new(design);
    let mut next = Vec::new();
    for (b, members) in families {
        let base = prefix(&results[*b], design);
        // The family: every member compared with the baseline (twins count once).
        let family: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| i != *b && results[i].same_as.is_none())
            .collect();
        let diffs: Vec<Vec<f64>> = family
            .iter()
            .map(|&i| {
                prefix(&results[i], design)
                    .iter()
                    .zip(&base)
                    .map(|(x, y)| x - y)
                    .collect()
            })
            .collect();
        let replayed = replay(design, &diffs, margin, &mut bounds);
        if let Some(look) = &replayed.next {
            let mut groups = vec![results[*b].name.clone()];
            groups.extend(look.open.iter().map(|&k| results[family[k]].name.clone()));
            next.push(NextTraining {
                look: look.look,
                seeds: look.seeds,
                groups,
            });
        }
        for (&i, outcome) in family.iter().zip(&replayed.outcomes) {
            set(&mut results[i], outcome, replayed.family_size, design);
        }
        // A twin shares its original's outcome.
        for &i in members {
            let twin = results[i].same_as.clone();
            if let Some(j) = twin.and_then(|n| results.iter().position(|r| r.name == n)) {
                results[i].vs_baseline = results[j].vs_baseline.clone();
            }
        }
    }
    let runs = results
        .iter()
        .map(|r| r.seeds.iter().filter(|s| design.seeds.contains(s)).count())
        .sum();
    SequentialReport {
        fixed_runs: results.len() * design.seeds.len(),
        design: design.clone(),
        next,
        runs,
    }
}

/// Puts a sequential outcome in place of a row's fixed-sample judgement.
fn set(r: &mut ActivationResult, o: &Outcome, m: usize, design: &Design) {
    let Some(v) = r.vs_baseline.as_mut() else {
        return;
    };
    if let Some(test) = o.test {
        v.test = test;
    }
    v.judgement = Judgement {
        verdict: o.verdict,
        // No Holm-adjusted p-value: the sequential Holm compares each look's p-value with the
        // boundary of its level (`sequential.nominal`).
        p_holm: f64::NAN,
        p_equivalence: o.p_equivalence,
        p_equivalence_holm: None,
        simultaneous: o.interval,
        equivalence_interval: o.equivalence_interval,
        family_size: m,
        below_margin: o.below_margin,
        seeds_to_decide: o.seeds_to_decide,
        correction: actlab_format::sweep::compare::Correction::Holm,
        sequential: Some(SequentialLook {
            decided_at: o.decided_at,
            looks: design.looks.len(),
            seeds: o.seeds,
            nominal: o.nominal,
            open: o.open,
        }),
    };
}
