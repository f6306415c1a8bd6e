//! `actlab diagnose`: deep MLPs (default 10 hidden layers of 128) for each activation, with
//! per-layer gradient norms, dead and saturated units at initialisation and after K training
//! steps — the vanishing-gradient experiment, on the user's own setup.

use std::path::{Path, PathBuf};

use actlab_data::{MnistData, Scaling};
use actlab_model::{ActivationConfig, Init, MlpConfig};
use actlab_train::diagnostics::{LayerDiagnostics, probe};
use actlab_train::run::write_atomic;
use actlab_train::{ConfigError, ExperimentConfig, TrainError};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::sweep::default_activations;

fn default_depth() -> usize {
    10
}
fn default_width() -> usize {
    128
}
fn default_steps() -> usize {
    200
}

/// `[diagnose]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseSection {
    /// Hidden layers [10].
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// Units per hidden layer [128].
    #[serde(default = "default_width")]
    pub width: usize,
    /// Training steps between the two measurements [200].
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Initialisation [pytorch].
    #[serde(default)]
    pub init: Init,
    /// Activations [the sweep's default 13].
    #[serde(default = "default_activations")]
    pub activations: Vec<ActivationConfig>,
}

/// A diagnose file: `[base]` (data, optimizer, batch size, seed, backend) + `[diagnose]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseConfig {
    /// Name [the file's stem]; output in `runs/<name>/`.
    #[serde(default)]
    pub name: Option<String>,
    /// Training settings (its `[model]` is replaced by the deep MLP).
    pub base: ExperimentConfig,
    /// What to build.
    pub diagnose: DiagnoseSection,
}

impl DiagnoseConfig {
    /// Reads and validates a diagnose file.
    pub fn load(path: &Path) -> Result<DiagnoseConfig, EvalError> {
        let mut config: DiagnoseConfig = actlab_train::config::read_toml(path)?;
        if config.name.is_none() {
            config.name = actlab_train::config::name_from_path(path);
        }
        config.validate(path)?;
        Ok(config)
    }

    /// Checks sizes and every activation's model.
    pub fn validate(&self, path: &Path) -> Result<(), EvalError> {
        let invalid = |field: &str, value: String, expected: &str| {
            EvalError::from(ConfigError::invalid(path, field, value, expected))
        };
        let d = &self.diagnose;
        if d.depth == 0 || d.depth > 100 {
            return Err(invalid(
                "diagnose.depth",
                d.depth.to_string(),
                "1 to 100 hidden layers",
            ));
        }
        if d.width == 0 || d.width > 4096 {
            return Err(invalid(
                "diagnose.width",
                d.width.to_string(),
                "1 to 4096 units",
            ));
        }
        if d.activations.is_empty() {
            return Err(invalid(
                "diagnose.activations",
                "[]".into(),
                "at least one activation",
            ));
        }
        for activation in &d.activations {
            self.mlp(activation).validate()?;
        }
        self.base.validate(path)?;
        Ok(())
    }

    /// The deep MLP for one activation.
    pub fn mlp(&self, activation: &ActivationConfig) -> MlpConfig {
        MlpConfig {
            input_size: 784,
            hidden: vec![self.diagnose.width; self.diagnose.depth],
            activation: activation.clone(),
            output_size: 10,
            output_activation: None,
            init: self.diagnose.init,
        }
    }

    /// `runs/<name>`.
    pub fn out_dir(&self) -> PathBuf {
        Path::new("runs").join(self.name.as_deref().unwrap_or("deep"))
    }
}

/// One activation's measurements.
#[derive(Debug, Clone, Serialize)]
pub struct ActivationDiagnosis {
    /// The activation with its parameters.
    pub activation: String,
    /// Its kind.
    pub kind: String,
    /// Per layer at initialisation (hidden layers, then the output layer).
    pub initial: Vec<LayerDiagnostics>,
    /// Per layer after `steps` training steps.
    pub trained: Vec<LayerDiagnostics>,
    /// ‖∇W‖ of the first layer / of the output layer, at initialisation.
    pub initial_ratio: f64,
    /// The same after training.
    pub trained_ratio: f64,
    /// Training loss of the first and the last step.
    pub first_loss: f64,
    /// Training loss of the last step.
    pub last_loss: f64,
}

