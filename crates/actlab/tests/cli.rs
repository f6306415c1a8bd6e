//! Drives the real `actlab` binary, each test in its own temp dir.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn actlab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn summary_of_the_shipped_configs() {
    for (file, params) in [
        ("configs/prelu-mlp.toml", "101,771"),
        ("configs/swish-mlp.toml", "50,890"),
    ] {
        let out = actlab(&["summary", file], &root());
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
        assert!(
            stdout.contains(&format!("Total params: {params}")),
            "{stdout}"
        );
        assert!(
            stdout.contains("Layer (type)") && stdout.contains("Output Shape"),
            "{stdout}"
        );
    }
    let out = actlab(&["summary", "configs/prelu-mlp.toml"], &root());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("prelu_1 (PReLU)") && stdout.contains("(None, 128)"),
        "{stdout}"
    );
}

#[test]
fn summary_json() {
    let out = actlab(&["summary", "--json", "configs/swish-mlp.toml"], &root());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["params"], 50_890);
    let layers = json["layers"].as_array().expect("layers is a list");
    let types: Vec<&str> = layers.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(types, ["Linear", "Swish", "Linear", "Softmax"]);
    assert_eq!(layers[0]["output_shape"], serde_json::json!([null, 64]));
    let sum: u64 = layers.iter().filter_map(|l| l["params"].as_u64()).sum();
    assert_eq!(sum, 50_890);
}

#[test]
fn summary_of_a_custom_learnable_swish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("learnable.toml");
    std::fs::write(
        &path,
        "[model]\npreset = \"swish-mlp\"\nactivation = { kind = \"swish\", trainable = true }\n",
    )
    .unwrap();
    let out = actlab(&["summary", "--json", path.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["params"], 50_891);
}

#[test]
fn bad_configs_exit_non_zero_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown-activation.toml",
            "[model]\nhidden = [10]\nactivation = \"rellu\"\n",
            "model.activation",
        ),
        (
            "bad-field.toml",
            "[model]\npreset = \"prelu-mlp\"\n[train]\nepochz = 3\n",
            "epochz",
        ),
        (
            "bad-param.toml",
            "[model]\nhidden = [10]\nactivation = { kind = \"leaky_relu\", slop = 0.1 }\n",
            "slop",
        ),
        (
            "bad-backend.toml",
            "[model]\npreset = \"prelu-mlp\"\n[backend]\nname = \"tpu\"\n",
            "backend.name",
        ),
        ("not-toml.toml", "this is not toml", "(syntax)"),
    ];
    for (file, body, field) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, body).unwrap();
        let out = actlab(&["summary", path.to_str().unwrap()], dir.path());
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{file} was accepted");
        assert!(stderr.starts_with("error: "), "{file}: {stderr}");
        assert!(stderr.contains(file), "{file} not named: {stderr}");
        assert!(stderr.contains(field), "{field} not named: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = actlab(&["summary", "no-such-file.toml"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no-such-file.toml"));
}

#[test]
fn plot_activations_writes_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let out = actlab(&["plot", "activations", "--out", "pics"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    for name in [
        "activations.png",
        "activations.svg",
        "prelu.png",
        "swish.svg",
        "sigmoid.png",
    ] {
        let file = dir.path().join("pics").join(name);
        let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "{} is missing or empty", file.display());
    }
}
