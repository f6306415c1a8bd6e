//! `diagnose` on a small deep network and synthetic data.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;

use actlab_data::{MnistData, Split};
use actlab_eval::diagnose::diagnose;
use actlab_eval::output::diagnose::write;
use actlab_format::dataset::DatasetName;
use actlab_format::diagnose::{DiagnoseConfig, DiagnoseReport};

fn data() -> MnistData {
    let split = |n: usize| {
        let images = (0..n * 784).map(|i| ((i * 7) % 251) as u8).collect();
        let labels = (0..n).map(|i| (i % 10) as u8).collect();
        Split::new(images, labels).unwrap()
    };
    MnistData {
        name: DatasetName::FashionMnist,
        dir: PathBuf::from("(synthetic)"),
        train: split(400),
        test: split(20),
        files: Vec::new(),
    }
}

fn config(text: &str) -> Result<DiagnoseConfig, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.toml");
    std::fs::write(&path, text).unwrap();
    DiagnoseConfig::load(&path).map_err(|e| e.to_string())
}

const BASE: &str = "[base.model]\npreset = \"prelu-mlp\"\n[base.data]\nvalidation_size = 64\n\
                    [base.train]\nbatch_size = 16\n[base.backend]\nname = \"ndarray\"\n";

#[test]
fn measures_every_layer_before_and_after_training() {
    let config = config(&format!(
        "{BASE}[diagnose]\ndepth = 6\nwidth = 16\nsteps = 5\nactivations = [\"sigmoid\", \"relu\", \"prelu\"]\n"
    ))
    .unwrap();
    let mut seen = Vec::new();
    let report = diagnose(&config, &data(), |a| seen.push(a.kind.clone())).unwrap();
    assert_eq!(seen, ["sigmoid", "relu", "prelu"]);
    assert_eq!(report.depth, 6);
    assert_eq!(report.probe_images, 64);
    for a in &report.activations {
        assert_eq!(a.initial.len(), 7, "6 hidden layers + the output layer");
        assert_eq!(a.trained.len(), 7);
        assert!(
            a.initial
                .iter()
                .all(|l| l.grad_norm.is_finite() && l.grad_norm >= 0.0)
        );
        assert!(a.initial_ratio.is_finite() && a.initial_ratio > 0.0);
        assert!(a.first_loss.is_finite() && a.last_loss.is_finite());
        assert!(a.initial[..6].iter().all(|l| l.dead_fraction.is_some()));
        assert!(a.initial[6].dead_fraction.is_none());
    }
    // Sigmoid's derivative is at most 1/4 per layer: through 6 layers its first-layer gradient
    // is far smaller, relative to the output layer's, than ReLU's.
    let (sigmoid, relu) = (&report.activations[0], &report.activations[1]);
    assert!(
        sigmoid.initial_ratio < relu.initial_ratio / 10.0,
        "{} vs {}",
        sigmoid.initial_ratio,
        relu.initial_ratio
    );
    assert_eq!(report.activations[2].initial[0].learned_mean, Some(0.25));

    let out = tempfile::tempdir().unwrap();
    let written = write(&report, out.path()).unwrap();
    for name in [
        "diagnose.json",
        "diagnose.csv",
        "gradients.svg",
        "gradients.png",
    ] {
        assert!(written.contains(&out.path().join(name)), "{name}");
    }
    let csv = std::fs::read_to_string(out.path().join("diagnose.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 2 * 7);
    // The claims read the JSON back.
    let deep = DiagnoseReport::find(&[out.path().to_path_buf()]).unwrap();
    assert_eq!(deep.activations.len(), 3);
}

#[test]
fn bad_diagnose_configs_name_the_field() {
    let m = config(&format!("{BASE}[diagnose]\ndepth = 0\n")).unwrap_err();
    assert!(m.contains("diagnose.depth"), "{m}");
    let m = config(&format!("{BASE}[diagnose]\nactivations = []\n")).unwrap_err();
    assert!(m.contains("diagnose.activations"), "{m}");
    let m = config(&format!("{BASE}[diagnose]\nactivations = [\"softmax\"]\n")).unwrap_err();
    assert!(m.contains("softmax"), "{m}");
    let m = config(&format!("{BASE}[diagnose]\ndepht = 3\n")).unwrap_err();
    assert!(m.contains("depht"), "{m}");
    for seeds in ["[]", "[1, 2, 1]"] {
        let m = config(&format!("{BASE}[diagnose]\nseeds = {seeds}\n")).unwrap_err();
        assert!(
            m.contains("diagnose.seeds") && m.contains("distinct"),
            "{m}"
        );
    }
}

#[test]
fn several_seeds_measure_one_network_each_and_relu_inactive_units_are_its_dead_ones() {
    let text = |seeds: &str| {
        format!(
            "{BASE}[diagnose]\ndepth = 4\nwidth = 16\nsteps = 3\n{seeds}\
             activations = [\"relu\", \"leaky_relu\"]\n"
        )
    };
    let several = config(&text("seeds = [7, 8, 9]\n")).unwrap();
    let report = diagnose(&several, &data(), |_| {}).unwrap();
    assert_eq!(report.seeds, [7, 8, 9]);
    // The first seed alone is the same measurement as the first of three.
    let alone = config(&text("seeds = [7]\n")).unwrap();
    let first = diagnose(&alone, &data(), |_| {}).unwrap();
    for (a, b) in report.activations.iter().zip(&first.activations) {
        assert_eq!(a.seeds.len(), 3);
        assert!(b.seeds.is_empty(), "one seed: no per-seed list");
        assert_eq!(a.seeds[0].initial, b.initial);
        assert_eq!(a.initial, b.initial, "the fields are the first seed's");
        assert_eq!(a.initial_ratios().len(), 3);
        // Different initialisations: different gradients.
        assert_ne!(a.seeds[0].initial_ratio, a.seeds[1].initial_ratio);
        assert_eq!(
            a.seeds.iter().map(|s| s.seed).collect::<Vec<_>>(),
            [7, 8, 9]
        );
    }
    // ReLU's inactive units (input ≤ 0 on every probe image) are exactly its dead ones.
    let relu = &report.activations[0];
    for s in &relu.seeds {
        for l in s.initial.iter().chain(&s.trained).take(4) {
            assert_eq!(l.inactive_fraction, l.dead_fraction, "{l:?}");
        }
    }
    // Leaky ReLU is never dead, whatever its inactive fraction.
    let leaky = &report.activations[1];
    assert!(
        leaky
            .seeds
            .iter()
            .flat_map(|s| &s.trained[..4])
            .all(|l| l.dead_fraction == Some(0.0) && l.inactive_fraction.is_some())
    );
    // diagnose.csv: a row per activation, seed, moment and layer.
    let out = tempfile::tempdir().unwrap();
    write(&report, out.path()).unwrap();
    let csv = std::fs::read_to_string(out.path().join("diagnose.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 3 * 2 * 5);
    assert!(csv.starts_with("activation,seed,moment,layer,"), "{csv}");
    assert!(csv.contains("\"relu\",9,trained,1,"), "{csv}");
    // diagnose.json reads back with every seed (numbers to JSON's shortest round trip).
    let back = DiagnoseReport::find(&[out.path().to_path_buf()]).unwrap();
    assert_eq!(back.seeds, [7, 8, 9]);
    for (a, b) in back.activations.iter().zip(&report.activations) {
        assert_eq!(a.seeds.len(), 3);
        for (x, y) in a.initial_ratios().iter().zip(b.initial_ratios()) {
            assert!((x - y).abs() <= 1e-12 * y.abs(), "{x} vs {y}");
        }
        assert_eq!(
            a.seeds[2].trained[0].inactive_fraction,
            b.seeds[2].trained[0].inactive_fraction
        );
    }
}
