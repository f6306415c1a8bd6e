//! A many-to-one test that uses the correlation of comparisons against one baseline: the
//! step-down max-T (Westfall & Young 1993, with a parametric null, as Hothorn, Bretz &
//! Westfall's Dunnett-type procedures). Comparisons with one baseline share its noise, so their
//! t statistics are correlated (about 0.5 when every group spreads alike) and Holm's Bonferroni
//! steps, which assume the worst case, are conservative.
//!
//! Under H₀ (every Δ = 0) the per-seed differences of the m comparisons are drawn from
//! N(0, Σ̂) — Σ̂ their sample covariance — `n` seeds at a time, and each draw's t statistics
//! are computed as the observed ones (each comparison its own mean and sd). The adjusted
//! p-value of the comparison with the j-th largest |t| is the share of draws whose largest |t*|
//! among the comparisons not rejected before it reaches |t_(j)|, made monotone. Seeded.

use chacha20::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Draws of the null.
pub const DRAWS: usize = 20_000;
const SEED: u64 = 0x0AC7_1AB5_4D41_5854;

/// A standard normal draw (Box–Muller; the second value is discarded for simplicity).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The lower Cholesky factor of a covariance matrix (a tiny ridge keeps a singular one — two
/// comparisons moving together exactly — factorable).
fn cholesky(cov: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let m = cov.len();
    let ridge = 1e-12 * (0..m).map(|i| cov[i][i]).fold(0.0, f64::max).max(1e-300);
    let mut l = vec![vec![0.0; m]; m];
    for i in 0..m {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (cov[i][i] + ridge - s).max(0.0).sqrt();
            } else if l[j][j] > 0.0 {
                l[i][j] = (cov[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

/// |t| of each comparison over `x` (n rows of m differences).
fn abs_t(x: &[Vec<f64>], out: &mut [f64]) {
    let n = x.len() as f64;
    for (j, t) in out.iter_mut().enumerate() {
        let mean = x.iter().map(|row| row[j]).sum::<f64>() / n;
        let var = x.iter().map(|row| (row[j] - mean).powi(2)).sum::<f64>() / (n - 1.0);
        *t = (mean / (var / n).sqrt()).abs();
    }
}

/// Draws of per-seed differences under H₀: n seeds of N(0, Σ̂), Σ̂ the observed covariance.
struct Null {
    /// Σ̂'s lower Cholesky factor.
    l: Vec<Vec<f64>>,
    sample: Vec<Vec<f64>>,
    z: Vec<f64>,
}

impl Null {
    /// For `diffs[i]` (m comparisons, n ≥ 2 seeds each, in the same order); `None` when the
    /// shapes do not fit.
    fn new(diffs: &[Vec<f64>]) -> Option<Null> {
        let m = diffs.len();
        let n = diffs.first()?.len();
        if m == 0 || n < 2 || diffs.iter().any(|d| d.len() != n) {
            return None;
        }
        let means: Vec<f64> = diffs
            .iter()
            .map(|d| d.iter().sum::<f64>() / n as f64)
            .collect();
        let cov: Vec<Vec<f64>> = (0..m)
            .map(|a| {
                (0..m)
                    .map(|b| {
                        diffs[a]
                            .iter()
                            .zip(&diffs[b])
                            .map(|(x, y)| (x - means[a]) * (y - means[b]))
                            .sum::<f64>()
                            / (n as f64 - 1.0)
                    })
                    .collect()
            })
            .collect();
        Some(Null {
            l: cholesky(&cov),
            sample: vec![vec![0.0; m]; n],
            z: vec![0.0; m],
        })
    }

    /// One draw's |t| per comparison, into `t`.
    fn draw(&mut self, rng: &mut ChaCha8Rng, t: &mut [f64]) {
        for row in self.sample.iter_mut() {
            self.z.iter_mut().for_each(|v| *v = normal(rng));
            for (i, cell) in row.iter_mut().enumerate() {
                *cell = (0..=i).map(|k| self.l[i][k] * self.z[k]).sum();
            }
        }
        abs_t(&self.sample, t);
    }
}

/// Step-down max-T adjusted p-values (two-sided) of comparisons whose per-seed differences are
/// `diffs[i]` (all the same length n ≥ 2, the same seeds in the same order), with `draws`
/// draws of the null. `None` when the shapes do not fit. A comparison without spread is
/// judged as the t-test judges it — p = 0 for a constant nonzero difference, NaN (no test)
/// for a constant zero — and the others among themselves.
pub fn adjusted(diffs: &[Vec<f64>], draws: usize) -> Option<Vec<f64>> {
    Null::new(diffs)?;
    let n = diffs[0].len();
    let all_rows: Vec<Vec<f64>> = (0..n)
        .map(|s| diffs.iter().map(|d| d[s]).collect())
        .collect();
    let mut observed_all = vec![0.0; diffs.len()];
    abs_t(&all_rows, &mut observed_all);
    let finite: Vec<usize> = (0..diffs.len())
        .filter(|&i| observed_all[i].is_finite())
        .collect();
    let mut out: Vec<f64> = observed_all
        .iter()
        .map(|t| if t.is_nan() { f64::NAN } else { 0.0 })
        .collect();
    if finite.is_empty() {
        return Some(out);
    }
    let kept: Vec<Vec<f64>> = finite.iter().map(|&i| diffs[i].clone()).collect();
    let mut null = Null::new(&kept)?;
    let m = kept.len();
    let observed: Vec<f64> = finite.iter().map(|&i| observed_all[i]).collect();
    // Hypotheses by decreasing |t|; the j-th is compared with the max over itself and after.
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| observed[b].total_cmp(&observed[a]));
    let mut exceed = vec![0usize; m];
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut t = vec![0.0; m];
    for _ in 0..draws {
        null.draw(&mut rng, &mut t);
        // Successive maxima from the smallest |t| up: max over order[j..].
        let mut running = 0.0f64;
        for j in (0..m).rev() {
            running = running.max(t[order[j]]);
            if running >= observed[order[j]] {
                exceed[j] += 1;
            }
        }
    }
    let mut previous = 0.0f64;
    for (j, &i) in order.iter().enumerate() {
        previous = previous.max(exceed[j] as f64 / draws as f64);
        out[finite[i]] = previous;
    }
    Some(out)
}

/// The single-step critical value c with P(max |T*| ≥ c) = `alpha` under the same null: the
/// half-width multiplier of simultaneous intervals (Δ ± c·se) that use the correlation.
pub fn critical(diffs: &[Vec<f64>], alpha: f64, draws: usize) -> Option<f64> {
    let mut null = Null::new(diffs)?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 1);
    let mut t = vec![0.0; diffs.len()];
    let mut maxima = Vec::with_capacity(draws);
    for _ in 0..draws {
        null.draw(&mut rng, &mut t);
        maxima.push(t.iter().copied().fold(0.0, f64::max));
    }
    maxima.sort_by(f64::total_cmp);
    let at = ((1.0 - alpha) * (draws.max(1) - 1) as f64).round() as usize;
    maxima.get(at).copied()
}

#[cfg(test)]
mod tests;
