//! The four verdicts of a comparison: **better**, **worse**, **equivalent within ±δ**, or
//! **undecided** (with the seeds that would decide it). A family of comparisons (the rows
//! against one baseline, or all pairs) is judged together: the difference tests are
//! Holm-corrected over the family as before, the equivalence tests — two one-sided tests
//! (TOST) at α against the margin δ — are Holm-corrected over the same family, and each
//! comparison's interval is the simultaneous (Bonferroni, 1 − α/m) one, so an interval that
//! excludes 0 never stands beside "undecided". Power and the seeds to decide are planned at
//! α/m, Holm's strictest step: the rule the verdicts use, not the uncorrected α.

use serde::Serialize;

use actlab_format::sweep::compare::Correction;

use crate::stats::{self, Difference, Interval};

/// The family-wise level of every verdict.
pub const ALPHA: f64 = 0.05;

/// The most seeds a projection considers.
pub const MAX_SEEDS: usize = 1000;

/// What a comparison concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly higher (Holm, family-wise α), by more than the margin or with no margin set.
    Better,
    /// Significantly lower.
    Worse,
    /// Within ±margin (TOST, Holm over the family).
    Equivalent,
    /// Neither: more seeds are needed (or the data cannot tell at any affordable number).
    Undecided,
}

impl Verdict {
    /// The word in results.json and the CSVs.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Equivalent => "equivalent",
            Verdict::Undecided => "undecided",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The p-value of the two one-sided tests of H₀: |Δ| ≥ `margin` (the larger of the p-values
/// of H₀: Δ ≤ −margin and H₀: Δ ≥ margin), with the difference's own t distribution. Small
/// when the `1 − 2α` interval lies inside ±margin: p < α exactly then. NaN without spread.
pub fn tost_p(d: &Difference, margin: f64) -> f64 {
    let (mean, se) = (d.difference.mean, d.se);
    // No spread (the same values at every seed): no test, as for the difference.
    if !(mean.is_finite() && se.is_finite() && se > 0.0 && margin > 0.0) {
        return f64::NAN;
    }
    let upper = stats::upper_tail((mean + margin) / se, d.df); // H₀: Δ ≤ −margin
    let lower = stats::upper_tail((margin - mean) / se, d.df); // H₀: Δ ≥ +margin
    upper.max(lower)
}

/// The two-sided `1 − alpha` interval of the difference (its own t distribution).
pub fn interval(d: &Difference, alpha: f64) -> Interval {
    let half = stats::t_quantile(1.0 - alpha / 2.0, d.df) * d.se;
    let mean = d.difference.mean;
    Interval {
        mean,
        low: mean - half,
        high: mean + half,
    }
}

/// One comparison to judge: its test and the spread of one seed's difference (the sd of the
/// paired differences, or √(s_a² + s_b²) for Welch), which projects the seeds to decide it.
#[derive(Debug, Clone, Copy)]
pub struct Tested {
    /// The difference test (accuracy fractions).
    pub test: Difference,
    /// The spread of one seed's difference.
    pub sd: f64,
}

/// One comparison judged within its family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The difference test's p-value, Holm-corrected over the family.
    pub p_holm: f64,
    /// The equivalence (TOST) p-value (absent without a margin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_equivalence: Option<f64>,
    /// It, Holm-corrected over the same family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_equivalence_holm: Option<f64>,
    /// The difference's simultaneous interval over the family: Bonferroni, `1 − α/m`.
    pub simultaneous: Interval,
    /// With a margin: the equivalence tests' own simultaneous interval, `1 − 2α/m` (TOST at
    /// α/m is this interval inside ±margin). Holm's step-down can declare a later step
    /// equivalent with less, so an equivalent comparison's `simultaneous` interval may reach
    /// past the margin; this one lies inside it whenever the raw TOST p is below α/m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalence_interval: Option<Interval>,
    /// The comparisons in the family (m).
    pub family_size: usize,
    /// Equivalent although the difference test also rejects: a real difference, smaller than
    /// the margin.
    pub below_margin: bool,
    /// For an undecided comparison: the seeds (each) at which, if the observed difference and
    /// spread were the truth, a test at α/m would decide it with probability 0.8 — as a
    /// difference, or as equivalence when |Δ| < margin — whichever needs fewer. A projection
    /// from observed values, not a guarantee; `None` when decided or above [`MAX_SEEDS`].
    pub seeds_to_decide: Option<usize>,
    /// Judged by a group-sequential design (seeds until decided): where it stands. Then
    /// `p_holm` is NaN (the design compares each look's p-value with its boundary) and
    /// `simultaneous` is the repeated confidence interval at α/m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialLook>,
    /// How `p_holm` and `simultaneous` were corrected: Holm (Bonferroni intervals) or max-T
    /// (intervals from the same joint null).
    pub correction: Correction,
}

/// Where a comparison judged by a group-sequential design stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SequentialLook {
    /// The look (1-based) that decided it; `None` while undecided.
    pub decided_at: Option<usize>,
    /// Looks the design plans.
    pub looks: usize,
    /// Seeds it was judged on.
    pub seeds: usize,
    /// The two-sided nominal level its p-value was compared with at that look (α/m's
    /// boundary; later Holm steps use larger ones).
    pub nominal: f64,
    /// Still open: the next look needs more seeds of it.
    pub open: bool,
}

