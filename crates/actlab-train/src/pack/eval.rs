//! Every member's validation through the packed network: one forward per batch for all
//! members.

use actlab_model::PackedMlp;

use crate::backend;
use crate::error::TrainError;

/// Every member's loss and accuracy on `split[indices]`, through the packed network: the
/// batches of [`crate::evaluate::predict_split`] (the backend's evaluation size, the last one
/// padded where shapes must stay fixed), each image's cross-entropy summed in f64 in index
/// order as there.
pub(super) fn evaluate_pack(
    net: &PackedMlp,
    split: &actlab_data::Split,
    indices: &[u32],
    backend: &backend::Backend,
    train_batch: usize,
) -> Result<Vec<crate::evaluate::Evaluation>, TrainError> {
    use burn::tensor::activation::log_softmax;
    let (size, pad) = backend.eval_batch(train_batch);
    let device = net.first_weight.device();
    let table = actlab_data::Scaling::Unit.table();
    let k = net.members();
    let read_error = |e: &dyn std::fmt::Display| TrainError::Device {
        backend: backend.name.as_str(),
        message: e.to_string(),
    };
    let mut loss = vec![0.0f64; k];
    let mut correct = vec![0usize; k];
    for chunk in indices.chunks(size.max(1)) {
        let mut ids = chunk.to_vec();
        if pad && ids.len() < size {
            ids.resize(size, chunk[0]);
        }
        let b = split.batch_with_table(&ids, &table, &device)?;
        let n = ids.len();
        let logits = net.forward(b.images).detach();
        let targets = b.targets.reshape([1, n, 1]).expand([k, n, 1]);
        let predicted = logits.clone().argmax(2).reshape([k, n]);
        let nll = log_softmax(logits, 2)
            .gather(2, targets)
            .reshape([k, n])
            .neg();
        let nll: Vec<f32> = nll
            .try_into_data()
            .map_err(|e| read_error(&e))?
            .iter::<f32>()
            .collect();
        let predicted: Vec<i64> = predicted
            .try_into_data()
            .map_err(|e| read_error(&e))?
            .iter::<i64>()
            .collect();
        for m in 0..k {
            for (j, &i) in chunk.iter().enumerate() {
                loss[m] += f64::from(nll[m * n + j]);
                if predicted[m * n + j] == i64::from(split.labels()[i as usize]) {
                    correct[m] += 1;
                }
            }
        }
    }
    let count = indices.len();
    Ok((0..k)
        .map(|m| crate::evaluate::Evaluation {
            loss: loss[m] / count.max(1) as f64,
            accuracy: correct[m] as f64 / count.max(1) as f64,
            correct: correct[m],
            count,
        })
        .collect())
}
