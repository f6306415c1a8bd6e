//! `actlab reproduce`: re-train finished runs from their recorded configs into a scratch
//! directory and say, per run, whether every number came out identical — and, if not, where
//! the first difference is and how the environments differ.

use std::collections::BTreeSet;
use std::path::PathBuf;

use actlab_eval::report::{self, RunRecord};
use actlab_eval::reproduce::{self, Reproduction};
use actlab_format::run::RunStatus;
use actlab_format::sweep::Point;
use actlab_train::run;
use anyhow::{Context, bail};
use clap::Args;

use crate::flags::DataFlags;
use crate::sweep::runner::run_points;

#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Run directories, or directories holding them (a sweep's output, a report directory's
    /// parent) — searched three levels deep.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// Re-train only K of them: the same deterministic sample on every machine.
    #[arg(long, value_name = "K")]
    sample: Option<usize>,
    /// Runs at a time (each gets cores / jobs threads).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Where the copies go [a temporary directory, removed afterwards].
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// Print the comparison as JSON on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataFlags,
}

/// The finished runs under `roots`; a report directory stands for the runs beside it.
fn find(roots: &[PathBuf]) -> anyhow::Result<Vec<RunRecord>> {
    let mut roots = roots.to_vec();
    for root in &mut roots {
        let report_dir = root.join("results.json").is_file() && root.join("report.md").is_file();
        if report_dir && let Some(parent) = root.parent() {
            *root = if parent.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                parent.to_path_buf()
            };
        }
    }
    let (runs, skipped) = report::collect_runs(&roots)?;
    for reason in &skipped {
        eprintln!("skipped: {reason}");
    }
    Ok(runs)
}

/// Unique directory names for the copies (`relu-s1`, `relu-s1-2` when two roots share one).
fn names(runs: &[RunRecord]) -> Vec<String> {
    let mut used = BTreeSet::new();
    runs.iter()
        .map(|r| {
            let base = r
                .dir
                .file_name()
                .map_or("run".into(), |n| n.to_string_lossy().into_owned());
            let mut name = base.clone();
            let mut i = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}-{i}");
                i += 1;
            }
            name
        })
        .collect()
}

pub fn run(args: ReproduceArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.jobs >= 1, "--jobs must be at least 1");
    if args.sample == Some(0) {
        bail!("--sample must be at least 1");
    }
    let all = find(&args.runs)?;
    if all.is_empty() {
        bail!("no finished runs under {}", display(&args.runs));
    }
    let total = all.len();
    let runs = reproduce::sample(all, args.sample);
    let (_temp, scratch) = scratch(args.scratch.as_ref())?;
    let _lock = run::DirLock::acquire(&scratch)?;
    let names = names(&runs);
    // Copies are trained fresh: a scratch directory that already holds one of them (an earlier
    // `--scratch` run) would be skipped or refused by `train`, so it is refused here, first.
    if let Some(name) = names
        .iter()
        .find(|name| RunStatus::of(&scratch.join(name)) != RunStatus::Empty)
    {
        bail!(
            "{} already holds {name}: give `--scratch` an empty directory (or none: a temporary one)",
            scratch.display()
        );
    }
    let mut points = Vec::new();
    for (record, name) in runs.iter().zip(&names) {
        let mut config = run::run_config(&record.dir)?;
        config.name = Some(name.clone());
        let recorded = record.dir.join(actlab_format::run::files::CONFIG);
        points.push(Point {
            name: name.clone(),
            group: name.clone(),
            experiment: config.validate(&recorded)?,
        });
    }
    eprintln!(
        "reproducing {} of {total} runs → {}; {} at a time",
        runs.len(),
        scratch.display(),
        args.jobs
    );
    // Find (or fetch) each dataset once, before any child looks for it.
    let mut datasets = BTreeSet::new();
    for point in &points {
        let data = &point.experiment.data;
        if datasets.insert((data.dataset.as_str(), data.dir.clone())) {
            args.data.load(&point.experiment)?;
        }
    }
    let failures = run_points(&points, &scratch, args.jobs, true, None)?;
    if let Some(code) = failures.interrupted {
        eprintln!("interrupted");
        return Ok(code);
    }
    let mut results: Vec<Reproduction> = Vec::new();
    let mut failed = Vec::new();
    for ((record, name), point) in runs.iter().zip(&names).zip(&points) {
        let dir = scratch.join(&point.name);
        let again = match report::collect_runs(std::slice::from_ref(&dir)) {
            Ok((mut found, _)) if found.len() == 1 => found.remove(0),
            _ => {
                failed.push(format!(
                    "{}: the reproduction did not finish (see {})",
                    record.dir.display(),
                    scratch.join("logs").join(format!("{name}.log")).display()
                ));
                continue;
            }
        };
        results.push(reproduce::compare(record, &again));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(summarise(&results, &failed))
}

/// `--scratch DIR` (created), or a temporary directory removed when the guard drops.
fn scratch(dir: Option<&PathBuf>) -> anyhow::Result<(Option<tempfile::TempDir>, PathBuf)> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        return Ok((None, dir.clone()));
    }
    let temp = tempfile::Builder::new()
        .prefix("actlab-reproduce-")
        .tempdir()
        .context("creating a scratch directory")?;
    let path = temp.path().to_path_buf();
    Ok((Some(temp), path))
}

/// Prints a line per run and the totals; the exit status (1 when a run differs on a matching
/// environment or did not finish).
fn summarise(results: &[Reproduction], failed: &[String]) -> u8 {
    for r in results {
        eprintln!("{}", line(r));
    }
    for f in failed {
        eprintln!("failed: {f}");
    }
    let identical = results.iter().filter(|r| r.identical).count();
    let unexpected = results.iter().filter(|r| r.unexpected()).count();
    eprintln!(
        "{identical} of {} identical{}",
        results.len(),
        if unexpected > 0 {
            format!("; {unexpected} differ on a matching environment")
        } else {
            String::new()
        }
    );
    u8::from(unexpected > 0 || !failed.is_empty())
}

fn display(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `RUN: identical` or `RUN: differs — Δ test accuracy …, first at epoch E val_loss (a → b);
/// environment: field a → b`.
fn line(r: &Reproduction) -> String {
    let number = |v: Option<f64>| v.map_or("absent".into(), |v| format!("{v}"));
    let mut out = format!("{}: {}", r.run, r.verdict());
    if !r.identical {
        out.push_str(&format!(
            " — test accuracy {:.2}% → {:.2}% (Δ {:+.2} points)",
            100.0 * r.original_test_accuracy,
            100.0 * r.reproduced_test_accuracy,
            100.0 * r.delta_test_accuracy
        ));
        if let Some(d) = &r.first_difference {
            let at = d
                .epoch
                .map_or("in the final numbers".into(), |e| format!("at epoch {e}"));
            out.push_str(&format!(
                "; first difference {at}: {} {} → {}",
                d.metric,
                number(d.original),
                number(d.reproduced)
            ));
        }
    }
    for d in &r.environment_differences {
        out.push_str(&format!(
            "\n    environment: {} {} → {}",
            d.field, d.original, d.here
        ));
    }
    out
}
