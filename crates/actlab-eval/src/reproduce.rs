//! `actlab reproduce`, the data side: which runs to re-train (all, or a deterministic sample)
//! and how a re-trained run compares with the original — bit for bit, epoch by epoch — and
//! whether the two environments were ones where bit-identical results are expected
//! (`Provenance::determinism_key`). Training the copies is the CLI's job.

use actlab_format::provenance::Provenance;
use actlab_format::run::RunSummary;
use actlab_format::state::EpochRecord;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::report::RunRecord;

/// The first number that differs between an original run and its reproduction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The epoch (1-based) of a `metrics.csv` value; `None` for a final (test) number.
    pub epoch: Option<usize>,
    /// The metric (`val_loss`, `test_accuracy`, …).
    pub metric: String,
    /// The original's value (`None`: absent).
    pub original: Option<f64>,
    /// The reproduction's value.
    pub reproduced: Option<f64>,
}

/// One environment field that differs: `(field, original, here)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentDifference {
    /// The field of the determinism key (`cpu features`, `threads`, …).
    pub field: String,
    /// The original run's value.
    pub original: String,
    /// This machine's.
    pub here: String,
}

/// How a reproduction compares with its original.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reproduction {
    /// The original run directory.
    pub run: String,
    /// Every recorded number equal to the last bit (metrics, test numbers, final weights).
    pub identical: bool,
    /// The original's test accuracy.
    pub original_test_accuracy: f64,
    /// The reproduction's.
    pub reproduced_test_accuracy: f64,
    /// Reproduced − original.
    pub delta_test_accuracy: f64,
    /// The first differing number, epochs in order, then the test numbers.
    pub first_difference: Option<Difference>,
    /// Whether `model.bpk` is byte-identical (SHA-256), when both recorded one.
    pub weights_identical: Option<bool>,
    /// Whether the original recorded its environment.
    pub original_environment_known: bool,
    /// Where the environments differ (empty when they match).
    pub environment_differences: Vec<EnvironmentDifference>,
}

impl Reproduction {
    /// A difference where none is expected: the environments match, yet a number differs.
    pub fn unexpected(&self) -> bool {
        !self.identical
            && self.original_environment_known
            && self.environment_differences.is_empty()
    }

    /// `identical`, `differs`, or `differs (environment differs: …)`.
    pub fn verdict(&self) -> String {
        if self.identical {
            "identical".into()
        } else if !self.original_environment_known {
            "differs (the original recorded no environment: cannot tell whether it should)".into()
        } else if self.environment_differences.is_empty() {
            "DIFFERS on a matching environment".into()
        } else {
            let fields: Vec<&str> = self
                .environment_differences
                .iter()
                .map(|d| d.field.as_str())
                .collect();
            format!("differs (environment differs: {})", fields.join(", "))
        }
    }
}

