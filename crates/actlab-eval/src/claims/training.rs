//! Claims (c)–(f): what training shows — PReLU's learned slope, Swish's accuracy, speed of
//! convergence.

use actlab_format::activation::ActivationConfig;

use super::{Claim, Verdict, ci_text, compare, diff_text, directional, runs_of};
use crate::report::{Report, RunRecord};
use crate::stats;

/// (c) PReLU learns its slope.
pub(super) fn prelu_learns_its_slope(runs: &[RunRecord]) -> Claim {
    let slopes: Vec<f64> = runs_of(runs, "prelu")
        .iter()
        .filter_map(|r| {
            let all: Vec<f64> = r
                .summary
                .prelu_slopes
                .as_ref()?
                .iter()
                .flatten()
                .map(|&v| f64::from(v))
                .collect();
            (!all.is_empty()).then(|| stats::mean(&all))
        })
        .collect();
    // The initial slope, from the runs' activation config (PReLU's default where unknown).
    let init = runs_of(runs, "prelu")
        .iter()
        .find_map(|r| match r.summary.activation_config {
            Some(ActivationConfig::Prelu { slope, .. }) => Some(slope),
            _ => None,
        })
        .unwrap_or(0.25);
    let (evidence, verdict) = if slopes.len() >= 2 {
        let ci = stats::ci95(&slopes);
        let moved = ci.low > init || ci.high < init;
        (
            format!(
                "learned slope {:.3} [{:.3}, {:.3}] (n = {}) vs its initial {init}",
                ci.mean,
                ci.low,
                ci.high,
                slopes.len()
            ),
            if moved {
                Verdict::Supported
            } else {
                Verdict::Inconclusive
            },
        )
    } else {
        ("fewer than 2 PReLU runs".into(), Verdict::Inconclusive)
    };
    Claim {
        id: 'c',
        claim: "PReLU learns its slope: it moves away from the initial value.",
        evidence,
        verdict,
    }
}

/// (d) Swish reaches a higher accuracy than ReLU.
pub(super) fn swish_beats_relu(report: &Report) -> Claim {
    let swish: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.kind == "swish")
        .collect();
    let (evidence, verdict) = if report.baseline_found
        && report
            .results
            .iter()
            .any(|r| report.baselines.contains(&r.name) && r.kind == "relu")
        && !swish.is_empty()
    {
        let parts: Vec<String> = swish
            .iter()
            .map(|r| match &r.vs_baseline {
                Some(v) => format!(
                    "{} {} vs ReLU: {}",
                    r.name,
                    ci_text(&r.accuracies, 100.0, "%"),
                    diff_text(Some(&v.test), 100.0, " points")
                ),
                None => format!("{}: too few runs", r.name),
            })
            .collect();
        let verdicts: Vec<Verdict> = swish
            .iter()
            .map(|r| directional(r.vs_baseline.as_ref().map(|v| &v.test), 1.0))
            .collect();
        let verdict = if verdicts.contains(&Verdict::Supported)
            && !verdicts.contains(&Verdict::Contradicted)
        {
            Verdict::Supported
        } else if verdicts.contains(&Verdict::Contradicted) {
            Verdict::Contradicted
        } else {
            Verdict::Inconclusive
        };
        (format!("test accuracy: {}", parts.join("; ")), verdict)
    } else {
        (
            "needs Swish runs and ReLU as the baseline".into(),
            Verdict::Inconclusive,
        )
    };
    Claim {
        id: 'd',
        claim: "Swish reaches a higher accuracy than ReLU.",
        evidence,
        verdict,
    }
}

/// (e) Swish converges faster than ReLU.
pub(super) fn swish_converges_faster(runs: &[RunRecord]) -> Claim {
    let (evidence, verdict) = converges_faster(runs, "swish", "relu");
    Claim {
        id: 'e',
        claim: "Swish converges faster than ReLU (fewer epochs to a validation accuracy).",
        evidence,
        verdict,
    }
}

/// (f) Tanh trains faster than sigmoid.
pub(super) fn tanh_trains_faster(runs: &[RunRecord]) -> Claim {
    let (evidence, verdict) = converges_faster(runs, "tanh", "sigmoid");
    Claim {
        id: 'f',
        claim: "Tanh, being zero-centred, trains faster than sigmoid.",
        evidence,
        verdict,
    }
}

/// Epochs until a run's validation accuracy first reaches `target` (epochs + 1 if never).
fn epochs_to(run: &RunRecord, target: f64) -> f64 {
    run.history
        .iter()
        .find(|row| row.val_acc.is_some_and(|v| v >= target))
        .map_or(run.history.len() as f64 + 1.0, |row| row.epoch as f64)
}

/// Claim (e)/(f): does `fast` reach a validation accuracy target in fewer epochs than `slow`?
fn converges_faster(runs: &[RunRecord], fast: &str, slow: &str) -> (String, Verdict) {
    let (a, b) = (runs_of(runs, fast), runs_of(runs, slow));
    let final_mean = |group: &[&RunRecord]| {
        let finals: Vec<f64> = group
            .iter()
            .filter_map(|r| r.history.last().and_then(|row| row.val_acc))
            .collect();
        (!finals.is_empty()).then(|| stats::mean(&finals))
    };
    let (Some(fa), Some(fb)) = (final_mean(&a), final_mean(&b)) else {
        return (
            format!("no validation curves for both {fast} and {slow}"),
            Verdict::Inconclusive,
        );
    };
    // A level both reach: 99% of the lower final mean validation accuracy.
    let target = 0.99 * fa.min(fb);
    let ea: Vec<(u64, f64)> = a
        .iter()
        .map(|r| (r.summary.seed, epochs_to(r, target)))
        .collect();
    let eb: Vec<(u64, f64)> = b
        .iter()
        .map(|r| (r.summary.seed, epochs_to(r, target)))
        .collect();
    let d = compare(&ea, &eb);
    let (va, vb): (Vec<f64>, Vec<f64>) = (
        ea.iter().map(|e| e.1).collect(),
        eb.iter().map(|e| e.1).collect(),
    );
    let evidence = format!(
        "epochs to {:.2}% validation accuracy: {fast} {}, {slow} {}; {}",
        100.0 * target,
        ci_text(&va, 1.0, ""),
        ci_text(&vb, 1.0, ""),
        diff_text(d.as_ref(), 1.0, " epochs")
    );
    (evidence, directional(d.as_ref(), -1.0))
}
