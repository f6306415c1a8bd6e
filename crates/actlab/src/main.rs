//! `actlab`: the command line. Argument parsing and printing only; the work lives in the crates.
//! Each subcommand is a module; the pieces several share are `flags` (flag groups), `progress`
//! (what shows on the terminal), `signals` (Ctrl-C and SIGTERM) and `about` (the build).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod about;
mod bench;
mod bench_pack;
mod bench_report;
mod data;
mod diagnose;
mod eval;
mod flags;
mod plot;
mod progress;
mod reproduce;
mod runtime_dir;
mod search;
mod signals;
mod summary;
mod sweep;
mod train;
mod train_pack;

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
    Compare(sweep::CompareArgs),
    /// Train several configs that differ only in activation and learning rate as one packed
    /// network (what `compare --pack` runs); each gets the run directory it would get alone.
    TrainPack(train_pack::TrainPackArgs),
    /// Build the comparison report (report.md, results.csv, results.json, plots) from run
    /// directories.
    Report(sweep::ReportArgs),
    /// Re-train finished runs from their recorded configs and check that every number comes
    /// out identical; say where the first difference is and how the environments differ.
    Reproduce(reproduce::ReproduceArgs),
    /// Deep MLPs per activation: per-layer gradient norms, dead and saturated units at
    /// initialisation and after some training (the vanishing-gradient experiment).
    Diagnose(diagnose::DiagnoseArgs),
    /// Discover activations: generate formulas from a space, screen them (duplicates by
    /// function, non-finite, constant, linear, vanishing or exploding gradients at
    /// initialisation), train the survivors on a proxy with successive halving on validation
    /// accuracy, then confirm the finalists against baselines with `compare` on fresh seeds.
    Search(search::SearchArgs),
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
        what: plot::PlotCommand,
    },
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
        Command::Compare(args) => sweep::compare(args),
        Command::TrainPack(args) => train_pack::run(args),
        Command::Diagnose(args) => diagnose::run(args).map(|()| 0),
        Command::Search(args) => search::run(args),
        Command::Report(args) => sweep::report(args).map(|()| 0),
        Command::Reproduce(args) => reproduce::run(args),
        Command::Predict(args) => eval::predict(args),
        Command::Summary { config, json } => summary::run(&config, json).map(|()| 0),
        Command::Data { what } => data::run(what).map(|()| 0),
        Command::Plot { what } => plot::run(what).map(|()| 0),
    }
}
