//! The end of a run: the final weights (the best epoch's under early stopping with
//! `restore_best`), the test set, `model.bpk` and `summary.json`.

use actlab_model::Mlp;
use burn::module::Module;

use super::{Live, Trainer};
use crate::checkpoint::{self, TrainState};
use crate::error::TrainError;
use crate::evaluate::evaluate;
use crate::provenance::{BuildInfo, Provenance};
use crate::run::{self, RunFacts, RunSummary};

impl Trainer<'_> {
    /// The final weights: the last epoch's, or under early stopping with `restore_best` the
    /// best validation epoch's (checked against the hash the state recorded). Returns them with
    /// the epoch they come from.
    fn final_weights(&self, live: &Live) -> Result<(Mlp, usize), TrainError> {
        let history = &live.state.history;
        let last = history.len();
        let inference = live.model.valid();
        let Some(early) = self.experiment.train.early_stopping else {
            return Ok((inference, last));
        };
        match early.decide(history).0 {
            Some(best) if early.restore_best && best < last => {
                let recorded = live
                    .state
                    .best_weights_sha256
                    .as_deref()
                    .unwrap_or_default();
                let model = checkpoint::load_best(&self.run_dir, best, recorded, inference)?;
                Ok((model, best))
            }
            _ => Ok((inference, last)),
        }
    }

    /// The test set, the final weights and the summary.
    pub(super) fn finish(&self, live: Live, build: &BuildInfo) -> Result<RunSummary, TrainError> {
        let (inference, weights_epoch) = self.final_weights(&live)?;
        let history = live.state.history;
        let trained = history.len();
        let stopped_epoch = (trained < self.experiment.train.epochs).then_some(trained);
        let test = evaluate(
            &inference,
            &self.data.test,
            &self.test_ix,
            &self.backend,
            self.experiment.train.batch_size,
        )?;
        let params = inference.num_params();
        let learned = inference.learned_activation_values()?;
        let facts = RunFacts {
            params,
            learned,
            history: history.clone(),
            stopped_epoch,
            weights_epoch,
            test,
            train_samples: self.steps * self.experiment.train.batch_size,
            validation_samples: self.validation_ix.len(),
            model_sha256: run::write_weights(&self.run_dir, inference)?,
            provenance: Provenance::collect(
                build,
                &self.backend,
                &self.experiment.backend.device.to_string(),
                self.data,
            ),
        };
        let summary = RunSummary::build(self.experiment, facts);
        summary.write(&self.run_dir)?;
        run::tensorboard::sync(
            &self.run_dir,
            self.experiment,
            &history,
            &live.state.diagnostics,
            Some(&summary),
        )?;
        Ok(summary)
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
