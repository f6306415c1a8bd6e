//! The statistics of a comparison: means, sample standard deviations, Student-t confidence
//! intervals, paired or Welch t-tests, Holm's correction (the verdicts: `crate::verdict`), effect sizes (d_z, Hedges' g) and
//! the power of a comparison (minimal detectable difference, seeds needed). Quantiles and CDFs
//! come from `statrs`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Arithmetic mean (NaN for no values).
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (n − 1 in the denominator; NaN below 2 values).
pub fn sample_std(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return f64::NAN;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
pub fn two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |dist| 2.0 * dist.cdf(-t.abs()))
}

/// A mean with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The estimate.
    pub mean: f64,
    /// Lower bound (NaN below 2 values).
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// Mean ± t(0.975, n−1)·s/√n.
pub fn ci95(values: &[f64]) -> Interval {
    let m = mean(values);
    let n = values.len() as f64;
    let half = t_quantile(0.975, n - 1.0) * sample_std(values) / n.sqrt();
    Interval {
        mean: m,
        low: m - half,
        high: m + half,
    }
}

/// Which test compared two samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Paired t-test on per-seed differences (both ran the same seeds).
    Paired,
    /// Welch's unequal-variance t-test.
    Welch,
}

/// `a − b` with its 95% CI and a two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    /// Mean difference and its CI.
    pub difference: Interval,
    /// The standard error of the mean difference.
    pub se: f64,
    /// The t statistic.
    pub t: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// The test used.
    pub test: TestKind,
}

fn difference(mean: f64, se: f64, df: f64, test: TestKind) -> Difference {
    let t = mean / se;
    let half = t_quantile(0.975, df) * se;
    Difference {
        difference: Interval {
            mean,
            low: mean - half,
            high: mean + half,
        },
        se,
        t,
        df,
        p: two_sided_p(t, df),
        test,
    }
}

/// Paired t-test of `a[i] − b[i]`.
pub fn paired_t(a: &[f64], b: &[f64]) -> Difference {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = diffs.len() as f64;
    let se = sample_std(&diffs) / n.sqrt();
    difference(mean(&diffs), se, n - 1.0, TestKind::Paired)
}

/// Welch's t-test of mean(a) − mean(b), with Welch–Satterthwaite degrees of freedom.
pub fn welch_t(a: &[f64], b: &[f64]) -> Difference {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (va, vb) = (sample_std(a).powi(2) / na, sample_std(b).powi(2) / nb);
    let m = mean(a) - mean(b);
    let se = (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va.powi(2) / (na - 1.0) + vb.powi(2) / (nb - 1.0));
    difference(m, se, df, TestKind::Welch)
}

/// Holm–Bonferroni adjusted p-values, in the order given: sort ascending, multiply the i-th
/// smallest (1-based) by `m − i + 1`, make the sequence non-decreasing (a running maximum) and
/// cap at 1. Ties keep their input order. NaN p-values stay NaN and do not count in `m`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p.len()];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// A standardised effect size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EffectSize {
    /// `d_z` (paired: mean difference / sd of the differences) or `hedges_g` (independent
    /// samples: difference of means / pooled sd, small-sample corrected).
    pub kind: &'static str,
    /// The value (positive: the first sample is higher).
    pub value: f64,
}

/// Cohen's d_z of `a[i] − b[i]`: the mean difference over the differences' sample sd.
pub fn cohen_dz(a: &[f64], b: &[f64]) -> f64 {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    mean(&diffs) / sample_std(&diffs)
}

/// Hedges' g of `a` vs `b`: (mean a − mean b) / pooled sd, times J = 1 − 3 / (4(n_a + n_b) − 9).
pub fn hedges_g(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let pooled = (((na - 1.0) * sample_std(a).powi(2) + (nb - 1.0) * sample_std(b).powi(2))
        / (na + nb - 2.0))
        .sqrt();
    let j = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0);
    j * (mean(a) - mean(b)) / pooled
}

/// The power the analyses plan for.
pub const POWER: f64 = 0.8;

/// `P(T > t)` for Student's t with `df` degrees of freedom (1 at −∞, 0 at +∞).
pub fn upper_tail(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |dist| dist.sf(t))
}

