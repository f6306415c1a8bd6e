//! The MLP, the article's presets, initialisation, config round-trips and validation.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use actlab_format::activation::ActivationConfig;
use actlab_format::cnn::CnnConfig;
use actlab_format::config::ModelSpec;
use actlab_format::error::ModelError;
use actlab_format::model::{Init, MlpConfig, NetworkConfig};
use actlab_format::preset::Preset;
use actlab_model::{MlpInit, NetworkInit};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use common::*;

#[test]
fn presets_have_the_articles_parameter_counts() {
    let device = Device::flex();
    let prelu = Preset::PreluMlp.config().init(&device).unwrap();
    assert_eq!(prelu.num_params(), 101_771);
    let swish = Preset::SwishMlp.config().init(&device).unwrap();
    assert_eq!(swish.num_params(), 50_890);

    let learnable = ModelSpec {
        preset: Some(Preset::SwishMlp),
        activation: Some(ActivationConfig::Swish {
            beta: 1.0,
            trainable: true,
        }),
        ..ModelSpec::default()
    };
    assert_eq!(
        learnable
            .resolve()
            .unwrap()
            .init(&device)
            .unwrap()
            .num_params(),
        50_891
    );

    let per_unit = ModelSpec {
        preset: Some(Preset::PreluMlp),
        activation: Some(ActivationConfig::Prelu {
            slope: 0.25,
            per_unit: true,
        }),
        ..ModelSpec::default()
    };
    assert_eq!(
        per_unit
            .resolve()
            .unwrap()
            .init(&device)
            .unwrap()
            .num_params(),
        101_771 - 1 + 128
    );
}

#[test]
fn summary_lists_layers_shapes_and_counts() {
    let device = Device::flex();
    let summary = Preset::SwishMlp.config().init(&device).unwrap().summary();
    assert_eq!(summary.params, 50_890);
    let rows: Vec<(&str, &str, Vec<Option<usize>>, usize)> = summary
        .layers
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.kind.as_str(),
                l.output_shape.clone(),
                l.params,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("linear_1", "Linear", vec![None, Some(64)], 50_240),
            ("swish_1", "Swish", vec![None, Some(64)], 0),
            ("linear_2", "Linear", vec![None, Some(10)], 650),
            ("softmax_1", "Softmax", vec![None, Some(10)], 0),
        ]
    );
    assert_eq!(
        summary.layers.iter().map(|l| l.params).sum::<usize>(),
        summary.params
    );
    let text = summary.to_string();
    assert!(text.contains("Total params: 50,890"), "{text}");
    assert!(
        text.contains("linear_1 (Linear)") && text.contains("(None, 64)"),
        "{text}"
    );

    let deep = MlpConfig {
        input_size: 20,
        hidden: vec![16, 8, 4],
        activation: ActivationConfig::prelu(),
        output_size: 3,
        output_activation: None,
        init: Init::He,
    };
    let summary = deep.init(&device).unwrap().summary();
    assert_eq!(summary.layers.len(), 7);
    assert_eq!(summary.layers[5].name, "prelu_3");
    assert_eq!(
        summary.params,
        (20 * 16 + 16) + 1 + (16 * 8 + 8) + 1 + (8 * 4 + 4) + 1 + (4 * 3 + 3)
    );
}

