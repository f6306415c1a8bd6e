//! The search's report (`search.json`, `search.md`, `search.html`): the funnel from the
//! generated candidates to the confirmed ones, the proxy's scores at each rung (validation
//! accuracy, with the baselines trained on the same proxy as references), the confirmation's
//! verdicts (read from the confirmation's own `results.json`, where `compare` wrote them), and
//! how well the proxy's ranking predicted the confirmed one (Spearman's ρ).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ScreenReport;
use super::rank::{Spearman, spearman};
use crate::error::EvalError;

/// One candidate (or reference) on the proxy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProxyRow {
    /// `cand-<n>`, or the reference's slug (`relu`).
    pub name: String,
    /// The formula (or the activation's label).
    pub formula: String,
    /// Mean validation accuracy at each rung it reached.
    pub scores: Vec<Option<f64>>,
    /// The best fit `a·x·σ(βx) + b` to its shape at initialisation (formulas only).
    pub swish: Option<actlab_format::search::shape::SwishFit>,
    /// It went on to confirmation.
    pub finalist: bool,
    /// A run of it failed for good.
    pub failed: bool,
}

impl ProxyRow {
    /// Its score at the last rung it reached.
    pub fn last(&self) -> Option<f64> {
        self.scores.iter().rev().find_map(|s| *s)
    }
}

/// One rung of the halving.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rung {
    /// Epochs trained.
    pub epoch: usize,
    /// Candidates ranked at it.
    pub ranked: usize,
    /// Candidates set aside at it (a run failed for good).
    pub failed: usize,
}

/// A `[mean, low, high]` interval as results.json writes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// The estimate.
    pub mean: f64,
    /// Lower end (null when it could not be computed).
    pub low: Option<f64>,
    /// Upper end.
    pub high: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct ResultsFile {
    baseline: String,
    margin: Option<f64>,
    results: Vec<ResultRow>,
}

#[derive(Debug, Deserialize)]
struct ResultRow {
    name: String,
    n: usize,
    accuracy: Span,
    tuned_lr: Option<f64>,
    vs_baseline: Option<VsBaseline>,
}

#[derive(Debug, Deserialize)]
struct VsBaseline {
    difference: Span,
    simultaneous: Option<Span>,
    verdict: String,
}

/// One activation of the confirmation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfirmedRow {
    /// The group in the confirmation (`cand-316`, `relu`).
    pub name: String,
    /// A finalist's formula; `None` for a baseline.
    pub formula: Option<String>,
    /// Its proxy score at the last rung (validation accuracy).
    pub proxy: Option<f64>,
    /// Test accuracy over the confirmation's seeds, with its 95% interval.
    pub test: Span,
    /// Seeds.
    pub n: usize,
    /// The rate the tuning stage chose.
    pub lr: Option<f64>,
    /// Test accuracy − the baseline's, with its interval adjusted to the family (absent for the
    /// baseline itself).
    pub difference: Option<Span>,
    /// `better`, `worse`, `equivalent`, `undecided` (absent for the baseline).
    pub verdict: Option<String>,
}

/// The confirmation, as the search reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confirmation {
    /// The verdicts' baseline.
    pub baseline: String,
    /// The margin of equivalence (accuracy, not points), if one was set.
    pub margin: Option<f64>,
    /// Best mean first.
    pub rows: Vec<ConfirmedRow>,
}

impl Confirmation {
    /// The finalists with `verdict`.
    pub fn finalists_judged(&self, verdict: &str) -> Vec<&ConfirmedRow> {
        self.rows
            .iter()
            .filter(|r| r.formula.is_some() && r.verdict.as_deref() == Some(verdict))
            .collect()
    }
}

/// Reads a confirmation's `results.json` (written by `compare` into `confirm/report/`).
/// `finalists` are the proxy rows of the finalists, `references` the baselines' proxy rows.
pub fn read_confirmation(
    file: &Path,
    finalists: &[ProxyRow],
    references: &[ProxyRow],
) -> Result<Confirmation, EvalError> {
    let text = std::fs::read_to_string(file).map_err(|error| EvalError::Io {
        path: file.to_path_buf(),
        error,
    })?;
    let results: ResultsFile = serde_json::from_str(&text).map_err(|e| EvalError::Search {
        message: format!("{}: not a comparison's results.json: {e}", file.display()),
    })?;
    let rows = results
        .results
        .into_iter()
        .map(|r| {
            let finalist = finalists.iter().find(|f| f.name == r.name);
            let proxy = finalist
                .or_else(|| references.iter().find(|f| f.name == r.name))
                .and_then(ProxyRow::last);
            ConfirmedRow {
                formula: finalist.map(|f| f.formula.clone()),
                proxy,
                test: r.accuracy,
                n: r.n,
                lr: r.tuned_lr,
                difference: r
                    .vs_baseline
                    .as_ref()
                    .map(|v| v.simultaneous.unwrap_or(v.difference)),
                verdict: r.vs_baseline.map(|v| v.verdict),
                name: r.name,
            }
        })
        .collect();
    Ok(Confirmation {
        baseline: results.baseline,
        margin: results.margin,
        rows,
    })
}

/// The whole search (`search.json`).
#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    /// The search's name.
    pub name: String,
    /// The screen's funnel (`screen.json`).
    pub screen: ScreenReport,
    /// The halving's rungs.
    pub rungs: Vec<Rung>,
    /// The best candidates on the proxy (finalists first), their scores at every rung.
    pub proxy: Vec<ProxyRow>,
    /// The baselines on the same proxy.
    pub references: Vec<ProxyRow>,
    /// Finalists.
    pub finalists: usize,
    /// The confirmation, once it has run.
    pub confirmation: Option<Confirmation>,
    /// The proxy's score against the confirmed test accuracy, over the finalists and the
    /// baselines: how well the proxy's ranking predicted the confirmed one.
    pub spearman: Option<Spearman>,
}

impl SearchReport {
    /// Assembles the report; ρ is computed over the confirmed rows with a proxy score.
    pub fn new(
        name: String,
        screen: ScreenReport,
        rungs: Vec<Rung>,
        proxy: Vec<ProxyRow>,
        references: Vec<ProxyRow>,
        confirmation: Option<Confirmation>,
    ) -> Self {
        let spearman = confirmation.as_ref().and_then(|c| {
            let (x, y): (Vec<f64>, Vec<f64>) = c
                .rows
                .iter()
                .filter_map(|r| r.proxy.map(|p| (p, r.test.mean)))
                .unzip();
            spearman(&x, &y)
        });
        let finalists = proxy.iter().filter(|r| r.finalist).count();
        SearchReport {
            name,
            screen,
            rungs,
            proxy,
            references,
            finalists,
            confirmation,
            spearman,
        }
    }
}

/// The rungs' counts from the proxy stage's standings: a candidate last ranked at rung r was
/// ranked at every rung up to r; one that failed is counted at the rung it failed at.
pub fn rung_counts(
    rungs: &[usize],
    standings: &[actlab_format::search::proxy::Standing],
) -> Vec<Rung> {
    rungs
        .iter()
        .map(|&epoch| Rung {
            epoch,
            ranked: standings
                .iter()
                .filter(|s| !s.failed && s.epoch >= epoch)
                .count(),
            failed: standings
                .iter()
                .filter(|s| s.failed && s.epoch == epoch)
                .count(),
        })
        .collect()
}
