//! `actlab search`'s files: the screen's funnel (`screen.json`, `screen.md`), and the whole
//! search's report (`search.json`, `search.md`, `search.html`, `plots/`).

use std::path::{Path, PathBuf};

use actlab_format::activation::ActivationConfig;

use crate::error::EvalError;
use crate::search::report::{ConfirmedRow, ProxyRow, Rung, SearchReport};
use crate::search::{EXPLODING_RATIO, ScreenReport, VANISHING_RATIO};

use super::{json, write_texts};

fn reason(name: &str) -> String {
    match name {
        "not_finite" => "not finite on [-1e4, 1e4]".into(),
        "duplicate" => "the same function as an earlier candidate".into(),
        "constant" => "constant".into(),
        "linear" => "linear (affine in x)".into(),
        "vanishing_gradient" => {
            format!("gradient vanishes at initialisation (first/output < {VANISHING_RATIO:e})")
        }
        "exploding_gradient" => {
            format!("gradient explodes at initialisation (first/output > {EXPLODING_RATIO:e})")
        }
        other => other.into(),
    }
}

/// The screen's funnel: a row per stage.
pub fn funnel(report: &ScreenReport) -> String {
    let mut md = String::from("## The screen\n\n| stage | candidates | example |\n|---|---|---|\n");
    md.push_str(&format!("| generated | {} | |\n", report.generated));
    for r in &report.rejected {
        if r.reason == "constant" {
            md.push_str(&format!("| unique functions | {} | |\n", report.unique));
        }
        let example = r
            .example
            .as_ref()
            .map_or(String::new(), |f| format!("`{}`", f.replace('|', "\\|")));
        md.push_str(&format!(
            "| − {} | {} | {example} |\n",
            reason(r.reason),
            r.count
        ));
    }
    md.push_str(&format!(
        "| **go on to the proxy training** | **{}** | |\n",
        report.survivors.len()
    ));
    md
}

/// The funnel as Markdown: a row per stage, the survivors' formulas after it.
pub fn markdown(report: &ScreenReport) -> String {
    let mut md = funnel(report);
    md.push('\n');
    md.push_str(
        "| candidate | formula | duplicates | first/output gradient at init |\n|---|---|---|---|\n",
    );
    for s in &report.survivors {
        md.push_str(&format!(
            "| {} | `{}` | {} | {:.1e} |\n",
            s.name,
            s.activation.label().replace('|', "\\|"),
            s.duplicates,
            s.gradient_ratio
        ));
    }
    md
}

/// Writes `screen.json` and `screen.md` into `out`.
pub fn write(report: &ScreenReport, out: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let files = [
        ("screen.json", json(out, report)?),
        ("screen.md", markdown(report)),
    ];
    write_texts(out, &files)
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}", 100.0 * v))
}

fn points(v: Option<f64>) -> String {
    v.map_or("?".into(), |v| {
        format!("{:+.2}", 100.0 * v).replace('-', "−")
    })
}

fn code(formula: &str) -> String {
    format!("`{}`", formula.replace('|', "\\|"))
}

