//! Group-sequential boundaries from an α-spending function (Lan & DeMets 1983): at planned
//! looks with information fractions t₁ < … < t_K = 1, the boundary c_k is chosen so that the
//! probability under H₀ of first crossing at look k is α(t_k) − α(t_{k−1}). The joint law of
//! the standardised statistics Z_k (Brownian motion observed at the looks) is integrated
//! numerically, look by look, as Armitage, McPherson & Rowe (1969) and Jennison & Turnbull
//! (2000, ch. 19) do: the sub-density of Z_k on the continuation region is carried on a grid
//! and integrated with Simpson's rule. Tests check the boundaries against published tables.

use actlab_format::sweep::seeds::Spending;
use statrs::distribution::{ContinuousCDF, Normal};

/// The spending functions' formulas (the enum is the sweep file's `spending`, in the
/// Burn-free format crate).
pub trait Spend {
    /// The error spent by information fraction `t` (0 ≤ t ≤ 1) of a test at level `alpha`:
    /// a one-sided test spends the function itself; a two-sided one spends it at α/2 on each
    /// side (the convention of the published tables: O'Brien–Fleming's two-sided 5% boundaries
    /// at 5 looks are 4.877 … 2.031).
    fn spent_by(self, alpha: f64, t: f64, sides: Sides) -> f64;
    /// The one-sided spending function at level `alpha`: O'Brien–Fleming type
    /// α(t) = 2 − 2Φ(z_{1−α/2} / √t), Pocock type α(t) = α·ln(1 + (e − 1)t).
    fn spent(self, alpha: f64, t: f64) -> f64;
}

impl Spend for Spending {
    fn spent_by(self, alpha: f64, t: f64, sides: Sides) -> f64 {
        match sides {
            Sides::Upper => self.spent(alpha, t),
            Sides::Two => 2.0 * self.spent(alpha / 2.0, t),
        }
    }

    fn spent(self, alpha: f64, t: f64) -> f64 {
        let t = t.clamp(0.0, 1.0);
        if t <= 0.0 {
            return 0.0;
        }
        match self {
            Spending::OBrienFleming => {
                let z = std_normal().inverse_cdf(1.0 - alpha / 2.0);
                2.0 * std_normal().sf(z / t.sqrt())
            }
            Spending::Pocock => alpha * (1.0 + (std::f64::consts::E - 1.0) * t).ln(),
        }
    }
}

/// Which side(s) of the statistic a boundary rejects on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    /// |Z| ≥ c (a difference test).
    Two,
    /// Z ≥ c (each one-sided test of an equivalence).
    Upper,
}

fn std_normal() -> Normal {
    // Mean 0 and sd 1 are valid parameters.
    Normal::standard()
}

/// The grid's spacing on the Z scale (Simpson's rule on smooth densities: errors far below the
/// tables' third decimal).
const SPACING: f64 = 0.02;
/// Where a density of Z under H₀ (marginally N(0, 1)) is cut off.
const REACH: f64 = 9.0;
/// Larger than any boundary worth stating (a look that may spend nothing rejects at none).
pub const NEVER: f64 = 40.0;

/// φ(x), written out (the inner loop evaluates it millions of times).
fn phi(x: f64) -> f64 {
    const SCALE: f64 = 0.398_942_280_401_432_7; // 1/√(2π)
    SCALE * (-0.5 * x * x).exp()
}

/// The statistic observed look by look under H₀: the sub-density of Z_k on the continuation
/// region (not stopped yet) on a grid, Simpson weights folded in.
struct Walk {
    sides: Sides,
    /// Information (fraction) at the last look; 0 before the first.
    info: f64,
    /// Grid points and weight × density at the last look (none before the first).
    grid: Option<(Vec<f64>, Vec<f64>)>,
}

impl Walk {
    fn new(sides: Sides) -> Walk {
        Walk {
            sides,
            info: 0.0,
            grid: None,
        }
    }

