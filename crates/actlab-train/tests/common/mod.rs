//! Synthetic data for the training tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use actlab_data::{MnistData, Split};
use actlab_format::config::{Experiment, ExperimentConfig};
use actlab_format::dataset::{DatasetName, IMAGE_PIXELS};

/// A learnable 10-class problem: class `c` lights a 7×7 block at a class-specific place, over
/// noise; every image is different (xorshift noise), labels cycle through the classes.
pub fn synthetic(n: usize, seed: u64) -> Split {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut images = vec![0u8; n * IMAGE_PIXELS];
    let mut labels = vec![0u8; n];
    for i in 0..n {
        let class = (next() % 10) as usize;
        labels[i] = class as u8;
        let image = &mut images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        for p in image.iter_mut() {
            *p = (next() % 90) as u8;
        }
        let (row0, col0) = (2 + (class / 5) * 12, 1 + (class % 5) * 5);
        for r in row0..row0 + 7 {
            for c in col0..(col0 + 7).min(28) {
                image[r * 28 + c] = 160 + (next() % 96) as u8;
            }
        }
    }
    Split::new(images, labels).unwrap()
}

pub fn data(train: usize, test: usize) -> MnistData {
    MnistData {
        name: DatasetName::FashionMnist,
        dir: PathBuf::from("(synthetic)"),
        train: synthetic(train, 1),
        test: synthetic(test, 2),
        files: Vec::new(),
    }
}

pub fn config(dir: &Path, backend: &str, extra_train: &str) -> ExperimentConfig {
    config_with(dir, backend, extra_train, MLP)
}

/// The tests' MLP: the article's PReLU network, narrower.
pub const MLP: &str = "preset = \"prelu-mlp\"\nhidden = [32]";

/// A small CNN with everything a CNN has: a convolution with BatchNorm and pooling, a residual
/// block with a projection, global pooling, a dense layer, per-channel PReLU slopes. Five
/// diagnostics rows (conv, the residual block's two, dense, output).
pub const CNN: &str = r#"kind = "cnn"
blocks = [ { conv = 4, kernel = 3, batch_norm = true, pool = 2 }, { residual = 6, stride = 2 } ]
global_pool = true
dense = [12]
activation = { kind = "prelu", per_unit = true }"#;

/// [`config`] with another `[model]` section.
pub fn config_with(dir: &Path, backend: &str, extra_train: &str, model: &str) -> ExperimentConfig {
    let text = format!(
        r#"
        name = "t"
        [model]
        {model}
        [data]
        validation_size = 64
        [train]
        epochs = 3
        batch_size = 32
        seed = 7
        {extra_train}
        [backend]
        name = "{backend}"
        [output]
        dir = "{}"
        "#,
        dir.display()
    );
    ExperimentConfig::parse(&text, Path::new("test.toml")).unwrap()
}

/// The config, validated as the trainer requires.
pub fn valid(config: &ExperimentConfig) -> Experiment {
    config.validate(Path::new("test.toml")).unwrap()
}

/// A run's TensorBoard events as (step, tag, value bits); hparams records by tag alone (their
/// payload holds wall-clock times).
pub fn events(dir: &Path) -> Vec<(i64, String, u32)> {
    use actlab_tb::proto::{event::What, summary_value::Kind};
    let files = actlab_tb::event_files(&dir.join("tensorboard")).unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let mut out = Vec::new();
    for event in actlab_tb::read(&files[0]).unwrap() {
        if let Some(What::Summary(summary)) = event.what {
            for value in summary.value {
                let bits = match value.value {
                    Some(Kind::SimpleValue(v)) => v.to_bits(),
                    _ => 0,
                };
                out.push((event.step, value.tag, bits));
            }
        }
    }
    out
}
