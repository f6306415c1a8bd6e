//! `actlab diagnose`: deep MLPs (default 10 hidden layers of 128) — or `[base.model]` itself, e.g.
//! a CNN (`[diagnose] model = "base"`) — for each activation, with
//! per-layer gradient norms, dead and saturated units at initialisation and after K training
//! steps (taken by the trainer's own `train_steps`) — the vanishing-gradient experiment, on the
//! user's own setup; one network per `[diagnose] seeds` seed. The report is `actlab_format::diagnose::DiagnoseReport`
//! (`diagnose.json`, written and read there).

use actlab_data::{MnistData, Scaling};
use actlab_format::activation::ActivationConfig;
use actlab_format::diagnose::{
    ActivationDiagnosis, DiagnoseConfig, DiagnoseModel, DiagnoseReport, SeedDiagnosis,
};
use actlab_format::state::LayerDiagnostics;
use actlab_model::{Network, NetworkInit};
use actlab_train::diagnostics::probe;
use actlab_train::{Flow, TrainError, train_steps};

use crate::error::EvalError;

fn ratio(layers: &[LayerDiagnostics]) -> f64 {
    match (layers.first(), layers.last()) {
        (Some(first), Some(last)) if last.grad_norm > 0.0 => first.grad_norm / last.grad_norm,
        _ => f64::NAN,
    }
}

/// Builds, measures, trains `steps` steps and measures again, for every activation.
pub fn diagnose(
    config: &DiagnoseConfig,
    data: &MnistData,
    mut progress: impl FnMut(&ActivationDiagnosis),
) -> Result<DiagnoseReport, EvalError> {
    let backend = actlab_train::device(&config.base.backend).map_err(TrainError::from)?;
    let device = backend.device.clone().autodiff();
    let batch = config.base.train.batch_size;
    let table = Scaling::Unit.table();
    let split = actlab_data::train_validation(
        data.train.len(),
        config.base.data.validation_size,
        config.base.data.holdout,
        config.base.train.seed,
    )?;
    // Probe: the first validation images (or training images without a validation set); a
    // training batch's worth where shapes must stay fixed, so no new kernels are compiled.
    let pool = if split.validation.is_empty() {
        &split.train
    } else {
        &split.validation
    };
    let probe_ids: Vec<u32> = if backend.fixed_shapes {
        pool.iter().copied().cycle().take(batch).collect()
    } else {
        pool.iter()
            .copied()
            .take(actlab_train::diagnostics::PROBE_IMAGES)
            .collect()
    };
    let lr = config.base.train.optimizer.lr();
    let steps = config.diagnose.steps;
    let measure = |model: &Network| -> Result<Vec<LayerDiagnostics>, EvalError> {
        let b = data.train.batch_with_table(&probe_ids, &table, &device)?;
        Ok(probe(model, b.images, b.targets)?)
    };
    let read_loss = |loss: burn::tensor::Tensor<1>| -> Result<f64, EvalError> {
        let data = loss.try_into_data().map_err(|e| TrainError::Device {
            backend: backend.name.as_str(),
            message: e.to_string(),
        })?;
        Ok(data.iter::<f64>().next().unwrap_or(f64::NAN))
    };
    // One network: initialised with `seed`, measured, trained `steps` steps through whole
    // batches of the first epoch's order for `seed`, measured again.
    let one = |activation: &ActivationConfig, seed: u64| -> Result<SeedDiagnosis, EvalError> {
        let order = actlab_data::epoch_order(&split.train, seed, 0);
        let cycle = (order.len() / batch * batch).max(batch);
        let model = config.network(activation)?.init_seeded(&device, seed)?;
        let initial = measure(&model)?;
        let mut optim =
            actlab_train::build_optimizer(&config.base.train.optimizer, &model, &backend.device);
        let (mut first_loss, mut last_loss) = (f64::NAN, f64::NAN);
        let (model, _) = train_steps(
            model,
            &mut optim,
            lr,
            0..steps,
            |step| {
                let start = (step * batch) % cycle;
                let ids = &order[start..(start + batch).min(order.len())];
                Ok(data.train.batch_with_table(ids, &table, &device)?)
            },
            |step, result| -> Result<Flow, EvalError> {
                if step == 0 {
                    first_loss = read_loss(result.loss.clone())?;
                }
                if step + 1 == steps {
                    last_loss = read_loss(result.loss)?;
                }
                Ok(Flow::Continue)
            },
        )?;
        let trained = measure(&model)?;
        Ok(SeedDiagnosis {
            seed,
            initial_ratio: ratio(&initial),
            trained_ratio: ratio(&trained),
            initial,
            trained,
            first_loss,
            last_loss,
        })
    };
    let mut out = Vec::new();
    let mut layers = 0;
    for activation in &config.diagnose.activations {
        layers = config.network(activation)?.activation_units().len();
        let per_seed = config
            .seeds()
            .into_iter()
            .map(|seed| one(activation, seed))
            .collect::<Result<Vec<_>, _>>()?;
        let diagnosis = ActivationDiagnosis::from_seeds(
            activation.label(),
            activation.kind().to_string(),
            per_seed,
        );
        progress(&diagnosis);
        out.push(diagnosis);
    }
    let (depth, width) = match config.diagnose.model {
        DiagnoseModel::DeepMlp => (config.depth(), config.width()),
        DiagnoseModel::Base => (layers, 0),
    };
    Ok(DiagnoseReport {
        model: Some(config.describe()),
        depth,
        width,
        steps,
        probe_images: probe_ids.len(),
        seeds: config.seeds(),
        backend: backend.name.to_string(),
        activations: out,
    })
}
