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
#[cfg(test)]
mod book;
mod data;
mod diagnose;
mod eval;
mod flags;
mod new;
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
    #[command(
        after_help = "Examples:\n  actlab train configs/prelu-mlp.toml\n  actlab train configs/prelu-mlp.toml --epochs 2 --seed 7 --out runs/try\n  actlab train --resume runs/prelu-mlp"
    )]
    Train(train::TrainArgs),
    /// Evaluate a run's final weights on the test set: accuracy, loss, per class, confusion
    /// matrix; writes eval.json, confusion.csv and confusion.svg/png into the run directory.
    #[command(
        after_help = "Examples:\n  actlab eval runs/prelu-mlp\n  actlab eval runs/prelu-mlp --backend ndarray --json"
    )]
    Eval(eval::EvalArgs),
    /// Classify images (or a test-set item) with a run's final weights.
    #[command(
        after_help = "Examples:\n  actlab predict runs/prelu-mlp --test-index 0\n  actlab predict runs/prelu-mlp shirt.png --top 5"
    )]
    Predict(eval::PredictArgs),
    /// Train every point of a sweep not already finished, then write the comparison report.
    #[command(
        after_help = "Examples:\n  actlab compare configs/sweep-quick.toml\n  actlab compare configs/sweep-fair.toml --jobs 2\n  actlab compare configs/sweep.toml --shard 1/4 --quiet"
    )]
    Compare(sweep::CompareArgs),
    /// Train several configs that differ only in activation and learning rate as one packed
    /// network (what `compare --pack` runs); each gets the run directory it would get alone.
    #[command(
        after_help = "Examples:\n  actlab train-pack runs/sweep/configs/relu-s1.toml runs/sweep/configs/gelu-s1.toml"
    )]
    TrainPack(train_pack::TrainPackArgs),
    /// Build the comparison report (report.md, results.csv, results.json, plots) from run
    /// directories.
    #[command(
        after_help = "Examples:\n  actlab report runs/sweep-quick\n  actlab report runs/sweep-a runs/sweep-b --out runs/merged"
    )]
    Report(sweep::ReportArgs),
    /// Re-train finished runs from their recorded configs and check that every number comes
    /// out identical; say where the first difference is and how the environments differ.
    #[command(
        after_help = "Examples:\n  actlab reproduce runs/sweep-quick --sample 2\n  actlab reproduce runs/prelu-mlp"
    )]
    Reproduce(reproduce::ReproduceArgs),
    /// Deep MLPs per activation: per-layer gradient norms, dead and saturated units at
    /// initialisation and after some training (the vanishing-gradient experiment).
    #[command(
        after_help = "Examples:\n  actlab diagnose configs/deep.toml\n  actlab diagnose configs/diagnose-cnn.toml"
    )]
    Diagnose(diagnose::DiagnoseArgs),
    /// Discover activations: generate formulas from a space, screen them (duplicates by
    /// function, non-finite, constant, linear, vanishing or exploding gradients at
    /// initialisation), train the survivors on a proxy with successive halving on validation
    /// accuracy, then confirm the finalists against baselines with `compare` on fresh seeds.
    #[command(
        after_help = "Examples:\n  actlab search configs/search.toml --screen\n  actlab search configs/search.toml --proxy-only --jobs 2\n  actlab search configs/search.toml --jobs 2"
    )]
    Search(search::SearchArgs),
    /// Time the training loop (prelu-mlp, Fashion-MNIST) per backend and batch size: seconds per
    /// epoch, images/s, GFLOP/s, peak RSS.
    #[command(
        after_help = "Examples:\n  actlab bench --backends flex,ndarray --batch 64\n  actlab bench --pack --members 1,13"
    )]
    Bench(bench::BenchArgs),
    /// Print a Keras-style summary of the model a config describes.
    #[command(
        after_help = "Examples:\n  actlab summary configs/prelu-mlp.toml\n  actlab summary configs/sweep-cnn.toml --json"
    )]
    Summary {
        /// The experiment config (TOML).
        config: PathBuf,
        /// Print JSON (`{"params": N, "layers": [...]}`) on stdout instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Datasets: describe, fetch, verify.
    #[command(
        after_help = "Examples:\n  actlab data info fashion-mnist\n  actlab data fetch mnist"
    )]
    Data {
        #[command(subcommand)]
        what: data::DataCommand,
    },
    /// Draw pictures.
    #[command(
        after_help = "Examples:\n  actlab plot activations\n  actlab plot activations --config configs/custom-activations.toml --also relu,gelu --out runs/plots/mine"
    )]
    Plot {
        #[command(subcommand)]
        what: plot::PlotCommand,
    },
    /// Start a file: `new sweep FILE` writes a commented sweep file to edit and run.
    #[command(
        after_help = "Examples:\n  actlab new sweep my-sweep.toml\n  actlab new sweep mine.toml --activations relu,gelu --seeds 10"
    )]
    New {
        #[command(subcommand)]
        what: new::NewCommand,
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
        Command::New { what } => new::run(what).map(|()| 0),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    /// Every subcommand's `--help` ends with examples, and every example parses with the real
    /// command line (its config files exist): the help cannot show a command that fails to parse.
    #[test]
    fn every_subcommand_has_examples_that_parse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cli = Cli::command();
        for sub in cli.get_subcommands() {
            let help = sub
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            let examples: Vec<&str> = help
                .lines()
                .filter_map(|l| l.trim().strip_prefix("actlab "))
                .collect();
            assert!(!examples.is_empty(), "{} has no examples", sub.get_name());
            for example in examples {
                let mut argv = vec!["actlab"];
                argv.extend(example.split_whitespace());
                assert!(
                    argv.get(1) == Some(&sub.get_name()),
                    "{example}: an example of another command"
                );
                if let Err(e) = Cli::try_parse_from(&argv) {
                    panic!("{example}: {e}");
                }
                for file in argv.iter().filter(|a| a.starts_with("configs/")) {
                    assert!(root.join(file).is_file(), "{example}: no {file}");
                }
            }
        }
    }
}
