//! The Rust MNIST-1D generator against the reference implementation's output for the same
//! seed (`tests/data/mnist1d-reference.json`, written by `scripts/mnist1d-reference.py` with
//! PyPI `mnist1d` 0.0.2.post1): templates, every label (so every random draw of the shuffle and
//! of the per-sample transforms lined up), samples of both splits and the dataset's sums.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use actlab_data::mnist1d::{Mnist1dArgs, generate, templates};
use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(ours: &[f64], theirs: &[f64], tolerance: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!((a - b).abs() <= tolerance, "{what}[{i}]: {a} vs {b}");
    }
}

#[test]
fn the_generated_dataset_is_the_reference_implementations() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/mnist1d-reference.json"
    );
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (x, t) = templates();
    for (d, row) in reference["templates"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        close(&x[d], &numbers(row), 1e-15, &format!("template {d}"));
    }
    close(&t, &numbers(&reference["template_t"]), 1e-15, "template t");

    let data = generate(&Mnist1dArgs::default()).unwrap();
    let labels = |v: &Value| -> Vec<u8> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u8)
            .collect()
    };
    assert_eq!(data.y, labels(&reference["y"]), "training labels");
    assert_eq!(data.y_test, labels(&reference["y_test"]), "test labels");
    // Floating tolerance: summation orders differ (NumPy's pairwise sums, SciPy's symmetric
    // filter loop) by a few ulps, amplified at most by the normalisation.
    let tolerance = 1e-9;
    let check = |ours: &[Vec<f64>], key: &str| {
        for (i, row) in reference[key].as_array().unwrap().iter().enumerate() {
            close(&ours[i], &numbers(row), tolerance, &format!("{key} {i}"));
        }
    };
    check(&data.x[..8], "x_first");
    check(&data.x[data.x.len() - 4..], "x_last");
    check(&data.x_test[..4], "x_test_first");
    close(&data.t, &numbers(&reference["t"]), tolerance, "t");
    let sum: f64 = data.x.iter().flatten().sum();
    let squares: f64 = data.x.iter().flatten().map(|v| v * v).sum();
    let test_sum: f64 = data.x_test.iter().flatten().sum();
    let reference_sums = [
        reference["x_sum"].as_f64().unwrap(),
        reference["x_sum_squares"].as_f64().unwrap(),
        reference["x_test_sum"].as_f64().unwrap(),
    ];
    close(&[sum, squares, test_sum], &reference_sums, 1e-6, "sums");
}
