//! `actlab bench --report`: how `actlab report`'s time and peak memory grow with the number of
//! runs and with the epochs each run recorded. Each shape gets synthetic finished runs (a
//! `summary.json` and a `metrics.csv` written by the run-directory writers), then one
//! `actlab report` in a child process of its own, so the peak memory is that report's alone.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use actlab_format::run::{RunSummary, metrics};
use actlab_format::state::EpochRecord;
use anyhow::{Context, bail};
use serde::Serialize;

/// One shape: this many runs of this many epochs each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub runs: usize,
    pub epochs: usize,
}

/// `RUNSxEPOCHS`, e.g. `1000x100`.
pub fn parse_shape(text: &str) -> Result<Shape, String> {
    let bad = || format!("{text:?} is not RUNSxEPOCHS (e.g. 1000x100)");
    let (runs, epochs) = text.split_once('x').ok_or_else(bad)?;
    let runs: usize = runs.trim().parse().map_err(|_| bad())?;
    let epochs: usize = epochs.trim().parse().map_err(|_| bad())?;
    if !(1..=100_000).contains(&runs) || !(1..=1_000_000).contains(&epochs) {
        return Err(format!(
            "{text:?}: 1 to 100000 runs and 1 to 1000000 epochs"
        ));
    }
    if runs.saturating_mul(epochs) > 20_000_000 {
        return Err(format!("{text:?}: at most 20,000,000 metrics rows in all"));
    }
    Ok(Shape { runs, epochs })
}

/// The activations the synthetic runs cycle through (the first is the baseline).
const ACTIVATIONS: [&str; 10] = [
    "relu", "gelu", "silu", "elu", "tanh", "sigmoid", "softplus", "mish", "selu", "prelu",
];

/// One measured shape.
#[derive(Debug, Serialize)]
struct Row {
    runs: usize,
    epochs: usize,
    metrics_rows: usize,
    seconds: f64,
    peak_rss_mb: f64,
}

