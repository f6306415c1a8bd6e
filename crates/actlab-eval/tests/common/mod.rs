//! Synthetic run directories for the report and claims tests.

#![allow(dead_code)] // each test binary uses part of this

use std::path::Path;

use actlab_train::RunSummary;

pub fn summary(activation: &str, label: &str, seed: u64, accuracy: f64) -> RunSummary {
    RunSummary {
        name: format!("{activation}-s{seed}"),
        activation: activation.into(),
        activation_label: label.into(),
        layers: vec![784, 128, 10],
        dataset: "fashion-mnist".into(),
        backend: "flex".into(),
        device: "default".into(),
        seed,
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
        peak_rss_mb: Some(120.0),
        burn_version: "0.22.1".into(),
        actlab_version: "0.1.0".into(),
    }
}

pub fn write_run(root: &Path, s: &RunSummary) {
    let dir = root.join(&s.name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("summary.json"), serde_json::to_string(s).unwrap()).unwrap();
    let mut csv =
        String::from("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,wall_seconds\n");
    for e in 1..=3 {
        csv.push_str(&format!(
            "{e},{},0.8,0.5,{},0.001,1.0,1.1\n",
            1.0 / e as f64 + s.seed as f64 * 0.01,
            s.test_accuracy - 0.01 * (3 - e) as f64
        ));
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
}

/// Rewrites a run's `metrics.csv` with the given validation accuracies (one per epoch).
pub fn write_curve(root: &Path, name: &str, val: &[f64]) {
    let mut csv =
        String::from("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,wall_seconds\n");
    for (i, v) in val.iter().enumerate() {
        csv.push_str(&format!("{},0.5,0.8,0.5,{v},0.001,1.0,1.1\n", i + 1));
    }
    std::fs::write(root.join(name).join("metrics.csv"), csv).unwrap();
}

/// Writes a run's `diagnostics.csv`: one hidden layer with `dead` at the last epoch (3).
pub fn write_dead(root: &Path, name: &str, dead: f64) {
    let csv = format!(
        "epoch,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean\n\
         0,1,0.1,0,0,\n0,2,0.2,,,\n3,1,0.1,{dead},{dead},\n3,2,0.2,,,\n"
    );
    std::fs::write(root.join(name).join("diagnostics.csv"), csv).unwrap();
}
