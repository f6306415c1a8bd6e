//! The last lines `compare` and `report` print: the verdicts in one line, and where to look
//! next (the report's page, TensorBoard).

use std::path::{Path, PathBuf};

use actlab_eval::report::Report;

/// What the report says in one line, and where to look next: the verdicts against the baseline
/// by kind, the report's page, TensorBoard.
pub fn line(built: &Report, out: &Path, dirs: &[PathBuf]) -> String {
    use actlab_eval::verdict::Verdict;
    let mut by: Vec<(Verdict, Vec<&str>)> = [
        Verdict::Better,
        Verdict::Worse,
        Verdict::Equivalent,
        Verdict::Undecided,
    ]
    .into_iter()
    .map(|v| (v, Vec::new()))
    .collect();
    for r in &built.results {
        if let Some(vs) = &r.vs_baseline
            && let Some((_, names)) = by.iter_mut().find(|(v, _)| *v == vs.judgement.verdict)
        {
            names.push(&r.name);
        }
    }
    let counts: Vec<String> = by
        .iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(v, names)| match v {
            Verdict::Better | Verdict::Worse => {
                format!("{} {} ({})", names.len(), v.as_str(), names.join(", "))
            }
            _ => format!("{} {}", names.len(), v.as_str()),
        })
        .collect();
    let verdicts = if counts.is_empty() {
        "no comparison with the baseline (fewer than 2 runs of it, or of the others)".to_string()
    } else {
        format!("against {}: {}", built.baseline, counts.join(", "))
    };
    let logdir = dirs.first().map_or(out, PathBuf::as_path);
    format!(
        "{verdicts}\nnext: open {} (the report with its plots); curves of every run: \
         tensorboard --logdir {}",
        out.join("report.html").display(),
        logdir.display()
    )
}