/// `diagnose.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnoseReport {
    /// Hidden layers.
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Training steps between the measurements.
    pub steps: usize,
    /// Probe images.
    pub probe_images: usize,
    /// The backend.
    pub backend: String,
    /// Per activation, in config order.
    pub activations: Vec<ActivationDiagnosis>,
}

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
    let base = actlab_train::device(&config.base.backend).map_err(TrainError::from)?;
    let device = base.clone().autodiff();
    let batch = config.base.train.batch_size;
    let table = Scaling::Unit.table();
    let split = actlab_data::train_validation(
        data.train.len(),
        config.base.data.validation_size,
        config.base.data.holdout,
        config.base.train.seed,
    )?;
    // Probe: the first validation images (or training images without a validation set); a
    // training batch's worth on GPU backends so no new kernels are compiled.
    let pool = if split.validation.is_empty() {
        &split.train
    } else {
        &split.validation
    };
    let fixed = actlab_train::backend::fixed_shapes(config.base.backend.name);
    let probe_ids: Vec<u32> = if fixed {
        pool.iter().copied().cycle().take(batch).collect()
    } else {
        pool.iter()
            .copied()
            .take(actlab_train::diagnostics::PROBE_IMAGES)
            .collect()
    };
    let probe_size = probe_ids.len();
    let order = actlab_data::epoch_order(&split.train, config.base.train.seed, 0);
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let lr = config.base.train.optimizer.lr();
    let mut out = Vec::new();
    for activation in &config.diagnose.activations {
        let mlp = config.mlp(activation);
        let mut model = mlp.init_seeded(&device, config.base.train.seed)?;
        let measure = |model: &actlab_model::Mlp| -> Result<Vec<LayerDiagnostics>, EvalError> {
            let b = data.train.batch_with_table(&probe_ids, &table, &device)?;
            Ok(probe(model, b.images, b.targets)?)
        };
        let initial = measure(&model)?;
        let mut optim = actlab_train::build_optimizer(&config.base.train.optimizer, &model, &base);
        let (mut first_loss, mut last_loss) = (f64::NAN, f64::NAN);
        for step in 0..config.diagnose.steps {
            let start = (step * batch) % (order.len() / batch * batch).max(batch);
            let ids = &order[start..(start + batch).min(order.len())];
            let b = data.train.batch_with_table(ids, &table, &device)?;
            let loss = loss_fn.forward(model.forward(b.images), b.targets);
            let value = if step == 0 || step + 1 == config.diagnose.steps {
                let v = loss
                    .clone()
                    .try_into_data()
                    .map_err(|e| {
                        EvalError::Train(TrainError::Device {
                            backend: "diagnose",
                            message: e.to_string(),
                        })
                    })?
                    .iter::<f64>()
                    .next();
                v.unwrap_or(f64::NAN)
            } else {
                f64::NAN
            };
            if step == 0 {
                first_loss = value;
            }
            if step + 1 == config.diagnose.steps {
                last_loss = value;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let trained = measure(&model)?;
        let diagnosis = ActivationDiagnosis {
            activation: activation.label(),
            kind: activation.kind().to_string(),
            initial_ratio: ratio(&initial),
            trained_ratio: ratio(&trained),
            initial,
            trained,
            first_loss,
            last_loss,
        };
        progress(&diagnosis);
        out.push(diagnosis);
    }
    Ok(DiagnoseReport {
        depth: config.diagnose.depth,
        width: config.diagnose.width,
        steps: config.diagnose.steps,
        probe_images: probe_size,
        backend: actlab_train::backend::backend_name(config.base.backend.name).to_string(),
        activations: out,
    })
}

/// `diagnose.csv`: one row per activation, moment and layer.
pub fn csv(report: &DiagnoseReport) -> String {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let mut out = String::from(
        "activation,moment,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean\n",
    );
    for a in &report.activations {
        for (moment, layers) in [("init", &a.initial), ("trained", &a.trained)] {
            for l in layers {
                out.push_str(&format!(
                    "\"{}\",{moment},{},{},{},{},{}\n",
                    a.activation,
                    l.layer,
                    l.grad_norm,
                    opt(l.dead_fraction),
                    opt(l.saturated_fraction),
                    opt(l.learned_mean)
                ));
            }
        }
    }
    out
}

/// Writes `diagnose.json`, `diagnose.csv` and `gradients.svg/png` into `out`.
pub fn write(report: &DiagnoseReport, out: &Path) -> Result<Vec<PathBuf>, EvalError> {
    std::fs::create_dir_all(out).map_err(|source| EvalError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let json = serde_json::to_string_pretty(report).map_err(|e| EvalError::Io {
        path: out.join("diagnose.json"),
        source: std::io::Error::other(e),
    })?;
    let mut written = Vec::new();
    for (name, text) in [("diagnose.json", json), ("diagnose.csv", csv(report))] {
        let path = out.join(name);
        write_atomic(&path, text.as_bytes()).map_err(|source| EvalError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    written.extend(crate::plot::plot_gradients(report, out)?);
    Ok(written)
}
