//! The report in TensorBoard's HParams dashboard: one session per activation under
//! `<report>/tensorboard/<activation>/`, with the activation's hyperparameters (as its runs')
//! and the comparison's numbers as metrics — mean accuracy, Δ vs the baseline, the verdict
//! (2 better, 1 equivalent, 0 undecided, −1 worse), the rank and the worst of its interval,
//! P(a run beats the baseline's). The sweep's experiment record
//! (`actlab_train::run::tensorboard::METRICS`) lists these metrics, so pointing TensorBoard at a
//! sweep shows the verdicts beside the runs. Rewritten whole with each report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actlab_format::sweep::slug;
use actlab_tb::proto::STATUS_SUCCESS;

use crate::error::EvalError;
use crate::report::{Report, RunRecord, group_keys};
use crate::verdict::Verdict;

/// The event file of a report session.
pub const FILE: &str = "events.out.tfevents.0.actlab-report";

/// A verdict as the `report/verdict` metric: 2 better, 1 equivalent, 0 undecided, −1 worse.
pub fn verdict_code(verdict: Verdict) -> f64 {
    match verdict {
        Verdict::Better => 2.0,
        Verdict::Equivalent => 1.0,
        Verdict::Undecided => 0.0,
        Verdict::Worse => -1.0,
    }
}

/// Writes one HParams session per group of `report` into `out/tensorboard/`.
pub fn write(report: &Report, runs: &[RunRecord], out: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let keys = group_keys(runs);
    let dir = out.join("tensorboard");
    let mut written = Vec::new();
    for r in &report.results {
        let Some(run) = runs
            .iter()
            .zip(&keys)
            .find(|(_, k)| **k == r.name)
            .map(|(run, _)| run)
        else {
            continue;
        };
        let hidden: Vec<String> = r.hidden.iter().map(usize::to_string).collect();
        let hparams = BTreeMap::from([
            (
                "activation".to_string(),
                actlab_tb::string(r.activation_label.clone()),
            ),
            ("lr".to_string(), actlab_tb::number(run.summary.lr)),
            ("hidden".to_string(), actlab_tb::string(hidden.join("x"))),
            (
                "backend".to_string(),
                actlab_tb::string(run.summary.backend.clone()),
            ),
        ]);
        let mut values = vec![("report/mean_accuracy".to_string(), r.accuracy.mean)];
        if let Some(v) = &r.vs_baseline {
            values.push(("report/delta_points".into(), 100.0 * v.test.difference.mean));
            values.push(("report/verdict".into(), verdict_code(v.judgement.verdict)));
            if let Some(images) = &v.images {
                values.push(("report/p_improvement".into(), images.improvement.mean));
            }
        }
        if let Some(rank) = r.rank {
            values.push(("report/rank".into(), rank.rank as f64));
            values.push(("report/rank_high".into(), rank.high as f64));
        }
        // A session group per activation (a group shows one member's hyperparameters).
        let name = slug(&r.name);
        let events = [
            actlab_tb::session_start(hparams, &format!("report/{name}")),
            actlab_tb::scalars(0, &values),
            actlab_tb::session_end(STATUS_SUCCESS),
        ];
        let path =
            actlab_tb::write_whole(&dir.join(&name), FILE, &events).map_err(|e| EvalError::Io {
                path: dir.clone(),
                error: std::io::Error::other(e.to_string()),
            })?;
        written.push(path);
    }
    Ok(written)
}
