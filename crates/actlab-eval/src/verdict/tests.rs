use super::*;
use crate::stats::{paired_t, welch_t};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

const A: [f64; 5] = [0.8861, 0.8874, 0.8840, 0.8869, 0.8852];
const B: [f64; 5] = [0.8850, 0.8866, 0.8851, 0.8848, 0.8849];
const C: [f64; 4] = [0.8720, 0.8790, 0.8805, 0.8711];

#[test]
fn tost_matches_statsmodels() {
    // scripts/stats-reference.py: statsmodels 0.15.0 ttost_paired / ttost_ind(usevar="unequal").
    let paired = paired_t(&A, &B);
    for (margin, want) in [
        (0.003, 0.005_430_202_915_47),
        (0.002, 0.030_322_976_441_1),
        (0.001, 0.265_276_539_751),
    ] {
        let got = tost_p(&paired, margin);
        assert!(close(got, want, 1e-9), "paired {margin}: {got} vs {want}");
    }
    let welch = welch_t(&A, &C);
    for (margin, want) in [
        (0.02, 0.011_631_501_763_1),
        (0.01, 0.540_445_279_778),
        (0.005, 0.943_914_402_739),
    ] {
        let got = tost_p(&welch, margin);
        assert!(close(got, want, 1e-9), "welch {margin}: {got} vs {want}");
    }
}

#[test]
fn equivalence_is_the_90_percent_interval_inside_the_margin() {
    // The duality that makes TOST readable: p < α exactly when the 1 − 2α interval lies
    // inside ±margin — checked on a grid of margins around the interval's edge.
    let d = paired_t(&A, &B);
    let ci90 = interval(&d, 0.10);
    let edge = ci90.low.abs().max(ci90.high.abs());
    for k in 1..40 {
        let margin = edge * (0.8 + 0.01 * k as f64);
        let inside = -margin < ci90.low && ci90.high < margin;
        assert_eq!(tost_p(&d, margin) < 0.05, inside, "margin {margin}");
    }
    // No spread: no test (as for the difference), so never "equivalent" by a degenerate limit.
    let exact = Difference { se: 0.0, ..d };
    assert!(tost_p(&exact, 1.0).is_nan());
}

#[test]
fn bonferroni_interval_and_holm_power_match_scipy() {
    // scripts/stats-reference.py: t(1 − 0.05/24, 4) = 5.885305081781699.
    let d = paired_t(&A, &B);
    let wide = interval(&d, 0.05 / 12.0);
    assert!(close(
        wide.high - wide.mean,
        5.885_305_081_781_699 * d.se,
        1e-12
    ));
    // (t(1 − 0.05/12, 4) + t(0.8, 4)) · se: the MDE at Holm's first step with m = 6.
    let mde = stats::minimal_detectable(d.se, 4.0, 0.05 / 6.0);
    assert!(close(mde, 5.791_973_020_333_046 * d.se, 1e-12));
}

#[test]
fn seeds_to_decide_by_hand() {
    // No margin: the seeds at which the MDE at α reaches |Δ| (stats' hand-worked 20 pairs).
    assert_eq!(seeds_to_decide(1.0, 0.6606, None, 0.05), Some(20));
    // Δ = 0 with margin 0.86: one-sided at α: n = 10 gives (1.833113 + 0.883404)/√10 =
    // 0.859 ≤ 0.86, n = 9 gives (1.859548 + 0.888890)/3 = 0.916.
    assert_eq!(seeds_to_decide(1.0, 0.0, Some(0.86), 0.05), Some(10));
    // Whichever decides first: |Δ| = 0.6606 ≥ margin 0.5 leaves only the difference route.
    assert_eq!(seeds_to_decide(1.0, 0.6606, Some(0.5), 0.05), Some(20));
    // Nothing to decide with: no difference and no margin.
    assert_eq!(seeds_to_decide(1.0, 0.0, None, 0.05), None);
    // A stricter level needs more.
    assert!(seeds_to_decide(1.0, 0.6606, None, 0.05 / 12.0) > Some(20));
}

fn tested(a: &[f64], b: &[f64]) -> Tested {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    Tested {
        test: paired_t(a, b),
        sd: stats::sample_std(&diffs),
    }
}

#[test]
fn four_verdicts_on_constructed_families() {
    let base = [0.880, 0.882, 0.879, 0.881, 0.880];
    let shift = |by: f64, noise: [f64; 5]| -> Vec<f64> {
        base.iter().zip(noise).map(|(b, n)| b + by + n).collect()
    };
    let tiny = [0.0001, -0.0001, 0.0002, -0.0002, 0.0];
    let family = [
        tested(&shift(0.02, tiny), &base),  // far above
        tested(&shift(-0.02, tiny), &base), // far below
        tested(&shift(0.0, tiny), &base),   // the same within 0.02 points
        tested(&shift(0.0, [0.01, -0.012, 0.008, -0.009, 0.011]), &base), // noisy
    ];
    let judged = judge(&family, Some(0.003));
    let verdicts: Vec<Verdict> = judged.iter().map(|j| j.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Better,
            Verdict::Worse,
            Verdict::Equivalent,
            Verdict::Undecided
        ]
    );
    assert!(judged.iter().all(|j| j.family_size == 4));
    assert!(judged[3].seeds_to_decide.is_some_and(|n| n > 5));
    assert!(judged[..3].iter().all(|j| j.seeds_to_decide.is_none()));
    // Without a margin nothing is equivalent, and "the same" is undecided.
    let plain = judge(&family, None);
    assert_eq!(plain[2].verdict, Verdict::Undecided);
    assert!(plain[2].p_equivalence.is_none());
    // The simultaneous interval excludes 0 for the decided differences only.
    for j in &judged {
        let excludes = j.simultaneous.low > 0.0 || j.simultaneous.high < 0.0;
        assert_eq!(
            excludes,
            matches!(j.verdict, Verdict::Better | Verdict::Worse)
        );
    }
    // A NaN p-value (two identical functions) is undecided and not counted in m.
    let same = tested(&base, &base);
    let with_same = judge(&[family[0], same], Some(0.003));
    assert_eq!(with_same[1].verdict, Verdict::Undecided);
    assert_eq!(with_same[0].family_size, 1);
}

