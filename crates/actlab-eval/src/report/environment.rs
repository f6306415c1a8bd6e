//! Which environments a report's runs came from (`summary.json`'s provenance).

use serde::Serialize;

use super::RunRecord;

/// Runs that share one environment: the same determinism key (code, backend, adapter, SIMD
/// features, threads, data), so the same config gives the same numbers among them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// One line (`flex on AMD EPYC, avx2, 2 threads, actlab 0.1.0 1a2b3c4d5e, Burn 0.22.1`), or
    /// `not recorded` for runs written before provenance was.
    pub description: String,
    /// Runs from it.
    pub runs: usize,
}

/// The runs' environments, grouped by determinism key, most runs first.
pub fn environments(runs: &[RunRecord]) -> Vec<Environment> {
    let mut groups: Vec<(Vec<(&'static str, String)>, Environment)> = Vec::new();
    for run in runs {
        let (key, description) = match &run.summary.provenance {
            Some(p) => (p.determinism_key(), p.short()),
            None => (Vec::new(), "not recorded".to_string()),
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, env)) => env.runs += 1,
            None => groups.push((
                key,
                Environment {
                    description,
                    runs: 1,
                },
            )),
        }
    }
    let mut out: Vec<Environment> = groups.into_iter().map(|(_, e)| e).collect();
    out.sort_by(|a, b| b.runs.cmp(&a.runs).then(a.description.cmp(&b.description)));
    out
}