/// The smallest true difference a two-sided test at level `alpha` detects with probability
/// 0.8, for a standard error `se` per unit (`sd / √n`) and `df` degrees of freedom:
/// `(t_{1−α/2, df} + t_{0.8, df}) · se`. This is the usual approximation with central t
/// quantiles (exact power needs the noncentral t; for 5 seeds the approximation is slightly
/// optimistic). Under Holm the level to plan for is α/m, its strictest step.
pub fn minimal_detectable(se: f64, df: f64, alpha: f64) -> f64 {
    (t_quantile(1.0 - alpha / 2.0, df) + t_quantile(POWER, df)) * se
}

/// For a paired design whose differences have sample sd `sd`: the smallest number of seeds
/// (pairs, ≥ 2) whose minimal detectable difference at `alpha` is at most `|delta|`; `None`
/// above `limit`.
pub fn seeds_needed(sd: f64, delta: f64, limit: usize, alpha: f64) -> Option<usize> {
    if !(sd.is_finite() && delta.is_finite()) || delta == 0.0 {
        return None;
    }
    if sd == 0.0 {
        return Some(2);
    }
    (2..=limit).find(|&n| {
        let n = n as f64;
        minimal_detectable(sd / n.sqrt(), n - 1.0, alpha) <= delta.abs()
    })
}

/// Half-width of the 95% interval of an accuracy `p` measured on `n` images (normal
/// approximation of the binomial): the test set's own sampling error.
pub fn binomial_half_width(p: f64, n: usize) -> f64 {
    1.959_963_984_540_054 * (p * (1.0 - p) / n as f64).sqrt()
}

