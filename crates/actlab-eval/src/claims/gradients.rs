//! Claims (a) and (b): gradients through depth, and dead units.

use super::{
    Claim, Verdict, ci_text, compare, diff_text, directional, final_dead_fraction,
    final_inactive_fraction, runs_of,
};
use crate::report::RunRecord;
use crate::stats::{self, Difference};
use actlab_format::diagnose::{ActivationDiagnosis, DiagnoseReport};
use actlab_format::state::LayerDiagnostics;

/// Below this first/output gradient ratio at initialisation, a network's gradient "vanishes".
const VANISHING: f64 = 1e-2;

/// Where a ratio lies relative to [`VANISHING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Below,
    Above,
    /// The interval over seeds contains the cut-off (or a ratio is undefined).
    Undecided,
}

/// One activation's ratios over seeds: the side of the cut-off, the evidence, and how many of
/// the seeds fall below it when they disagree.
struct Ratios {
    side: Side,
    text: String,
    split: Option<(usize, usize)>,
}

/// Judges one activation's first/output ratios (one per seed). One seed: its side. Several:
/// a 95% t-interval of log₁₀ ratio (the ratios span orders of magnitude), reported as the
/// geometric mean and its interval; decided only when the interval lies on one side.
fn ratios(values: &[f64]) -> Ratios {
    let below = values.iter().filter(|&&r| r < VANISHING).count();
    let split = (below > 0 && below < values.len()).then_some((below, values.len()));
    if values.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
        return Ratios {
            side: Side::Undecided,
            text: "undefined (a zero or non-finite gradient norm)".into(),
            split,
        };
    }
    if let [r] = values {
        return Ratios {
            side: if *r < VANISHING {
                Side::Below
            } else {
                Side::Above
            },
            text: format!("{r:.1e}"),
            split: None,
        };
    }
    let logs: Vec<f64> = values.iter().map(|r| r.log10()).collect();
    let ci = stats::ci95(&logs);
    let cut = VANISHING.log10();
    let side = if ci.high < cut {
        Side::Below
    } else if ci.low > cut {
        Side::Above
    } else {
        Side::Undecided
    };
    Ratios {
        side,
        text: format!(
            "{:.1e} [{:.1e}, {:.1e}]",
            10f64.powf(ci.mean),
            10f64.powf(ci.low),
            10f64.powf(ci.high)
        ),
        split,
    }
}

