//! Eval and predict against a run trained here on small data.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use actlab_data::{Silent, Sources};
use actlab_eval::output::eval::write_report;
use actlab_eval::{EvalError, Predictor, eval_run, load_image};
use actlab_format::config::{BackendName, BackendSection, DeviceSpec, ExperimentConfig};
use actlab_idx::IdxArray;
use actlab_train::{Outcome, Quiet, TrainError, TrainOptions};

/// A learnable MNIST-shaped dataset (class `c` lights a block at a class-specific place).
fn write_dataset(dir: &Path, train: u32, test: u32) {
    std::fs::create_dir_all(dir).unwrap();
    for (prefix, n) in [("train", train), ("t10k", test)] {
        let mut pixels = vec![0u8; n as usize * 784];
        let labels: Vec<u8> = (0..n).map(|i| ((i * 7 + i / 3) % 10) as u8).collect();
        for (i, &label) in labels.iter().enumerate() {
            let (row0, col0) = (2 + (label as usize / 5) * 12, 1 + (label as usize % 5) * 5);
            for r in row0..row0 + 7 {
                for c in col0..col0 + 5 {
                    pixels[i * 784 + r * 28 + c] = 120 + (i % 130) as u8;
                }
            }
            // Some noise everywhere, so classes are not trivially separable at epoch 0.
            for k in 0..40 {
                pixels[i * 784 + (i * 31 + k * 97) % 784] = 90;
            }
        }
        let images = IdxArray {
            dims: vec![n, 28, 28],
            data: pixels,
        };
        let labels = IdxArray {
            dims: vec![n],
            data: labels,
        };
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte")),
            images.to_bytes(),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte")),
            labels.to_bytes(),
        )
        .unwrap();
    }
}

fn sources(root: &Path) -> Sources {
    Sources::standard(root.join("datasets")).offline()
}

/// Trains a small run on ndarray; returns its directory.
fn trained_run(tmp: &Path, activation: &str) -> PathBuf {
    let data_dir = tmp.join("data");
    write_dataset(&data_dir, 480, 100);
    let run = tmp.join("run");
    let text = format!(
        "name = \"small\"\n[model]\nhidden = [24]\nactivation = {activation}\n\
         output_activation = \"softmax\"\n[data]\ndir = \"{}\"\nvalidation_size = 64\n\
         test_limit = 90\n[train]\nepochs = 2\nbatch_size = 32\n[backend]\nname = \"ndarray\"\n\
         [output]\ndir = \"{}\"\n",
        data_dir.display(),
        run.display()
    );
    let path = Path::new("small.toml");
    let config = ExperimentConfig::parse(&text, path)
        .and_then(|c| c.validate(path))
        .unwrap();
    let data = actlab_train::load_data(&config, sources(tmp), &mut Silent).unwrap();
    let outcome =
        actlab_train::train(&config, &data, &TrainOptions::default(), &mut Quiet).unwrap();
    assert!(matches!(outcome, Outcome::Finished(_)));
    run
}

fn backend(name: BackendName) -> Option<BackendSection> {
    Some(BackendSection {
        name,
        device: DeviceSpec::Default,
    })
}

#[test]
fn eval_reproduces_the_summary_and_writes_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let run = trained_run(tmp.path(), "\"prelu\"");
    let summary = actlab_format::run::RunSummary::load(&run).unwrap();
    let report = eval_run(&run, None, sources(tmp.path()), &mut Silent, false).unwrap();
    assert_eq!(report.images, 90, "the run's test_limit");
    // Exactly the same images right; the floats agree to the ulp serde_json's parsing may lose.
    assert_eq!(report.correct, summary.test_correct);
    assert!((report.accuracy - summary.test_accuracy).abs() <= 1e-15);
    assert!((report.loss - summary.test_loss).abs() <= 1e-12 * report.loss);
    assert_eq!(report.summary_accuracy, Some(summary.test_accuracy));
    // The confusion matrix accounts for every image; its diagonal is the accuracy.
    let total: usize = report.confusion.iter().flatten().sum();
    assert_eq!(total, 90);
    let diagonal: usize = (0..10).map(|i| report.confusion[i][i]).sum();
    assert_eq!(diagonal, report.correct);
    let per_class: usize = report.per_class.iter().map(|c| c.count).sum();
    assert_eq!(per_class, 90);
    assert_eq!(report.per_class[0].name, "T-shirt/top");
    assert_eq!(report.per_class[9].name, "Ankle boot");
    for pair in &report.most_confused {
        assert_ne!(pair.true_class, pair.predicted_class);
        assert_eq!(
            report.confusion[pair.true_class][pair.predicted_class],
            pair.count
        );
    }
    let written = write_report(&run, &report).unwrap();
    for name in [
        "eval.json",
        "confusion.csv",
        "confusion.svg",
        "confusion.png",
    ] {
        assert!(written.contains(&run.join(name)), "{name} not written");
        assert!(
            std::fs::metadata(run.join(name)).unwrap().len() > 100,
            "{name} empty"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("eval.json")).unwrap()).unwrap();
    assert_eq!(json["accuracy"], summary.test_accuracy);
    let csv = std::fs::read_to_string(run.join("confusion.csv")).unwrap();
    assert_eq!(csv.lines().count(), 11);
    assert!(
        csv.lines().nth(1).unwrap().starts_with("\"T-shirt/top\","),
        "{csv}"
    );
}