/// The search's one-line outcome.
pub fn summary(report: &SearchReport) -> String {
    let trained = report.screen.survivors.len();
    let head = format!(
        "{} candidates generated, {} unique functions, {trained} trained on the proxy, {} \
         finalist(s)",
        report.screen.generated, report.screen.unique, report.finalists
    );
    let Some(c) = &report.confirmation else {
        return format!("{head}; not confirmed yet (the proxy's ranking is not a result).");
    };
    let names = |rows: Vec<&ConfirmedRow>| {
        rows.iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let better = c.finalists_judged("better");
    let equivalent = c.finalists_judged("equivalent");
    let worse = c.finalists_judged("worse");
    let mut parts = Vec::new();
    if better.is_empty() {
        parts.push(format!(
            "none better than {} after confirmation",
            c.baseline
        ));
    } else {
        parts.push(format!(
            "{} better than {} after confirmation: {}",
            better.len(),
            c.baseline,
            names(better)
        ));
    }
    if !equivalent.is_empty() {
        parts.push(format!(
            "{} equivalent within ±{:.2} points ({})",
            equivalent.len(),
            100.0 * c.margin.unwrap_or(0.0),
            names(equivalent)
        ));
    }
    if !worse.is_empty() {
        parts.push(format!("{} worse ({})", worse.len(), names(worse)));
    }
    let undecided = report.finalists
        - c.rows
            .iter()
            .filter(|r| {
                r.formula.is_some() && r.verdict.as_deref().is_some_and(|v| v != "undecided")
            })
            .count();
    if undecided > 0 {
        parts.push(format!("{undecided} undecided"));
    }
    format!("{head}; {}.", parts.join("; "))
}

/// The proxy's table: each candidate's validation accuracy at every rung (`rungs`), its Swish
/// fit, whether it is a finalist; then the references (the baselines on the same proxy).
pub fn proxy_table(rungs: &[Rung], proxy: &[ProxyRow], references: &[ProxyRow]) -> String {
    let mut md = String::from("| candidate | formula |");
    for r in rungs {
        md.push_str(&format!(" epoch {} |", r.epoch));
    }
    md.push_str(" Swish fit β (R²; non-linear part) | finalist |\n|---|---|");
    md.push_str(&"---|".repeat(rungs.len() + 2));
    md.push('\n');
    let row = |md: &mut String, r: &ProxyRow, mark: &str| {
        md.push_str(&format!("| {} | {} |", r.name, code(&r.formula)));
        for s in &r.scores {
            md.push_str(&format!(" {} |", percent(*s)));
        }
        let fit = r.swish.map_or("–".into(), |f| {
            format!("{:.2} ({:.3}; {:.2})", f.beta, f.r2, f.nonlinear_r2())
        });
        md.push_str(&format!(" {fit} | {mark} |\n"));
    };
    for r in proxy {
        let mark = if r.finalist {
            "**yes**"
        } else if r.failed {
            "failed"
        } else {
            ""
        };
        row(&mut md, r, mark);
    }
    for r in references {
        row(&mut md, r, "reference");
    }
    md
}

/// `search.md`.
pub fn report_markdown(report: &SearchReport) -> String {
    let mut md = format!("# Search: {}\n\n{}\n\n", report.name, summary(report));
    md.push_str(&funnel(&report.screen));
    // The proxy stage's funnel.
    md.push_str(
        "\n## The proxy stage\n\nEvery candidate that passed the screen trains on the proxy; \
         successive halving promotes the best by **validation** accuracy to twice the epochs. \
         No proxy run reaches the test set.\n\n| rung | epochs | candidates ranked | set aside \
         (a run failed) |\n|---|---|---|---|\n",
    );
    for (i, r) in report.rungs.iter().enumerate() {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            i + 1,
            r.epoch,
            r.ranked,
            r.failed
        ));
    }
    md.push_str(&format!("| finalists | | **{}** | |\n\n", report.finalists));
    md.push_str(&proxy_table(
        &report.rungs,
        &report.proxy,
        &report.references,
    ));
    md.push_str(
        "\nValidation accuracy (%) on the proxy, mean over the proxy seeds; the baselines \
         (reference) trained on the same proxy and were not ranked.\n\n## The finalists' shapes\n\n\
         Each finalist and the references as they start training (learnable constants at 1), \
         with the derivative:\n\n![finalists and references](plots/activations.svg)\n",
    );
    md.push_str(&swish_like(report));
    md.push_str(&confirmation_markdown(report));
    md
}

/// Whether the finalists rediscovered Swish (the Swish paper's search found x·σ(βx)).
fn swish_like(report: &SearchReport) -> String {
    use actlab_format::search::shape::{NONLINEAR_SHARE, SWISH_LIKE_NONLINEAR_R2, SWISH_LIKE_R2};
    let like = |finalist: bool| -> Vec<String> {
        report
            .proxy
            .iter()
            .filter(|r| r.finalist == finalist)
            .filter_map(|r| {
                r.swish.filter(|f| f.swish_like()).map(|f| {
                    format!(
                        "{} (β = {:.2}, R² = {:.3}, non-linear part {:.2})",
                        r.name,
                        f.beta,
                        f.r2,
                        f.nonlinear_r2()
                    )
                })
            })
            .collect()
    };
    let test = format!(
        "Swish fit: the best `a·x·σ(βx) + b` on [−4, 4] at initialisation, R² of the shape and \
         of its non-linear part (what the best line leaves: Swish's β → 0 end is the line \
         x/2). Swish-like when they are at least {SWISH_LIKE_R2} and {SWISH_LIKE_NONLINEAR_R2} \
         and a line leaves at least {NONLINEAR_SHARE} of the shape (ReLU is the β → ∞ end)."
    );
    let (finalists, others) = (like(true), like(false));
    let head = if finalists.is_empty() {
        "No finalist is Swish-like".to_string()
    } else {
        format!("Swish-like finalists: {}", finalists.join(", "))
    };
    let rest = if others.is_empty() {
        String::new()
    } else {
        format!(
            "; Swish-like among the other candidates above: {}",
            others.join(", ")
        )
    };
    format!("\n{head}{rest}. {test}\n")
}