/// (a) Sigmoid and tanh gradients vanish with depth; ReLU's do not.
pub(super) fn vanishing(deep: Option<&DiagnoseReport>) -> Claim {
    let (evidence, verdict) = match deep {
        Some(deep) => {
            let find = |kind: &str| deep.activations.iter().find(|a| a.kind == kind);
            match (find("sigmoid"), find("tanh"), find("relu")) {
                (Some(s), Some(t), Some(r)) => vanishing_evidence(deep, [s, t, r]),
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

fn vanishing_evidence(
    deep: &DiagnoseReport,
    [s, t, r]: [&ActivationDiagnosis; 3],
) -> (String, Verdict) {
    let judged = [
        ("sigmoid", ratios(&s.initial_ratios()), Side::Below),
        ("tanh", ratios(&t.initial_ratios()), Side::Below),
        ("ReLU", ratios(&r.initial_ratios()), Side::Above),
    ];
    let opposite = |want: Side| match want {
        Side::Below => Side::Above,
        _ => Side::Below,
    };
    let verdict = if judged.iter().all(|(_, j, want)| j.side == *want) {
        Verdict::Supported
    } else if judged.iter().any(|(_, j, want)| j.side == opposite(*want)) {
        Verdict::Contradicted
    } else {
        Verdict::Inconclusive
    };
    let seeds = [s, t, r]
        .iter()
        .map(|a| a.initial_ratios().len())
        .max()
        .unwrap_or(1);
    let model = deep
        .model
        .clone()
        .unwrap_or_else(|| format!("{}-hidden-layer MLP", deep.depth));
    let values = judged
        .iter()
        .map(|(name, j, _)| format!("{name} {}", j.text))
        .collect::<Vec<_>>()
        .join(", ");
    let mut evidence = if seeds == 1 {
        format!(
            "{model} at initialisation, ‖∇W first layer‖ / ‖∇W output layer‖: {values} \
             (vanishing = below 1e-2; one network each, from actlab diagnose — `[diagnose] \
             seeds` gives an interval over initialisations)"
        )
    } else {
        format!(
            "{model} at initialisation, ‖∇W first layer‖ / ‖∇W output layer‖, geometric mean \
             [95% CI] over {seeds} initialisation seeds: {values} (vanishing = below 1e-2, \
             decided when the interval lies on one side)"
        )
    };
    let splits: Vec<String> = judged
        .iter()
        .filter_map(|(name, j, _)| {
            j.split
                .map(|(below, n)| format!("{name}: {below} of {n} seeds below 1e-2"))
        })
        .collect();
    if !splits.is_empty() {
        evidence.push_str(&format!(
            "; the verdict depends on the seed for {}",
            splits.join(", ")
        ));
    }
    (evidence, verdict)
}

/// Mean of a fraction over a network's hidden layers (`None` when no layer has it).
fn hidden_mean(
    layers: &[LayerDiagnostics],
    f: fn(&LayerDiagnostics) -> Option<f64>,
) -> Option<f64> {
    let values: Vec<f64> = layers.iter().filter_map(f).collect();
    (!values.is_empty()).then(|| stats::mean(&values))
}

/// A fraction after training for one activation of the deep diagnosis, per seed (keyed by seed,
/// or by position in files without seeds); empty when the activation or the measure is absent.
fn deep_values(
    deep: &DiagnoseReport,
    kind: &str,
    f: fn(&LayerDiagnostics) -> Option<f64>,
) -> Vec<(u64, f64)> {
    let Some(a) = deep.activations.iter().find(|a| a.kind == kind) else {
        return Vec::new();
    };
    let per_seed = a.trained_per_seed();
    let keys: Vec<u64> = if deep.seeds.len() == per_seed.len() {
        deep.seeds.clone()
    } else {
        (0..per_seed.len() as u64).collect()
    };
    let values: Vec<(u64, f64)> = keys
        .into_iter()
        .zip(per_seed)
        .filter_map(|(k, layers)| hidden_mean(layers, f).map(|v| (k, v)))
        .collect();
    values
}

const DEAD_DEFINITION: &str = "|f′| ≤ 1e-6 on every probe image";
const INACTIVE_DEFINITION: &str = "input ≤ 0 on every probe image — a state Leaky ReLU and \
                                   PReLU can reach, unlike |f′| ≤ 1e-6";

/// ReLU units die when their dead fraction is above 0: significantly (the interval's lower end),
/// or at every seed.
fn dies(values: &[f64]) -> bool {
    values.len() >= 2 && stats::ci95(values).low > 0.0 || values.iter().all(|&d| d > 0.0)
}

/// (b) Some ReLU units die; Leaky ReLU and PReLU have fewer dead units. Judged on *inactive*
/// units (input ≤ 0 on every probe image): "dead" (|f′| ≤ 1e-6) is out of Leaky ReLU's reach
/// by construction, so "fewer dead units" would hold whatever they did.
pub(super) fn dying_relu(runs: &[RunRecord], deep: Option<&DiagnoseReport>) -> Claim {
    let from_runs = |kind: &str, f: fn(&std::path::Path) -> Option<f64>| -> Vec<(u64, f64)> {
        runs_of(runs, kind)
            .iter()
            .filter_map(|r| f(&r.dir).map(|d| (r.summary.seed, d)))
            .collect()
    };
    let values = |v: &[(u64, f64)]| v.iter().map(|x| x.1).collect::<Vec<f64>>();
    let dead_runs = from_runs("relu", final_dead_fraction);
    let inactive_runs =
        ["relu", "leaky_relu", "prelu"].map(|k| from_runs(k, final_inactive_fraction));
    let deep_inactive = deep.map(|d| {
        ["relu", "leaky_relu", "prelu"].map(|k| deep_values(d, k, |l| l.inactive_fraction))
    });
    let enough =
        |[r, l, p]: &[Vec<(u64, f64)>; 3]| !r.is_empty() && (!l.is_empty() || !p.is_empty());
    let several = |[r, l, p]: &[Vec<(u64, f64)>; 3]| r.len() >= 2 && (l.len() >= 2 || p.len() >= 2);

    // Which measurement of inactive units: the sweep's runs, else the deep diagnosis.
    let (inactive, source) = if several(&inactive_runs) {
        (Some(inactive_runs), "sweep runs")
    } else if let Some(d) = deep_inactive.filter(enough) {
        (Some(d), "deep network")
    } else {
        (None, "")
    };
    // Whether ReLU units die: the sweep runs' dead fraction, else the deep network's.
    let (relu_dead, dead_source) = if dead_runs.len() >= 2 {
        (values(&dead_runs), "sweep runs")
    } else {
        let deep_dead = deep.map_or_else(Vec::new, |d| deep_values(d, "relu", |l| l.dead_fraction));
        (values(&deep_dead), "deep network")
    };
    let deep_text = |d: &DiagnoseReport| {
        let seeds = d.seeds.len().max(1);
        format!(
            "the {}-layer network of actlab diagnose after {} steps, {}",
            d.depth,
            d.steps,
            if seeds == 1 {
                "one network each".to_string()
            } else {
                format!("{seeds} seeds")
            }
        )
    };
    let (evidence, verdict) = match (inactive, relu_dead.is_empty()) {
        (Some(inactive), false) => {
            let place = |from: &str| {
                if from == "sweep runs" {
                    "sweep runs, after training".to_string()
                } else {
                    deep.map_or_else(String::new, deep_text)
                }
            };
            judged_on_inactive(&relu_dead, &place(dead_source), inactive, &place(source))
        }
        (_, false) => {
            // Only the dead fraction: ReLU's dying can be judged, the comparison cannot.
            let relu_dies = dies(&relu_dead);
            let dead = |kind: &str| -> Vec<f64> {
                if dead_source == "sweep runs" {
                    values(&from_runs(kind, final_dead_fraction))
                } else {
                    deep.map_or_else(Vec::new, |d| {
                        values(&deep_values(d, kind, |l| l.dead_fraction))
                    })
                }
            };
            (
                format!(
                    "dead hidden units ({DEAD_DEFINITION}; {dead_source}): ReLU {}, Leaky ReLU {}, \
                     PReLU {} — but Leaky ReLU cannot reach |f′| ≤ 1e-6 (its slope below 0 is \
                     0.01) and PReLU only if its slope does, so their 0% holds by construction; \
                     the runs lack the inactive-unit measure (input ≤ 0 on every probe image) \
                     that would test them: rerun with `[train] diagnostics = true` or `actlab \
                     diagnose`",
                    ci_text(&relu_dead, 100.0, "%"),
                    ci_text(&dead("leaky_relu"), 100.0, "%"),
                    ci_text(&dead("prelu"), 100.0, "%"),
                ),
                if relu_dies {
                    Verdict::Inconclusive
                } else {
                    Verdict::Contradicted
                },
            )
        }
        (_, true) => (
            "no dead-unit measurements: set `[train] diagnostics = true` (configs/sweep.toml \
             does) or include an `actlab diagnose` directory"
                .into(),
            Verdict::Inconclusive,
        ),
    };
    Claim {
        id: 'b',
        claim: "Some ReLU units die in training; Leaky ReLU and PReLU have fewer dead units.",
        evidence,
        verdict,
    }
}

/// (b) judged on inactive units: ReLU dies (`relu_dead`, measured `dead_where`), and Leaky ReLU
/// and PReLU have fewer inactive units than ReLU (`[relu, leaky, prelu]`, measured `where_inactive`;
/// paired over seeds, or the direction alone with one network each).
fn judged_on_inactive(
    relu_dead: &[f64],
    dead_where: &str,
    [relu, leaky, prelu]: [Vec<(u64, f64)>; 3],
    where_inactive: &str,
) -> (String, Verdict) {
    let values = |v: &[(u64, f64)]| v.iter().map(|x| x.1).collect::<Vec<f64>>();
    let (d_leaky, d_prelu) = (compare(&leaky, &relu), compare(&prelu, &relu));
    let one_each = relu.len() < 2;
    let fewer = |mine: &[(u64, f64)], d: &Option<Difference>| {
        if one_each {
            // One network each: the direction only (said in the evidence).
            match (mine.first(), relu.first()) {
                (Some((_, v)), Some((_, r))) if v < r => Verdict::Supported,
                (Some(_), Some(_)) => Verdict::Contradicted,
                _ => Verdict::Inconclusive,
            }
        } else {
            directional(d.as_ref(), -1.0)
        }
    };
    let both = [fewer(&leaky, &d_leaky), fewer(&prelu, &d_prelu)];
    let verdict = if !dies(relu_dead) || both.contains(&Verdict::Contradicted) {
        Verdict::Contradicted
    } else if both.iter().all(|v| *v == Verdict::Supported) {
        Verdict::Supported
    } else {
        Verdict::Inconclusive
    };
    (
        format!(
            "dead ReLU units ({DEAD_DEFINITION}; {dead_where}): {}; inactive units \
             ({INACTIVE_DEFINITION}; {where_inactive}): ReLU {}, Leaky ReLU {}, PReLU {}; \
             Leaky − ReLU {}; PReLU − ReLU {}",
            ci_text(relu_dead, 100.0, "%"),
            ci_text(&values(&relu), 100.0, "%"),
            ci_text(&values(&leaky), 100.0, "%"),
            ci_text(&values(&prelu), 100.0, "%"),
            diff_text(d_leaky.as_ref(), 100.0, " points"),
            diff_text(d_prelu.as_ref(), 100.0, " points")
        ),
        verdict,
    )
}
