//! `actlab search`'s files so far: the screen's funnel as `screen.json` and `screen.md`.

use std::path::{Path, PathBuf};

use crate::error::EvalError;
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

/// The funnel as Markdown: a row per stage, the survivors' formulas after it.
pub fn markdown(report: &ScreenReport) -> String {
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
        "| **go on to the proxy training** | **{}** | |\n\n",
        report.survivors.len()
    ));
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