#[test]
fn forward_gives_logits_and_probabilities_sum_to_one() {
    for (backend, device) in backends() {
        let model = Preset::SwishMlp.config().init(&device).unwrap();
        let x = Tensor::<2>::random(
            [5, 784],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let logits = model.forward(x.clone());
        assert_eq!(logits.dims(), [5, 10], "{backend}");
        let probs = model.probabilities(x);
        let sums = to_vec(probs.clone().sum_dim(1));
        assert!(
            sums.iter().all(|s| (s - 1.0).abs() < 1e-5),
            "{backend}: {sums:?}"
        );
        // probabilities are the softmax of the logits
        let l = to_vec(logits);
        let p = to_vec(probs);
        for row in 0..5 {
            let r = &l[row * 10..row * 10 + 10];
            let m = r.iter().cloned().fold(f64::MIN, f64::max);
            let z: f64 = r.iter().map(|v| (v - m).exp()).sum();
            for c in 0..10 {
                let expected = (r[c] - m).exp() / z;
                assert!((p[row * 10 + c] - expected).abs() < 1e-6, "{backend}");
            }
        }
    }
}

fn weights_and_bias(init: Init, fan_in: usize, fan_out: usize) -> (Vec<f64>, Vec<f64>) {
    let device = Device::flex();
    device.seed(7);
    let config = MlpConfig {
        input_size: fan_in,
        hidden: vec![],
        activation: ActivationConfig::Relu,
        output_size: fan_out,
        output_activation: None,
        init,
    };
    let model = config.init(&device).unwrap();
    let w = to_vec(model.output.weight.val());
    let b = to_vec(model.output.bias.as_ref().expect("bias").val());
    (w, b)
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn assert_pytorch_linear_init(w: &[f64], b: &[f64], fan_in: usize, what: &str) {
    let bound = 1.0 / (fan_in as f64).sqrt();
    assert!(
        w.iter().chain(b).all(|v| v.abs() <= bound + 1e-7),
        "{what}: out of bounds"
    );
    // U(-k, k) has std k/√3; 120k samples put the estimate within 1%.
    let (mean, std) = mean_std(w);
    assert!(mean.abs() < 0.01 * bound, "{what}: mean {mean}");
    assert!(
        (std / (bound / 3f64.sqrt()) - 1.0).abs() < 0.01,
        "{what}: std {std}"
    );
    assert!(
        w.iter().any(|v| v.abs() > 0.95 * bound),
        "{what}: fills the range"
    );
    assert!(
        b.iter().any(|v| v.abs() > 0.5 * bound),
        "{what}: biases are not zero"
    );
}

#[test]
fn burns_linear_default_and_our_pytorch_init_match_pytorch() {
    // PyTorch's nn.Linear: weight kaiming_uniform(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in).
    let (fan_in, fan_out) = (400, 300);
    let (w, b) = weights_and_bias(Init::Pytorch, fan_in, fan_out);
    assert_pytorch_linear_init(&w, &b, fan_in, "Init::Pytorch");

    let device = Device::flex();
    device.seed(11);
    let linear = burn::nn::LinearConfig::new(fan_in, fan_out).init(&device);
    let w = to_vec(linear.weight.val());
    let b = to_vec(linear.bias.as_ref().expect("bias by default").val());
    assert_pytorch_linear_init(&w, &b, fan_in, "burn::nn::LinearConfig default");
}

#[test]
fn glorot_init_is_keras_glorot_uniform_with_zero_biases() {
    let (fan_in, fan_out) = (400, 300);
    let (w, b) = weights_and_bias(Init::Glorot, fan_in, fan_out);
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    assert!(w.iter().all(|v| v.abs() <= limit + 1e-7));
    assert!(w.iter().any(|v| v.abs() > 0.95 * limit));
    let (_, std) = mean_std(&w);
    assert!(
        (std / (limit / 3f64.sqrt()) - 1.0).abs() < 0.01,
        "std {std}"
    );
    assert!(b.iter().all(|v| *v == 0.0));
}

#[test]
fn he_init_is_normal_with_variance_two_over_fan_in_and_zero_biases() {
    let (fan_in, fan_out) = (400, 300);
    let (w, b) = weights_and_bias(Init::He, fan_in, fan_out);
    let (mean, std) = mean_std(&w);
    let want = (2.0 / fan_in as f64).sqrt();
    assert!(mean.abs() < 0.01 * want, "mean {mean}");
    assert!((std / want - 1.0).abs() < 0.01, "std {std} vs {want}");
    assert!(b.iter().all(|v| *v == 0.0));
}

#[test]
fn training_a_small_mlp_drives_the_loss_down() {
    // Two Gaussian blobs per class in 8 dimensions, 3 classes: learnable in a few dozen steps.
    for (backend, device) in backends() {
        let device = device.autodiff();
        device.seed(3);
        let n = 96;
        let mut xs = Vec::with_capacity(n * 8);
        let mut ys = Vec::with_capacity(n);
        for i in 0..n {
            let class = i % 3;
            for d in 0..8 {
                let centre = if d % 3 == class { 2.0 } else { -1.0 };
                let jitter = ((i * 31 + d * 17) % 13) as f32 / 13.0 - 0.5;
                xs.push(centre + jitter);
            }
            ys.push(class as i64);
        }
        let x = Tensor::<2>::from_data(TensorData::new(xs, [n, 8]), &device);
        let y = Tensor::<1, Int>::from_data(TensorData::new(ys, [n]), &device);
        for activation in [
            ActivationConfig::prelu(),
            ActivationConfig::Swish {
                beta: 1.0,
                trainable: true,
            },
            ActivationConfig::Tanh,
        ] {
            let config = MlpConfig {
                input_size: 8,
                hidden: vec![16],
                activation: activation.clone(),
                output_size: 3,
                output_activation: Some(ActivationConfig::softmax()),
                init: Init::Pytorch,
            };
            let mut model = config.init(&device).unwrap();
            let mut optim = AdamConfig::new().init();
            let loss_fn = CrossEntropyLossConfig::new().init(&device);
            let mut losses = Vec::new();
            for _ in 0..60 {
                let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
                losses.push(to_vec(loss.clone())[0]);
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(0.02, model, grads);
            }
            let first = losses[0];
            let last = *losses.last().unwrap();
            assert!(
                last < 0.25 * first,
                "{backend} {}: loss {first} → {last}",
                activation.label()
            );
            let predictions = to_vec(
                model
                    .valid()
                    .forward(x.clone().without_autodiff())
                    .argmax(1)
                    .float(),
            );
            let labels = to_vec(y.clone().float());
            let correct = predictions
                .iter()
                .zip(&labels)
                .filter(|(p, l)| p == l)
                .count();
            assert!(
                correct as f64 / n as f64 > 0.95,
                "{backend} {}: {correct}/{n}",
                activation.label()
            );
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct File {
    model: ModelSpec,
}

#[test]
fn configs_round_trip_through_toml() {
    for preset in Preset::ALL {
        let config = preset.config();
        match &config {
            NetworkConfig::Mlp(mlp) => {
                let text = toml::to_string(mlp).unwrap();
                let back: MlpConfig = toml::from_str(&text).unwrap();
                assert_eq!(&back, mlp, "{text}");
            }
            NetworkConfig::Cnn(cnn) => {
                let text = toml::to_string(cnn).unwrap();
                let back: CnnConfig = toml::from_str(&text).unwrap();
                assert_eq!(&back, cnn, "{text}");
            }
        }

        let spec = ModelSpec::from(preset).resolved().unwrap();
        let text = toml::to_string(&File {
            model: spec.clone(),
        })
        .unwrap();
        let back: File = toml::from_str(&text).unwrap();
        assert_eq!(back.model, spec, "{text}");
        assert_eq!(back.model.resolve().unwrap(), config);
    }
    let custom: File = toml::from_str(
        r#"
        [model]
        hidden = [256, 128]
        activation = { kind = "leaky_relu", slope = 0.1 }
        output_activation = "softmax"
        init = "he"
        "#,
    )
    .unwrap();
    let resolved = custom.model.resolve().unwrap();
    let resolved = resolved.mlp().unwrap();
    assert_eq!(resolved.input_size, 784);
    assert_eq!(resolved.hidden, vec![256, 128]);
    assert_eq!(
        resolved.activation,
        ActivationConfig::LeakyRelu { slope: 0.1 }
    );
    let again: MlpConfig = toml::from_str(&toml::to_string(resolved).unwrap()).unwrap();
    assert_eq!(&again, resolved);
}

#[test]
fn bad_model_sections_are_errors_naming_the_field() {
    let spec = |text: &str| toml::from_str::<File>(text).map(|f| f.model);
    let err = spec("[model]\npreset = \"prelu-mlp\"\nactivaton = \"relu\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("activaton"), "{err}");
    let err = spec("[model]\npreset = \"resnet\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("resnet") && err.contains("prelu-mlp"), "{err}");
    let err = spec("[model]\nhidden = [64]\nactivation = \"swishh\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("swishh"), "{err}");

    let missing = ModelSpec {
        hidden: Some(vec![3]),
        ..ModelSpec::default()
    }
    .resolve()
    .unwrap_err();
    assert!(
        matches!(&missing, ModelError::MissingField { field, .. } if field == "model.activation"),
        "{missing}"
    );

    let zero = ModelSpec {
        preset: Some(Preset::PreluMlp),
        hidden: Some(vec![128, 0]),
        ..ModelSpec::default()
    };
    assert!(
        zero.resolve()
            .unwrap_err()
            .to_string()
            .contains("model.hidden[1]")
    );

    let hidden_softmax = ModelSpec {
        preset: Some(Preset::PreluMlp),
        activation: Some(ActivationConfig::softmax()),
        ..ModelSpec::default()
    };
    assert!(
        hidden_softmax
            .resolve()
            .unwrap_err()
            .to_string()
            .contains("model.activation")
    );

    let bad_output = ModelSpec {
        preset: Some(Preset::PreluMlp),
        output_activation: Some(ActivationConfig::Tanh),
        ..ModelSpec::default()
    };
    assert!(
        bad_output
            .resolve()
            .unwrap_err()
            .to_string()
            .contains("model.output_activation")
    );

    let bad_dim = ModelSpec {
        preset: Some(Preset::SwishMlp),
        output_activation: Some(ActivationConfig::Softmax { dim: 0 }),
        ..ModelSpec::default()
    };
    assert!(
        bad_dim
            .resolve()
            .unwrap_err()
            .to_string()
            .contains("model.output_activation.dim")
    );

    let huge = ModelSpec {
        preset: Some(Preset::PreluMlp),
        hidden: Some(vec![1 << 20, 1 << 20]),
        ..ModelSpec::default()
    };
    let err = huge.resolve().unwrap_err().to_string();
    assert!(
        err.contains("model.hidden") && err.contains("at most"),
        "{err}"
    );
    let overflow = ModelSpec {
        preset: Some(Preset::PreluMlp),
        hidden: Some(vec![usize::MAX]),
        ..ModelSpec::default()
    };
    assert!(overflow.resolve().is_err());

    let no_softmax = ModelSpec {
        preset: Some(Preset::SwishMlp),
        output_activation: Some(ActivationConfig::Identity),
        ..ModelSpec::default()
    };
    assert_eq!(no_softmax.resolve().unwrap().output_activation(), None);
}

fn linear_values(model: &actlab_model::Mlp) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for linear in model.hidden.iter().chain(std::iter::once(&model.output)) {
        out.push(linear.weight.val().into_data().iter::<f32>().collect());
        out.push(
            linear
                .bias
                .as_ref()
                .unwrap()
                .val()
                .into_data()
                .iter::<f32>()
                .collect(),
        );
    }
    out
}

/// Mean and (population) variance.
fn mean_var(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var)
}

#[test]
fn seeded_init_is_the_same_on_every_backend_and_follows_the_scheme() {
    #[allow(deprecated)]
    let ndarray = Device::ndarray();
    for preset in [Preset::PreluMlp, Preset::SwishMlp] {
        let NetworkConfig::Mlp(config) = preset.config() else {
            unreachable!("an MLP preset")
        };
        let a = linear_values(&config.init_seeded(&Device::flex(), 5).unwrap());
        let b = linear_values(&config.init_seeded(&ndarray, 5).unwrap());
        let c = linear_values(&config.init_seeded(&Device::flex().autodiff(), 5).unwrap());
        assert_eq!(a, b, "{preset}: flex and ndarray differ");
        assert_eq!(a, c, "{preset}: autodiff changes the draw");
        let other = linear_values(&config.init_seeded(&Device::flex(), 6).unwrap());
        assert_ne!(a, other, "{preset}: the seed is ignored");

        // Layer 0: fan_in 784. PyTorch: U(±1/√784) for weights and biases; Glorot:
        // U(±√(6/(784+units))) weights, zero biases.
        let units = config.hidden[0];
        let (weights, biases) = (&a[0], &a[1]);
        let bound = match config.init {
            Init::Pytorch => 1.0 / 784f64.sqrt(),
            _ => (6.0 / (784 + units) as f64).sqrt(),
        };
        assert!(weights.iter().all(|w| f64::from(w.abs()) <= bound));
        // A uniform draw fills its range: mean ≈ 0, variance ≈ bound²/3 (n ≥ 50,000).
        let (mean, var) = mean_var(weights);
        assert!(mean.abs() < 0.02 * bound, "{preset}: mean {mean}");
        assert!(
            (var / (bound * bound / 3.0) - 1.0).abs() < 0.03,
            "{preset}: var {var}"
        );
        match config.init {
            Init::Pytorch => assert!(biases.iter().any(|&b| b != 0.0)),
            _ => assert!(biases.iter().all(|&b| b == 0.0)),
        }
    }
}

#[test]
fn seeded_he_init_is_normal_with_variance_two_over_fan_in() {
    let config = MlpConfig {
        init: Init::He,
        ..Preset::PreluMlp.config().mlp().unwrap().clone()
    };
    let values = linear_values(&config.init_seeded(&Device::flex(), 1).unwrap());
    let weights = &values[0];
    let (mean, var) = mean_var(weights);
    let n = weights.len() as f64;
    let expected: f64 = 2.0 / 784.0;
    assert!(mean.abs() < 0.01 * expected.sqrt(), "mean {mean}");
    assert!(
        (var / expected - 1.0).abs() < 0.03,
        "var {var} vs {expected}"
    );
    // Normal, not uniform: some draws beyond 2σ (about 4.6% of them).
    let beyond = weights
        .iter()
        .filter(|&&w| f64::from(w).abs() > 2.0 * expected.sqrt())
        .count() as f64
        / n;
    assert!((beyond - 0.0455).abs() < 0.005, "{beyond}");
    assert!(values[1].iter().all(|&b| b == 0.0));
}
