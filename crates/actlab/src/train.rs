//! `actlab train`: argument handling and what the run's end prints; the progress display is
//! `crate::progress`, the work `actlab-train`'s.

use std::path::{Path, PathBuf};

use actlab_format::config::{BackendName, DeviceSpec, ExperimentConfig, ProgressDisplay};
use actlab_format::run::{RunSummary, files};
use actlab_train::Outcome;
use clap::Args;

use crate::flags::TrainFlags;
use crate::progress::Display;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The experiment config (TOML), e.g. configs/prelu-mlp.toml.
    #[arg(required_unless_present = "resume")]
    config: Option<PathBuf>,
    /// Continue the run in this directory from its checkpoint.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["config", "seed", "out"])]
    resume: Option<PathBuf>,
    /// Backend: flex | ndarray | wgpu | cuda (overrides [backend] name).
    #[arg(long, help = crate::about::backend_help("overrides [backend] name"))]
    backend: Option<BackendName>,
    /// Device: default | cpu | discrete:N | integrated:N | N (overrides [backend] device).
    #[arg(long)]
    device: Option<DeviceSpec>,
    /// Epochs; with --resume, the total to reach.
    #[arg(long)]
    epochs: Option<usize>,
    /// Seed for initialisation, split and shuffles.
    #[arg(long)]
    seed: Option<u64>,
    /// Run directory (overrides [output] dir; default runs/<name>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    flags: TrainFlags,
}

impl TrainArgs {
    /// The raw config (the file, or the run's record when resuming) with the flags over it,
    /// and the file errors name.
    fn config(&self) -> anyhow::Result<(ExperimentConfig, PathBuf)> {
        let (mut config, origin) = match (&self.resume, &self.config) {
            (Some(run_dir), _) => (
                actlab_train::recorded_config(run_dir)?,
                run_dir.join(files::CONFIG),
            ),
            (None, Some(path)) => {
                let mut config = ExperimentConfig::read(path)?;
                if let Some(seed) = self.seed {
                    config.train.seed = seed;
                }
                if let Some(out) = &self.out {
                    config.output.dir = Some(out.clone());
                }
                (config, path.clone())
            }
            (None, None) => anyhow::bail!("give a config file or --resume RUN_DIR"),
        };
        if let Some(epochs) = self.epochs {
            config.train.epochs = epochs;
        }
        if let Some(backend) = self.backend {
            config.backend.name = backend;
        }
        if let Some(device) = self.device {
            config.backend.device = device;
        }
        Ok((config, origin))
    }
}

/// Runs `actlab train`; returns the process exit status.
pub fn run(args: TrainArgs) -> anyhow::Result<u8> {
    let (config, origin) = args.config()?;
    let live_bar = !args.flags.quiet && config.train.progress == ProgressDisplay::Bar;
    let config = config.validate(&origin)?;
    warn_about_formula(config.network().activation());
    let data = args.flags.data.load(&config)?;
    let options = args.flags.options();
    let signals = crate::signals::watch(&options.stop)?;
    let mut display = Display::new(live_bar);
    let outcome = if args.resume.is_some() {
        actlab_train::resume(&config, &data, &options, &mut display)?
    } else {
        actlab_train::train(&config, &data, &options, &mut display)?
    };
    display.clear();
    let run_dir = config.run_dir();
    match outcome {
        Outcome::Finished(summary) => {
            report(&summary, &run_dir);
            Ok(0)
        }
        Outcome::AlreadyComplete(summary) => {
            eprintln!(
                "{} already has its {} epochs; pass --epochs N to train further",
                run_dir.display(),
                summary.epochs
            );
            report(&summary, &run_dir);
            Ok(0)
        }
        Outcome::Paused { epochs_completed } => {
            eprintln!(
                "paused after epoch {epochs_completed} (--pause-after): continue with `actlab \
                 train --resume {}`",
                run_dir.display()
            );
            Ok(0)
        }
        Outcome::Interrupted {
            epochs_completed,
            steps_into_epoch,
        } => {
            eprintln!(
                "interrupted: checkpoint saved after {epochs_completed} epoch(s) and {steps_into_epoch} \
                 step(s); continue with `actlab train --resume {}`",
                run_dir.display()
            );
            Ok(signals.status())
        }
    }
}

/// A formula whose autodiff derivative disagrees with a finite difference of its values is
/// trained anyway (the formula is what the user wrote), with a warning naming the x.
pub fn warn_about_formula(activation: &actlab_format::activation::ActivationConfig) {
    let Ok(formula) = activation.formula("model.activation") else {
        return;
    };
    let mismatches =
        actlab_model::activation::derivative_mismatches(&formula, &burn::tensor::Device::flex());
    if let Some((x, auto, fd)) = mismatches.first() {
        eprintln!(
            "warning: model.activation.f: autodiff's derivative {auto:.6} differs from a finite \
             difference {fd:.6} at x = {x} ({} point(s) of the check grid); the gradient \
             training uses is autodiff's",
            mismatches.len()
        );
    }
}

fn report(summary: &RunSummary, run_dir: &Path) {
    let best = summary.best_val_accuracy.map_or(String::new(), |a| {
        format!(
            ", best validation {:.2}% (epoch {})",
            100.0 * a,
            summary.best_val_epoch.unwrap_or(0)
        )
    });
    eprintln!(
        "test accuracy {:.2}% (loss {:.4}) on {} images{best}",
        100.0 * summary.test_accuracy,
        summary.test_loss,
        summary.test_samples
    );
    if let Some(stopped) = summary.stopped_epoch {
        eprintln!(
            "early stopping after epoch {stopped}: no better validation accuracy since epoch {}; \
             the final weights (and test numbers) are epoch {}'s",
            summary.best_val_epoch.unwrap_or(stopped),
            summary.weights_epoch.unwrap_or(stopped)
        );
    }
    if let Some(slopes) = &summary.prelu_slopes {
        eprintln!("learned PReLU slopes: {}", short_list(slopes));
    }
    if let Some(beta) = &summary.swish_beta {
        eprintln!("learned Swish β: {beta:?}");
    }
    eprintln!("run directory: {}", run_dir.display());
    println!("{}", run_dir.display());
}

fn short_list(layers: &[Vec<f32>]) -> String {
    layers
        .iter()
        .map(|values| {
            if values.len() <= 4 {
                format!("{values:.4?}")
            } else {
                let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
                format!("{} values, mean {mean:.4}", values.len())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