    /// P(not stopped before, and crossing `c` at a look with information `t`).
    fn crossing(&self, t: f64, c: f64) -> f64 {
        let n = std_normal();
        let two = self.sides == Sides::Two;
        let Some((z, mass)) = &self.grid else {
            return if two { 2.0 * n.sf(c) } else { n.sf(c) };
        };
        let step = (t - self.info).sqrt();
        let (a, b) = (t.sqrt(), self.info.sqrt());
        z.iter()
            .zip(mass)
            .map(|(&u, &m)| {
                let upper = n.sf((c * a - u * b) / step);
                let lower = if two {
                    n.cdf((-c * a - u * b) / step)
                } else {
                    0.0
                };
                m * (upper + lower)
            })
            .sum()
    }

    /// Moves to the look at information `t` with boundary `c`; returns the crossing
    /// probability there.
    fn advance(&mut self, t: f64, c: f64) -> f64 {
        let crossed = self.crossing(t, c);
        let high = c.min(REACH);
        let low = if self.sides == Sides::Two {
            -high
        } else {
            -REACH
        };
        // Simpson's points on [low, high] (an even number of intervals).
        let intervals = (((high - low) / SPACING).ceil() as usize).max(2);
        let intervals = intervals + intervals % 2;
        let h = (high - low) / intervals as f64;
        let weight = |i: usize| {
            let k = if i == 0 || i == intervals {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            k * h / 3.0
        };
        let z: Vec<f64> = (0..=intervals).map(|i| low + h * i as f64).collect();
        let density: Vec<f64> = match &self.grid {
            None => z.iter().map(|&v| phi(v)).collect(),
            Some((prev_z, prev_mass)) => {
                let step = (t - self.info).sqrt();
                let (a, b) = (t.sqrt(), self.info.sqrt());
                z.iter()
                    .map(|&v| {
                        let sum: f64 = prev_z
                            .iter()
                            .zip(prev_mass)
                            .map(|(&u, &m)| m * phi((v * a - u * b) / step))
                            .sum();
                        sum * a / step
                    })
                    .collect()
            }
        };
        let mass = density
            .iter()
            .enumerate()
            .map(|(i, d)| d * weight(i))
            .collect();
        self.grid = Some((z, mass));
        self.info = t;
        crossed
    }
}

/// Boundaries c_1 … c_K on the Z scale for a test at level `alpha` spending by `spending` at
/// information fractions `fractions` (increasing, the last 1). A look allowed to spend
/// (practically) nothing gets [`NEVER`].
pub fn boundaries(spending: Spending, alpha: f64, fractions: &[f64], sides: Sides) -> Vec<f64> {
    let mut walk = Walk::new(sides);
    let mut spent = 0.0;
    let mut out = Vec::with_capacity(fractions.len());
    for &t in fractions {
        let target = spending.spent_by(alpha, t, sides) - spent;
        let c = if target <= 1e-15 {
            NEVER
        } else {
            // The crossing probability falls as c grows: bisection.
            let (mut low, mut high) = (0.0, NEVER);
            for _ in 0..60 {
                let mid = 0.5 * (low + high);
                if walk.crossing(t, mid) > target {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            0.5 * (low + high)
        };
        spent += walk.advance(t, c);
        out.push(c);
    }
    out
}

/// The probability under H₀ of crossing any of `bounds` at `fractions` (the classic
/// constant-shape designs are solved with it, and it checks [`boundaries`]).
pub fn crossing_probability(bounds: &[f64], fractions: &[f64], sides: Sides) -> f64 {
    let mut walk = Walk::new(sides);
    bounds
        .iter()
        .zip(fractions)
        .map(|(&c, &t)| walk.advance(t, c))
        .sum()
}

/// The nominal level of a boundary on the Z scale: the p-value at which a test at one look
/// rejects (two-sided for [`Sides::Two`]). The procedure compares t-tests' p-values with it,
/// so a look with few seeds uses its own t distribution.
pub fn nominal(c: f64, sides: Sides) -> f64 {
    let tail = std_normal().sf(c);
    match sides {
        Sides::Two => 2.0 * tail,
        Sides::Upper => tail,
    }
}
