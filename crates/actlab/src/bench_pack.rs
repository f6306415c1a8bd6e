//! `actlab bench --pack`: per-model step time of packs of K members next to the product's
//! single-run step and a bare loop, per backend, in one process on Fashion-MNIST's training
//! images (ratios measured side by side are what to read; absolute times drift).

use actlab_format::config::{BackendName, BackendSection, ExperimentConfig};
use actlab_train::pack::bench::{BATCH, Subject, time_steps};
use anyhow::Context;
use serde::Serialize;

use crate::flags::DataFlags;

/// One timing.
#[derive(Debug, Serialize)]
struct Row {
    backend: String,
    /// `pack`, `actlab train`, `actlab train (host batches)` or `bare loop`.
    what: String,
    members: usize,
    step_ms: f64,
    per_model_ms: f64,
}

/// Runs the timings and prints them.
pub fn run(
    backends: &[BackendName],
    members: &[usize],
    steps: usize,
    warmup: usize,
    json: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(steps >= 1, "--steps must be at least 1");
    anyhow::ensure!(
        members.iter().all(|&k| (1..=1000).contains(&k)),
        "--members must be between 1 and 1000"
    );
    let config =
        ExperimentConfig::parse("[model]\npreset = \"prelu-mlp\"\n", "bench.toml".as_ref())?;
    let data = DataFlags { offline: false }.load(&config)?;
    let mut rows = Vec::new();
    for &name in backends {
        let section = BackendSection {
            name,
            ..BackendSection::default()
        };
        let gpu = actlab_train::backend::is_gpu(name);
        let mut subjects = vec![
            (Subject::Bare, "bare loop"),
            (Subject::Product, "actlab train"),
        ];
        if gpu {
            subjects.push((Subject::ProductHostBatches, "actlab train (host batches)"));
        }
        subjects.extend(members.iter().map(|&k| (Subject::Pack(k), "pack")));
        subjects.extend(
            members
                .iter()
                .filter(|&&k| k > 1)
                .map(|&k| (Subject::PackOneActivation(k), "pack, one activation")),
        );
        for (subject, what) in subjects {
            let k = match subject {
                Subject::Pack(k) | Subject::PackOneActivation(k) => k,
                _ => 1,
            };
            eprintln!("measuring {} {what} (K = {k}) …", name.as_str());
            let seconds = time_steps(&section, &data.train, subject, warmup, steps)
                .with_context(|| format!("{} {what}", name.as_str()))?;
            rows.push(Row {
                backend: name.as_str().to_string(),
                what: what.to_string(),
                members: k,
                step_ms: 1e3 * seconds,
                per_model_ms: 1e3 * seconds / k as f64,
            });
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "Per step of a batch of {BATCH} (prelu-mlp 784→128→10, Adam); {steps} timed steps after {warmup}."
    );
    println!();
    println!("| backend | what | K | ms/step | ms per model-step | vs pack K=1 | vs bare loop |");
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        let same = |what: &str, k: Option<usize>| {
            rows.iter()
                .find(|o| {
                    o.backend == r.backend && o.what == what && k.is_none_or(|k| o.members == k)
                })
                .map(|o| o.per_model_ms)
        };
        let ratio = |base: Option<f64>| {
            base.map_or("–".to_string(), |b| format!("{:.2}×", r.per_model_ms / b))
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {} | {} |",
            r.backend,
            r.what,
            r.members,
            r.step_ms,
            r.per_model_ms,
            ratio(same("pack", Some(1))),
            ratio(same("bare loop", None)),
        );
    }
    Ok(())
}
