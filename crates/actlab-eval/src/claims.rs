//! The reference article's claims, each put to a measurement: one line, the evidence (numbers
//! with 95% CIs where there are several seeds), and a verdict — supported, contradicted, or
//! inconclusive at this sample size.
//!
//! Evidence comes from run directories (summaries, `metrics.csv`, `diagnostics.csv`) and from
//! any `diagnose.json` (the deep-network experiment of `actlab diagnose`) under the same roots.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::{Report, RunRecord};
use crate::stats::{self, Difference};

/// A claim's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measurement agrees (significantly, where a test applies).
    Supported,
    /// The measurement disagrees.
    Contradicted,
    /// Not enough evidence either way (or none measured).
    Inconclusive,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::Inconclusive => "inconclusive at this sample size",
        })
    }
}

/// One claim.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// `a` … `f`.
    pub id: char,
    /// The claim, in one line.
    pub claim: &'static str,
    /// What was measured.
    pub evidence: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// What the claims need from `diagnose.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeepDiagnosis {
    /// Hidden layers.
    pub depth: usize,
    /// Per activation.
    pub activations: Vec<DeepActivation>,
}

/// One activation of `diagnose.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeepActivation {
    /// Kind (`relu`, …).
    pub kind: String,
    /// First-layer / output-layer gradient norm at initialisation.
    pub initial_ratio: f64,
    /// Per layer after training.
    pub trained: Vec<DeepLayer>,
}

/// One layer of `diagnose.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeepLayer {
    /// Dead fraction (hidden layers).
    pub dead_fraction: Option<f64>,
}

/// Finds and reads the first `diagnose.json` at or below `roots` (three levels deep).
pub fn find_diagnosis(roots: &[PathBuf]) -> Option<DeepDiagnosis> {
    fn find(dir: &Path, depth: usize) -> Option<PathBuf> {
        let file = dir.join("diagnose.json");
        if file.is_file() {
            return Some(file);
        }
        if depth >= 3 {
            return None;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        entries.sort();
        entries.into_iter().find_map(|p| find(&p, depth + 1))
    }
    roots
        .iter()
        .find_map(|root| find(root, 0))
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str(&text).ok())
}

/// Mean dead fraction over the hidden layers at the last epoch of a run's `diagnostics.csv`.
pub fn final_dead_fraction(run_dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(run_dir.join("diagnostics.csv")).ok()?;
    let rows: Vec<(usize, Option<f64>)> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            Some((cells.first()?.parse().ok()?, cells.get(3)?.parse().ok()))
        })
        .collect();
    let last = rows.iter().map(|r| r.0).max()?;
    let values: Vec<f64> = rows
        .iter()
        .filter(|r| r.0 == last)
        .filter_map(|r| r.1)
        .collect();
    (!values.is_empty()).then(|| stats::mean(&values))
}

/// The runs of one activation kind; for `swish`, the article's fixed-β Swish only.
fn runs_of<'a>(runs: &'a [RunRecord], kind: &str) -> Vec<&'a RunRecord> {
    let mut out: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.summary.activation == kind)
        .filter(|r| kind != "swish" || r.summary.swish_beta.is_none())
        .collect();
    out.sort_by_key(|r| r.summary.seed);
    out
}

fn ci_text(values: &[f64], scale: f64, unit: &str) -> String {
    let ci = stats::ci95(values);
    if values.len() >= 2 {
        format!(
            "{:.2}{unit} [{:.2}, {:.2}] (n = {})",
            scale * ci.mean,
            scale * ci.low,
            scale * ci.high,
            values.len()
        )
    } else {
        format!("{:.2}{unit} (n = {})", scale * ci.mean, values.len())
    }
}

/// Compares `a` with `b` (paired when their seeds match), `None` below 2 runs each.
fn compare(a: &[(u64, f64)], b: &[(u64, f64)]) -> Option<Difference> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (sa, va): (Vec<u64>, Vec<f64>) = a.iter().copied().unzip();
    let (sb, vb): (Vec<u64>, Vec<f64>) = b.iter().copied().unzip();
    Some(if sa == sb {
        stats::paired_t(&va, &vb)
    } else {
        stats::welch_t(&va, &vb)
    })
}

