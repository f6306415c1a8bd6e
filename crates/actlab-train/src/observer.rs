//! What a run tells whoever is watching: the [`Observer`] trait (the CLI's progress display
//! implements it) and the values it receives.

use std::path::PathBuf;

use actlab_format::state::EpochRecord;

/// What a run tells whoever is watching. Every method defaults to nothing.
pub trait Observer {
    /// The run is set up and about to train.
    fn started(&mut self, _info: &RunInfo) {}
    /// An epoch begins (1-based).
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _steps: usize, _lr: f64) {}
    /// Progress inside an epoch, every `report_every` steps.
    fn steps(&mut self, _progress: &StepProgress) {}
    /// An epoch finished (metrics written, checkpoint saved).
    fn epoch_finished(&mut self, _record: &EpochRecord, _epochs: usize) {}
    /// The final weights are being evaluated on the test set.
    fn testing(&mut self, _images: usize) {}
}

/// An [`Observer`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {}

/// Facts about a run, once it is set up.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The GPU backend's adapter (a software one is worth a warning: flex is faster on a CPU).
    pub adapter: Option<actlab_format::provenance::Adapter>,
    /// The run's name.
    pub name: String,
    /// The run directory.
    pub run_dir: PathBuf,
    /// The backend.
    pub backend: &'static str,
    /// The device spec.
    pub device: String,
    /// Trainable parameters.
    pub params: usize,
    /// Training images per epoch.
    pub train_samples: usize,
    /// Validation images.
    pub validation_samples: usize,
    /// Test images.
    pub test_samples: usize,
    /// Total epochs.
    pub epochs: usize,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Epochs already finished (resume).
    pub epochs_completed: usize,
    /// Steps already finished of the next epoch (resume).
    pub steps_into_epoch: usize,
    /// A fresh run in a directory where an earlier attempt died before its first complete
    /// checkpoint: started afresh, that attempt's leftovers removed.
    pub restarted: bool,
}

/// Progress inside an epoch.
#[derive(Debug, Clone, Copy)]
pub struct StepProgress {
    /// 1-based epoch.
    pub epoch: usize,
    /// Total epochs.
    pub epochs: usize,
    /// Steps finished in this epoch.
    pub step: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// Mean loss of the epoch so far.
    pub loss: f64,
    /// Training accuracy of the epoch so far.
    pub accuracy: f64,
    /// Training images per second in this epoch so far.
    pub samples_per_second: f64,
}
