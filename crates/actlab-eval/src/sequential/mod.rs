//! Seeds until decided: a group-sequential design over a family of comparisons with one
//! baseline. The first `start` seeds are trained, every comparison is judged, and `step` more
//! seeds are added only for comparisons still undecided (the baseline gets every seed any of
//! them needs, so all stay paired), until `max` seeds or until all are decided.
//!
//! Looking repeatedly would inflate the error rates of fixed-sample tests; here each test
//! spends its α over the planned looks with a Lan–DeMets spending function
//! ([`boundary::Spending`]), and the family is Holm-corrected the way Maurer & Bretz (2013)
//! extend Holm to group-sequential designs: a hypothesis is tested at α/(m − r), r being the
//! family's hypotheses rejected so far, with the boundaries of that level, so the α of a
//! decided comparison passes to the open ones. The difference tests (two-sided) and the
//! equivalence tests (TOST: two one-sided tests against ±δ, each with one-sided boundaries)
//! are two such families. At a look with n seeds the paired t-test's p-value is compared with
//! the boundary's nominal level (Jennison & Turnbull 2000, §3.8), so five seeds use t with 4
//! degrees of freedom, not the normal. Each comparison's interval is the repeated confidence
//! interval at its last look at the family's Bonferroni level α/m: it covers the truth at
//! every look at once, so stopping early cannot make it lie.
//!
//! [`replay`] is a pure function of the observed accuracies: `compare` calls it to learn
//! which seeds to train next, `report` to judge — both from the run directories alone, so a
//! stopped or sharded sweep resumes where it was and the report repeats the decisions exactly.

pub mod boundary;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::{self, Difference, Interval};
use crate::verdict::{self, ALPHA, Verdict};
use actlab_format::sweep::seeds::{SequentialSeeds, Spending};
use boundary::{Sides, boundaries, nominal};

/// The planned looks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// The seeds in the order they are added (all `max` of them).
    pub seeds: Vec<u64>,
    /// Seeds at each look, increasing; the last is all of them.
    pub looks: Vec<usize>,
    /// How each test spends its α over the looks.
    pub spending: Spending,
}

impl Design {
    /// Looks at `start`, `start + step`, … seeds, and at all of `seeds` last. `start` ≥ 2
    /// (a t-test needs two), `step` ≥ 1, at most [`MAX_LOOKS`] looks.
    pub fn new(
        seeds: Vec<u64>,
        start: usize,
        step: usize,
        spending: Spending,
    ) -> Result<Design, String> {
        let max = seeds.len();
        if start < 2 || step < 1 || start > max {
            return Err(format!(
                "start = {start}, step = {step}, max = {max}: expected 2 ≤ start ≤ max and step ≥ 1"
            ));
        }
        let mut looks: Vec<usize> = (start..max).step_by(step).collect();
        looks.push(max);
        if looks.len() > MAX_LOOKS {
            return Err(format!(
                "{} looks (start = {start}, step = {step}, max = {max}): at most {MAX_LOOKS}; \
                 take larger steps",
                looks.len()
            ));
        }
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err("a seed is repeated".into());
        }
        Ok(Design {
            seeds,
            looks,
            spending,
        })
    }

    /// The design a sweep's `[grid] seeds = { start, step, max }` describes.
    pub fn from_seeds(seeds: &SequentialSeeds) -> Result<Design, String> {
        Design::new(seeds.values(), seeds.start, seeds.step, seeds.spending)
    }

    /// The information fraction of each look (seeds / max).
    pub fn fractions(&self) -> Vec<f64> {
        let max = self.seeds.len() as f64;
        self.looks.iter().map(|&n| n as f64 / max).collect()
    }
}

/// The most looks a design may plan (each adds a level of numerical integration).
pub const MAX_LOOKS: usize = actlab_format::sweep::seeds::MAX_LOOKS;

/// The boundaries of one design at every Holm level α/j, computed once each.
pub struct Boundaries {
    design: Design,
    two: BTreeMap<usize, Vec<f64>>,
    upper: BTreeMap<usize, Vec<f64>>,
}

impl Boundaries {
    /// For `design` (nothing computed yet).
    pub fn new(design: &Design) -> Boundaries {
        Boundaries {
            design: design.clone(),
            two: BTreeMap::new(),
            upper: BTreeMap::new(),
        }
    }

