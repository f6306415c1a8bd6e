//! `actlab train`: argument handling, the progress display and Ctrl-C. The work is in
//! `actlab-train`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actlab_data::Sources;
use actlab_train::run::files;
use actlab_train::{
    BackendName, DeviceSpec, EpochRecord, ExperimentConfig, Observer, Outcome, Progress, RunInfo,
    RunSummary, StepProgress, TrainOptions,
};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{CliProgress, DATASETS_ROOT};

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, what shells report).
pub const INTERRUPTED: u8 = 130;
/// Exit status of a run stopped by SIGTERM (128 + 15).
pub const TERMINATED: u8 = 143;

/// Ctrl-C and SIGTERM (what Slurm and Kubernetes send before killing) set `stop`: the trainer
/// finishes the step and checkpoints. The same signal again, with `stop` already set, exits at
/// once. Returns a flag that says whether it was SIGTERM.
pub fn watch_signals(stop: &Arc<AtomicBool>) -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let terminated = Arc::new(AtomicBool::new(false));
    for (signal, status) in [(SIGINT, INTERRUPTED), (SIGTERM, TERMINATED)] {
        signal_hook::flag::register_conditional_shutdown(signal, i32::from(status), stop.clone())
            .context("installing the signal handlers")?;
        signal_hook::flag::register(signal, stop.clone())
            .context("installing the signal handlers")?;
    }
    signal_hook::flag::register(SIGTERM, terminated.clone())
        .context("installing the signal handlers")?;
    Ok(terminated)
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The experiment config (TOML), e.g. configs/prelu-mlp.toml.
    #[arg(required_unless_present = "resume")]
    config: Option<PathBuf>,
    /// Continue the run in this directory from its checkpoint.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["config", "seed", "out"])]
    resume: Option<PathBuf>,
    /// Backend: flex | ndarray | wgpu | cuda (overrides [backend] name).
    #[arg(long, help = crate::backend_help("overrides [backend] name"))]
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
    /// One line per epoch, no progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Use local dataset copies only (no download, no apt-get).
    #[arg(long)]
    offline: bool,
    /// Stop with a checkpoint after this epoch (exit status 0); `--resume` continues exactly
    /// as if the run had not stopped. What `compare`'s successive halving uses.
    #[arg(long, value_name = "EPOCH")]
    pause_after: Option<usize>,
}

/// Runs `actlab train`; returns the process exit status.
pub fn run(args: TrainArgs) -> anyhow::Result<u8> {
    // The raw config (the file, or the run's record when resuming), the flags over it, then
    // one validation.
    let (mut config, origin) = match (&args.resume, &args.config) {
        (Some(run_dir), _) => (
            actlab_train::recorded_config(run_dir)?,
            run_dir.join(files::CONFIG),
        ),
        (None, Some(path)) => {
            let mut config = ExperimentConfig::read(path)?;
            if let Some(seed) = args.seed {
                config.train.seed = seed;
            }
            if let Some(out) = &args.out {
                config.output.dir = Some(out.clone());
            }
            (config, path.clone())
        }
        (None, None) => anyhow::bail!("give a config file or --resume RUN_DIR"),
    };
    if let Some(epochs) = args.epochs {
        config.train.epochs = epochs;
    }
    if let Some(backend) = args.backend {
        config.backend.name = backend;
    }
    if let Some(device) = args.device {
        config.backend.device = device;
    }
    let live_bar = !args.quiet && config.train.progress == Progress::Bar;
    let config = config.validate(&origin)?;
    warn_about_formula(&config.model().activation);

    let mut sources = Sources::standard(DATASETS_ROOT);
    if args.offline {
        sources = sources.offline();
    }
    let mut data_progress = CliProgress::default();
    eprintln!("dataset {}:", config.data.dataset);
    let data = actlab_train::load_data(&config, sources, &mut data_progress)?;

    let options = TrainOptions {
        build: crate::build_info(),
        pause_after: args.pause_after,
        ..TrainOptions::default()
    };
    let terminated = watch_signals(&options.stop)?;

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
            Ok(if terminated.load(Ordering::SeqCst) {
                TERMINATED
            } else {
                INTERRUPTED
            })
        }
    }
}

/// A formula whose autodiff derivative disagrees with a finite difference of its values is
/// trained anyway (the formula is what the user wrote), with a warning naming the x.
pub fn warn_about_formula(activation: &actlab_model::ActivationConfig) {
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

/// Progress on stderr: a live bar per epoch (hidden when stderr is not a terminal) or nothing
/// but the per-epoch lines.
struct Display {
    live: bool,
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Display {
    fn new(live: bool) -> Self {
        Display {
            live,
            bar: None,
            started: Instant::now(),
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Display {
    fn started(&mut self, info: &RunInfo) {
        let device = match &info.adapter {
            Some(adapter) if adapter.is_software() => format!(
                "{}: {}, a SOFTWARE adapter on the CPU — backend \"flex\" is faster there",
                info.device, adapter.name
            ),
            Some(adapter) => format!("{}: {}", info.device, adapter.name),
            None => info.device.clone(),
        };
        eprintln!(
            "training {}: {} parameters on {} ({}); {} training / {} validation / {} test images; \
             {} steps of {} per epoch → {}",
            info.name,
            info.params,
            info.backend,
            device,
            info.train_samples,
            info.validation_samples,
            info.test_samples,
            info.steps_per_epoch,
            info.train_samples / info.steps_per_epoch.max(1),
            info.run_dir.display()
        );
        if info.restarted {
            eprintln!(
                "an earlier attempt in {} stopped before its first complete checkpoint: starting \
                 afresh (its leftovers are removed)",
                info.run_dir.display()
            );
        }
        if info.epochs_completed > 0 || info.steps_into_epoch > 0 {
            eprintln!(
                "resuming after epoch {}, step {} (of {} epochs)",
                info.epochs_completed, info.steps_into_epoch, info.epochs
            );
        }
        self.started = Instant::now();
    }

    fn epoch_started(&mut self, epoch: usize, epochs: usize, steps: usize, _lr: f64) {
        if self.live {
            let bar = ProgressBar::new(steps as u64);
            if let Ok(style) =
                ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} {msg} eta {eta}")
            {
                bar.set_style(style);
            }
            bar.set_prefix(format!("{epoch}/{epochs}"));
            self.bar = Some(bar);
        }
    }

    fn steps(&mut self, p: &StepProgress) {
        if let Some(bar) = &self.bar {
            bar.set_position(p.step as u64);
            bar.set_message(format!(
                "loss {:.4} acc {:.2}% {:.0} img/s",
                p.loss,
                100.0 * p.accuracy,
                p.samples_per_second
            ));
        }
    }

    fn epoch_finished(&mut self, r: &EpochRecord, epochs: usize) {
        self.clear();
        let validation = match (r.val_loss, r.val_acc) {
            (Some(loss), Some(acc)) => format!("  val loss {loss:.4} acc {:.2}%", 100.0 * acc),
            _ => String::new(),
        };
        eprintln!(
            "epoch {:>2}/{epochs}  train loss {:.4} acc {:.2}%{validation}  lr {:.2e}  {:.2} s",
            r.epoch,
            r.train_loss,
            100.0 * r.train_acc,
            r.lr,
            r.wall_seconds
        );
    }

    fn testing(&mut self, images: usize) {
        eprintln!("evaluating on {images} test images…");
    }
}
