//! `actlab diagnose`'s files: the config it reads (`[base]`, an experiment's data, optimizer,
//! batch size, seed and backend, + `[diagnose]`: the network to build for each activation — a
//! deep MLP of `depth` × `width`, or `[base.model]` itself, e.g. a CNN)
//! and the `diagnose.json` it writes ([`DiagnoseReport`], written and read here). Running it
//! is `actlab_eval::diagnose`'s job.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::config::{ConfigError, ConfigFile, ExperimentConfig};
use crate::error::{FileError, ModelError};
use crate::fsio::{MAX_TEXT_BYTES, read_text};
use crate::model::{Init, MlpConfig, NetworkConfig};
use crate::state::{LayerDiagnostics, f64_or_nan};
use crate::sweep::default_activations;

/// Hidden layers of the deep MLP when `[diagnose] depth` is not given.
pub const DEFAULT_DEPTH: usize = 10;
/// Units per hidden layer of the deep MLP when `[diagnose] width` is not given.
pub const DEFAULT_WIDTH: usize = 128;

fn default_steps() -> usize {
    200
}

/// The most training steps between the two measurements (more is a typo: at ~1 ms a step on a
/// CPU, a million steps is already a quarter of an hour per activation).
pub const MAX_STEPS: usize = 1_000_000;

/// Which network `actlab diagnose` measures for each activation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnoseModel {
    /// An MLP of `depth` hidden layers of `width` (the vanishing-gradient experiment; `[base]`'s
    /// `[model]` is not used).
    #[default]
    DeepMlp,
    /// `[base.model]` itself — an MLP, a CNN or a preset such as `resnet20` — with its activation
    /// replaced by each of `activations`.
    Base,
}

/// `[diagnose]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseSection {
    /// The network to measure [deep-mlp].
    #[serde(default)]
    pub model: DiagnoseModel,
    /// Hidden layers of the deep MLP [10] (not with `model = "base"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<usize>,
    /// Units per hidden layer of the deep MLP [128] (not with `model = "base"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    /// Training steps between the two measurements [200].
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Initialisation [pytorch].
    #[serde(default)]
    pub init: Init,
    /// Activations [the sweep's default 13].
    #[serde(default = "default_activations")]
    pub activations: Vec<ActivationConfig>,
    /// Seeds: one network per activation and seed, each initialised and trained with its seed
    /// (the probe images stay `[base.train] seed`'s) [`[base.train] seed` alone]. Several give
    /// the claims an interval over initialisations instead of one network's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Vec<u64>>,
}

/// The most seeds `[diagnose] seeds` may list.
pub const MAX_SEEDS: usize = 1000;

/// A diagnose file: `[base]` (data, optimizer, batch size, seed, backend) + `[diagnose]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseConfig {
    /// Name [the file's stem]; output in `runs/<name>/`.
    #[serde(default)]
    pub name: Option<String>,
    /// Training settings (its `[model]` is replaced by the deep MLP unless `model = "base"`).
    pub base: ExperimentConfig,
    /// What to build.
    pub diagnose: DiagnoseSection,
}

impl ConfigFile for DiagnoseConfig {
    type Valid = DiagnoseConfig;
    type Error = ConfigError;

    fn name_mut(&mut self) -> &mut Option<String> {
        &mut self.name
    }

    fn validate(&self, path: &Path) -> Result<DiagnoseConfig, ConfigError> {
        self.check(path)?;
        Ok(self.clone())
    }
}

impl DiagnoseConfig {
    /// Reads and validates a diagnose file.
    pub fn load(path: &Path) -> Result<DiagnoseConfig, ConfigError> {
        crate::config::load::<Self>(path)
    }

