//! A model on labelled images: per-image predictions and losses ([`predict_split`]), their
//! mean ([`evaluate`]). The trainer's validation and test numbers and `actlab eval` all come
//! from here, so they agree exactly.

use actlab_data::{MnistBatch, Scaling, Split};
use actlab_format::run::TestPredictions;
use actlab_model::Network;
use burn::tensor::activation::log_softmax;

use crate::backend::Backend;
use crate::error::TrainError;

/// Loss and accuracy of a model on some images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Images classified correctly.
    pub correct: usize,
    /// Images evaluated.
    pub count: usize,
}

/// Per-image results of a model on some images.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// The predicted class of each image (argmax of the logits).
    pub predicted: Vec<u8>,
    /// Its true class.
    pub labels: Vec<u8>,
    /// Its cross-entropy.
    pub losses: Vec<f32>,
}

impl Predictions {
    /// What `predictions.bin` holds of them, for images `0..n` of `split` (the test split's
    /// first images: a run's test set) of `dataset`.
    pub fn to_file(&self, dataset: &str, split: &Split) -> TestPredictions {
        TestPredictions {
            dataset: dataset.to_string(),
            test_sha256: split.sha256(self.labels.len()),
            classes: split.classes(),
            predicted: self.predicted.clone(),
            labels: self.labels.clone(),
        }
    }

    /// Mean loss and accuracy.
    pub fn evaluation(&self) -> Evaluation {
        let count = self.labels.len();
        let correct = self
            .predicted
            .iter()
            .zip(&self.labels)
            .filter(|(p, l)| p == l)
            .count();
        let loss: f64 = self.losses.iter().map(|&l| f64::from(l)).sum();
        Evaluation {
            loss: loss / count.max(1) as f64,
            accuracy: correct as f64 / count.max(1) as f64,
            correct,
            count,
        }
    }
}

/// Runs `model` (an inference model on `backend`'s device) on `split[indices]` in the
/// backend's evaluation batches ([`Backend::eval_batch`] of `train_batch`); where shapes must
/// stay fixed the last batch is padded to full size so no new kernels are compiled (the padding
/// is dropped). Images are scaled to [0, 1], as in training.
pub fn predict_split(
    model: &Network,
    split: &Split,
    indices: &[u32],
    backend: &Backend,
    train_batch: usize,
) -> Result<Predictions, TrainError> {
    let (batch, pad) = backend.eval_batch(train_batch);
    let device = &backend.device;
    let table = Scaling::Unit.table();
    let read_error = |e: &dyn std::fmt::Display| TrainError::Device {
        backend: backend.name.as_str(),
        message: e.to_string(),
    };
    let mut out = Predictions {
        predicted: Vec::with_capacity(indices.len()),
        labels: Vec::with_capacity(indices.len()),
        losses: Vec::with_capacity(indices.len()),
    };
    for chunk in indices.chunks(batch.max(1)) {
        let mut ids = chunk.to_vec();
        if pad && ids.len() < batch {
            ids.resize(batch, chunk[0]);
        }
        let MnistBatch { images, targets } = split.batch_with_table(&ids, &table, device)?;
        let n = ids.len();
        let logits = model.forward(images);
        let predicted = logits.clone().argmax(1).reshape([n]);
        let nll = log_softmax(logits, 1)
            .gather(1, targets.reshape([n, 1]))
            .reshape([n])
            .neg();
        let nll = nll.try_into_data().map_err(|e| read_error(&e))?;
        let predicted = predicted.try_into_data().map_err(|e| read_error(&e))?;
        out.losses.extend(nll.iter::<f32>().take(chunk.len()));
        out.predicted
            .extend(predicted.iter::<i64>().take(chunk.len()).map(|p| p as u8));
        out.labels
            .extend(chunk.iter().map(|&i| split.labels()[i as usize]));
    }
    Ok(out)
}

/// Mean loss and accuracy of `model` on `split[indices]` (see [`predict_split`]).
pub fn evaluate(
    model: &Network,
    split: &Split,
    indices: &[u32],
    backend: &Backend,
    train_batch: usize,
) -> Result<Evaluation, TrainError> {
    Ok(predict_split(model, split, indices, backend, train_batch)?.evaluation())
}
