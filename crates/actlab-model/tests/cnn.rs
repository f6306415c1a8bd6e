//! Convolutional networks: the presets' parameter counts, forward passes checked against a
//! direct f64 computation (convolution, padding, per-channel PReLU, pooling, flattening order;
//! a 1-D residual block with BatchNorm, projection and global pooling), BatchNorm's running
//! statistics as recorded state, and seeded initialisation equal on every backend.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use actlab_format::activation::ActivationConfig;
use actlab_format::cnn::{CnnBlock, CnnConfig};
use actlab_format::model::{Init, NetworkConfig};
use actlab_format::preset::Preset;
use actlab_model::{Activation, Cnn, CnnInit, Network, NetworkInit};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use common::*;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    to_vec(t)
}

#[test]
fn presets_have_their_published_parameter_counts() {
    let device = Device::flex();
    for (preset, count, layers) in [
        (Preset::Lenet5, 61_706, 12),
        (Preset::Vgg8, 9_224_458, 22),
        (Preset::Resnet20, 272_186, 0),
    ] {
        let config = preset.config();
        assert_eq!(config.parameter_estimate(), Some(count), "{preset}");
        let model = config.init(&device).unwrap();
        let summary = model.summary();
        assert_eq!(summary.params, count, "{preset}");
        assert_eq!(
            summary.layers.iter().map(|l| l.params).sum::<usize>(),
            count
        );
        if layers > 0 {
            assert_eq!(summary.layers.len(), layers, "{preset}: {summary}");
        }
        let x = Tensor::<2>::zeros([2, 784], &device);
        assert_eq!(model.forward(x).dims(), [2, 10], "{preset}");
    }
    // LeNet-5's shapes, layer by layer (PAU's network from 28×28).
    let summary = Preset::Lenet5.config().init(&device).unwrap().summary();
    let shapes: Vec<Vec<Option<usize>>> = summary
        .layers
        .iter()
        .map(|l| l.output_shape.clone())
        .collect();
    assert_eq!(shapes[0], [None, Some(6), Some(28), Some(28)]);
    assert_eq!(shapes[2], [None, Some(6), Some(14), Some(14)]);
    assert_eq!(shapes[3], [None, Some(16), Some(10), Some(10)]);
    assert_eq!(shapes[5], [None, Some(16), Some(5), Some(5)]);
    assert_eq!(shapes[6], [None, Some(120), Some(1), Some(1)]);
    // A per-channel PReLU adds one slope per channel and unit: 6 + 16 + 120 + 84.
    let mut prelu = Preset::Lenet5.config();
    *prelu.activation_mut() = ActivationConfig::Prelu {
        slope: 0.25,
        per_unit: true,
    };
    let model = prelu.init(&device).unwrap();
    assert_eq!(model.summary().params, 61_706 + 6 + 16 + 120 + 84);
    assert_eq!(
        model
            .learned_activation_values()
            .unwrap()
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        [6, 16, 120, 84]
    );
}

fn small(input: [usize; 3], blocks: Vec<CnnBlock>, global_pool: bool, out: usize) -> CnnConfig {
    CnnConfig {
        input,
        blocks,
        global_pool,
        dense: vec![],
        activation: ActivationConfig::Prelu {
            slope: 0.25,
            per_unit: true,
        },
        output_size: out,
        output_activation: None,
        init: Init::Pytorch,
    }
}

fn set_slopes(activation: &mut Activation, slopes: &[f32], device: &Device) {
    let Activation::Prelu(prelu) = activation else {
        panic!("a PReLU")
    };
    prelu.alpha = Param::from_data(TensorData::new(slopes.to_vec(), [slopes.len()]), device);
}

/// `conv` of `x` (`[c_in][h][w]`) with weights `[c_out][c_in][kh][kw]`, zero padding and
/// stride, in f64.
#[allow(clippy::too_many_arguments)]
fn conv(
    x: &[Vec<Vec<f64>>],
    w: &[f64],
    b: Option<&[f64]>,
    [c_out, kh, kw]: [usize; 3],
    [ph, pw]: [usize; 2],
    [sh, sw]: [usize; 2],
) -> Vec<Vec<Vec<f64>>> {
    let (c_in, h, wd) = (x.len(), x[0].len(), x[0][0].len());
    let oh = (h + 2 * ph - kh) / sh + 1;
    let ow = (wd + 2 * pw - kw) / sw + 1;
    let mut y = vec![vec![vec![0.0; ow]; oh]; c_out];
    for (o, plane) in y.iter_mut().enumerate() {
        for (i, row) in plane.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let mut s = b.map_or(0.0, |b| b[o]);
                for (c, xc) in x.iter().enumerate() {
                    for di in 0..kh {
                        for dj in 0..kw {
                            let (r, q) = (
                                (i * sh + di) as isize - ph as isize,
                                (j * sw + dj) as isize - pw as isize,
                            );
                            if r >= 0 && q >= 0 && (r as usize) < h && (q as usize) < wd {
                                s += w[((o * c_in + c) * kh + di) * kw + dj]
                                    * xc[r as usize][q as usize];
                            }
                        }
                    }
                }
                *v = s;
            }
        }
    }
    y
}

