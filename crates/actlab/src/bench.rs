//! `actlab bench`: the product's own training loop, timed per backend and batch size.
//!
//! Each measurement is a separate `actlab train` process (so peak RSS is per configuration) on
//! a preset (`prelu-mlp` unless `--preset`, e.g. `lenet5` or `resnet20`) and Fashion-MNIST; the
//! numbers come from the run's `summary.json`, the GFLOP/s from the model's multiply-accumulates.

use std::path::{Path, PathBuf};
use std::process::Command;

use actlab_format::config::{BackendName, ExperimentConfig};
use actlab_format::preset::Preset;
use actlab_format::run::RunSummary;
use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Backends to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "flex,ndarray,wgpu")]
    backends: Vec<BackendName>,
    /// Batch sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "64,256")]
    batch: Vec<usize>,
    /// The model: a preset (prelu-mlp, swish-mlp, lenet5, vgg8, resnet20).
    #[arg(long, default_value = "prelu-mlp", value_parser = parse_preset)]
    preset: Preset,
    /// Epochs per measurement; the table reports the fastest (later epochs are warm).
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Training images per epoch on GPU backends (wgpu on a CPU is slow; a short run there,
    /// extrapolated to the full 55,000-image epoch). 0 = all.
    #[arg(long, default_value_t = 6400)]
    gpu_limit: usize,
    /// Keep the run directories here instead of a temporary directory (--report: in
    /// KEEP/<RUNS>x<EPOCHS>/, which must not exist).
    #[arg(long)]
    keep: Option<PathBuf>,
    /// Print JSON on stdout instead of a Markdown table.
    #[arg(long)]
    json: bool,
    /// Time packed training instead: per-model step time of packs of `--members` models, the
    /// product's single-run step and a bare loop, in one process per backend.
    #[arg(long)]
    pack: bool,
    /// With --pack: pack sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,13,65")]
    members: Vec<usize>,
    /// With --pack: timed steps per measurement (after 10 warm-up steps).
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Time `actlab report` instead: seconds and peak memory over synthetic finished runs of
    /// each `--shapes`, one child process per shape.
    #[arg(long)]
    report: bool,
    /// With --report: RUNSxEPOCHS shapes, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = crate::bench_report::parse_shape,
        default_value = "100x100,1000x100,3x10000,3x100000"
    )]
    shapes: Vec<crate::bench_report::Shape>,
    /// The measured child of --report: one report over DIR.
    #[arg(long, hide = true, value_name = "DIR")]
    report_child: Option<PathBuf>,
}

fn parse_preset(name: &str) -> Result<Preset, String> {
    Preset::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
            format!("no preset {name:?}: one of {}", names.join(", "))
        })
}

/// One measured configuration.
#[derive(Debug, Serialize)]
struct Row {
    model: String,
    backend: String,
    batch_size: usize,
    /// Training images per measured epoch.
    samples: usize,
    /// Fastest epoch: training steps only.
    train_seconds: f64,
    /// Fastest whole epoch: training, validation, checkpoint, metrics.
    epoch_seconds: f64,
    /// `epoch_seconds` scaled to the full training part (equal to it on full runs).
    full_epoch_seconds: f64,
    samples_per_second: f64,
    gflops: f64,
    peak_rss_mb: Option<f64>,
    test_accuracy: f64,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.report_child {
        return crate::bench_report::child(dir);
    }
    if args.report {
        return crate::bench_report::run(&args.shapes, args.keep.as_deref(), args.json);
    }
    if args.pack {
        return crate::bench_pack::run(&args.backends, &args.members, args.steps, 10, args.json);
    }
    let exe = std::env::current_exe().context("finding the actlab binary")?;
    let temp = tempfile::tempdir().context("creating a temporary directory")?;
    let root = args
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let mut rows = Vec::new();
    for &name in &args.backends {
        let backend = name.as_str();
        for &batch in &args.batch {
            eprintln!("measuring {backend} at batch {batch} …");
            match measure(&exe, &root, name, backend, batch, &args) {
                Ok(row) => rows.push(row),
                Err(error) => eprintln!("  skipped: {error:#}"),
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print_table(&rows);
    }
    Ok(())
}

fn measure(
    exe: &Path,
    root: &Path,
    name: BackendName,
    backend: &str,
    batch: usize,
    args: &BenchArgs,
) -> anyhow::Result<Row> {
    let gpu = actlab_train::backend::is_gpu(name);
    let limit = (gpu && args.gpu_limit > 0).then_some(args.gpu_limit);
    let dir = root.join(format!("{backend}-{batch}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    let limit_line = limit.map_or(String::new(), |l| format!("train_limit = {l}\n"));
    let text = format!(
        "name = \"bench-{backend}-{batch}\"\n[model]\npreset = \"{}\"\n[data]\n\
         dataset = \"fashion-mnist\"\n{limit_line}[train]\nepochs = {}\nbatch_size = {batch}\n\
         progress = \"plain\"\n[backend]\nname = \"{backend}\"\n[output]\ndir = \"{}\"\n",
        args.preset.name(),
        args.epochs,
        dir.display()
    );
    let config_path = root.join(format!("{backend}-{batch}.toml"));
    let config = ExperimentConfig::parse(&text, &config_path)?;
    config.write_atomic(&config_path)?;
    let output = Command::new(exe)
        .arg("train")
        .arg(&config_path)
        .arg("--quiet")
        .output()
        .context("starting actlab train")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("(no output)");
        bail!("actlab train failed: {last}");
    }
    let summary = RunSummary::load(&dir)?;
    let macs = config
        .validate(&config_path)?
        .network()
        .forward_macs()
        .context("counting the model's multiply-accumulates")?;
    row(&summary, args.preset, macs, backend, batch)
}

fn row(
    s: &RunSummary,
    preset: Preset,
    macs: usize,
    backend: &str,
    batch: usize,
) -> anyhow::Result<Row> {
    let fastest = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let train_seconds = fastest(&s.epoch_seconds);
    let epoch_seconds = fastest(&s.epoch_wall_seconds);
    if !train_seconds.is_finite() {
        bail!("the run recorded no epochs");
    }
    // The full training part of the default split: 55,000 images in whole batches.
    let full = (55_000 / batch * batch) as f64;
    let samples = s.train_samples as f64;
    Ok(Row {
        model: preset.name().to_string(),
        backend: backend.to_string(),
        batch_size: batch,
        samples: s.train_samples,
        train_seconds,
        epoch_seconds,
        full_epoch_seconds: epoch_seconds * full / samples.max(1.0),
        samples_per_second: samples / train_seconds,
        // Forward ≈ 2 FLOP per multiply-accumulate, backward ≈ 4.
        gflops: 6.0 * macs as f64 * samples / train_seconds / 1e9,
        peak_rss_mb: s.peak_rss_mb,
        test_accuracy: s.test_accuracy,
    })
}

fn print_table(rows: &[Row]) {
    println!(
        "| model | backend | batch | images/epoch | train s | epoch s | full epoch s | images/s | GFLOP/s | peak RSS MB | test acc |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.0} | {:.1} | {} | {:.2}% |",
            r.model,
            r.backend,
            r.batch_size,
            r.samples,
            r.train_seconds,
            r.epoch_seconds,
            r.full_epoch_seconds,
            r.samples_per_second,
            r.gflops,
            r.peak_rss_mb.map_or("–".into(), |m| format!("{m:.0}")),
            100.0 * r.test_accuracy
        );
    }
}
