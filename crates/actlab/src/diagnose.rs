//! `actlab diagnose`: printing only; the work is in `actlab_eval::diagnose`.

use std::path::PathBuf;

use actlab_format::config::ConfigFile;
use actlab_format::diagnose::{ActivationDiagnosis, DiagnoseConfig};
use actlab_format::state::LayerDiagnostics;
use clap::Args;

use crate::flags::DataFlags;

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The diagnose config, e.g. configs/deep.toml.
    config: PathBuf,
    /// Hidden layers of the deep MLP (overrides [diagnose] depth).
    #[arg(long)]
    depth: Option<usize>,
    /// Units per hidden layer of the deep MLP (overrides [diagnose] width).
    #[arg(long)]
    width: Option<usize>,
    /// Training steps between the two measurements (overrides [diagnose] steps).
    #[arg(long)]
    steps: Option<usize>,
    /// Output directory [runs/<config name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print diagnose.json on stdout instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataFlags,
}

fn mean_hidden(a: &[LayerDiagnostics], f: fn(&LayerDiagnostics) -> Option<f64>) -> f64 {
    let values: Vec<f64> = a.iter().filter_map(f).collect();
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// A fraction of hidden units after training, averaged over the seeds.
fn trained_share(a: &ActivationDiagnosis, f: fn(&LayerDiagnostics) -> Option<f64>) -> f64 {
    let per_seed = a.trained_per_seed();
    per_seed.iter().map(|l| mean_hidden(l, f)).sum::<f64>() / per_seed.len().max(1) as f64
}

/// The first/output ratio at initialisation: one seed's, or the geometric mean of several with
/// their range.
fn ratio_text(a: &ActivationDiagnosis) -> String {
    let ratios = a.initial_ratios();
    if ratios.len() == 1 {
        return format!("{:.2e}", a.initial_ratio);
    }
    let logs: Vec<f64> = ratios.iter().map(|r| r.log10()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let (low, high) = ratios
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &r| {
            (l.min(r), h.max(r))
        });
    format!(
        "{:.2e} ({low:.1e}–{high:.1e}, {} seeds)",
        10f64.powf(mean),
        ratios.len()
    )
}

fn row(a: &ActivationDiagnosis) -> String {
    let first = a.initial.first().map_or(f64::NAN, |l| l.grad_norm);
    let last = a.initial.last().map_or(f64::NAN, |l| l.grad_norm);
    format!(
        "| {} | {first:.2e} | {last:.2e} | {} | {:.2e} | {:.1}% | {:.1}% | {:.1}% | {:.3} → {:.3} |",
        a.activation,
        ratio_text(a),
        a.trained_ratio,
        100.0 * trained_share(a, |l| l.dead_fraction),
        100.0 * trained_share(a, |l| l.inactive_fraction),
        100.0 * trained_share(a, |l| l.saturated_fraction),
        a.first_loss,
        a.last_loss
    )
}

pub fn run(args: DiagnoseArgs) -> anyhow::Result<()> {
    let mut raw = DiagnoseConfig::read(&args.config)?;
    if let Some(depth) = args.depth {
        raw.diagnose.depth = Some(depth);
    }
    if let Some(width) = args.width {
        raw.diagnose.width = Some(width);
    }
    if let Some(steps) = args.steps {
        raw.diagnose.steps = steps;
    }
    let config = raw.validate(&args.config)?;
    let out = args.out.clone().unwrap_or_else(|| config.out_dir());
    let data = args.data.load(&config.base)?;
    let d = &config.diagnose;
    eprintln!(
        "{} activations × {} seed(s), {}, {} steps of {} on {}",
        d.activations.len(),
        config.seeds().len(),
        config.describe(),
        d.steps,
        config.base.train.batch_size,
        config.base.backend.name
    );
    let header = "| activation | ‖∇W₁‖ init | ‖∇W_out‖ init | first/output init | first/output trained | dead (trained) | inactive (trained) | saturated (trained) | loss first → last step |\n|---|---|---|---|---|---|---|---|---|";
    if !args.json {
        println!("{header}");
    }
    let report = actlab_eval::diagnose::diagnose(&config, &data, |a| {
        if !args.json {
            println!("{}", row(a));
        }
    })?;
    let written = actlab_eval::output::diagnose::write(&report, &out)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    for file in written {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}