fn input(values: &[f64], [c, h, w]: [usize; 3]) -> Vec<Vec<Vec<f64>>> {
    (0..c)
        .map(|ci| {
            (0..h)
                .map(|i| (0..w).map(|j| values[(ci * h + i) * w + j]).collect())
                .collect()
        })
        .collect()
}

fn linear(x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
    let out = b.len();
    (0..out)
        .map(|k| {
            b[k] + x
                .iter()
                .enumerate()
                .map(|(f, v)| v * w[f * out + k])
                .sum::<f64>()
        })
        .collect()
}

/// The network's logits for `x` equal the output layer applied (in f64) to `features`, the
/// direct computation of everything before it, within 1e-5.
fn assert_head(model: &Cnn, x: &[f64], features: &[f64], backend: &str, device: &Device) {
    let expected = linear(
        features,
        &values(model.output.weight.val()),
        &values(model.output.bias.as_ref().unwrap().val()),
    );
    let xs: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let got = values(model.forward(Tensor::from_data(TensorData::new(xs, [1, x.len()]), device)));
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-5, "{backend}: {got:?} vs {expected:?}");
    }
}

#[test]
fn a_convolution_block_matches_a_direct_computation() {
    let config = small([2, 5, 5], vec![CnnBlock::conv(3, 3).pooled(2)], false, 4);
    let x: Vec<f64> = (0..2 * 25)
        .map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0)
        .collect();
    for (backend, device) in backends() {
        let mut model = config.init_seeded(&device, 11).unwrap();
        set_slopes(&mut model.blocks[0].activation, &[0.1, -0.5, 2.0], &device);
        let w = values(model.blocks[0].first.conv.weight.val());
        let b = values(model.blocks[0].first.conv.bias.as_ref().unwrap().val());
        let y = conv(
            &input(&x, [2, 5, 5]),
            &w,
            Some(&b),
            [3, 3, 3],
            [1, 1],
            [1, 1],
        );
        let slopes = [0.1, -0.5, 2.0];
        // PReLU per channel, then 2×2 max pooling (5×5 → 2×2, the last row and column
        // dropped), then flattening channel-major.
        let mut flat = Vec::new();
        for (o, plane) in y.iter().enumerate() {
            let act = |v: f64| if v >= 0.0 { v } else { slopes[o] * v };
            for i in 0..2 {
                for j in 0..2 {
                    let m = (0..2)
                        .flat_map(|a| (0..2).map(move |c| (a, c)))
                        .map(|(a, c)| act(plane[2 * i + a][2 * j + c]))
                        .fold(f64::NEG_INFINITY, f64::max);
                    flat.push(m);
                }
            }
        }
        assert_head(&model, &x, &flat, backend, &device);
    }
}

