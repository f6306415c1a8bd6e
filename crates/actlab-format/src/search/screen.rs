//! The screen before any training: every candidate checked as a formula activation (finite on
//! [−1e4, 1e4], as any `kind = "expr"` must be), de-duplicated **by function** — a fingerprint
//! of its values and slopes on fixed inputs, rounded, at two settings of its constants, so
//! `x*sigmoid(x)` and `sigmoid(x)*x` are one candidate — and rejected when it cannot work as a
//! hidden activation: constant, or linear (a network of linear units is linear).
//!
//! Rounding to 4 significant digits makes two formulas of one function one candidate even when
//! they differ in the last bits (`x*x` and `x^2`, `tanh(x)` and `2*sigmoid(2*x) - 1`); two
//! functions that agree to 4 digits at all 101 points, at both settings, are the same
//! candidate for a proxy run anyway. Slopes are central differences, whose rounding noise is
//! about 1e-13 of the value: a slope below 1e-6 (of the value's scale) counts as 0.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::space::Candidate;
use crate::expr::Formula;

/// Why a candidate was not trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Not a valid formula activation: not finite somewhere on [−1e4, 1e4], or too long.
    NotFinite,
    /// The same function as an earlier candidate.
    Duplicate,
    /// The same value everywhere.
    Constant,
    /// An affine function of x: the network would be linear.
    Linear,
}

impl Rejection {
    /// In words, for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Rejection::NotFinite => "not finite on [-1e4, 1e4]",
            Rejection::Duplicate => "the same function as an earlier candidate",
            Rejection::Constant => "constant",
            Rejection::Linear => "linear (affine in x)",
        }
    }
}

/// The inputs of the fingerprint: [−6, 6] by 0.125 and four far points.
fn points() -> Vec<f64> {
    let mut xs: Vec<f64> = (-48..=48).map(|k| f64::from(k) * 0.125).collect();
    xs.extend([-20.0, -10.0, 10.0, 20.0]);
    xs
}

/// The second setting of the constants (the first is their initial 1): any value that is not
/// special (0, 1, −1, 2) tells `c*x` from `x`.
const OTHER_CONSTANT: f64 = 1.37;

/// Slope by central difference with this step.
const STEP: f64 = 1e-3;

/// `v` to 4 significant digits; 0 below `floor`.
fn round(v: f64, floor: f64) -> String {
    if !v.is_finite() {
        return "nan".into();
    }
    if v.abs() < floor {
        return "0".into();
    }
    format!("{v:.3e}")
}

/// A function's fingerprint: SHA-256 of its rounded values and slopes at [`points`], with its
/// constants at 1 and at [`OTHER_CONSTANT`].
pub fn fingerprint(formula: &Formula) -> [u8; 32] {
    let mut hash = Sha256::new();
    let settings: Vec<Vec<f64>> = if formula.values.is_empty() {
        vec![Vec::new()]
    } else {
        vec![
            formula.values.clone(),
            vec![OTHER_CONSTANT; formula.values.len()],
        ]
    };
    for p in &settings {
        for x in points() {
            let f = |x: f64| formula.expr.eval(x, p);
            let (value, slope) = (f(x), (f(x + STEP) - f(x - STEP)) / (2.0 * STEP));
            hash.update(round(value, 1e-9).as_bytes());
            hash.update(b",");
            hash.update(round(slope, 1e-6 * (1.0 + value.abs())).as_bytes());
            hash.update(b";");
        }
    }
    hash.finalize().into()
}

/// Whether the formula (constants at their initial values) is constant, or affine in x, on
/// the fingerprint's inputs: the least-squares line through them misses no point by more than
/// 1e-6 of the largest value.
fn shape(formula: &Formula) -> Option<Rejection> {
    let xs = points();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| formula.expr.eval(x, &formula.values))
        .collect();
    let scale = 1.0 + ys.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    let first = ys[0];
    if ys.iter().all(|y| (y - first).abs() <= 1e-9 * scale) {
        return Some(Rejection::Constant);
    }
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let slope = sxy / sxx;
    let linear = xs
        .iter()
        .zip(&ys)
        .all(|(x, y)| (y - (my + slope * (x - mx))).abs() <= 1e-6 * scale);
    linear.then_some(Rejection::Linear)
}

/// A candidate that passed the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Survivor {
    /// Its 1-based number among the generated candidates (its name in the search: `cand-<n>`).
    pub number: usize,
    /// The candidate.
    pub candidate: Candidate,
    /// Other generated candidates with the same function.
    pub duplicates: usize,
}

/// The screen's outcome: who goes on to training, and how many were set aside and why.
#[derive(Debug, Clone, Default)]
pub struct Screened {
    /// Candidates generated.
    pub generated: usize,
    /// Distinct functions among the valid ones.
    pub unique: usize,
    /// Rejections by reason (duplicates included).
    pub rejected: BTreeMap<Rejection, usize>,
    /// The first rejected formula of each reason, as an example for the report.
    pub examples: BTreeMap<Rejection, String>,
    /// The survivors, in generation order.
    pub survivors: Vec<Survivor>,
}

impl Screened {
    /// Candidates set aside for `why`.
    pub fn count(&self, why: Rejection) -> usize {
        self.rejected.get(&why).copied().unwrap_or(0)
    }

    /// Every candidate is accounted for: generated = not finite + duplicates + unique, and
    /// unique = constant + linear + survivors.
    pub fn adds_up(&self) -> bool {
        self.generated
            == self.count(Rejection::NotFinite) + self.count(Rejection::Duplicate) + self.unique
            && self.unique
                == self.count(Rejection::Constant)
                    + self.count(Rejection::Linear)
                    + self.survivors.len()
    }
}

/// Screens candidates in order: each is checked as a formula activation, then compared by
/// fingerprint with every earlier one, then by shape.
pub fn screen(candidates: &[Candidate]) -> Screened {
    let mut out = Screened {
        generated: candidates.len(),
        ..Screened::default()
    };
    let mut seen: HashSet<[u8; 32]> = HashSet::new();
    let mut survivor_of: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    let reject = |out: &mut Screened, why: Rejection, f: &str| {
        *out.rejected.entry(why).or_default() += 1;
        out.examples.entry(why).or_insert_with(|| f.to_string());
    };
    for (i, candidate) in candidates.iter().enumerate() {
        let f = &candidate.f;
        let params: BTreeMap<String, f64> = candidate
            .constants
            .iter()
            .map(|c| (c.clone(), 1.0))
            .collect();
        let Ok(formula) = Formula::check(f, &params, &[], None, "candidate") else {
            reject(&mut out, Rejection::NotFinite, f);
            continue;
        };
        let print = fingerprint(&formula);
        if !seen.insert(print) {
            reject(&mut out, Rejection::Duplicate, f);
            if let Some(&k) = survivor_of.get(&print) {
                out.survivors[k].duplicates += 1;
            }
            continue;
        }
        out.unique += 1;
        if let Some(why) = shape(&formula) {
            reject(&mut out, why, f);
            continue;
        }
        survivor_of.insert(print, out.survivors.len());
        out.survivors.push(Survivor {
            number: i + 1,
            candidate: candidate.clone(),
            duplicates: 0,
        });
    }
    out
}
