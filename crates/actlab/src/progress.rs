//! How progress shows on the terminal (stderr): sources tried and downloads
//! ([`CliProgress`]), a training run's bar and epoch lines ([`Display`]), a pack's lines
//! ([`PackLines`]).

use std::time::{Duration, Instant};

use actlab_data::{Attempt, FetchProgress};
use actlab_format::state::EpochRecord;
use actlab_train::pack::PackEvent;
use actlab_train::{Observer, RunInfo, StepProgress};
use indicatif::{ProgressBar, ProgressStyle};

/// Shows each source tried on stderr and a progress bar while downloading.
#[derive(Default)]
pub struct CliProgress {
    bar: Option<ProgressBar>,
}

impl FetchProgress for CliProgress {
    fn attempt(&mut self, attempt: &Attempt) {
        eprintln!("  {attempt}");
    }

    fn download_start(&mut self, url: &str, total: Option<u64>) {
        let bar = match total {
            Some(total) => ProgressBar::new(total),
            None => ProgressBar::no_length(),
        };
        let style = ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        );
        if let Ok(style) = style {
            bar.set_style(style);
        }
        let file = url.rsplit('/').next().unwrap_or(url);
        bar.set_message(format!("downloading {file}"));
        self.bar = Some(bar);
    }

    fn download_bytes(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn download_end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Progress on stderr: a live bar per epoch (hidden when stderr is not a terminal) or nothing
/// but the per-epoch lines.
pub struct Display {
    live: bool,
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Display {
    pub fn new(live: bool) -> Self {
        Display {
            live,
            bar: None,
            started: Instant::now(),
        }
    }

    pub fn clear(&mut self) {
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

/// A pack's events as lines on stderr: everything as it comes, but step lines at most every
/// `interval` (a read-back is every 25 steps); nothing when quiet.
pub struct PackLines {
    quiet: bool,
    interval: Duration,
    last_step_line: Option<Instant>,
}

impl PackLines {
    /// Step lines at most every 10 s.
    pub fn new(quiet: bool) -> Self {
        PackLines {
            quiet,
            interval: Duration::from_secs(10),
            last_step_line: None,
        }
    }

    /// Shows `event`.
    pub fn show(&mut self, event: &PackEvent) {
        if self.quiet {
            return;
        }
        if let PackEvent::Steps { .. } = event {
            if self
                .last_step_line
                .is_some_and(|t| t.elapsed() < self.interval)
            {
                return;
            }
            self.last_step_line = Some(Instant::now());
        }
        eprintln!("{}", pack_line(event));
    }
}

/// The line for a pack's event.
pub fn pack_line(event: &PackEvent) -> String {
    match event {
        PackEvent::Started {
            backend,
            activation_calls,
            members,
        } => format!(
            "pack of {} on {backend} ({activation_calls} activation call(s) per layer): {}",
            members.len(),
            members.join(", ")
        ),
        PackEvent::Steps {
            epoch,
            epochs,
            step,
            steps,
        } => format!("epoch {epoch}/{epochs}: step {step} of {steps}"),
        PackEvent::Diverged { member } => format!("{member}: training diverged; stopped alone"),
        PackEvent::EarlyStopped { member, epoch } => {
            format!("{member}: early stopping after epoch {epoch}")
        }
        PackEvent::EpochFinished {
            epoch,
            epochs,
            validation,
        } => {
            let members: Vec<String> = validation
                .iter()
                .map(|(name, accuracy)| format!("{name} {:.2}%", 100.0 * accuracy))
                .collect();
            format!("epoch {epoch}/{epochs}: validation {}", members.join(", "))
        }
        PackEvent::Paused { epoch } => format!("paused after epoch {epoch} (--pause-after)"),
    }
}