#[test]
fn a_residual_block_on_sequences_matches_a_direct_computation() {
    // Length 6, one channel → residual block of 2 channels with stride 2 (projection needed),
    // BatchNorm at its initial state (inference: x / √(1 + ε)), global average pool.
    let config = small([1, 1, 6], vec![CnnBlock::residual(2, 2)], true, 2);
    let shapes = config.block_shapes().unwrap();
    assert_eq!(shapes[0].output, [2, 1, 3]);
    let x = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5];
    for (backend, device) in backends() {
        let mut model: Cnn = config.init_seeded(&device, 3).unwrap();
        let block = &mut model.blocks[0];
        assert!(block.projection.is_some());
        assert!(
            block.first.conv.bias.is_none(),
            "BatchNorm replaces the bias"
        );
        set_slopes(&mut block.activation, &[0.2, 0.3], &device);
        set_slopes(
            block.out_activation.as_mut().unwrap(),
            &[0.05, 1.5],
            &device,
        );
        let block = &model.blocks[0];
        let bn = |y: Vec<Vec<Vec<f64>>>| -> Vec<Vec<Vec<f64>>> {
            let s = 1.0 / (1.0f64 + 1e-5).sqrt();
            y.into_iter()
                .map(|p| {
                    p.into_iter()
                        .map(|r| r.into_iter().map(|v| v * s).collect())
                        .collect()
                })
                .collect()
        };
        let prelu = |y: Vec<Vec<Vec<f64>>>, a: [f64; 2]| -> Vec<Vec<Vec<f64>>> {
            y.into_iter()
                .enumerate()
                .map(|(o, p)| {
                    p.into_iter()
                        .map(|r| {
                            r.into_iter()
                                .map(|v| if v >= 0.0 { v } else { a[o] * v })
                                .collect()
                        })
                        .collect()
                })
                .collect()
        };
        let xin = input(&x, [1, 1, 6]);
        let w1 = values(block.first.conv.weight.val());
        let w2 = values(block.second.as_ref().unwrap().conv.weight.val());
        let wp = values(block.projection.as_ref().unwrap().conv.weight.val());
        let h1 = prelu(
            bn(conv(&xin, &w1, None, [2, 1, 3], [0, 1], [1, 2])),
            [0.2, 0.3],
        );
        let main = bn(conv(&h1, &w2, None, [2, 1, 3], [0, 1], [1, 1]));
        let skip = bn(conv(&xin, &wp, None, [2, 1, 1], [0, 0], [1, 2]));
        let sum: Vec<Vec<Vec<f64>>> = main
            .iter()
            .zip(&skip)
            .map(|(a, b)| vec![a[0].iter().zip(&b[0]).map(|(p, q)| p + q).collect()])
            .collect();
        let out = prelu(sum, [0.05, 1.5]);
        let pooled: Vec<f64> = out.iter().map(|p| p[0].iter().sum::<f64>() / 3.0).collect();
        assert_head(&model, &x, &pooled, backend, &device);
    }
}

#[test]
fn batch_norm_running_statistics_are_recorded_state() {
    let base = Device::flex();
    let device = base.clone().autodiff();
    let config = NetworkConfig::Cnn(small(
        [1, 6, 6],
        vec![CnnBlock::conv(3, 3).normed(true).pooled(2)],
        false,
        2,
    ));
    let model = config.init_seeded(&device, 1).unwrap();
    let x = Tensor::<2>::from_data(
        TensorData::new(
            (0..72).map(|i| (i % 7) as f32 - 2.0).collect::<Vec<_>>(),
            [2, 36],
        ),
        &device,
    );
    // A forward pass in training mode (autodiff device) moves the running mean off 0.
    let _ = model.forward(x.clone());
    let trained = model.valid();
    let running = |m: &Network| {
        let Network::Cnn(c) = m else { panic!() };
        let norm = c.blocks[0].first.norm.as_ref().unwrap();
        (
            values(norm.running_mean.value()),
            values(norm.running_var.value()),
        )
    };
    let (mean, var) = running(&trained);
    assert!(mean.iter().any(|m| m.abs() > 1e-4), "{mean:?}");
    assert!(var.iter().any(|v| (v - 1.0).abs() > 1e-4), "{var:?}");
    // The record carries them: a fresh network loaded from it has the same statistics and
    // gives the same inference outputs.
    let bytes = trained.clone().into_record().into_bytes().unwrap().to_vec();
    let record =
        burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).unwrap();
    let fresh = config.init(&base).unwrap().try_load_record(record).unwrap();
    assert_eq!(running(&fresh), (mean, var));
    let x = x.inner();
    assert_eq!(values(fresh.forward(x.clone())), values(trained.forward(x)));
}

#[test]
fn seeded_cnns_are_equal_on_every_backend() {
    let config = Preset::Resnet20.config();
    let all = |device: &Device| {
        let model = config.init_seeded(device, 9).unwrap();
        let Network::Cnn(c) = model else { panic!() };
        let mut out = values(c.blocks[0].first.conv.weight.val());
        out.extend(values(
            c.blocks[4].projection.as_ref().unwrap().conv.weight.val(),
        ));
        out.extend(values(c.output.weight.val()));
        out
    };
    let mut seen = Vec::new();
    for (_, device) in backends() {
        seen.push(all(&device));
    }
    assert_eq!(seen[0], seen[1]);
    // He initialisation: N(0, 2/fan_in); the stem's fan_in is 9.
    let stem = &seen[0][..144];
    let var = stem.iter().map(|v| v * v).sum::<f64>() / 144.0;
    assert!((var - 2.0 / 9.0).abs() < 0.08, "{var}");
}
