//! `actlab`: the command line. Argument parsing and printing only; the work lives in the crates.

use std::path::PathBuf;
use std::process::ExitCode;

use actlab_model::MlpInit;
use anyhow::Context;
use clap::{Parser, Subcommand};

mod bench;
mod bench_pack;
mod compare;
mod data;
mod diagnose;
mod eval;
mod pack;
mod reproduce;
mod runner;
mod runtime_dir;
mod train;
mod tune;

/// Train neural networks on Burn and compare activation functions honestly.
#[derive(Debug, Parser)]
#[command(name = "actlab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train the model a config describes, on the backend it names; writes a run directory
    /// (config.toml, metrics.csv, checkpoint/, model.bpk, summary.json).
    Train(train::TrainArgs),
    /// Evaluate a run's final weights on the test set: accuracy, loss, per class, confusion
    /// matrix; writes eval.json, confusion.csv and confusion.svg/png into the run directory.
    Eval(eval::EvalArgs),
    /// Classify images (or a test-set item) with a run's final weights.
    Predict(eval::PredictArgs),
    /// Train every point of a sweep not already finished, then write the comparison report.
    Compare(compare::CompareArgs),
    /// Train several configs that differ only in activation and learning rate as one packed
    /// network (what `compare --pack` runs); each gets the run directory it would get alone.
    TrainPack(pack::TrainPackArgs),
    /// Build the comparison report (report.md, results.csv, results.json, plots) from run
    /// directories.
    Report(compare::ReportArgs),
    /// Re-train finished runs from their recorded configs and check that every number comes
    /// out identical; say where the first difference is and how the environments differ.
    Reproduce(reproduce::ReproduceArgs),
    /// Deep MLPs per activation: per-layer gradient norms, dead and saturated units at
    /// initialisation and after some training (the vanishing-gradient experiment).
    Diagnose(diagnose::DiagnoseArgs),
    /// Time the training loop (prelu-mlp, Fashion-MNIST) per backend and batch size: seconds per
    /// epoch, images/s, GFLOP/s, peak RSS.
    Bench(bench::BenchArgs),
    /// Print a Keras-style summary of the model a config describes.
    Summary {
        /// The experiment config (TOML).
        config: PathBuf,
        /// Print JSON (`{"params": N, "layers": [...]}`) on stdout instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Datasets: describe, fetch, verify.
    Data {
        #[command(subcommand)]
        what: data::DataCommand,
    },
    /// Draw pictures.
    Plot {
        #[command(subcommand)]
        what: PlotCommand,
    },
}

#[derive(Debug, Subcommand)]
enum PlotCommand {
    /// Every activation and its derivative on [-6, 6], as SVG and PNG.
    Activations {
        /// Output directory.
        #[arg(long, default_value = "runs/plots/activations")]
        out: PathBuf,
        /// Plot the activations of this config or sweep file (its formulas included) instead
        /// of the built-ins.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// With --config: built-ins to draw beside them, e.g. relu,gelu.
        #[arg(long, value_name = "A,B", requires = "config", value_delimiter = ',')]
        also: Vec<String>,
    },
}

/// The activations `plot activations --config FILE --also …` draws: a sweep's grid, or an
/// experiment's hidden activation, then the named built-ins; each with its run-name slug.
fn activations_of(
    path: &std::path::Path,
    also: &[String],
) -> anyhow::Result<Vec<(String, actlab_model::ActivationConfig)>> {
    use actlab_eval::sweep::{SweepConfig, activation_slug};
    let text = actlab_format::fsio::read_text(path, actlab_format::fsio::MAX_TEXT_BYTES)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let is_sweep = text
        .parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("grid"));
    let mut list: Vec<actlab_model::ActivationConfig> = if is_sweep {
        SweepConfig::load(path)?.grid.activations
    } else {
        let config = actlab_train::ExperimentConfig::read(path)?.validate(path)?;
        vec![config.model().activation.clone()]
    };
    for name in also {
        let parsed: actlab_model::ActivationConfig =
            serde_json::from_value(serde_json::Value::String(name.trim().to_string()))
                .map_err(|e| anyhow::anyhow!("--also {name}: {e}"))?;
        list.push(parsed);
    }
    let mut out: Vec<(String, actlab_model::ActivationConfig)> = Vec::new();
    for config in list {
        let slug = activation_slug(&config);
        if !out.iter().any(|(s, _)| *s == slug) {
            out.push((slug, config));
        }
    }
    Ok(out)
}

