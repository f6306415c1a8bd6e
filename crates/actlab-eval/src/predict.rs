//! `actlab predict`: a trained run's opinion about images.
//!
//! An image of any size (PNG, JPEG, PGM/PPM/PBM) is decoded by `actlab_format::image` (8-bit
//! grayscale, 28×28, optionally inverted) and scaled to [0, 1] exactly as training scales its
//! pixels.

use std::path::{Path, PathBuf};

use actlab_data::Scaling;
use actlab_format::config::{BackendSection, Experiment};
use actlab_format::dataset::IMAGE_PIXELS;
use actlab_format::image::read_image;
use actlab_format::run::files;
use actlab_model::Network;
use actlab_train::run::{self, load_model};
use actlab_train::{Backend, TrainError};
use burn::tensor::{Tensor, TensorData};
use serde::Serialize;

use crate::error::EvalError;

use actlab_format::image::IMAGE_EXTENSIONS;

/// A class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassProbability {
    /// Index.
    pub class: usize,
    /// Name.
    pub name: String,
    /// Softmax probability.
    pub probability: f32,
}

/// The answer for one input.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// The image path, or `test[N]`.
    pub input: String,
    /// The K most probable classes, most probable first.
    pub top: Vec<ClassProbability>,
    /// The true class, for test-set items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_class: Option<usize>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_name: Option<String>,
}

/// A run's model, ready to classify 28×28 images.
pub struct Predictor {
    pub(crate) model: Network,
    pub(crate) backend: Backend,
    pub(crate) experiment: Experiment,
}

impl Predictor {
    /// Loads the final weights of `run_dir` on its backend, or on `backend`, verified against
    /// their recorded SHA-256 (weights with none recorded are refused unless `unverified`).
    pub fn open(
        run_dir: &Path,
        backend: Option<BackendSection>,
        unverified: bool,
    ) -> Result<Self, EvalError> {
        let mut config = run::run_config(run_dir)?;
        if let Some(backend) = backend {
            config.backend = backend;
        }
        let experiment = config
            .validate(&run_dir.join(files::CONFIG))
            .map_err(TrainError::from)?;
        if !run_dir.join(files::MODEL).is_file() {
            return Err(TrainError::NotARun {
                dir: run_dir.to_path_buf(),
                missing: files::MODEL,
            }
            .into());
        }
        let backend = actlab_train::device(&experiment.backend).map_err(TrainError::from)?;
        let model = load_model(run_dir, &experiment, &backend.device, unverified)?;
        Ok(Predictor {
            model,
            backend,
            experiment,
        })
    }

    /// The run's validated config.
    pub fn experiment(&self) -> &Experiment {
        &self.experiment
    }

    /// The class names of the run's dataset.
    pub fn class_names(&self) -> &'static [&'static str] {
        self.experiment.data.dataset.class_names()
    }

    fn batch(&self, images: &[Vec<f32>]) -> Tensor<2> {
        let flat: Vec<f32> = images.iter().flatten().copied().collect();
        Tensor::from_data(
            TensorData::new(flat, [images.len(), IMAGE_PIXELS]),
            &self.backend.device,
        )
    }

    fn read(tensor: Tensor<2>, rows: usize) -> Result<Vec<Vec<f32>>, EvalError> {
        let data = tensor.try_into_data().map_err(|e| {
            EvalError::Train(TrainError::Device {
                backend: "prediction",
                message: e.to_string(),
            })
        })?;
        let values: Vec<f32> = data.iter::<f32>().collect();
        let width = values.len() / rows.max(1);
        Ok(values.chunks(width.max(1)).map(<[f32]>::to_vec).collect())
    }

    /// The logits for 784-pixel images (each already scaled).
    pub fn logits(&self, images: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, EvalError> {
        if images.is_empty() {
            return Ok(Vec::new());
        }
        Self::read(self.model.forward(self.batch(images)), images.len())
    }

    /// [`Predictor::open`] for classifying images: a run on another kind of data (MNIST-1D's
    /// sequences) is [`EvalError::NotImages`].
    pub fn for_images(
        run_dir: &Path,
        backend: Option<BackendSection>,
        unverified: bool,
    ) -> Result<Self, EvalError> {
        let predictor = Predictor::open(run_dir, backend, unverified)?;
        predictor.check_images()?;
        Ok(predictor)
    }

    fn check_images(&self) -> Result<(), EvalError> {
        let dataset = self.experiment.data.dataset;
        if dataset.features() == IMAGE_PIXELS {
            Ok(())
        } else {
            Err(EvalError::NotImages { dataset })
        }
    }

    /// Class probabilities (the model's softmax) for 784-pixel images.
    pub fn probabilities(&self, images: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, EvalError> {
        self.check_images()?;
        if images.is_empty() {
            return Ok(Vec::new());
        }
        Self::read(self.model.probabilities(self.batch(images)), images.len())
    }

    /// The `k` most probable classes.
    pub fn top(&self, probabilities: &[f32], k: usize) -> Vec<ClassProbability> {
        let names = self.class_names();
        let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(k)
            .map(|(class, probability)| ClassProbability {
                class,
                name: names
                    .get(class)
                    .map_or_else(|| class.to_string(), |n| n.to_string()),
                probability,
            })
            .collect()
    }
}

/// Reads an image file as 784 pixels scaled like the training data.
pub fn load_image(path: &Path, invert: bool) -> Result<Vec<f32>, EvalError> {
    let pixels = read_image(path, invert).map_err(|e| EvalError::Image {
        path: e.path,
        message: e.message,
    })?;
    Ok(scale_pixels(&pixels))
}

/// 8-bit pixels scaled exactly as training scales them ([`Scaling::Unit`]).
pub fn scale_pixels(pixels: &[u8]) -> Vec<f32> {
    let table = Scaling::Unit.table();
    pixels.iter().map(|&p| table[usize::from(p)]).collect()
}

/// Expands the arguments: files stay, a directory becomes its image files (sorted by name).
pub fn image_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, EvalError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|error| TrainError::Io {
                path: path.clone(),
                error,
            })?;
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                    })
                })
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}