    /// Checks sizes and every activation's model.
    pub fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        if let Some(name) = &self.name {
            crate::config::check_name(path, "name", name)?;
        }
        let d = &self.diagnose;
        if d.model == DiagnoseModel::Base {
            for (field, value) in [("depth", d.depth), ("width", d.width)] {
                if let Some(value) = value {
                    return Err(invalid(
                        &format!("diagnose.{field}"),
                        value.to_string(),
                        "no value with model = \"base\" ([base.model] sets the shape; \
                         depth and width shape model = \"deep-mlp\")",
                    ));
                }
            }
        }
        if !(1..=100).contains(&self.depth()) {
            return Err(invalid(
                "diagnose.depth",
                self.depth().to_string(),
                "1 to 100 hidden layers",
            ));
        }
        if !(1..=4096).contains(&self.width()) {
            return Err(invalid(
                "diagnose.width",
                self.width().to_string(),
                "1 to 4096 units",
            ));
        }
        if d.steps > MAX_STEPS {
            return Err(invalid(
                "diagnose.steps",
                d.steps.to_string(),
                &format!("at most {MAX_STEPS} steps"),
            ));
        }
        if d.activations.is_empty() {
            return Err(invalid(
                "diagnose.activations",
                "[]".into(),
                "at least one activation",
            ));
        }
        if let Some(seeds) = &d.seeds {
            let mut sorted = seeds.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if seeds.is_empty() || seeds.len() > MAX_SEEDS || sorted.len() != seeds.len() {
                return Err(invalid(
                    "diagnose.seeds",
                    format!("{} seed(s), {} distinct", seeds.len(), sorted.len()),
                    &format!("1 to {MAX_SEEDS} distinct seeds"),
                ));
            }
        }
        // The base experiment validates first: with model = "base", its model is the one built.
        self.base.validate(path)?;
        for activation in &d.activations {
            self.network(activation)
                .and_then(|network| network.validate())
                .map_err(|error| ConfigError::Model {
                    path: path.to_path_buf(),
                    error,
                })?;
        }
        Ok(())
    }

    /// The seeds measured, in order (`[diagnose] seeds`, else `[base.train] seed` alone).
    pub fn seeds(&self) -> Vec<u64> {
        self.diagnose
            .seeds
            .clone()
            .unwrap_or_else(|| vec![self.base.train.seed])
    }

    /// The deep MLP's hidden layers (`[diagnose] depth`, default 10).
    pub fn depth(&self) -> usize {
        self.diagnose.depth.unwrap_or(DEFAULT_DEPTH)
    }

    /// The deep MLP's units per hidden layer (`[diagnose] width`, default 128).
    pub fn width(&self) -> usize {
        self.diagnose.width.unwrap_or(DEFAULT_WIDTH)
    }

    /// The network measured for one activation: the deep MLP (input sized to `[base.data]`'s
    /// dataset), or `[base.model]` resolved for the dataset with `activation` in place of its own.
    pub fn network(&self, activation: &ActivationConfig) -> Result<NetworkConfig, ModelError> {
        let dataset = self.base.data.dataset;
        match self.diagnose.model {
            DiagnoseModel::DeepMlp => Ok(NetworkConfig::Mlp(MlpConfig {
                input_size: dataset.features(),
                hidden: vec![self.width(); self.depth()],
                activation: activation.clone(),
                output_size: dataset.num_classes(),
                output_activation: None,
                init: self.diagnose.init,
            })),
            DiagnoseModel::Base => {
                let mut network = self.base.model.resolve_for_dataset(dataset)?;
                *network.activation_mut() = activation.clone();
                Ok(network)
            }
        }
    }

    /// The network in words, for the report and the claims: "10-hidden-layer MLP of 128" or
    /// "[base.model] (a CNN: 3 blocks, dense [128])".
    pub fn describe(&self) -> String {
        match self.diagnose.model {
            DiagnoseModel::DeepMlp => {
                format!("{}-hidden-layer MLP of {}", self.depth(), self.width())
            }
            DiagnoseModel::Base => {
                match self.base.model.resolve_for_dataset(self.base.data.dataset) {
                    Ok(NetworkConfig::Cnn(cnn)) => format!(
                        "[base.model]: a CNN of {} block(s), dense {:?}",
                        cnn.blocks.len(),
                        cnn.dense
                    ),
                    Ok(NetworkConfig::Mlp(mlp)) => {
                        format!("[base.model]: an MLP, hidden {:?}", mlp.hidden)
                    }
                    Err(_) => "[base.model]".into(),
                }
            }
        }
    }

    /// `runs/<name>`.
    pub fn out_dir(&self) -> PathBuf {
        Path::new("runs").join(self.name.as_deref().unwrap_or("deep"))
    }
}

