#![allow(clippy::unwrap_used)]
use super::*;
use crate::stats;
use crate::test_rng::Xorshift;

/// Rows of a Sylvester Hadamard matrix of order 8 (every row but the first sums to 0 and any
/// two are orthogonal): columns built from them have exactly zero sample correlation.
fn hadamard8() -> Vec<Vec<f64>> {
    (0..8)
        .map(|r: u32| {
            (0..8u32)
                .map(|c| {
                    if (r & c).count_ones().is_multiple_of(2) {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn one_comparison_is_the_paired_t_test() {
    let d = vec![vec![0.012, 0.004, 0.009, -0.002, 0.011, 0.007]];
    let p = adjusted(&d, DRAWS).unwrap()[0];
    let want = stats::paired_t(&d[0], &[0.0; 6]).p;
    // Monte Carlo: 4 standard errors of a share at 20,000 draws.
    let se = (want * (1.0 - want) / DRAWS as f64).sqrt();
    assert!((p - want).abs() < 4.0 * se, "{p} vs {want}");
}

#[test]
fn independent_comparisons_give_sidak() {
    // Σ̂ diagonal exactly (orthogonal, centred columns): the largest |t| among m independent
    // t statistics, so its adjusted p is Šidák's 1 − (1 − p)^m.
    let h = hadamard8();
    let scale = [1.0, 2.0, 0.5, 1.5];
    let shift = [0.9, 0.1, 0.2, -0.3];
    let diffs: Vec<Vec<f64>> = (0..4)
        .map(|i| h[i + 1].iter().map(|v| shift[i] + scale[i] * v).collect())
        .collect();
    let raw: Vec<f64> = diffs
        .iter()
        .map(|d| stats::paired_t(d, &[0.0; 8]).p)
        .collect();
    let first = (0..4).min_by(|&a, &b| raw[a].total_cmp(&raw[b])).unwrap();
    let got = adjusted(&diffs, DRAWS).unwrap();
    let sidak = 1.0 - (1.0 - raw[first]).powi(4);
    let se = (sidak * (1.0 - sidak) / DRAWS as f64).sqrt();
    assert!(
        (got[first] - sidak).abs() < 4.0 * se,
        "{} vs {sidak} ({raw:?})",
        got[first]
    );
    // Step-down: every adjusted p at least its raw p, at most 1, monotone in |t|.
    for (g, r) in got.iter().zip(&raw) {
        assert!(*g >= *r - 4.0 * se && *g <= 1.0, "{got:?} {raw:?}");
    }
}

#[test]
fn max_t_holds_its_error_rate_and_rejects_more_than_holm_with_a_shared_baseline() {
    // m = 6 comparisons with one baseline, 8 seeds: each difference is the group's noise minus
    // the baseline's (shared): correlation 0.5 between comparisons.
    let (families, m, n) = (1000, 6, 8);
    let mut rng = Xorshift(17);
    let draws = 2_000;
    let (mut false_max_t, mut false_holm) = (0, 0);
    let (mut power_max_t, mut power_holm) = (0usize, 0usize);
    for family in 0..2 * families {
        let truth = if family < families { 0.0 } else { 1.2 };
        let base: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let diffs: Vec<Vec<f64>> = (0..m)
            .map(|_| (0..n).map(|s| truth + rng.normal() - base[s]).collect())
            .collect();
        let raw: Vec<f64> = diffs
            .iter()
            .map(|d| stats::paired_t(d, &vec![0.0; n]).p)
            .collect();
        let holm = stats::holm(&raw);
        let max_t = adjusted(&diffs, draws).unwrap();
        let (h, x) = (
            holm.iter().filter(|p| **p < 0.05).count(),
            max_t.iter().filter(|p| **p < 0.05).count(),
        );
        if truth == 0.0 {
            false_holm += usize::from(h > 0);
            false_max_t += usize::from(x > 0);
        } else {
            power_holm += h;
            power_max_t += x;
        }
    }
    let rate = |k: usize| k as f64 / families as f64;
    println!(
        "max-T vs Holm, {families} families of {m} comparisons sharing a baseline, {n} seeds: \
         family-wise false positives {:.3} vs {:.3}; rejections at Δ = 1.2 sd: {power_max_t} vs \
         {power_holm} of {}",
        rate(false_max_t),
        rate(false_holm),
        families * m
    );
    let limit = 0.05 + 3.0 * (0.05f64 * 0.95 / families as f64).sqrt();
    assert!(rate(false_max_t) <= limit, "{}", rate(false_max_t));
    assert!(power_max_t > power_holm, "{power_max_t} vs {power_holm}");
    // The critical value sits between the one-comparison t and Bonferroni's.
    let base: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let diffs: Vec<Vec<f64>> = (0..m)
        .map(|_| (0..n).map(|s| rng.normal() - base[s]).collect())
        .collect();
    let c = critical(&diffs, 0.05, 20_000).unwrap();
    let (one, bonferroni) = (
        stats::t_quantile(0.975, 7.0),
        stats::t_quantile(1.0 - 0.05 / 12.0, 7.0),
    );
    assert!(one < c && c < bonferroni, "{one} < {c} < {bonferroni}");
}

#[test]
fn comparisons_without_spread_are_judged_as_the_t_test_judges_them() {
    let h = hadamard8();
    let spread: Vec<f64> = h[1].iter().map(|v| 0.2 + v).collect();
    let constant = vec![0.5; 8];
    let zero = vec![0.0; 8];
    let got = adjusted(&[spread.clone(), constant, zero], 2_000).unwrap();
    assert_eq!(
        got[1], 0.0,
        "a constant nonzero difference: p = 0, as the t-test says"
    );
    assert!(got[2].is_nan(), "a constant zero: no test");
    // The one left is judged alone: its adjusted p is its t-test's.
    let want = stats::paired_t(&spread, &[0.0; 8]).p;
    assert!(
        (got[0] - want).abs() < 4.0 * (want * (1.0 - want) / 2_000.0).sqrt(),
        "{got:?}"
    );
}
