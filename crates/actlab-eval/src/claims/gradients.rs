//! Claims (a) and (b): gradients through depth, and dead units.

use super::{
    Claim, Verdict, ci_text, compare, diff_text, directional, final_dead_fraction, runs_of,
};
use crate::report::RunRecord;
use crate::stats::{self, Difference};
use actlab_format::diagnose::DiagnoseReport;

/// (a) Sigmoid and tanh gradients vanish with depth; ReLU's do not.
pub(super) fn vanishing(deep: Option<&DiagnoseReport>) -> Claim {
    let (evidence, verdict) = match deep {
        Some(deep) => {
            let ratio = |kind: &str| {
                deep.activations
                    .iter()
                    .find(|a| a.kind == kind)
                    .map(|a| a.initial_ratio)
            };
            match (ratio("sigmoid"), ratio("tanh"), ratio("relu")) {
                (Some(s), Some(t), Some(r)) => {
                    // "Vanishing": the first layer's gradient is under 1% of the output layer's.
                    let vanish = |x: f64| x < 0.01;
                    let verdict = if vanish(s) && vanish(t) && !vanish(r) {
                        Verdict::Supported
                    } else {
                        Verdict::Contradicted
                    };
                    (
                        format!(
                            "{} at initialisation, ‖∇W first layer‖ / ‖∇W output \
                             layer‖: sigmoid {s:.1e}, tanh {t:.1e}, ReLU {r:.1e} (vanishing = \
                             below 1e-2; one network each, from actlab diagnose)",
                            deep.model
                                .clone()
                                .unwrap_or_else(|| format!("{}-hidden-layer MLP", deep.depth))
                        ),
                        verdict,
                    )
                }
                _ => (
                    "diagnose.json lacks sigmoid, tanh or relu".into(),
                    Verdict::Inconclusive,
                ),
            }
        }
        None => (
            "no deep-network measurement: run `actlab diagnose configs/deep.toml` and include its \
             directory in the report"
                .into(),
            Verdict::Inconclusive,
        ),
    };
    Claim {
        id: 'a',
        claim: "Sigmoid and tanh gradients vanish with depth; ReLU's do not.",
        evidence,
        verdict,
    }
}

/// (b) Some ReLU units die; Leaky ReLU and PReLU have fewer dead units.
pub(super) fn dying_relu(runs: &[RunRecord], deep: Option<&DiagnoseReport>) -> Claim {
    let dead = |kind: &str| -> Vec<(u64, f64)> {
        runs_of(runs, kind)
            .iter()
            .filter_map(|r| final_dead_fraction(&r.dir).map(|d| (r.summary.seed, d)))
            .collect()
    };
    let (relu, leaky, prelu) = (dead("relu"), dead("leaky_relu"), dead("prelu"));
    let (evidence, verdict) = if relu.len() >= 2 && (leaky.len() >= 2 || prelu.len() >= 2) {
        let values = |v: &[(u64, f64)]| v.iter().map(|x| x.1).collect::<Vec<f64>>();
        let relu_dies =
            stats::ci95(&values(&relu)).low > 0.0 || values(&relu).iter().all(|&d| d > 0.0);
        let d_leaky = compare(&leaky, &relu);
        let d_prelu = compare(&prelu, &relu);
        let fewer = |d: &Option<Difference>| directional(d.as_ref(), -1.0);
        let both = [fewer(&d_leaky), fewer(&d_prelu)];
        let verdict = if !relu_dies || both.contains(&Verdict::Contradicted) {
            Verdict::Contradicted
        } else if both.iter().all(|v| *v == Verdict::Supported) {
            Verdict::Supported
        } else {
            Verdict::Inconclusive
        };
        (
            format!(
                "dead hidden units after training (sweep runs): ReLU {}, Leaky ReLU {}, PReLU {}; \
                 Leaky − ReLU {}; PReLU − ReLU {}",
                ci_text(&values(&relu), 100.0, "%"),
                ci_text(&values(&leaky), 100.0, "%"),
                ci_text(&values(&prelu), 100.0, "%"),
                diff_text(d_leaky.as_ref(), 100.0, " points"),
                diff_text(d_prelu.as_ref(), 100.0, " points")
            ),
            verdict,
        )
    } else if let Some(deep) = deep {
        let dead_deep = |kind: &str| {
            deep.activations.iter().find(|a| a.kind == kind).map(|a| {
                let v: Vec<f64> = a.trained.iter().filter_map(|l| l.dead_fraction).collect();
                stats::mean(&v)
            })
        };
        match (
            dead_deep("relu"),
            dead_deep("leaky_relu"),
            dead_deep("prelu"),
        ) {
            (Some(r), Some(l), Some(p)) => (
                format!(
                    "dead hidden units in the {}-layer network after training: ReLU {:.1}%, \
                     Leaky ReLU {:.1}%, PReLU {:.1}% (one network each; no sweep diagnostics)",
                    deep.depth,
                    100.0 * r,
                    100.0 * l,
                    100.0 * p
                ),
                if r > 0.0 && l < r && p < r {
                    Verdict::Supported
                } else if r == 0.0 {
                    Verdict::Contradicted
                } else {
                    Verdict::Inconclusive
                },
            ),
            _ => ("no dead-unit measurements".into(), Verdict::Inconclusive),
        }
    } else {
        (
            "no dead-unit measurements: set `[train] diagnostics = true` (configs/sweep.toml does)"
                .into(),
            Verdict::Inconclusive,
        )
    };
    Claim {
        id: 'b',
        claim: "Some ReLU units die in training; Leaky ReLU and PReLU have fewer dead units.",
        evidence,
        verdict,
    }
}