fn confirmation_markdown(report: &SearchReport) -> String {
    let Some(c) = &report.confirmation else {
        return "\n## Confirmation\n\nNot run yet: the finalists are chosen on proxy validation \
                accuracy and are not a result until confirmed (`actlab search` without \
                `--proxy-only`).\n"
            .into();
    };
    let mut md = format!(
        "\n## Confirmation\n\nThe finalists and the baselines through the fair protocol (each \
         activation's rate tuned on its own seeds) on fresh seeds, judged against {} with the \
         family-adjusted interval: the full comparison is `confirm/report/report.md`.\n\n\
         | activation | formula | proxy val % | test % [95% CI] | seeds | lr | Δ vs {} \
         [adjusted] | verdict |\n|---|---|---|---|---|---|---|---|\n",
        c.baseline, c.baseline
    );
    for r in &c.rows {
        let interval = format!(
            "{:.2} [{}, {}]",
            100.0 * r.test.mean,
            percent(r.test.low),
            percent(r.test.high)
        );
        let difference = r.difference.map_or("baseline".into(), |d| {
            format!(
                "{} [{}, {}]",
                points(Some(d.mean)),
                points(d.low),
                points(d.high)
            )
        });
        md.push_str(&format!(
            "| {} | {} | {} | {interval} | {} | {} | {difference} | {} |\n",
            r.name,
            r.formula.as_deref().map_or("(baseline)".into(), code),
            percent(r.proxy),
            r.n,
            r.lr.map_or("–".into(), |lr| format!("{lr:e}")),
            r.verdict.as_deref().unwrap_or("–")
        ));
    }
    md.push_str("\n## Did the proxy predict the confirmation?\n\n");
    match &report.spearman {
        Some(s) => md.push_str(&format!(
            "Spearman's ρ between the proxy's validation accuracy and the confirmed test \
             accuracy, over the {} finalists and baselines: **ρ = {:.2}**{}. {}\n",
            s.n,
            s.rho,
            s.p_exact.map_or(String::new(), |p| format!(
                " (exact permutation {})",
                crate::stats::p_text(p)
            )),
            if s.rho < 0.5 {
                "The proxy ranked these activations poorly: its winners are guesses until \
                 confirmed, which is why the search confirms them."
            } else {
                "The proxy's ranking carried over to the confirmation, on these few points."
            }
        )),
        None => md.push_str(
            "Not computable: fewer than 3 confirmed activations with a proxy score, or one \
             side without spread.\n",
        ),
    }
    md
}

/// Writes `search.json`, `search.md`, `search.html` and the shapes (`plots/`: `shapes` are the
/// finalists and references, `(slug, activation)`) into `out`. Returns the files.
pub fn write_report(
    report: &SearchReport,
    shapes: &[(String, ActivationConfig)],
    out: &Path,
) -> Result<Vec<PathBuf>, EvalError> {
    let mut files = crate::plot_these(shapes, &out.join("plots"))
        .map_err(|e| EvalError::Search {
            message: format!("plotting the finalists: {e}"),
        })?
        .into_iter()
        .filter(|f| f.file_stem().is_some_and(|s| s == "activations"))
        .collect::<Vec<_>>();
    let md = report_markdown(report);
    let html = super::html::document(&format!("Search: {}", report.name), &md, out);
    files.extend(write_texts(
        out,
        &[
            ("search.json", json(out, report)?),
            ("search.md", md),
            ("search.html", html),
        ],
    )?);
    Ok(files)
}