/// The file name of `actlab diagnose`'s JSON report.
pub const JSON: &str = "diagnose.json";

/// One activation's measurements (of the first seed; with several seeds, `seeds` holds every
/// seed's, the first included). Undefined numbers (a ratio over a zero norm, a loss never
/// measured) are NaN in memory and `null` in `diagnose.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationDiagnosis {
    /// The activation with its parameters.
    pub activation: String,
    /// Its kind.
    pub kind: String,
    /// With several `[diagnose] seeds`: each seed's measurements, in the config's order (the
    /// first is the one repeated in the fields below); empty with one seed and in files written
    /// before seeds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeedDiagnosis>,
    /// Per layer at initialisation (hidden layers, then the output layer).
    pub initial: Vec<LayerDiagnostics>,
    /// Per layer after `steps` training steps.
    pub trained: Vec<LayerDiagnostics>,
    /// ‖∇W‖ of the first layer / of the output layer, at initialisation.
    #[serde(deserialize_with = "f64_or_nan")]
    pub initial_ratio: f64,
    /// The same after training.
    #[serde(deserialize_with = "f64_or_nan")]
    pub trained_ratio: f64,
    /// Training loss of the first step.
    #[serde(deserialize_with = "f64_or_nan")]
    pub first_loss: f64,
    /// Training loss of the last step.
    #[serde(deserialize_with = "f64_or_nan")]
    pub last_loss: f64,
}

/// One network's measurements: an activation at one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedDiagnosis {
    /// The seed that initialised and trained it.
    pub seed: u64,
    /// Per layer at initialisation.
    pub initial: Vec<LayerDiagnostics>,
    /// Per layer after training.
    pub trained: Vec<LayerDiagnostics>,
    /// ‖∇W‖ of the first layer / of the output layer, at initialisation.
    #[serde(deserialize_with = "f64_or_nan")]
    pub initial_ratio: f64,
    /// The same after training.
    #[serde(deserialize_with = "f64_or_nan")]
    pub trained_ratio: f64,
    /// Training loss of the first step.
    #[serde(deserialize_with = "f64_or_nan")]
    pub first_loss: f64,
    /// Training loss of the last step.
    #[serde(deserialize_with = "f64_or_nan")]
    pub last_loss: f64,
}

impl ActivationDiagnosis {
    /// One diagnosis from each seed's (`per_seed` not empty; the first seed's fill the fields,
    /// and `seeds` lists them all when there are several).
    pub fn from_seeds(activation: String, kind: String, per_seed: Vec<SeedDiagnosis>) -> Self {
        let first = per_seed.first().cloned().unwrap_or(SeedDiagnosis {
            seed: 0,
            initial: Vec::new(),
            trained: Vec::new(),
            initial_ratio: f64::NAN,
            trained_ratio: f64::NAN,
            first_loss: f64::NAN,
            last_loss: f64::NAN,
        });
        ActivationDiagnosis {
            activation,
            kind,
            seeds: if per_seed.len() > 1 {
                per_seed
            } else {
                Vec::new()
            },
            initial: first.initial,
            trained: first.trained,
            initial_ratio: first.initial_ratio,
            trained_ratio: first.trained_ratio,
            first_loss: first.first_loss,
            last_loss: first.last_loss,
        }
    }

    /// Each seed's first/output gradient ratio at initialisation (one value with one seed, and
    /// in files written before seeds).
    pub fn initial_ratios(&self) -> Vec<f64> {
        if self.seeds.is_empty() {
            vec![self.initial_ratio]
        } else {
            self.seeds.iter().map(|s| s.initial_ratio).collect()
        }
    }

    /// Each seed's layers after training, in the same order.
    pub fn trained_per_seed(&self) -> Vec<&[LayerDiagnostics]> {
        if self.seeds.is_empty() {
            vec![&self.trained]
        } else {
            self.seeds.iter().map(|s| s.trained.as_slice()).collect()
        }
    }
}