    /// The boundaries of a test at level α/`j`.
    pub fn at(&mut self, j: usize, sides: Sides) -> &[f64] {
        let design = &self.design;
        let map = match sides {
            Sides::Two => &mut self.two,
            Sides::Upper => &mut self.upper,
        };
        map.entry(j).or_insert_with(|| {
            boundaries(
                design.spending,
                ALPHA / j.max(1) as f64,
                &design.fractions(),
                sides,
            )
        })
    }
}

/// How one comparison of the family stands after the looks observed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Better, worse, equivalent, or undecided (still open, or not decided at the last look).
    pub verdict: Verdict,
    /// The look (1-based) that decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<usize>,
    /// The seeds it was judged on: at the deciding look, or at the last look it was open.
    pub seeds: usize,
    /// The paired t-test there (absent before the first look is complete).
    pub test: Option<Difference>,
    /// The TOST p-value there (with a margin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_equivalence: Option<f64>,
    /// The difference test's nominal two-sided level at that look at α/m (the strictest Holm
    /// level; a later Holm step tests at a larger one).
    pub nominal: f64,
    /// The repeated confidence interval of the difference there, at the family's Bonferroni
    /// level α/m.
    pub interval: Interval,
    /// With a margin: the equivalence tests' repeated interval (TOST at α/m is this interval
    /// inside ±margin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalence_interval: Option<Interval>,
    /// Equivalent although the difference test also rejected.
    pub below_margin: bool,
    /// Still open: the next look needs it.
    pub open: bool,
    /// Undecided after the last look: the seeds that would decide it (as
    /// [`verdict::seeds_to_decide`] projects), beyond the design.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeds_to_decide: Option<usize>,
}

/// What a replay found: every comparison's outcome, and the look still to complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// One per comparison, in the family's order.
    pub outcomes: Vec<Outcome>,
    /// The next look to train: its index (1-based) and seeds, and the comparisons open in it.
    /// `None`: all decided, or the last look judged.
    pub next: Option<NextLook>,
    /// Comparisons in the family (m).
    pub family_size: usize,
}

/// A look that is not complete yet.
#[derive(Debug, Clone, PartialEq)]
pub struct NextLook {
    /// Its index, 1-based.
    pub look: usize,
    /// Seeds every open comparison (and the baseline) needs.
    pub seeds: usize,
    /// The open comparisons (indices into the family).
    pub open: Vec<usize>,
}

/// A t-interval around `d` at the two-sided nominal level `level`.
fn interval_at(d: &Difference, level: f64) -> Interval {
    verdict::interval(d, level)
}

/// Holm's step-down at look `k` (0-based) over `p` (comparison, p-value): while the smallest
/// p-value left is below the nominal level of the boundary at α/(m − r), reject it (r counts
/// the family's rejections so far, earlier looks included). Returns the comparisons rejected.
fn step_down(
    p: &[(usize, f64)],
    bounds: &mut Boundaries,
    k: usize,
    m: usize,
    rejected: &mut usize,
    sides: Sides,
) -> Vec<usize> {
    let mut out = Vec::new();
    while *rejected < m {
        let Some(&c) = bounds.at(m - *rejected, sides).get(k) else {
            break;
        };
        let best = p
            .iter()
            .filter(|(i, p)| !out.contains(i) && !p.is_nan())
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some(&(i, p)) if p < nominal(c, sides) => {
                out.push(i);
                *rejected += 1;
            }
            _ => break,
        }
    }
    out
}

/// One open comparison as judged at a look.
struct Judged {
    test: Difference,
    p_equivalence: Option<f64>,
    equivalent: bool,
    different: bool,
    seeds: usize,
    /// 1-based.
    look: usize,
    last: bool,
}

