//! What a caller of the training loops controls ([`TrainOptions`]: stop, read-back interval,
//! provenance, pause) and gets back ([`Outcome`]). The trainer, packs and sessions all take
//! them, so they live below all three.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actlab_format::run::RunSummary;

/// Knobs that are not part of the experiment.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Set (e.g. by a Ctrl-C handler) to stop after the current step with a checkpoint.
    pub stop: Arc<AtomicBool>,
    /// Read metrics back and report every this many steps [25].
    pub report_every: usize,
    /// What the program was built from, recorded in the summary's provenance.
    pub build: actlab_format::provenance::BuildInfo,
    /// Stop with a checkpoint after this epoch (if it is not the last): `--pause-after`, what a
    /// tuning stage's halving uses. Resuming continues exactly as if it had not stopped.
    pub pause_after: Option<usize>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            stop: Arc::new(AtomicBool::new(false)),
            report_every: 25,
            build: actlab_format::provenance::BuildInfo::default(),
            pause_after: None,
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every epoch ran; the summary is written.
    Finished(RunSummary),
    /// Stopped on request; the checkpoint holds the position.
    Interrupted {
        /// Epochs finished.
        epochs_completed: usize,
        /// Steps finished of the next epoch.
        steps_into_epoch: usize,
    },
    /// `--resume` on a run that already has all its epochs.
    AlreadyComplete(RunSummary),
    /// Stopped with a checkpoint after [`TrainOptions::pause_after`] epochs.
    Paused {
        /// Epochs finished.
        epochs_completed: usize,
    },
}
