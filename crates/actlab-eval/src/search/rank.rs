//! Spearman's rank correlation, with its exact permutation p-value for the few points a
//! search confirms (the proxy's ranking against the confirmed one).

use serde::Serialize;

/// The most points the exact p-value enumerates (10! = 3,628,800 orders).
pub const EXACT_UP_TO: usize = 10;

/// ρ over `n` pairs, with its exact two-sided permutation p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spearman {
    /// Spearman's ρ: Pearson's correlation of the ranks (ties get their average rank).
    pub rho: f64,
    /// Pairs.
    pub n: usize,
    /// Two-sided p-value over every pairing of the values (scipy's `permutation_test`
    /// convention: twice the smaller tail, at most 1); `None` above [`EXACT_UP_TO`] points.
    pub p_exact: Option<f64>,
}

/// Ranks 1…n, ties sharing the average of their ranks.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) hold ranks i+1..=j+1: their average.
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = average;
        }
        i = j + 1;
    }
    out
}

fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman's ρ of `x` and `y` (the same length, finite), or `None` with fewer than 3 pairs or
/// when either side has a single value.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<Spearman> {
    if x.len() != y.len() || x.len() < 3 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let rho = pearson(&rx, &ry)?;
    let p_exact = (x.len() <= EXACT_UP_TO).then(|| exact_p(&rx, &ry, rho));
    Some(Spearman {
        rho,
        n: x.len(),
        p_exact,
    })
}

/// Every order of `ry` against `rx` (Heap's algorithm): the share at least as far out as `rho`
/// in each tail, two-sided as twice the smaller.
fn exact_p(rx: &[f64], ry: &[f64], rho: f64) -> f64 {
    let tolerance = 1e-12 * rho.abs().max(1.0);
    let mut y = ry.to_vec();
    let (mut total, mut above, mut below) = (0u64, 0u64, 0u64);
    let mut count = |y: &[f64]| {
        let r = pearson(rx, y).unwrap_or(0.0);
        total += 1;
        if r >= rho - tolerance {
            above += 1;
        }
        if r <= rho + tolerance {
            below += 1;
        }
    };
    let n = y.len();
    let mut c = vec![0usize; n];
    count(&y);
    let mut i = 1;
    while i < n {
        if c[i] < i {
            let k = if i % 2 == 0 { 0 } else { c[i] };
            y.swap(k, i);
            count(&y);
            c[i] += 1;
            i = 1;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    (2.0 * above.min(below) as f64 / total as f64).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ρ and the exact p against scipy 1.17.1: `stats.spearmanr(x, y).statistic` and
    /// `stats.permutation_test((y,), lambda y: spearmanr(x, y).statistic,
    /// permutation_type='pairings', n_resamples=np.inf)` (scripts/stats-reference.py).
    #[test]
    fn rho_and_its_exact_p_match_scipy() {
        let cases: [(&[f64], &[f64], f64, f64); 4] = [
            (
                &[1., 2., 3., 4., 5., 6., 7., 8.],
                &[2., 1., 4., 3., 6., 5., 8., 7.],
                0.9047619047619048,
                0.004563492063492064,
            ),
            (
                &[0.85, 0.847, 0.845, 0.8386, 0.8278, 0.8538, 0.843, 0.8582],
                &[0.88, 0.87, 0.87, 0.86, 0.85, 0.881, 0.875, 0.879],
                0.8503146459584139,
                0.01121031746031746,
            ),
            (
                &[1., 2., 3., 4., 5.],
                &[5., 4., 3., 2., 1.],
                -1.0,
                0.016666666666666666,
            ),
            (
                &[3., 1., 4., 1., 5., 9., 2.],
                &[2., 7., 1., 8., 2., 8., 1.],
                -0.08334762598987158,
                0.8571428571428571,
            ),
        ];
        for (x, y, rho, p) in cases {
            let s = spearman(x, y).unwrap();
            assert!((s.rho - rho).abs() < 1e-12, "{x:?}: {} vs {rho}", s.rho);
            let got = s.p_exact.unwrap();
            assert!((got - p).abs() < 1e-12, "{x:?}: p {got} vs {p}");
        }
    }

    #[test]
    fn ties_share_their_average_rank_and_degenerate_input_has_no_rho() {
        assert_eq!(ranks(&[0.3, 0.1, 0.3, 0.2]), [3.5, 1.0, 3.5, 2.0]);
        assert_eq!(spearman(&[1., 2.], &[1., 2.]), None);
        assert_eq!(spearman(&[1., 1., 1.], &[1., 2., 3.]), None);
        assert_eq!(spearman(&[1., f64::NAN, 3.], &[1., 2., 3.]), None);
        let many: Vec<f64> = (0..12).map(f64::from).collect();
        let s = spearman(&many, &many).unwrap();
        assert_eq!((s.rho, s.n, s.p_exact), (1.0, 12, None));
    }

    /// Under independence the exact p-value is valid: over 2,000 random 6-point samples the
    /// share with p ≤ 0.05 is at most 0.05 plus sampling error (a permutation test is exact,
    /// and with the discreteness of 720 orders, conservative).
    #[test]
    fn the_exact_p_holds_its_level_under_independence() {
        let mut rng = crate::test_rng::Xorshift(11);
        let trials = 2000;
        let mut rejected = 0;
        for _ in 0..trials {
            let x: Vec<f64> = (0..6).map(|_| rng.normal()).collect();
            let y: Vec<f64> = (0..6).map(|_| rng.normal()).collect();
            if spearman(&x, &y).unwrap().p_exact.unwrap() <= 0.05 {
                rejected += 1;
            }
        }
        let rate = f64::from(rejected) / f64::from(trials);
        // 0.05 + 3 standard errors of a proportion at 2,000 trials.
        assert!(
            rate <= 0.05 + 3.0 * (0.05f64 * 0.95 / 2000.0).sqrt(),
            "{rate}"
        );
        assert!(rate >= 0.02, "{rate}: not absurdly conservative either");
    }
}