/// Supported when `d` is significantly in the claimed direction (`sign` +1: a > b, −1: a < b),
/// contradicted when significantly against it, inconclusive otherwise.
fn directional(d: Option<&Difference>, sign: f64) -> Verdict {
    match d {
        Some(d) if d.p < 0.05 && d.difference.mean * sign > 0.0 => Verdict::Supported,
        Some(d) if d.p < 0.05 && d.difference.mean * sign < 0.0 => Verdict::Contradicted,
        _ => Verdict::Inconclusive,
    }
}

fn diff_text(d: Option<&Difference>, scale: f64, unit: &str) -> String {
    match d {
        Some(d) if d.p.is_finite() => format!(
            "Δ = {:+.2}{unit} [{:+.2}, {:+.2}], p = {:.3}",
            scale * d.difference.mean,
            scale * d.difference.low,
            scale * d.difference.high,
            d.p
        ),
        Some(d) => format!("Δ = {:+.2}{unit} (no variation)", scale * d.difference.mean),
        None => "too few runs to test".into(),
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

/// Evaluates the six claims.
pub fn claims(report: &Report, runs: &[RunRecord], deep: Option<&DeepDiagnosis>) -> Vec<Claim> {
    let mut out = Vec::new();

    // (a) Vanishing gradients with depth.
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
                            "{}-hidden-layer MLP at initialisation, ‖∇W first layer‖ / ‖∇W output \
                             layer‖: sigmoid {s:.1e}, tanh {t:.1e}, ReLU {r:.1e} (vanishing = \
                             below 1e-2; one network each, from actlab diagnose)",
                            deep.depth
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
    out.push(Claim {
        id: 'a',
        claim: "Sigmoid and tanh gradients vanish with depth; ReLU's do not.",
        evidence,
        verdict,
    });

    // (b) Dying ReLU.
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
    out.push(Claim {
        id: 'b',
        claim: "Some ReLU units die in training; Leaky ReLU and PReLU have fewer dead units.",
        evidence,
        verdict,
    });

    // (c) PReLU's learned slope.
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
    let init = runs_of(runs, "prelu")
        .first()
        .and_then(|r| {
            let label = &r.summary.activation_label;
            let start = label.find("init=")? + 5;
            label[start..]
                .split([',', ')'])
                .next()?
                .trim()
                .parse::<f64>()
                .ok()
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
    out.push(Claim {
        id: 'c',
        claim: "PReLU learns its slope: it moves away from the initial value.",
        evidence,
        verdict,
    });

    // (d) Swish vs ReLU accuracy.
    let swish: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.kind == "swish")
        .collect();
    let (evidence, verdict) = if report.baseline_found
        && report
            .results
            .iter()
            .any(|r| r.name == report.baseline && r.kind == "relu")
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
    out.push(Claim {
        id: 'd',
        claim: "Swish reaches a higher accuracy than ReLU.",
        evidence,
        verdict,
    });

    // (e) Swish converges faster than ReLU; (f) tanh trains faster than sigmoid.
    let (evidence, verdict) = converges_faster(runs, "swish", "relu");
    out.push(Claim {
        id: 'e',
        claim: "Swish converges faster than ReLU (fewer epochs to a validation accuracy).",
        evidence,
        verdict,
    });
    let (evidence, verdict) = converges_faster(runs, "tanh", "sigmoid");
    out.push(Claim {
        id: 'f',
        claim: "Tanh, being zero-centred, trains faster than sigmoid.",
        evidence,
        verdict,
    });
    out
}

/// The claims as a Markdown section.
pub fn markdown(claims: &[Claim]) -> String {
    let mut md = String::from(
        "\n## The article's claims\n\n| | claim | evidence | verdict |\n|---|---|---|---|\n",
    );
    for c in claims {
        md.push_str(&format!(
            "| ({}) | {} | {} | **{}** |\n",
            c.id, c.claim, c.evidence, c.verdict
        ));
    }
    md.push_str(
        "\nVerdicts use the 0.05 level where a test applies (paired over shared seeds, Welch \
         otherwise); \"inconclusive\" means the data cannot tell at this sample size, not that \
         the claim is false.\n",
    );
    md
}
