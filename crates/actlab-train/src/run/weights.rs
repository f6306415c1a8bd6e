//! `model.bpk`: the final weights in Burn's burnpack format (backend-independent). Writer and
//! reader; the reader builds the run's model on any device.

use std::path::Path;

use actlab_model::{Mlp, Network, NetworkInit};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};

use actlab_format::config::Experiment;
use actlab_format::run::{RunSummary, files};

use super::write_file;
use crate::error::TrainError;

/// Numbers a module's parameters 1, 2, 3, … in visiting order. Burn gives every parameter a
/// random id, which burnpack stores: without this two runs with identical weights would write
/// different `model.bpk` files (and SHA-256s). Loading matches tensors by name, not id.
struct StableIds(u64);

impl ModuleMapper for StableIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.0 += 1;
        Param::initialized(ParamId::from(self.0), param.into_value())
    }
}

/// Writes `model` (an inference model) as `run_dir/model.bpk` (atomically; the same weights
/// always give the same bytes) and its SHA-256 beside it (`model.bpk.sha256`); returns the
/// SHA-256, for `summary.json`.
pub fn write_weights(run_dir: &Path, model: Network) -> Result<String, TrainError> {
    let hex = write_weights_to(&run_dir.join(files::MODEL), model)?;
    actlab_format::run::write_model_sha256(run_dir, &hex)?;
    Ok(hex)
}

/// [`write_weights`] to any path (the best epoch's weights under early stopping).
pub fn write_weights_to(path: &Path, model: Network) -> Result<String, TrainError> {
    let path = path.to_path_buf();
    let bytes = model
        .map(&mut StableIds(0))
        .into_record()
        .into_bytes()
        .map_err(|e| TrainError::Corrupt {
            path: path.clone(),
            message: format!("cannot serialise the weights: {e}"),
        })?;
    write_file(path, &bytes)?;
    Ok(super::sha256(&bytes))
}

/// The trained model of a run directory: the experiment's model (the run's `config.toml`) built on
/// `device` — any backend, whichever one trained it — with the final weights (`model.bpk`),
/// checked against every SHA-256 recorded for them: `model.bpk.sha256` beside them and
/// `summary.json`'s. Weights with neither are [`TrainError::Unverifiable`] unless `unverified`.
pub fn load_model(
    run_dir: &Path,
    experiment: &Experiment,
    device: &Device,
    unverified: bool,
) -> Result<Network, TrainError> {
    let model = experiment.network().init(device)?;
    let path = run_dir.join(files::MODEL);
    let bytes = std::fs::read(&path).map_err(TrainError::io(&path))?;
    let mut checked = false;
    if let Some(recorded) = actlab_format::run::read_model_sha256(run_dir)? {
        super::verify(&path, &bytes, &recorded, files::MODEL_SHA256)?;
        checked = true;
    }
    // A summary that cannot be read records nothing to check against (`report` says why).
    if let Ok(summary) = RunSummary::load(run_dir)
        && let Some(recorded) = &summary.model_sha256
    {
        super::verify(&path, &bytes, recorded, files::SUMMARY)?;
        checked = true;
    }
    if !checked && !unverified {
        return Err(TrainError::Unverifiable { path });
    }
    load_weights(model, &path, bytes)
}

/// Applies burnpack weights (`bytes`, read from `path`) to `model`; a file that is not burnpack
/// or does not fit the model is a [`TrainError::Corrupt`] naming `path`.
pub fn load_weights(model: Network, path: &Path, bytes: Vec<u8>) -> Result<Network, TrainError> {
    apply(path, bytes, |record| model.try_load_record(record))
}

/// [`load_weights`] for a plain MLP (a pack member, its Adam moments).
pub fn load_mlp(model: Mlp, path: &Path, bytes: Vec<u8>) -> Result<Mlp, TrainError> {
    apply(path, bytes, |record| model.try_load_record(record))
}

fn apply<M>(
    path: &Path,
    bytes: Vec<u8>,
    load: impl FnOnce(ModuleRecord) -> Result<M, burn::store::RecordError>,
) -> Result<M, TrainError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| {
        TrainError::Corrupt {
            path: path.to_path_buf(),
            message: format!("not a Burn weights file: {e}"),
        }
    })?;
    load(record).map_err(|e| TrainError::Corrupt {
        path: path.to_path_buf(),
        message: format!("does not fit the model in config.toml: {e}"),
    })
}

/// Every tensor of `model` as host values, in module order (weights, biases, activation
/// parameters, BatchNorm's running statistics) — for exact comparisons of weights (the
/// burnpack files also hold random parameter ids, so equal weights are not equal bytes).
pub fn parameter_values(model: &Network) -> Result<Vec<Vec<f32>>, TrainError> {
    struct Collect(Vec<Result<Vec<f32>, String>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(
                param
                    .val()
                    .try_into_data()
                    .map_err(|e| e.to_string())
                    .and_then(|data| data.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))),
            );
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect
        .0
        .into_iter()
        .map(|r| {
            r.map_err(|message| TrainError::Device {
                backend: "model",
                message,
            })
        })
        .collect()
}
