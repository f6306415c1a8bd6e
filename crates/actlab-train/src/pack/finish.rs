//! The end of a pack member: its final weights (the best validation epoch's under early
//! stopping with `restore_best`, as alone), the test set through its extracted `Mlp`,
//! `model.bpk`, `summary.json` with `packed_with`, and the TensorBoard test numbers.

use actlab_data::MnistData;
use burn::module::Module;

use super::step::PackStep;
use crate::backend::Backend;
use crate::checkpoint::TrainState;
use crate::config::Experiment;
use crate::error::TrainError;
use crate::evaluate::evaluate;
use crate::provenance::{BuildInfo, Provenance};
use crate::run::{self, DirLock, RunFacts, RunSummary};

/// What finishing a member needs from the pack.
pub(super) struct Ending<'a> {
    pub(super) experiments: &'a [Experiment],
    pub(super) locks: &'a [DirLock],
    pub(super) names: &'a [String],
    pub(super) test_ix: &'a [u32],
    /// Training samples per epoch, validation samples.
    pub(super) samples: (usize, usize),
    pub(super) backend: &'a Backend,
    pub(super) data: &'a MnistData,
    pub(super) build: &'a BuildInfo,
}

impl Ending<'_> {
    /// Finishes member `m` of `pack`, whose state is `record`.
    pub(super) fn finish(
        &self,
        pack: &PackStep,
        m: usize,
        record: &TrainState,
    ) -> Result<RunSummary, TrainError> {
        let experiment = &self.experiments[m];
        let dir = self.locks[m].dir();
        let train = &experiment.train;
        let mut model = pack
            .net
            .member(m, experiment.model().output_activation.as_ref())?
            .valid();
        let history = &record.history;
        let trained = history.len();
        let mut weights_epoch = trained;
        if let Some(early) = train.early_stopping
            && early.restore_best
            && let Some(best) = early.decide(history).0
            && best < trained
        {
            let recorded = record.best_weights_sha256.as_deref().unwrap_or_default();
            model = crate::checkpoint::load_best(dir, best, recorded, model)?;
            weights_epoch = best;
        }
        let test = evaluate(
            &model,
            &self.data.test,
            self.test_ix,
            self.backend,
            train.batch_size,
        )?;
        let facts = RunFacts {
            params: model.num_params(),
            learned: model.learned_activation_values()?,
            history: history.clone(),
            stopped_epoch: (trained < train.epochs).then_some(trained),
            weights_epoch,
            test,
            train_samples: self.samples.0,
            validation_samples: self.samples.1,
            model_sha256: run::write_weights(dir, model)?,
            provenance: Provenance::collect(
                self.build,
                self.backend,
                &experiment.backend.device.to_string(),
                self.data,
            ),
        };
        let mut summary = RunSummary::build(experiment, facts);
        summary.packed_with = Some(
            self.names
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != m)
                .map(|(_, n)| n.clone())
                .collect(),
        );
        summary.write(dir)?;
        run::tensorboard::sync(dir, experiment, &[], &[], Some(&summary))?;
        Ok(summary)
    }
}