/// What this binary was built from (`build.rs`), for every run's provenance.
pub fn build_info() -> actlab_train::BuildInfo {
    actlab_train::BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("ACTLAB_GIT_COMMIT").map(str::to_string),
        git_dirty: option_env!("ACTLAB_GIT_DIRTY").map(|d| d == "true"),
        rustc: option_env!("ACTLAB_RUSTC").map(str::to_string),
    }
}

/// `--backend`'s help: the backends this binary was built with.
fn backend_help(what: &str) -> String {
    let names: Vec<String> = actlab_train::compiled_backends()
        .iter()
        .map(ToString::to_string)
        .collect();
    format!(
        "Backend, one of those built in: {} ({what}; cuda needs `--features cuda`)",
        names.join(" | ")
    )
}

fn main() -> ExitCode {
    runtime_dir::ensure();
    match run(Cli::parse()) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Bench(args) => bench::run(args).map(|()| 0),
        Command::Eval(args) => eval::eval(args).map(|()| 0),
        Command::Compare(args) => compare::compare(args),
        Command::TrainPack(args) => pack::train_pack(args),
        Command::Diagnose(args) => diagnose::run(args).map(|()| 0),
        Command::Report(args) => compare::report(args).map(|()| 0),
        Command::Reproduce(args) => reproduce::run(args),
        Command::Predict(args) => eval::predict(args),
        Command::Summary { config, json } => summary(&config, json).map(|()| 0),
        Command::Data { what } => data::run(what).map(|()| 0),
        Command::Plot {
            what: PlotCommand::Activations { out, config, also },
        } => {
            let files = match config {
                Some(path) => actlab_eval::plot_these(&activations_of(&path, &also)?, &out)?,
                None => actlab_eval::plot_activations(&out)?,
            };
            eprintln!("wrote {} files to {}", files.len(), out.display());
            for file in files {
                println!("{}", file.display());
            }
            Ok(0)
        }
    }
}

fn summary(path: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let config = actlab_train::ExperimentConfig::load(path)?;
    let mlp = config.model();
    // Building the model only to count and describe it: the host CPU backend is enough.
    let model = mlp.init(&burn::tensor::Device::flex())?;
    let summary = model.summary();
    if json {
        let text = serde_json::to_string_pretty(&summary).context("serialising the summary")?;
        println!("{text}");
    } else {
        let name = config.name.as_deref().unwrap_or("model");
        let sizes: Vec<String> = mlp.layer_sizes().iter().map(ToString::to_string).collect();
        println!(
            "Model: \"{name}\" ({}, activation {}, init {})",
            sizes.join(" → "),
            mlp.activation.label(),
            mlp.init,
        );
        print!("{summary}");
        if let actlab_model::ActivationConfig::Expr {
            f,
            learnable,
            per_unit,
            ..
        } = &mlp.activation
        {
            let learned = if learnable.is_empty() {
                "no learnable parameters".to_string()
            } else {
                let each = if *per_unit { "per unit" } else { "per layer" };
                format!("learnable: {} ({each})", learnable.join(", "))
            };
            println!("Formula: f(x) = {f}; {learned}");
        }
        if let actlab_model::ActivationConfig::Rational {
            degrees: [m, n],
            init,
            per_unit,
            ..
        } = &mlp.activation
        {
            let fit = mlp.activation.rational_fit("model.activation")?;
            let each = if *per_unit { "per unit" } else { "per layer" };
            println!(
                "Rational: R(x) = P{m}(x) / (1 + |Q{n}(x)|), {} learnable coefficients {each}; \
                 initialised to {} by least squares on [-3, 3]: max error {:.3e} (at x = {:.4})",
                m + n + 1,
                init.label(),
                fit.max_error,
                fit.worst_x,
            );
        }
    }
    Ok(())
}
