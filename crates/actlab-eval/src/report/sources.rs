//! Where a group's spread comes from, when its runs cross every initialisation seed with every
//! data seed (`[grid] seeds = { init = [...], data = [...] }`), as Bouthillier et al. (2021)
//! recommend: a two-way random-effects analysis of variance without replication. With `a`
//! initialisation seeds and `d` data seeds, mean squares MS_init (d·Σ(ȳᵢ. − ȳ)²/(a − 1)),
//! MS_data and the residual MS_res give the variance components σ²_init = (MS_init − MS_res)/d,
//! σ²_data = (MS_data − MS_res)/a (negative estimates set to 0, as is usual) and σ²_rest =
//! MS_res — the interaction of the two and everything else that varies between runs.

use serde::Serialize;

use super::RunRecord;

/// A group's spread split by source (accuracy fractions, as variances).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VarianceSources {
    /// Initialisation seeds.
    pub init_seeds: usize,
    /// Data seeds.
    pub data_seeds: usize,
    /// σ² of the initial weights' seed.
    pub init: f64,
    /// σ² of the data seed (validation split and epochs' order).
    pub data: f64,
    /// σ² left: their interaction and the rest.
    pub rest: f64,
    /// The mean squares behind them: (init, data, residual).
    pub mean_squares: (f64, f64, f64),
}

impl VarianceSources {
    /// σ²_init + σ²_data + σ²_rest: the variance of one run.
    pub fn total(&self) -> f64 {
        self.init + self.data + self.rest
    }
}

/// The components of `y[i][j]` (initialisation seed i, data seed j): a full a × d table with
/// a, d ≥ 2; `None` otherwise.
pub fn components(y: &[Vec<f64>]) -> Option<VarianceSources> {
    let a = y.len();
    let d = y.first()?.len();
    if a < 2 || d < 2 || y.iter().any(|row| row.len() != d) {
        return None;
    }
    let (af, df) = (a as f64, d as f64);
    let grand = y.iter().flatten().sum::<f64>() / (af * df);
    let rows: Vec<f64> = y.iter().map(|r| r.iter().sum::<f64>() / df).collect();
    let cols: Vec<f64> = (0..d)
        .map(|j| y.iter().map(|r| r[j]).sum::<f64>() / af)
        .collect();
    let ms_init = df * rows.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (af - 1.0);
    let ms_data = af * cols.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (df - 1.0);
    let mut ss_res = 0.0;
    for (i, row) in y.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            ss_res += (v - rows[i] - cols[j] + grand).powi(2);
        }
    }
    let ms_res = ss_res / ((af - 1.0) * (df - 1.0));
    Some(VarianceSources {
        init_seeds: a,
        data_seeds: d,
        init: ((ms_init - ms_res) / df).max(0.0),
        data: ((ms_data - ms_res) / af).max(0.0),
        rest: ms_res,
        mean_squares: (ms_init, ms_data, ms_res),
    })
}

/// The components of a group's runs, when they cross their initialisation and data seeds
/// exactly once each.
pub fn of_runs(members: &[&RunRecord]) -> Option<VarianceSources> {
    let mut init: Vec<u64> = members.iter().map(|r| r.summary.seed).collect();
    let mut data: Vec<u64> = members
        .iter()
        .map(|r| r.summary.data_seed)
        .collect::<Option<Vec<u64>>>()?;
    init.sort_unstable();
    init.dedup();
    data.sort_unstable();
    data.dedup();
    if init.len() * data.len() != members.len() {
        return None;
    }
    let mut table = vec![vec![f64::NAN; data.len()]; init.len()];
    for run in members {
        let i = init.binary_search(&run.summary.seed).ok()?;
        let j = data.binary_search(&run.summary.data_seed?).ok()?;
        table[i][j] = run.summary.test_accuracy;
    }
    if table.iter().flatten().any(|v| v.is_nan()) {
        return None;
    }
    components(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_components_match_statsmodels_anova() {
        // scripts/stats-reference.py: statsmodels' anova_lm(ols("y ~ C(i) + C(d)"), typ=2)
        // on this 3 × 4 table gives the sums of squares; mean squares are them over 2, 3, 6 df.
        let y = vec![
            vec![0.881, 0.884, 0.879, 0.886],
            vec![0.877, 0.880, 0.878, 0.883],
            vec![0.885, 0.889, 0.884, 0.888],
        ];
        let v = components(&y).unwrap();
        let (ss_init, ss_data, ss_res) = (
            v.mean_squares.0 * 2.0,
            v.mean_squares.1 * 3.0,
            v.mean_squares.2 * 6.0,
        );
        for (got, want) in [
            (ss_init, 9.866_666_666_666_204e-5),
            (ss_data, 5.966_666_666_666_641e-5),
            (ss_res, 7.333_333_333_333_346e-6),
        ] {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        // σ²_init = (MS_init − MS_res)/4, σ²_data = (MS_data − MS_res)/3.
        assert!((v.init - (ss_init / 2.0 - ss_res / 6.0) / 4.0).abs() < 1e-15);
        assert!((v.data - (ss_data / 3.0 - ss_res / 6.0) / 3.0).abs() < 1e-15);
        assert!((v.rest - ss_res / 6.0).abs() < 1e-18);
        // Not a full table: no components.
        assert!(components(&[vec![0.8, 0.9]]).is_none());
        assert!(components(&[vec![0.8, 0.9], vec![0.8]]).is_none());
    }

    #[test]
    fn a_source_that_does_not_vary_gets_no_share() {
        // Rows differ, columns do not: everything is the initialisation's.
        let y = vec![vec![0.80, 0.80, 0.80], vec![0.90, 0.90, 0.90]];
        let v = components(&y).unwrap();
        assert!(v.data == 0.0 && v.rest < 1e-30, "{v:?}");
        // ȳ₁ = 0.8, ȳ₂ = 0.9: MS_init = 3·(2·0.05²)/1 = 0.015, σ²_init = 0.015/3 = 0.005.
        assert!((v.init - 0.005).abs() < 1e-12, "{v:?}");
    }
}