/// splitmix64 and Box–Muller: normal draws for the simulations, seeded.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn draw(&mut self) -> f64 {
        let u = self.uniform().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// `families` simulated families of `m` paired comparisons on `n` seeds, each with true
/// difference `truth(j)` and per-seed sd 1 (the baseline's seed effect shared by all, as in a
/// sweep), judged with `margin`.
fn simulate(
    families: usize,
    m: usize,
    n: usize,
    margin: f64,
    truth: impl Fn(usize) -> f64,
) -> Vec<(Vec<f64>, Vec<Judgement>)> {
    let mut rng = Normal(20_261_204);
    (0..families)
        .map(|_| {
            let base: Vec<f64> = (0..n).map(|_| rng.draw()).collect();
            let family: Vec<Tested> = (0..m)
                .map(|j| {
                    let arm: Vec<f64> = base.iter().map(|b| b + truth(j) + rng.draw()).collect();
                    tested(&arm, &base)
                })
                .collect();
            let truths = (0..m).map(&truth).collect();
            (truths, judge(&family, Some(margin)))
        })
        .collect()
}

#[test]
fn simulated_error_rates_and_coverage_hold_at_the_family_level() {
    let (families, m, n) = (2000, 12, 5);
    // Monte Carlo error of a rate near 0.05 over 2,000 families: ±0.01 (2 se).
    let limit = ALPHA + 0.012;
    // 1. No true difference anywhere: calling any one better or worse is a family-wise error.
    let null = simulate(families, m, n, 2.0, |_| 0.0);
    let false_difference = null
        .iter()
        .filter(|(_, js)| {
            js.iter()
                .any(|j| matches!(j.verdict, Verdict::Better | Verdict::Worse))
        })
        .count() as f64
        / families as f64;
    assert!(false_difference <= limit, "FWER {false_difference}");
    // 2. Every truth on the margin's edge (half above, half below): any "equivalent" is an error.
    let edge = simulate(families, m, n, 1.0, |j| if j % 2 == 0 { 1.0 } else { -1.0 });
    let false_equivalence = edge
        .iter()
        .filter(|(_, js)| js.iter().any(|j| j.verdict == Verdict::Equivalent))
        .count() as f64
        / families as f64;
    assert!(false_equivalence <= limit, "FWER {false_equivalence}");
    // TOST at α/m is the 1 − 2α/m interval inside the margin, both ways.
    let mut checked = 0;
    for j in edge.iter().flat_map(|(_, js)| js) {
        let (p, ci) = (j.p_equivalence.unwrap(), j.equivalence_interval.unwrap());
        let inside = -1.0 < ci.low && ci.high < 1.0;
        if (p - ALPHA / m as f64).abs() > 1e-9 {
            assert_eq!(p < ALPHA / m as f64, inside, "p {p}, interval {ci:?}");
            checked += usize::from(inside);
        }
    }
    assert!(
        checked > 0,
        "no equivalent interval among {} comparisons",
        edge.len() * m
    );
    // 3. The simultaneous intervals cover all m truths together at least 95% of the time.
    let mixed = simulate(families, m, n, 1.0, |j| j as f64 * 0.25 - 1.0);
    let covered = mixed
        .iter()
        .filter(|(truths, js)| {
            truths
                .iter()
                .zip(js)
                .all(|(t, j)| j.simultaneous.low <= *t && *t <= j.simultaneous.high)
        })
        .count() as f64
        / families as f64;
    assert!(covered >= 1.0 - limit, "coverage {covered}");
    println!(
        "{families} families of m = {m}, n = {n}: family-wise false difference \
         {false_difference:.4}, false equivalence at |Δ| = δ {false_equivalence:.4}, \
         simultaneous coverage {covered:.4}"
    );
    // 4. And the procedure decides: with 20 seeds, true differences of 0 (margin 1.5 sd) are
    //    mostly found equivalent and differences of 2 sd mostly found — not everything undecided.
    let decisive = simulate(500, 4, 20, 1.5, |j| if j < 2 { 0.0 } else { 2.0 });
    let rate = |want: Verdict, cols: std::ops::Range<usize>| {
        let hits: usize = decisive
            .iter()
            .map(|(_, js)| {
                js[cols.clone()]
                    .iter()
                    .filter(|j| j.verdict == want)
                    .count()
            })
            .sum();
        hits as f64 / (500 * cols.len()) as f64
    };
    assert!(
        rate(Verdict::Equivalent, 0..2) > 0.8,
        "{}",
        rate(Verdict::Equivalent, 0..2)
    );
    assert!(
        rate(Verdict::Better, 2..4) > 0.95,
        "{}",
        rate(Verdict::Better, 2..4)
    );
}
