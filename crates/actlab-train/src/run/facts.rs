//! The facts a finished run contributes to its `summary.json` (`actlab_format::run::RunSummary`):
//! what training measured, assembled into the summary by [`RunFacts::into_summary`].

use actlab_format::activation::ActivationConfig;
use actlab_format::config::Experiment;
use actlab_format::provenance::Provenance;
use actlab_format::run::RunSummary;
use actlab_format::state::EpochRecord;

use super::BURN_VERSION;
use crate::evaluate::Evaluation;

/// What training measured, for [`RunFacts::into_summary`].
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// Every finished epoch.
    pub history: Vec<EpochRecord>,
    /// Where early stopping ended training, if it did.
    pub stopped_epoch: Option<usize>,
    /// The epoch of the final weights.
    pub weights_epoch: usize,
    /// The final weights on the test images.
    pub test: Evaluation,
    /// Trainable parameters.
    pub params: usize,
    /// Training images per epoch (whole batches).
    pub train_samples: usize,
    /// Validation images.
    pub validation_samples: usize,
    /// The activations' learned values, one list per hidden layer.
    pub learned: Vec<Vec<f32>>,
    /// SHA-256 of `model.bpk` as written.
    pub model_sha256: String,
    /// Where the result came from.
    pub provenance: Provenance,
}

impl RunFacts {
    /// The summary of a finished run of `experiment`.
    pub fn into_summary(self, experiment: &Experiment) -> RunSummary {
        let RunFacts {
            history,
            stopped_epoch,
            weights_epoch,
            test,
            params,
            train_samples,
            validation_samples,
            learned,
            model_sha256,
            provenance,
        } = self;
        let network = experiment.network();
        let activation = network.activation();
        let train = &experiment.train;
        let best = history
            .iter()
            .filter_map(|r| r.val_acc.map(|a| (a, r.epoch)))
            .fold(None, |best: Option<(f64, usize)>, (a, e)| match best {
                Some((b, _)) if b >= a => best,
                _ => Some((a, e)),
            });
        let last = history.last();
        let train_seconds: f64 = history.iter().map(|r| r.seconds).sum();
        let samples = (train_samples * history.len()) as f64;
        RunSummary {
            name: experiment.name(),
            activation: activation.kind().to_string(),
            activation_label: activation.label(),
            activation_config: Some(activation.clone()),
            layers: network.layer_sizes(),
            dataset: experiment.data.dataset.as_str().to_string(),
            backend: experiment.backend.name.to_string(),
            device: experiment.backend.device.to_string(),
            seed: train.seed,
            data_seed: train.data_seed,
            epochs: history.len(),
            batch_size: train.batch_size,
            optimizer: train.optimizer.kind().to_string(),
            lr: train.optimizer.lr(),
            params,
            train_samples,
            validation_samples,
            test_samples: test.count,
            test_accuracy: test.accuracy,
            test_correct: test.correct,
            test_loss: test.loss,
            best_val_accuracy: best.map(|b| b.0),
            best_val_epoch: best.map(|b| b.1),
            final_train_loss: last.map_or(f64::NAN, |r| r.train_loss),
            final_train_accuracy: last.map_or(f64::NAN, |r| r.train_acc),
            epoch_seconds: history.iter().map(|r| r.seconds).collect(),
            epoch_wall_seconds: history.iter().map(|r| r.wall_seconds).collect(),
            samples_per_second: samples / train_seconds.max(1e-9),
            prelu_slopes: matches!(activation, ActivationConfig::Prelu { .. })
                .then(|| learned.clone()),
            swish_beta: matches!(
                activation,
                ActivationConfig::Swish {
                    trainable: true,
                    ..
                }
            )
            .then(|| learned.iter().filter_map(|l| l.first().copied()).collect()),
            learned_params: match activation {
                ActivationConfig::Expr { learnable, .. } => !learnable.is_empty(),
                ActivationConfig::Rational { .. } => true,
                _ => false,
            }
            .then(|| learned.clone()),
            packed_with: None,
            model_sha256: Some(model_sha256),
            peak_rss_mb: super::peak_rss_mb(),
            burn_version: BURN_VERSION.to_string(),
            actlab_version: provenance.build.version.clone(),
            provenance: Some(provenance),
            stopped_epoch,
            weights_epoch: Some(weights_epoch),
        }
    }
}
