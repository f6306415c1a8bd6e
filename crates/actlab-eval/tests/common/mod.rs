//! Synthetic run directories for the report and claims tests.

#![allow(dead_code)] // each test binary uses part of this

use std::path::Path;

use actlab_format::run;
use actlab_format::run::RunSummary;
use actlab_format::state::EpochRecord;
use actlab_format::state::{DiagnosticRow, LayerDiagnostics};

pub fn summary(activation: &str, label: &str, seed: u64, accuracy: f64) -> RunSummary {
    RunSummary {
        name: format!("{activation}-s{seed}"),
        activation: activation.into(),
        activation_label: label.into(),
        activation_config: Some(serde_json::from_value(serde_json::json!(activation)).unwrap()),
        layers: vec![784, 128, 10],
        dataset: "fashion-mnist".into(),
        backend: "flex".into(),
        device: "default".into(),
        seed,
        data_seed: None,
        epochs: 3,
        batch_size: 64,
        optimizer: "adam".into(),
        lr: 1e-3,
        params: 101_770,
        train_samples: 54_976,
        validation_samples: 5000,
        test_samples: 10_000,
        test_accuracy: accuracy,
        test_correct: (accuracy * 10_000.0).round() as usize,
        test_loss: 0.4,
        best_val_accuracy: Some(accuracy + 0.01),
        best_val_epoch: Some(3),
        final_train_loss: 0.3,
        final_train_accuracy: 0.9,
        epoch_seconds: vec![1.0, 2.0, 3.0],
        epoch_wall_seconds: vec![1.1, 2.1, 3.1],
        samples_per_second: 30_000.0,
        prelu_slopes: (activation == "prelu").then(|| vec![vec![0.2 + seed as f32 * 0.01]]),
        swish_beta: None,
        learned_params: None,
        packed_with: None,
        model_sha256: None,
        peak_rss_mb: Some(120.0),
        burn_version: "0.22.1".into(),
        actlab_version: "0.1.0".into(),
        provenance: None,
        stopped_epoch: None,
        weights_epoch: None,
    }
}

/// One epoch of `metrics.csv` with the given training loss and validation accuracy.
fn epoch(epoch: usize, train_loss: f64, val_acc: f64) -> EpochRecord {
    EpochRecord {
        epoch,
        train_loss,
        train_acc: 0.8,
        val_loss: Some(0.5),
        val_acc: Some(val_acc),
        lr: 0.001,
        seconds: 1.0,
        wall_seconds: 1.1,
    }
}

/// Writes a finished run directory through the run-directory writers: `summary.json` and a
/// three-epoch `metrics.csv`.
pub fn write_run(root: &Path, s: &RunSummary) {
    let dir = root.join(&s.name);
    std::fs::create_dir_all(&dir).unwrap();
    s.write(&dir).unwrap();
    let history: Vec<EpochRecord> = (1..=3)
        .map(|e| {
            epoch(
                e,
                1.0 / e as f64 + s.seed as f64 * 0.01,
                s.test_accuracy - 0.01 * (3 - e) as f64,
            )
        })
        .collect();
    run::metrics::write(&dir, &history).unwrap();
}

/// Rewrites a run's `metrics.csv` with the given validation accuracies (one per epoch).
pub fn write_curve(root: &Path, name: &str, val: &[f64]) {
    let history: Vec<EpochRecord> = val
        .iter()
        .enumerate()
        .map(|(i, &v)| epoch(i + 1, 0.5, v))
        .collect();
    run::metrics::write(&root.join(name), &history).unwrap();
}

/// Writes a run's `diagnostics.csv`: one hidden layer (and the output layer) at initialisation
/// and at the last epoch (3), with `dead` and saturated units at epoch 3, and `inactive` ones
/// (`None`: a file from before that column).
pub fn write_dead(root: &Path, name: &str, dead: f64, inactive: Option<f64>) {
    let row =
        |epoch: usize, layer: usize, fraction: Option<f64>, inactive: Option<f64>| DiagnosticRow {
            epoch,
            layer: LayerDiagnostics {
                layer,
                grad_norm: 0.1 * layer as f64,
                dead_fraction: fraction,
                saturated_fraction: fraction,
                learned_mean: None,
                inactive_fraction: inactive,
            },
        };
    let rows = [
        row(0, 1, Some(0.0), inactive.map(|_| 0.0)),
        row(0, 2, None, None),
        row(3, 1, Some(dead), inactive),
        row(3, 2, None, None),
    ];
    run::diagnostics::write(&root.join(name), &rows).unwrap();
}
