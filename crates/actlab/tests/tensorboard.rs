//! The real TensorBoard reads what actlab writes: `compare configs/sweep-quick.toml` on the real
//! Fashion-MNIST plus one run with diagnostics, then `scripts/check-tensorboard.py` (TensorBoard
//! from PyPI, in the venv `scripts/test.sh` makes and names in `$ACTLAB_PYTHON`): every tag,
//! step and value against the run's CSVs and summary, the HTTP API's runs and tags, and the
//! hparams plugin's experiment and sessions.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Command;

use common::{actlab, root, skip, text};

const DATA: &str = "/usr/share/datasets/fashion-mnist";

#[test]
fn tensorboard_reads_a_sweep_and_a_diagnosed_run() {
    let test = "tensorboard_reads_a_sweep_and_a_diagnosed_run";
    let Some(python) = std::env::var_os("ACTLAB_PYTHON") else {
        skip(
            test,
            "ACTLAB_PYTHON (a Python with tensorboard) is not set: scripts/test.sh sets it",
        );
        return;
    };
    if !Path::new(DATA).is_dir() {
        skip(
            test,
            &format!("{DATA} is absent (apt-get install dataset-fashion-mnist)"),
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("sweep-quick");
    let config = root().join("configs/sweep-quick.toml");
    let out = actlab(
        &[
            "compare",
            config.to_str().unwrap(),
            "--out",
            sweep.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(sweep.join("events.out.tfevents.0.actlab-hparams").is_file());

    // A run with diagnostics: gradient norms, dead/saturated fractions, PReLU slopes.
    let diagnosed = tmp.path().join("diagnosed");
    let file = tmp.path().join("diagnosed.toml");
    std::fs::write(
        &file,
        format!(
            "[model]\npreset = \"prelu-mlp\"\nhidden = [64, 32]\n\
             [data]\nvalidation_size = 1000\ntrain_limit = 2048\n\
             [train]\nepochs = 2\ndiagnostics = true\nprogress = \"plain\"\n\
             [backend]\nname = \"flex\"\n[output]\ndir = \"{}\"\n",
            diagnosed.display()
        ),
    )
    .unwrap();
    let out = actlab(&["train", file.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = Command::new(python)
        .arg(root().join("scripts/check-tensorboard.py"))
        .arg(&sweep)
        .arg(&diagnosed)
        .output()
        .unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    println!("{said}");
    assert!(out.status.success(), "{said}");
    // 8 final runs and the tuning runs that finished; the diagnosed run's tags are in.
    assert!(said.contains("the hparams plugin"), "{said}");
    assert!(said.contains("runs' events equal their files"), "{said}");
    for tag in [
        "grad_norm/layer_3",
        "dead_fraction/layer_2",
        "saturated_fraction/layer_1",
        "prelu_slope/layer_1",
        "val/best_accuracy",
    ] {
        assert!(said.contains(tag), "{tag} was not checked: {said}");
    }
}