#[test]
fn weights_from_ndarray_give_the_same_logits_on_flex_and_wgpu() {
    let tmp = tempfile::tempdir().unwrap();
    let run = trained_run(tmp.path(), "{ kind = \"swish\", trainable = true }");
    // The run's own test images, as evaluation sees them.
    let config = ExperimentConfig::load(&run.join("config.toml")).unwrap();
    let data = actlab_train::load_data(&config, sources(tmp.path()), &mut Silent).unwrap();
    let images: Vec<Vec<f32>> = (0..64)
        .map(|k| {
            let image = data.test.image(k).unwrap();
            image.iter().map(|&p| f32::from(p) / 255.0).collect()
        })
        .collect();
    let reference = Predictor::open(&run, None, false)
        .unwrap()
        .logits(&images)
        .unwrap();
    assert_eq!(reference.len(), 64);
    assert_eq!(reference[0].len(), 10);
    for name in [BackendName::Flex, BackendName::Wgpu] {
        let logits = Predictor::open(&run, backend(name), false)
            .unwrap()
            .logits(&images)
            .unwrap();
        let worst = reference
            .iter()
            .flatten()
            .zip(logits.iter().flatten())
            .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
            .fold(0.0f32, f32::max);
        eprintln!("{name:?}: largest logit difference {worst:e}");
        assert!(worst <= 1e-6, "{name:?}: logits differ by {worst:e}");
    }
    // The accuracy on another backend is the same on these well-separated images.
    let report = eval_run(
        &run,
        backend(BackendName::Flex),
        sources(tmp.path()),
        &mut Silent,
        false,
    )
    .unwrap();
    let summary = actlab_format::run::RunSummary::load(&run).unwrap();
    assert_eq!(report.backend, "flex");
    assert_eq!(report.correct, summary.test_correct);
}