impl Judged {
    /// Writes the judgement into `o`: `levels` are the look's nominal levels at α/m (two-sided
    /// difference, one-sided equivalence) for the repeated intervals.
    fn record(&self, o: &mut Outcome, levels: (f64, f64), margin: Option<f64>, m: usize) {
        let d = &self.test;
        o.seeds = self.seeds;
        o.test = Some(*d);
        o.p_equivalence = self.p_equivalence;
        o.nominal = levels.0;
        o.interval = interval_at(d, levels.0);
        o.equivalence_interval = margin.map(|_| interval_at(d, 2.0 * levels.1));
        o.below_margin = self.equivalent && self.different;
        o.verdict = match (self.equivalent, self.different, d.difference.mean > 0.0) {
            (true, _, _) => Verdict::Equivalent,
            (false, true, true) => Verdict::Better,
            (false, true, false) => Verdict::Worse,
            (false, false, _) => Verdict::Undecided,
        };
        if o.verdict != Verdict::Undecided {
            o.decided_at = Some(self.look);
            o.open = false;
        } else if self.last {
            o.open = false;
            let sd = d.se * (self.seeds as f64).sqrt();
            o.seeds_to_decide =
                verdict::seeds_to_decide(sd, d.difference.mean, margin, ALPHA / m as f64);
        }
    }
}

/// Replays the design over a family: `family[i]` holds comparison i's paired differences
/// (group − baseline, accuracy fractions) at the design's seeds in order, as far as both have
/// finished (a prefix); `margin` is δ in the same units. Looks are judged in order while every
/// open comparison has the look's seeds; the first incomplete look is returned as `next`.
pub fn replay(
    design: &Design,
    family: &[Vec<f64>],
    margin: Option<f64>,
    bounds: &mut Boundaries,
) -> Replay {
    replay_families(design, family, margin, bounds, true)
}

/// [`replay`], optionally without the difference tests (`differences = false`: only the
/// equivalence family decides, so a simulation can measure its error rate alone).
fn replay_families(
    design: &Design,
    family: &[Vec<f64>],
    margin: Option<f64>,
    bounds: &mut Boundaries,
    differences: bool,
) -> Replay {
    let m = family.len();
    let mut outcomes: Vec<Outcome> = (0..m)
        .map(|_| Outcome {
            verdict: Verdict::Undecided,
            decided_at: None,
            seeds: 0,
            test: None,
            p_equivalence: None,
            nominal: f64::NAN,
            interval: Interval {
                mean: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            },
            equivalence_interval: None,
            below_margin: false,
            open: true,
            seeds_to_decide: None,
        })
        .collect();
    let (mut rejected_difference, mut rejected_equivalence) = (0usize, 0usize);
    let last = design.looks.len();
    for (k, &n) in design.looks.iter().enumerate() {
        let open: Vec<usize> = (0..m).filter(|&i| outcomes[i].open).collect();
        if open.is_empty() {
            return Replay {
                outcomes,
                next: None,
                family_size: m,
            };
        }
        if open.iter().any(|&i| family[i].len() < n) {
            return Replay {
                outcomes,
                next: Some(NextLook {
                    look: k + 1,
                    seeds: n,
                    open,
                }),
                family_size: m,
            };
        }
        // Every open comparison at this look's seeds.
        let tests: BTreeMap<usize, (Difference, Option<f64>)> = open
            .iter()
            .map(|&i| {
                let diffs = &family[i][..n];
                let zeros = vec![0.0; n];
                let d = stats::paired_t(diffs, &zeros);
                let eq = margin.map(|delta| verdict::tost_p(&d, delta));
                (i, (d, eq))
            })
            .collect();
        // Holm step-down within the look, each family at its own level α/(m − r).
        let differs = if differences {
            let p: Vec<(usize, f64)> = tests.iter().map(|(&i, (d, _))| (i, d.p)).collect();
            step_down(&p, bounds, k, m, &mut rejected_difference, Sides::Two)
        } else {
            Vec::new()
        };
        let p: Vec<(usize, f64)> = tests
            .iter()
            .filter_map(|(&i, (_, eq))| eq.map(|p| (i, p)))
            .collect();
        let equivalent = step_down(&p, bounds, k, m, &mut rejected_equivalence, Sides::Upper);
        // Intervals at the Bonferroni level α/m of this look.
        let two = nominal(bounds.at(m, Sides::Two)[k], Sides::Two);
        let upper = nominal(bounds.at(m, Sides::Upper)[k], Sides::Upper);
        for (&i, (d, eq)) in &tests {
            let judged = Judged {
                test: *d,
                p_equivalence: *eq,
                equivalent: equivalent.contains(&i),
                different: differs.contains(&i),
                seeds: n,
                look: k + 1,
                last: k + 1 == last,
            };
            judged.record(&mut outcomes[i], (two, upper), margin, m);
        }
    }
    Replay {
        outcomes,
        next: None,
        family_size: m,
    }
}

#[cfg(test)]
mod tests;