/// `diagnose.json`: what `actlab diagnose` measured (written by `actlab_eval::output::diagnose`
/// through [`DiagnoseReport::to_json`], read by the claims through [`DiagnoseReport::find`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnoseReport {
    /// The network in words ([`DiagnoseConfig::describe`]); absent in files written before CNNs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Hidden layers (the deep MLP's; with `model = "base"`, the layers that feed an activation).
    pub depth: usize,
    /// Units per hidden layer (the deep MLP's; 0 with `model = "base"`).
    pub width: usize,
    /// Training steps between the measurements.
    pub steps: usize,
    /// Probe images.
    pub probe_images: usize,
    /// The seeds measured, in order (empty in files written before seeds were recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<u64>,
    /// The backend.
    pub backend: String,
    /// Per activation, in config order.
    pub activations: Vec<ActivationDiagnosis>,
}

impl DiagnoseReport {
    /// The text of `diagnose.json` (NaN written as `null`).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// `diagnose.json`'s text as read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<DiagnoseReport, FileError> {
        serde_json::from_str(text)
            .map_err(|e| FileError::corrupt(path, format!("not a diagnose.json: {e}")))
    }

    /// Reads a `diagnose.json` (a regular file of bounded size, like every file actlab reads).
    pub fn read(path: &Path) -> Result<DiagnoseReport, FileError> {
        let text = read_text(path, MAX_TEXT_BYTES).map_err(FileError::io(path))?;
        DiagnoseReport::parse(&text, path)
    }

    /// The first `diagnose.json` at or below `roots` (three levels deep, in name order), read;
    /// `None` when there is none or it cannot be read.
    pub fn find(roots: &[PathBuf]) -> Option<DiagnoseReport> {
        fn find(dir: &Path, depth: usize) -> Option<PathBuf> {
            let file = dir.join(JSON);
            if file.is_file() {
                return Some(file);
            }
            if depth >= 3 {
                return None;
            }
            let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            entries.sort();
            entries.into_iter().find_map(|p| find(&p, depth + 1))
        }
        roots
            .iter()
            .find_map(|root| find(root, 0))
            .and_then(|path| DiagnoseReport::read(&path).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnose_json_reads_back_including_undefined_numbers() {
        let layer = |layer: usize, grad_norm: f64| LayerDiagnostics {
            layer,
            grad_norm,
            dead_fraction: (layer == 1).then_some(0.5),
            saturated_fraction: (layer == 1).then_some(0.25),
            learned_mean: None,
            inactive_fraction: (layer == 1).then_some(0.125),
        };
        let report = DiagnoseReport {
            model: None,
            depth: 1,
            width: 4,
            steps: 0,
            probe_images: 8,
            seeds: vec![42],
            backend: "flex".into(),
            activations: vec![ActivationDiagnosis {
                activation: "relu".into(),
                kind: "relu".into(),
                seeds: Vec::new(),
                initial: vec![layer(1, 0.3), layer(2, 0.0)],
                trained: vec![layer(1, f64::NAN), layer(2, 0.2)],
                initial_ratio: f64::NAN, // 0.3 / 0
                trained_ratio: f64::NAN,
                first_loss: f64::NAN, // no step taken
                last_loss: f64::NAN,
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JSON);
        std::fs::write(&path, report.to_json().unwrap()).unwrap();
        let back = DiagnoseReport::read(&path).unwrap();
        let a = &back.activations[0];
        assert!(
            a.initial_ratio.is_nan() && a.first_loss.is_nan() && a.trained[0].grad_norm.is_nan()
        );
        assert_eq!(a.initial, report.activations[0].initial);
        assert_eq!(a.trained[1], report.activations[0].trained[1]);
        assert_eq!(
            DiagnoseReport::find(&[dir.path().to_path_buf()]).map(|r| r.depth),
            Some(1)
        );
        let error = DiagnoseReport::parse("{}", &path).unwrap_err().to_string();
        assert!(error.contains("not a diagnose.json"), "{error}");
    }
}
