//! Diagnostics against hand-computed answers.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use actlab_format::activation::ActivationConfig;
use actlab_format::model::{Init, MlpConfig};
use actlab_model::{MlpInit, Network};
use actlab_train::diagnostics::probe;
use burn::module::Param;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// A 2 → 2 → 2 MLP with the given weights (`[d_in, d_out]`, row-major) and zero biases.
fn mlp(activation: ActivationConfig, w1: [f32; 4], w2: [f32; 4], device: &Device) -> Network {
    let config = MlpConfig {
        input_size: 2,
        hidden: vec![2],
        activation,
        output_size: 2,
        output_activation: None,
        init: Init::Pytorch,
    };
    let mut model = config.init(device).unwrap();
    let set = |w: [f32; 4]| Param::from_data(TensorData::new(w.to_vec(), [2, 2]), device);
    model.hidden[0].weight = set(w1);
    model.hidden[0].bias = Some(Param::from_data(
        TensorData::new(vec![0.0f32; 2], [2]),
        device,
    ));
    model.output.weight = set(w2);
    model.output.bias = Some(Param::from_data(
        TensorData::new(vec![0.0f32; 2], [2]),
        device,
    ));
    Network::Mlp(model)
}

fn inputs(rows: &[[f32; 2]], targets: &[i64], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    (
        Tensor::from_data(TensorData::new(flat, [rows.len(), 2]), device),
        Tensor::from_data(TensorData::new(targets.to_vec(), [targets.len()]), device),
    )
}

#[test]
fn gradient_norms_match_a_hand_computed_backward_pass() {
    for base in [
        Device::flex(),
        #[allow(deprecated)]
        Device::ndarray(),
    ] {
        let device = base.autodiff();
        // x = [1, 2]; W1 = [[1, −1], [0.5, 1]] → z = [2, 1] (ReLU passes both);
        // W2 = [[2, 0], [0, 1]] → logits [4, 1]; target 0.
        let model = mlp(
            ActivationConfig::Relu,
            [1.0, -1.0, 0.5, 1.0],
            [2.0, 0.0, 0.0, 1.0],
            &device,
        );
        let (x, y) = inputs(&[[1.0, 2.0]], &[0], &device);
        let layers = probe(&model, x, y).unwrap();
        // ∂L/∂logits = softmax − onehot = [−q, q] with q = 1 − σ(3).
        let q = 1.0 - 1.0 / (1.0 + (-3.0f64).exp());
        // ∂L/∂W2 = h ⊗ [−q, q] with h = [2, 1]: norm q·√10.
        assert!(
            (layers[1].grad_norm - q * 10f64.sqrt()).abs() < 1e-6,
            "{layers:?}"
        );
        // ∂L/∂z = [−q, q]·W2ᵀ = [−2q, q]; ∂L/∂W1 = x ⊗ that: norm q·√(4+1+16+4) = 5q.
        assert!((layers[0].grad_norm - 5.0 * q).abs() < 1e-6, "{layers:?}");
        assert_eq!(layers[0].dead_fraction, Some(0.0));
        assert_eq!(
            layers[1].dead_fraction, None,
            "the output layer has no activation"
        );
        assert_eq!(layers[0].learned_mean, None);
    }
}

#[test]
fn dead_and_saturated_units_are_counted() {
    let device = Device::flex().autodiff();
    // Non-negative inputs. Unit 0 has weights (1, 1): positive input, alive. Unit 1 has weights
    // (−1, −1): input ≤ 0 for every image, so a ReLU unit is dead there.
    let rows = [[0.5, 1.0], [2.0, 0.0], [1.0, 1.0]];
    let w1 = [1.0, -1.0, 1.0, -1.0];
    let w2 = [1.0, 0.0, 0.0, 1.0];
    let (x, y) = inputs(&rows, &[0, 1, 0], &device);
    let relu = probe(
        &mlp(ActivationConfig::Relu, w1, w2, &device),
        x.clone(),
        y.clone(),
    )
    .unwrap();
    assert_eq!(relu[0].dead_fraction, Some(0.5));
    assert_eq!(relu[0].saturated_fraction, Some(0.5));
    // Unit 1's input is ≤ 0 on every image: inactive, for ReLU the same unit as the dead one.
    assert_eq!(relu[0].inactive_fraction, Some(0.5));
    assert_eq!(relu[1].inactive_fraction, None, "the output layer");
    // Leaky ReLU never dies: its derivative below zero is its slope, 0.01. (Whether that counts
    // as saturated sits on the threshold; the claims use saturation for sigmoid and tanh only.)
    let leaky = probe(
        &mlp(ActivationConfig::leaky_relu(), w1, w2, &device),
        x.clone(),
        y.clone(),
    )
    .unwrap();
    assert_eq!(leaky[0].dead_fraction, Some(0.0));
    // … but its unit 1 is inactive (never on the positive side), a state it can reach and leave.
    assert_eq!(leaky[0].inactive_fraction, Some(0.5));
    // PReLU's learned slope is reported.
    let prelu = probe(
        &mlp(ActivationConfig::prelu(), w1, w2, &device),
        x.clone(),
        y.clone(),
    )
    .unwrap();
    assert_eq!(prelu[0].learned_mean, Some(0.25));
    // Sigmoid with huge weights: unit 0 at z ≥ 50 → σ′ < 1e-6 (dead and saturated); unit 1 at
    // z = 0 for every image (weights 0) → σ′ = 0.25 (neither).
    let sigmoid = mlp(
        ActivationConfig::Sigmoid,
        [100.0, 0.0, 100.0, 0.0],
        w2,
        &device,
    );
    let layers = probe(&sigmoid, x.clone(), y.clone()).unwrap();
    assert_eq!(layers[0].dead_fraction, Some(0.5));
    assert_eq!(layers[0].saturated_fraction, Some(0.5));
    // Unit 1's input is exactly 0 on every image: inactive (≤ 0), though sigmoid passes 0.25.
    assert_eq!(layers[0].inactive_fraction, Some(0.5));
    // Negative on one image is not inactive: unit 1 with weights (−1, 1.6) gets z = 1.1, −2, 0.6.
    let mixed = probe(
        &mlp(ActivationConfig::Relu, [1.0, -1.0, 1.0, 1.6], w2, &device),
        x,
        y,
    )
    .unwrap();
    assert_eq!(mixed[0].inactive_fraction, Some(0.0));
    assert_eq!(mixed[0].dead_fraction, Some(0.0));
}