/// Measures every shape and prints a table (or JSON).
/// With `keep`, each shape's runs stay in `keep/<RUNS>x<EPOCHS>/`.
pub fn run(shapes: &[Shape], keep: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the actlab binary")?;
    let mut rows = Vec::new();
    for &shape in shapes {
        let temp = tempfile::tempdir().context("creating a temporary directory")?;
        let root = match keep {
            Some(keep) => keep.join(format!("{}x{}", shape.runs, shape.epochs)),
            None => temp.path().to_path_buf(),
        };
        if keep.is_some() {
            // Only a new directory: nothing of the user's is overwritten.
            std::fs::create_dir_all(root.parent().unwrap_or(&root))
                .and_then(|()| std::fs::create_dir(&root))
                .with_context(|| format!("creating {} (it must not exist)", root.display()))?;
        }
        eprintln!("writing {} runs × {} epochs …", shape.runs, shape.epochs);
        write_runs(&root, shape)?;
        eprintln!("measuring actlab report …");
        let (seconds, peak_rss_mb) = measure(&exe, &root)?;
        rows.push(Row {
            runs: shape.runs,
            epochs: shape.epochs,
            metrics_rows: shape.runs * shape.epochs,
            seconds,
            peak_rss_mb,
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!("| runs | epochs | metrics rows | report s | peak RSS MB | µs per row |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.2} |",
            r.runs,
            r.epochs,
            r.metrics_rows,
            r.seconds,
            r.peak_rss_mb,
            1e6 * r.seconds / r.metrics_rows as f64
        );
    }
    Ok(())
}

/// Writes `shape.runs` finished runs into `root`: activations in turn, seeds counting up.
fn write_runs(root: &Path, shape: Shape) -> anyhow::Result<()> {
    for i in 0..shape.runs {
        let activation = ACTIVATIONS[i % ACTIVATIONS.len()];
        let seed = (i / ACTIVATIONS.len() + 1) as u64;
        let summary = synthetic_summary(activation, seed, i, shape.epochs)?;
        let dir = root.join(&summary.name);
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        summary.write(&dir)?;
        let history: Vec<EpochRecord> = (1..=shape.epochs)
            .map(|e| {
                let progress = e as f64 / shape.epochs as f64;
                EpochRecord {
                    epoch: e,
                    train_loss: 1.0 / (1.0 + e as f64) + 0.001 * seed as f64,
                    train_acc: 0.6 + 0.3 * progress,
                    val_loss: Some(0.8 - 0.3 * progress),
                    val_acc: Some(0.6 + 0.25 * progress + 0.0005 * (i % 7) as f64),
                    lr: 1e-3,
                    seconds: 0.5,
                    wall_seconds: 0.6,
                }
            })
            .collect();
        metrics::write(&dir, &history)?;
    }
    Ok(())
}

fn synthetic_summary(
    activation: &str,
    seed: u64,
    index: usize,
    epochs: usize,
) -> anyhow::Result<RunSummary> {
    // Accuracies that differ by activation and by seed, deterministically.
    let accuracy = 0.85 + 0.002 * (index % ACTIVATIONS.len()) as f64 + 0.001 * (seed % 5) as f64;
    Ok(RunSummary {
        name: format!("{activation}-s{seed}"),
        activation: activation.into(),
        activation_label: activation.into(),
        activation_config: Some(serde_json::from_value(serde_json::json!(activation))?),
        layers: vec![784, 128, 10],
        dataset: "fashion-mnist".into(),
        backend: "flex".into(),
        device: "default".into(),
        seed,
        data_seed: None,
        epochs,
        batch_size: 64,
        optimizer: "adam".into(),
        lr: 1e-3,
        params: 101_770,
        train_samples: 55_000,
        validation_samples: 5000,
        test_samples: 10_000,
        test_accuracy: accuracy,
        test_correct: (accuracy * 10_000.0).round() as usize,
        test_loss: 0.4,
        best_val_accuracy: Some(0.85),
        best_val_epoch: Some(epochs),
        final_train_loss: 0.3,
        final_train_accuracy: 0.9,
        epoch_seconds: vec![0.5; epochs],
        epoch_wall_seconds: vec![0.6; epochs],
        samples_per_second: 100_000.0,
        prelu_slopes: None,
        swish_beta: None,
        learned_params: None,
        packed_with: None,
        model_sha256: None,
        peak_rss_mb: None,
        burn_version: actlab_train::run::BURN_VERSION.into(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        provenance: None,
        stopped_epoch: None,
        weights_epoch: Some(epochs),
    })
}

/// Runs `actlab bench --report-child root` and reads back its seconds and peak RSS.
fn measure(exe: &Path, root: &Path) -> anyhow::Result<(f64, f64)> {
    let output = Command::new(exe)
        .arg("bench")
        .arg("--report-child")
        .arg(root)
        .stdout(Stdio::null())
        .output()
        .context("starting actlab bench --report-child")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or("(no output)");
    if !output.status.success() {
        bail!("actlab report failed: {last}");
    }
    let numbers: Vec<f64> = last
        .strip_prefix("measured: ")
        .map(|rest| rest.split(' ').filter_map(|w| w.parse().ok()).collect())
        .unwrap_or_default();
    match numbers[..] {
        [seconds, peak] => Ok((seconds, peak)),
        _ => bail!("unexpected measurement line {last:?}"),
    }
}

/// The child: one `actlab report` over `root` (into `root/report`), then a last stderr line
/// `measured: SECONDS PEAK_RSS_MB`.
pub fn child(root: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    crate::sweep::write_report(
        &[root.to_path_buf()],
        &root.join("report"),
        "relu",
        &crate::sweep::report_options(&crate::sweep::Recorded::margin(Some(0.3))),
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let peak = actlab_train::run::peak_rss_mb().context("reading VmHWM from /proc/self/status")?;
    eprintln!("measured: {seconds} {peak}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_shape("1000x100"),
            Ok(Shape {
                runs: 1000,
                epochs: 100
            })
        );
        for bad in [
            "1000",
            "x100",
            "10x",
            "0x5",
            "5x0",
            "-1x3",
            "1000000x1000000",
        ] {
            assert!(parse_shape(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn synthetic_runs_are_runs_the_report_reads() {
        let temp = tempfile::tempdir().unwrap();
        write_runs(
            temp.path(),
            Shape {
                runs: 12,
                epochs: 4,
            },
        )
        .unwrap();
        let (runs, skipped) =
            actlab_eval::report::collect_runs(&[temp.path().to_path_buf()]).unwrap();
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(runs.len(), 12);
        assert!(runs.iter().all(|r| r.history.len() == 4));
        let report = actlab_eval::report::build_report(&runs, "relu");
        assert_eq!(report.results.len(), ACTIVATIONS.len());
    }
}
