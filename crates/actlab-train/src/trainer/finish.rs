//! The end of a run: the final weights (the best epoch's under early stopping with
//! `restore_best`), the test set, `predictions.bin`, `model.bpk` and `summary.json`.

use std::path::Path;

use actlab_data::MnistData;
use actlab_format::config::Experiment;
use actlab_format::provenance::BuildInfo;
use actlab_format::run::RunSummary;
use actlab_format::state::TrainState;
use actlab_model::Network;
use burn::module::Module;

use super::{Live, Trainer};
use crate::backend::Backend;
use crate::error::TrainError;
use crate::evaluate::predict_split;
use crate::run::{self, RunFacts, checkpoint};

/// What ending a run needs besides its state: where it is, what it trained on and where. The
/// trainer ends its run through it, and a pack each member (so a member ends exactly as alone).
pub(crate) struct RunEnd<'a> {
    pub(crate) experiment: &'a Experiment,
    pub(crate) run_dir: &'a Path,
    pub(crate) data: &'a MnistData,
    pub(crate) test_ix: &'a [u32],
    pub(crate) backend: &'a Backend,
    /// Training samples per epoch, validation samples.
    pub(crate) samples: (usize, usize),
    pub(crate) build: &'a BuildInfo,
}

impl RunEnd<'_> {
    /// The final weights: `last` (the last epoch's), or under early stopping with
    /// `restore_best` the best validation epoch's (checked against the hash the state
    /// recorded). Returns them with the epoch they come from.
    fn final_weights(
        &self,
        last: Network,
        state: &TrainState,
    ) -> Result<(Network, usize), TrainError> {
        let history = &state.history;
        let trained = history.len();
        match self.experiment.train.early_stopping {
            Some(early) if early.restore_best => match early.decide(history).0 {
                Some(best) if best < trained => {
                    let recorded = state.best_weights_sha256.as_deref().unwrap_or_default();
                    let model = checkpoint::load_best(self.run_dir, best, recorded, last)?;
                    Ok((model, best))
                }
                _ => Ok((last, trained)),
            },
            _ => Ok((last, trained)),
        }
    }

    /// The test set on the final weights, `predictions.bin`, `model.bpk`, `summary.json` (with `packed_with` for a
    /// pack member) and the TensorBoard test numbers. `last`: the last epoch's weights.
    pub(crate) fn finish(
        &self,
        last: Network,
        state: &TrainState,
        packed_with: Option<Vec<String>>,
    ) -> Result<RunSummary, TrainError> {
        let (inference, weights_epoch) = self.final_weights(last, state)?;
        let history = &state.history;
        let trained = history.len();
        let train = &self.experiment.train;
        let predictions = predict_split(
            &inference,
            &self.data.test,
            self.test_ix,
            self.backend,
            train.batch_size,
        )?;
        let test = predictions.evaluation();
        // The test images' predictions, before the summary that marks the run finished.
        predictions
            .to_file(self.experiment.data.dataset.as_str(), &self.data.test)
            .write(self.run_dir)?;
        let facts = RunFacts {
            params: inference.parameter_count(),
            learned: inference.learned_activation_values()?,
            history: history.clone(),
            stopped_epoch: (trained < train.epochs).then_some(trained),
            weights_epoch,
            test,
            train_samples: self.samples.0,
            validation_samples: self.samples.1,
            model_sha256: run::write_weights(self.run_dir, inference)?,
            provenance: crate::provenance::collect(
                self.build,
                self.backend,
                &self.experiment.backend.device.to_string(),
                self.data,
            ),
        };
        let mut summary = facts.into_summary(self.experiment);
        summary.packed_with = packed_with;
        summary.write(self.run_dir)?;
        run::tensorboard::sync(
            self.run_dir,
            self.experiment,
            history,
            &state.diagnostics,
            Some(&summary),
        )?;
        Ok(summary)
    }
}

impl Trainer<'_> {
    /// The test set, the final weights and the summary: [`RunEnd::finish`].
    pub(super) fn finish(&self, live: Live, build: &BuildInfo) -> Result<RunSummary, TrainError> {
        let end = RunEnd {
            experiment: self.experiment,
            run_dir: &self.run_dir,
            data: self.data,
            test_ix: &self.images.test,
            backend: &self.backend,
            samples: self.images.samples(self.experiment.train.batch_size),
            build,
        };
        end.finish(live.model.valid(), &live.state, None)
    }

    /// The files derived from `state` (after a checkpoint, on resume):
    /// [`run::write_state_files`].
    pub(super) fn write_state_files(&self, state: &TrainState) -> Result<(), TrainError> {
        run::write_state_files(
            &self.run_dir,
            self.experiment,
            &state.history,
            &state.diagnostics,
        )
    }

    /// A run that stopped on a non-finite loss ends its TensorBoard session as failed (best
    /// effort: the divergence is the error the user sees).
    pub(super) fn record_failure(&self, error: &TrainError) {
        if matches!(error, TrainError::NonFinite { .. }) {
            let _ = run::tensorboard::failed(&self.run_dir, self.experiment);
        }
    }
}
