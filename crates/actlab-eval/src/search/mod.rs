//! `actlab search`'s screen at initialisation: each candidate that passed the formula screen
//! (`actlab_format::search::screen`) is built into the proxy network (`[base.model]` with the
//! candidate as its activation), initialised with the first proxy seed and measured on one
//! probe batch — the `diagnose` probe — and set aside when its gradient vanishes or explodes
//! through the network's depth before any training.

pub mod rank;
pub mod report;

use actlab_data::{MnistData, Scaling};
use actlab_format::search::SearchConfig;
use actlab_format::search::screen::Survivor;
use actlab_model::NetworkInit;
use actlab_train::TrainError;
use actlab_train::diagnostics::{PROBE_IMAGES, probe};
use serde::Serialize;

use crate::error::EvalError;

/// Below this first/output gradient ratio at initialisation, a candidate's gradient vanishes.
/// (In a 10-layer MLP sigmoid's is 1e-8 and no built-in but sigmoid is below 1e-5.)
pub const VANISHING_RATIO: f64 = 1e-6;
/// Above this, it explodes.
pub const EXPLODING_RATIO: f64 = 1e6;

/// What the probe said of one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gradient {
    /// Within bounds: it trains.
    Fine,
    /// Below [`VANISHING_RATIO`], or no gradient reached the first layer.
    Vanishing,
    /// Above [`EXPLODING_RATIO`], or not finite.
    Exploding,
}

/// The first/output gradient ratio of every candidate at initialisation, and its verdict, in
/// the order given.
pub fn gradient_screen(
    config: &SearchConfig,
    data: &MnistData,
    survivors: &[Survivor],
) -> Result<Vec<(f64, Gradient)>, EvalError> {
    let backend = actlab_train::device(&config.base.backend).map_err(TrainError::from)?;
    let device = backend.device.clone().autodiff();
    let seed = config.budget.proxy.seeds.first().copied().unwrap_or(0);
    let split = actlab_data::train_validation(
        data.train.len(),
        config.base.data.validation_size,
        config.base.data.holdout,
        seed,
    )?;
    let pool = if split.validation.is_empty() {
        &split.train
    } else {
        &split.validation
    };
    let size = if backend.fixed_shapes {
        config.base.train.batch_size
    } else {
        PROBE_IMAGES
    };
    let ids: Vec<u32> = if backend.fixed_shapes {
        pool.iter().copied().cycle().take(size).collect()
    } else {
        pool.iter().copied().take(size).collect()
    };
    let dataset = config.base.data.dataset;
    let mut out = Vec::with_capacity(survivors.len());
    for survivor in survivors {
        let mut network = config.base.model.resolve_for_dataset(dataset)?;
        *network.activation_mut() = survivor.candidate.activation();
        let model = network.init_seeded(&device, seed)?;
        let batch = data
            .train
            .batch_with_table(&ids, &Scaling::Unit.table(), &device)?;
        let layers = probe(&model, batch.images, batch.targets)?;
        let ratio = match (layers.first(), layers.last()) {
            (Some(first), Some(last)) if last.grad_norm > 0.0 => first.grad_norm / last.grad_norm,
            (Some(first), Some(_)) if first.grad_norm > 0.0 => f64::INFINITY,
            _ => 0.0,
        };
        let verdict = if ratio.is_nan() || ratio > EXPLODING_RATIO {
            Gradient::Exploding
        } else if ratio < VANISHING_RATIO {
            Gradient::Vanishing
        } else {
            Gradient::Fine
        };
        out.push((ratio, verdict));
    }
    Ok(out)
}

/// A candidate that goes on to the proxy training.
#[derive(Debug, Clone, Serialize)]
pub struct Screened {
    /// Its name in the search: `cand-<n>`, n its place among the generated candidates.
    pub name: String,
    /// The candidate, ready to paste into a config.
    pub activation: actlab_format::activation::ActivationConfig,
    /// Later candidates with the same function.
    pub duplicates: usize,
    /// First/output gradient ratio at initialisation in the proxy network.
    pub gradient_ratio: f64,
}

/// How many candidates one reason set aside, with the first of them.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// The reason.
    pub reason: &'static str,
    /// How many.
    pub count: usize,
    /// The first rejected formula.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// The screen's funnel (`screen.json`): generated → unique → rejected by reason → survivors.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenReport {
    /// Candidates generated.
    pub generated: usize,
    /// Distinct functions among the valid ones.
    pub unique: usize,
    /// Rejections by reason, in the funnel's order: `not_finite`, `duplicate`, `constant`,
    /// `linear`, `vanishing_gradient`, `exploding_gradient`.
    pub rejected: Vec<Rejected>,
    /// Those that go on.
    pub survivors: Vec<Screened>,
}

/// Generates the search's candidates, screens them as formulas and at initialisation.
pub fn screen(config: &SearchConfig, data: &MnistData) -> Result<ScreenReport, EvalError> {
    use actlab_format::search::screen::{Rejection, screen};
    use actlab_format::search::space::Space;
    let space = Space::new(&config.space).map_err(|message| EvalError::Search { message })?;
    let candidates = space.generate(config.budget.candidates, config.budget.seed);
    let screened = screen(&candidates);
    let gradients = gradient_screen(config, data, &screened.survivors)?;
    let reasons = [
        (Rejection::NotFinite, "not_finite"),
        (Rejection::Duplicate, "duplicate"),
        (Rejection::Constant, "constant"),
        (Rejection::Linear, "linear"),
    ];
    let mut rejected: Vec<Rejected> = reasons
        .iter()
        .map(|(r, reason)| Rejected {
            reason,
            count: screened.count(*r),
            example: screened.examples.get(r).cloned(),
        })
        .collect();
    let mut survivors = Vec::new();
    let mut at_init = [
        ("vanishing_gradient", 0, None),
        ("exploding_gradient", 0, None),
    ];
    for (s, (ratio, verdict)) in screened.survivors.iter().zip(gradients) {
        let slot = match verdict {
            Gradient::Fine => {
                survivors.push(Screened {
                    name: format!("cand-{}", s.number),
                    activation: s.candidate.activation(),
                    duplicates: s.duplicates,
                    gradient_ratio: ratio,
                });
                continue;
            }
            Gradient::Vanishing => &mut at_init[0],
            Gradient::Exploding => &mut at_init[1],
        };
        slot.1 += 1;
        slot.2.get_or_insert_with(|| s.candidate.f.clone());
    }
    rejected.extend(at_init.map(|(reason, count, example)| Rejected {
        reason,
        count,
        example,
    }));
    Ok(ScreenReport {
        generated: screened.generated,
        unique: screened.unique,
        rejected,
        survivors,
    })
}