#[test]
fn predict_an_image_the_test_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let run = trained_run(tmp.path(), "\"relu\"");
    // A vertical bar, "1"-like, on a 40×60 canvas: dark ink on white paper.
    let mut canvas = image::GrayImage::from_pixel(40, 60, image::Luma([255u8]));
    for y in 8..52 {
        for x in 17..23 {
            canvas.put_pixel(x, y, image::Luma([0]));
        }
    }
    let png = tmp.path().join("bar.png");
    canvas.save(&png).unwrap();

    let pixels = load_image(&png, true).unwrap();
    assert_eq!(pixels.len(), 784);
    assert!(pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
    // Inverted: the bar is bright in the middle column, the paper black at the corner.
    assert!(pixels[14 * 28 + 14] > 0.5 && pixels[0] == 0.0);
    let plain = load_image(&png, false).unwrap();
    assert!((plain[0] - 1.0).abs() < 1e-6);

    let predictor = Predictor::open(&run, None, false).unwrap();
    let probabilities = predictor
        .probabilities(std::slice::from_ref(&pixels))
        .unwrap();
    assert_eq!(probabilities.len(), 1);
    assert_eq!(probabilities[0].len(), 10);
    let sum: f32 = probabilities[0].iter().sum();
    assert!((sum - 1.0).abs() < 1e-5, "{sum}");
    let logits = predictor.logits(std::slice::from_ref(&pixels)).unwrap();
    let argmax = logits[0]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    let top = predictor.top(&probabilities[0], 3);
    assert_eq!(top.len(), 3);
    assert_eq!(top[0].class, argmax);
    assert!(top[0].probability >= top[1].probability && top[1].probability >= top[2].probability);
    assert_eq!(top[0].name, predictor.class_names()[argmax]);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let run = trained_run(tmp.path(), "\"tanh\"");

    // Images: not an image, truncated, missing.
    let text = tmp.path().join("notes.png");
    std::fs::write(&text, "hello").unwrap();
    let error = load_image(&text, false).unwrap_err().to_string();
    assert!(error.contains("notes.png"), "{error}");
    let truncated = tmp.path().join("cut.png");
    std::fs::write(&truncated, b"\x89PNG\r\n\x1a\n\0\0").unwrap();
    let error = load_image(&truncated, false).unwrap_err().to_string();
    assert!(
        error.contains("cut.png") && error.contains("decode"),
        "{error}"
    );
    let error = load_image(&tmp.path().join("nope.png"), false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("nope.png"), "{error}");

    // A directory expands to its image files only, sorted.
    let dir = tmp.path().join("imgs");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["b.PNG", "a.pgm", "readme.txt"] {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    let inputs = actlab_eval::predict::image_inputs(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(inputs, [dir.join("a.pgm"), dir.join("b.PNG")]);

    // Corrupt weights, then missing weights, then not a run at all.
    let weights = run.join("model.bpk");
    // One byte flipped: the hash summary.json recorded catches it before the weights are used.
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&weights, &bytes).unwrap();
    let error = Predictor::open(&run, None, false)
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("model.bpk") && error.contains("SHA-256"),
        "{error}"
    );
    // Without summary.json (or its model_sha256) the hash beside the weights still catches
    // it; with neither, the weights are refused as unverifiable unless asked for.
    let summary_path = run.join("summary.json");
    let summary_text = std::fs::read_to_string(&summary_path).unwrap();
    let mut no_hash: serde_json::Value = serde_json::from_str(&summary_text).unwrap();
    no_hash.as_object_mut().unwrap().remove("model_sha256");
    std::fs::write(&summary_path, no_hash.to_string()).unwrap();
    let error = Predictor::open(&run, None, false)
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("SHA-256") && error.contains("model.bpk.sha256"),
        "{error}"
    );
    std::fs::remove_file(&summary_path).unwrap();
    let error = eval_run(&run, None, sources(tmp.path()), &mut Silent, false).unwrap_err();
    assert!(error.to_string().contains("model.bpk.sha256"), "{error}");
    let sidecar = run.join("model.bpk.sha256");
    let recorded = std::fs::read_to_string(&sidecar).unwrap();
    std::fs::remove_file(&sidecar).unwrap();
    let error = Predictor::open(&run, None, false).err().unwrap();
    assert!(
        matches!(error, EvalError::Train(TrainError::Unverifiable { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("cannot be verified"), "{error}");
    assert!(Predictor::open(&run, None, true).is_ok(), "--unverified");
    // The original weights with only the hash file: verified, and they load.
    bytes[middle] ^= 0x01;
    std::fs::write(&weights, &bytes).unwrap();
    std::fs::write(&sidecar, &recorded).unwrap();
    assert!(Predictor::open(&run, None, false).is_ok());
    std::fs::write(&summary_path, &summary_text).unwrap();
    std::fs::write(&weights, b"garbage").unwrap();
    let error = Predictor::open(&run, None, false).err().unwrap();
    assert!(error.to_string().contains("model.bpk"), "{error}");
    let error = eval_run(&run, None, sources(tmp.path()), &mut Silent, false).unwrap_err();
    assert!(error.to_string().contains("model.bpk"), "{error}");
    std::fs::remove_file(&weights).unwrap();
    let error = Predictor::open(&run, None, false).err().unwrap();
    assert!(
        matches!(
            error,
            EvalError::Train(TrainError::NotARun {
                missing: "model.bpk",
                ..
            })
        ),
        "{error}"
    );
    let error = eval_run(tmp.path(), None, sources(tmp.path()), &mut Silent, false).unwrap_err();
    assert!(error.to_string().contains("config.toml"), "{error}");
}