/// `k` runs picked deterministically (the `k` smallest SHA-256s of their directory names: the
/// same sample on every machine, spread over the grid), in directory order; all of them when
/// `k` is `None` or at least their number.
pub fn sample(mut runs: Vec<RunRecord>, k: Option<usize>) -> Vec<RunRecord> {
    let Some(k) = k.filter(|&k| k < runs.len()) else {
        return runs;
    };
    let key = |r: &RunRecord| {
        let name = r.dir.file_name().map(|n| n.to_string_lossy().into_owned());
        Sha256::digest(name.unwrap_or_default().as_bytes())
    };
    runs.sort_by_key(|r| key(r));
    runs.truncate(k);
    runs.sort_by(|a, b| a.dir.cmp(&b.dir));
    runs
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

/// The learning-related numbers of an epoch (its timings are left out: they never repeat).
fn epoch_values(r: &EpochRecord) -> [(&'static str, Option<f64>); 5] {
    [
        ("train_loss", Some(r.train_loss)),
        ("train_acc", Some(r.train_acc)),
        ("val_loss", r.val_loss),
        ("val_acc", r.val_acc),
        ("lr", Some(r.lr)),
    ]
}

fn final_values(s: &RunSummary) -> [(&'static str, Option<f64>); 4] {
    [
        ("test_accuracy", Some(s.test_accuracy)),
        ("test_loss", Some(s.test_loss)),
        ("test_correct", Some(s.test_correct as f64)),
        ("best_val_accuracy", s.best_val_accuracy),
    ]
}

fn first_difference(original: &RunRecord, again: &RunRecord) -> Option<Difference> {
    let epochs = original.history.len().max(again.history.len());
    for i in 0..epochs {
        let (a, b) = (original.history.get(i), again.history.get(i));
        let values = |r: Option<&EpochRecord>| r.map(epoch_values);
        match (values(a), values(b)) {
            (Some(a), Some(b)) => {
                if let Some(((metric, x), (_, y))) = a
                    .iter()
                    .zip(b.iter())
                    .find(|((_, x), (_, y))| !same(*x, *y))
                {
                    return Some(Difference {
                        epoch: Some(i + 1),
                        metric: (*metric).into(),
                        original: *x,
                        reproduced: *y,
                    });
                }
            }
            _ => {
                return Some(Difference {
                    epoch: Some(i + 1),
                    metric: "epoch (present in one run only)".into(),
                    original: a.map(|r| r.epoch as f64),
                    reproduced: b.map(|r| r.epoch as f64),
                });
            }
        }
    }
    final_values(&original.summary)
        .into_iter()
        .zip(final_values(&again.summary))
        .find(|((_, x), (_, y))| !same(*x, *y))
        .map(|((metric, x), (_, y))| Difference {
            epoch: None,
            metric: metric.into(),
            original: x,
            reproduced: y,
        })
}

/// Compares a re-trained run with its original; `here` is the reproduction's environment.
pub fn compare(original: &RunRecord, again: &RunRecord) -> Reproduction {
    let first = first_difference(original, again);
    let weights_identical = match (&original.summary.model_sha256, &again.summary.model_sha256) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    };
    let environment_differences = match (&original.summary.provenance, &again.summary.provenance) {
        (Some(a), Some(b)) => environment_differences(a, b),
        _ => Vec::new(),
    };
    Reproduction {
        run: original.dir.display().to_string(),
        identical: first.is_none() && weights_identical != Some(false),
        original_test_accuracy: original.summary.test_accuracy,
        reproduced_test_accuracy: again.summary.test_accuracy,
        delta_test_accuracy: again.summary.test_accuracy - original.summary.test_accuracy,
        first_difference: first.or_else(|| {
            (weights_identical == Some(false)).then(|| Difference {
                epoch: None,
                metric: "model.bpk (SHA-256)".into(),
                original: None,
                reproduced: None,
            })
        }),
        weights_identical,
        original_environment_known: original.summary.provenance.is_some(),
        environment_differences,
    }
}

/// Where two environments differ, field by field of the determinism key.
pub fn environment_differences(
    original: &Provenance,
    here: &Provenance,
) -> Vec<EnvironmentDifference> {
    original
        .differences(here)
        .into_iter()
        .map(|(field, original, here)| EnvironmentDifference {
            field: field.into(),
            original,
            here,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actlab_format::state::EpochRecord;

    fn record(dir: &str, val_loss: f64, accuracy: f64) -> RunRecord {
        let epoch = |e: usize, v: f64| EpochRecord {
            epoch: e,
            train_loss: 1.0 / e as f64,
            train_acc: 0.5,
            val_loss: Some(v),
            val_acc: Some(0.6),
            lr: 1e-3,
            seconds: e as f64, // timings never count
            wall_seconds: 2.0 * e as f64,
        };
        RunRecord {
            dir: dir.into(),
            summary: serde_json::from_value(serde_json::json!({
                "name": dir, "activation": "relu", "activation_label": "relu", "layers": [784, 10],
                "dataset": "fashion-mnist", "backend": "flex", "device": "default", "seed": 1,
                "epochs": 2, "batch_size": 32, "optimizer": "adam", "params": 7850,
                "train_samples": 100, "validation_samples": 10, "test_samples": 10,
                "test_accuracy": accuracy, "test_loss": 0.5, "best_val_accuracy": 0.6,
                "best_val_epoch": 1, "final_train_loss": 0.5, "final_train_accuracy": 0.5,
                "epoch_seconds": [1.0, 2.0], "epoch_wall_seconds": [1.0, 2.0],
                "samples_per_second": 1.0, "peak_rss_mb": null, "burn_version": "0.22.1",
                "actlab_version": "0.1.0"
            }))
            .unwrap(),
            history: vec![epoch(1, 0.9), epoch(2, val_loss)],
            images: None,
            images_note: None,
        }
    }

    #[test]
    fn the_first_difference_is_found_epoch_by_epoch() {
        let a = record("a", 0.8, 0.7);
        let same = compare(&a, &record("a2", 0.8, 0.7));
        assert!(same.identical, "timings differ, numbers do not");
        assert_eq!(same.verdict(), "identical");
        let other = compare(&a, &record("b", 0.8 + 1e-16, 0.75));
        assert!(!other.identical);
        let d = other.first_difference.clone().unwrap();
        assert_eq!((d.epoch, d.metric.as_str()), (Some(2), "val_loss"));
        assert!((other.delta_test_accuracy - 0.05).abs() < 1e-12);
        // No provenance in the original: a difference cannot be called unexpected.
        assert!(!other.unexpected());
        assert!(other.verdict().contains("recorded no environment"));
    }

    #[test]
    fn a_sample_is_deterministic_and_a_subset() {
        let runs: Vec<RunRecord> = (0..10)
            .map(|i| record(&format!("run-{i}"), 0.8, 0.7))
            .collect();
        let pick = |k| {
            sample(runs.clone(), k)
                .iter()
                .map(|r| r.dir.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(pick(Some(3)), pick(Some(3)));
        assert_eq!(pick(Some(3)).len(), 3);
        assert_eq!(pick(None).len(), 10);
        assert_eq!(pick(Some(99)).len(), 10);
        let three = pick(Some(3));
        let mut sorted = three.clone();
        sorted.sort();
        assert_eq!(three, sorted, "in directory order");
    }
}