/// The smallest seeds n (≥ 2, per arm, at most [`MAX_SEEDS`]) at which `reaches(n) ≤ target`,
/// for a `reaches` that falls as n grows (a detectable difference): by bisection.
fn smallest_n(target: f64, reaches: impl Fn(f64) -> f64) -> Option<usize> {
    if !(target.is_finite() && target > 0.0) || reaches(MAX_SEEDS as f64) > target {
        return None;
    }
    let (mut low, mut high) = (2, MAX_SEEDS); // reaches(high) ≤ target throughout
    if reaches(low as f64) <= target {
        return Some(low);
    }
    while high - low > 1 {
        let mid = (low + high) / 2;
        if reaches(mid as f64) <= target {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high)
}

/// Seeds at which a spread `sd` per seed decides an observed difference `delta` at `alpha`
/// (power 0.8), as a difference or — with a `margin` and |Δ| < margin — as equivalence.
pub fn seeds_to_decide(sd: f64, delta: f64, margin: Option<f64>, alpha: f64) -> Option<usize> {
    if !(sd.is_finite() && delta.is_finite()) {
        return None;
    }
    // A one-sided test at α has the two-sided test's quantile at 2α.
    let projected =
        |alpha: f64| move |n: f64| stats::minimal_detectable(sd / n.sqrt(), n - 1.0, alpha);
    let difference = smallest_n(delta.abs(), projected(alpha));
    let equivalence = margin.and_then(|m| smallest_n(m - delta.abs(), projected(2.0 * alpha)));
    match (difference, equivalence) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Judges a family: Holm over the difference tests, Holm over the equivalence tests (with a
/// `margin`, in the tests' units), simultaneous intervals at `1 − α/m`, and the seeds to decide
/// what is undecided. Comparisons with a NaN p-value (no spread at all, e.g. two identical
/// functions) are undecided and do not count in m.
pub fn judge(family: &[Tested], margin: Option<f64>) -> Vec<Judgement> {
    judge_with(family, margin, Correction::Holm, None)
}

/// [`judge`] with the difference tests corrected by `correction`: max-T needs `diffs`, each
/// comparison's per-seed differences on the same seeds (without them, or when a comparison has
/// no spread, Holm is used and said in `Judgement::correction`). The equivalence tests are
/// Holm-corrected either way.
pub fn judge_with(
    family: &[Tested],
    margin: Option<f64>,
    correction: Correction,
    diffs: Option<&[Vec<f64>]>,
) -> Vec<Judgement> {
    let raw: Vec<f64> = family.iter().map(|t| t.test.p).collect();
    let m = raw.iter().filter(|p| !p.is_nan()).count().max(1);
    let max_t = match (correction, diffs) {
        (Correction::MaxT, Some(d)) => {
            maxt::adjusted(d, maxt::DRAWS).zip(maxt::critical(d, ALPHA, maxt::DRAWS))
        }
        _ => None,
    };
    let (holm, critical, used) = match max_t {
        Some((adjusted, c)) => (adjusted, Some(c), Correction::MaxT),
        None => (stats::holm(&raw), None, Correction::Holm),
    };
    let equivalence: Option<Vec<f64>> =
        margin.map(|margin| family.iter().map(|t| tost_p(&t.test, margin)).collect());
    let equivalence_holm = equivalence.as_deref().map(stats::holm);
    let step = ALPHA / m as f64;
    family
        .iter()
        .enumerate()
        .map(|(i, tested)| {
            let d = &tested.test;
            let p_holm = holm[i];
            let p_eq_holm = equivalence_holm.as_ref().map(|p| p[i]);
            let differs = p_holm < ALPHA;
            let equivalent = p_eq_holm.is_some_and(|p| p < ALPHA);
            let verdict = match (equivalent, differs, d.difference.mean > 0.0) {
                (true, _, _) => Verdict::Equivalent,
                (false, true, true) => Verdict::Better,
                (false, true, false) => Verdict::Worse,
                (false, false, _) => Verdict::Undecided,
            };
            Judgement {
                verdict,
                p_holm,
                p_equivalence: equivalence.as_ref().map(|p| p[i]),
                p_equivalence_holm: p_eq_holm,
                simultaneous: match critical {
                    // Max-T: Δ ± c·se, c the joint null's 1 − α quantile of max |t|.
                    Some(c) => Interval {
                        mean: d.difference.mean,
                        low: d.difference.mean - c * d.se,
                        high: d.difference.mean + c * d.se,
                    },
                    None => interval(d, step),
                },
                equivalence_interval: margin.map(|_| interval(d, 2.0 * step)),
                family_size: m,
                below_margin: equivalent && differs,
                seeds_to_decide: (verdict == Verdict::Undecided)
                    .then(|| seeds_to_decide(tested.sd, d.difference.mean, margin, step))
                    .flatten(),
                sequential: None,
                correction: used,
            }
        })
        .collect()
}

pub mod maxt;

#[cfg(test)]
mod tests;