/// "p = 0.042", or "p < 0.001" below it (never "p = 0.000").
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn p_values_below_a_thousandth_are_not_printed_as_zero() {
        assert_eq!(p_text(0.0004), "p < 0.001");
        assert_eq!(p_text(0.0), "p < 0.001");
        assert_eq!(p_text(0.001), "p = 0.001");
        assert_eq!(p_text(0.0475), "p = 0.048");
        assert_eq!(p_text(1.0), "p = 1.000");
    }

    #[test]
    fn mean_and_sample_std_by_hand() {
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&v), 5.0);
        // Σ(x−5)² = 32, / 7.
        assert!(close(sample_std(&v), (32.0f64 / 7.0).sqrt(), 1e-12));
        assert!(sample_std(&[1.0]).is_nan());
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95% critical values (t tables).
        for (df, t) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (9.0, 2.262),
            (29.0, 2.045),
        ] {
            assert!(
                close(t_quantile(0.975, df), t, 1e-3),
                "df {df}: {}",
                t_quantile(0.975, df)
            );
        }
        assert!(close(two_sided_p(2.776, 4.0), 0.05, 1e-4));
    }

    #[test]
    fn confidence_interval_by_hand() {
        // mean 0.88, s = 0.01, n = 5: half = 2.776·0.01/√5 = 0.012415.
        let v = [0.87, 0.88, 0.89, 0.88, 0.88];
        let s = sample_std(&v);
        assert!(close(s, (0.0002f64 / 4.0).sqrt(), 1e-12));
        let ci = ci95(&v);
        assert!(close(ci.mean, 0.88, 1e-12));
        assert!(close(ci.high - ci.mean, 2.776_445 * s / 5f64.sqrt(), 1e-6));
    }

    #[test]
    fn welch_on_known_inputs() {
        let a = [19.0, 20.0, 21.0, 20.0, 20.0]; // mean 20, s² = 0.5
        let b = [20.0, 24.0, 22.0, 22.0]; // mean 22, s² = 8/3
        let d = welch_t(&a, &b);
        let (va, vb): (f64, f64) = (0.5 / 5.0, (8.0 / 3.0) / 4.0);
        let se = (va + vb).sqrt();
        assert!(close(d.difference.mean, -2.0, 1e-12));
        assert!(close(d.t, -2.0 / se, 1e-9));
        let df = (va + vb).powi(2) / (va * va / 4.0 + vb * vb / 3.0);
        assert!(close(d.df, df, 1e-9));
        // df ≈ 3.90, t ≈ −2.28: p between 0.05 and 0.1.
        assert!(d.p > 0.05 && d.p < 0.1, "{}", d.p);
        assert!(d.p > 0.05);
        assert_eq!(d.test, TestKind::Welch);
    }

    #[test]
    fn paired_t_by_hand() {
        let a = [0.90, 0.91, 0.89, 0.92, 0.90];
        let b = [0.88, 0.90, 0.88, 0.90, 0.89];
        // Differences 0.02, 0.01, 0.01, 0.02, 0.01: mean 0.014, s = 0.005477.
        let d = paired_t(&a, &b);
        assert!(close(d.difference.mean, 0.014, 1e-12));
        // Σ(d − 0.014)² = 0.00012, so s² = 0.00003.
        let s = 0.00003f64.sqrt();
        assert!(close(sample_std(&[0.02, 0.01, 0.01, 0.02, 0.01]), s, 1e-12));
        assert!(close(d.t, 0.014 / (s / 5f64.sqrt()), 1e-6));
        assert_eq!(d.df, 4.0);
        assert!(d.p < 0.01, "{}", d.p);
        assert!(close(paired_t(&b, &a).difference.mean, -0.014, 1e-12));
    }

    #[test]
    fn holm_by_hand() {
        // m = 4: sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04;
        // the running maximum makes the last 0.06. Back in input order:
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (got, want) in adjusted.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!(close(*got, want, 1e-12), "{adjusted:?}");
        }
        // Ties: both 0.02 get ×3 and ×2 → 0.06, then the running maximum keeps 0.06.
        let tied = holm(&[0.02, 0.02, 0.5]);
        assert!(close(tied[0], 0.06, 1e-12) && close(tied[1], 0.06, 1e-12));
        assert!(close(tied[2], 0.5, 1e-12));
        // Capped at 1; NaN stays NaN and does not count in m.
        let capped = holm(&[0.4, 0.6, f64::NAN]);
        assert!(close(capped[0], 0.8, 1e-12) && close(capped[1], 0.8, 1e-12));
        assert!(capped[2].is_nan());
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn effect_sizes_by_hand() {
        // The paired example: differences mean 0.014, sd √0.00003 → d_z = 2.556.
        let a = [0.90, 0.91, 0.89, 0.92, 0.90];
        let b = [0.88, 0.90, 0.88, 0.90, 0.89];
        assert!(close(cohen_dz(&a, &b), 0.014 / 0.00003f64.sqrt(), 1e-9));
        // Welch's example: means 20 and 22, variances 0.5 and 8/3 with n 5 and 4: pooled
        // variance (4·0.5 + 3·8/3) / 7 = 10/7, d = −2 / √(10/7) = −1.67332, J = 1 − 3/27.
        let a = [19.0, 20.0, 21.0, 20.0, 20.0];
        let b = [20.0, 24.0, 22.0, 22.0];
        let d = -2.0 / (10.0f64 / 7.0).sqrt();
        assert!(close(hedges_g(&a, &b), d * (1.0 - 3.0 / 27.0), 1e-12));
        assert!(close(hedges_g(&a, &b), -1.487_40, 1e-5));
    }

    #[test]
    fn minimal_detectable_difference_and_seeds_by_hand() {
        // n = 5 pairs, sd 1: (t.975,4 + t.8,4) / √5 = (2.776445 + 0.940965) / 2.236068 = 1.66248.
        let five = minimal_detectable(1.0 / 5f64.sqrt(), 4.0, 0.05);
        assert!(close(five, 1.662_48, 1e-4), "{five}");
        // n = 20: (2.093024 + 0.860951) / 4.472136 = 0.660528.
        let twenty = minimal_detectable(1.0 / 20f64.sqrt(), 19.0, 0.05);
        assert!(close(twenty, 0.660_53, 1e-4), "{twenty}");
        // The seeds needed invert it: 20 pairs reach 0.6605·sd, 19 do not.
        assert_eq!(seeds_needed(1.0, 0.6606, 1000, 0.05), Some(20));
        assert_eq!(seeds_needed(1.0, 1.6625, 1000, 0.05), Some(5));
        assert_eq!(seeds_needed(1.0, 0.01, 1000, 0.05), None, "over the limit");
        assert_eq!(seeds_needed(1.0, 0.0, 1000, 0.05), None);
    }

    #[test]
    fn test_set_sampling_error_at_89_percent() {
        // The figure: about ±0.6 points on 10,000 images.
        let half = binomial_half_width(0.89, 10_000);
        assert!(close(half, 0.00613, 1e-4), "{half}");
    }
}
