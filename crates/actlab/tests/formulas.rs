//! Formula and rational activations through the real binary: a formula trains like the
//! built-in it spells out, both resume bit-identically with learnable parameters and train on
//! wgpu as on ndarray, and bad formulas are refused before any training.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{actlab, block_dataset, text};

fn config(dir: &Path, data: &Path, name: &str, activation: &str, backend: &str) -> String {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[model]\npreset = \"prelu-mlp\"\nhidden = [16]\nactivation = {activation}\n\
             [data]\ndir = \"{}\"\nvalidation_size = 32\n[train]\nepochs = 2\nbatch_size = 32\n\
             [backend]\nname = \"{backend}\"\n",
            data.display()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// `metrics.csv` as numbers, without the timing columns.
fn metrics(run: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            l.split(',')
                .zip(&header)
                .filter(|(_, h)| !h.contains("seconds"))
                .map(|(v, _)| v.parse().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn a_formula_trains_like_the_builtin_it_spells_out() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    for backend in ["ndarray", "flex"] {
        let mut runs = Vec::new();
        for (name, activation) in [
            ("silu", "\"silu\"".to_string()),
            (
                "formula",
                "{ kind = \"expr\", f = \"x * sigmoid(x)\" }".to_string(),
            ),
        ] {
            let path = config(tmp.path(), &data, name, &activation, backend);
            let run = tmp.path().join(format!("{backend}-{name}"));
            let out = actlab(
                &["train", &path, "--out", run.to_str().unwrap(), "--quiet"],
                tmp.path(),
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            runs.push(run);
        }
        let (a, b) = (metrics(&runs[0]), metrics(&runs[1]));
        assert_eq!(a.len(), 2);
        for (row_a, row_b) in a.iter().zip(&b) {
            for (x, y) in row_a.iter().zip(row_b) {
                assert!(
                    (x - y).abs() <= 1e-4 * x.abs().max(1e-3),
                    "{backend}: {row_a:?} vs {row_b:?}"
                );
            }
        }
    }
}

#[test]
fn learnable_formula_parameters_and_rational_coefficients_resume_bit_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    let formula = "{ kind = \"expr\", f = \"x * sigmoid(beta * x) + c * x\", \
                   params = { beta = 1.0, c = 0.1 }, learnable = [\"beta\", \"c\"], \
                   per_unit = true, name = \"swish-b-lin\" }";
    let rational = "{ kind = \"rational\", degrees = [3, 2], init = \"silu\", per_unit = true }";
    // One hidden layer of 16 units: 16 β then 16 c; 6 coefficients × 16 units.
    let cases = [
        ("swish-b-lin", formula, 32),
        ("rational(3/2, init=silu, per unit)", rational, 96),
    ];
    for (label, activation, learned_len) in cases {
        for backend in ["ndarray", "flex"] {
            let name = format!("{backend}-{learned_len}");
            let path = config(tmp.path(), &data, &name, activation, backend);
            let whole = tmp.path().join(format!("{name}-whole"));
            let paused = tmp.path().join(format!("{name}-paused"));
            let out = actlab(
                &["train", &path, "--out", whole.to_str().unwrap(), "--quiet"],
                tmp.path(),
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            let args = ["train", &path, "--out", paused.to_str().unwrap(), "--quiet"];
            let out = actlab(&[&args[..], &["--pause-after", "1"]].concat(), tmp.path());
            assert!(out.status.success(), "{}", text(&out.stderr));
            let out = actlab(
                &["train", "--resume", paused.to_str().unwrap(), "--quiet"],
                tmp.path(),
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(
                std::fs::read(whole.join("model.bpk")).unwrap(),
                std::fs::read(paused.join("model.bpk")).unwrap(),
                "{name}"
            );
            assert_eq!(metrics(&whole), metrics(&paused), "{name}");
            let summary: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(whole.join("summary.json")).unwrap())
                    .unwrap();
            let learned = summary["learned_params"][0].as_array().unwrap();
            assert_eq!(learned.len(), learned_len, "{name}");
            // Every unit's values moved away from where they started (all units start equal).
            let first: Vec<f64> = learned.iter().map(|v| v.as_f64().unwrap()).collect();
            let distinct = first.windows(2).filter(|w| w[0] != w[1]).count();
            assert!(distinct > learned_len / 2, "{name}: {first:?}");
            assert_eq!(summary["activation_label"], label);
        }
    }
}

#[test]
fn formulas_and_rationals_train_on_wgpu_as_on_ndarray() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    let activations = [
        "{ kind = \"expr\", f = \"x * sigmoid(beta * x)\", params = { beta = 1.0 }, \
         learnable = [\"beta\"] }",
        "{ kind = \"rational\", init = \"leaky_relu\" }",
    ];
    for (i, activation) in activations.iter().enumerate() {
        let mut rows = Vec::new();
        for backend in ["ndarray", "wgpu"] {
            let name = format!("{backend}-{i}");
            let path = config(tmp.path(), &data, &name, activation, backend);
            let run = tmp.path().join(&name);
            let out = actlab(
                &["train", &path, "--out", run.to_str().unwrap(), "--quiet"],
                tmp.path(),
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            let summary = std::fs::read_to_string(run.join("summary.json")).unwrap();
            let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
            assert_eq!(summary["backend"], backend);
            rows.push(metrics(&run));
        }
        let header = std::fs::read_to_string(tmp.path().join(format!("wgpu-{i}/metrics.csv")))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .split(',')
            .filter(|h| !h.contains("seconds"))
            .map(str::to_string)
            .collect::<Vec<_>>();
        // Same weights and batches; only the order of float operations differs: losses within
        // 1e-3 relative, accuracies within one validation image (of 32).
        for (a, b) in rows[0].iter().zip(&rows[1]) {
            for ((x, y), h) in a.iter().zip(b).zip(&header) {
                let ok = if h.contains("acc") {
                    (x - y).abs() <= 1.0 / 32.0 + 1e-9
                } else {
                    (x - y).abs() <= 1e-3 * x.abs().max(1e-3)
                };
                assert!(ok, "{activation}: {h}: ndarray {x} vs wgpu {y}");
            }
        }
    }
}

#[test]
fn bad_formulas_are_refused_before_training_with_the_column() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 64, 16);
    for (activation, expected) in [
        (
            "{ kind = \"expr\", f = \"x * sigmod(x)\" }",
            "model.activation.f = \"x * sigmod(x)\": column 5: unknown function `sigmod`",
        ),
        (
            "{ kind = \"expr\", f = \"exp(x)\" }",
            "not a finite number at x = 100",
        ),
        (
            "{ kind = \"expr\", f = \"x\", params = { a = 1.0 } }",
            "`a` is declared in `params` but the formula does not use it",
        ),
    ] {
        let path = config(tmp.path(), &data, "bad", activation, "ndarray");
        let out = actlab(&["train", &path, "--quiet"], tmp.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!tmp.path().join("runs/bad").exists());
    }
}

#[test]
fn plot_activations_draws_a_configs_formulas_beside_named_builtins() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let path = config(
        tmp.path(),
        &data,
        "mine",
        "{ kind = \"expr\", f = \"x * erf(x)\", name = \"x-erf-x\" }",
        "ndarray",
    );
    let out = actlab(
        &[
            "plot",
            "activations",
            "--config",
            &path,
            "--also",
            "relu,gelu",
            "--out",
            "pics",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in [
        "x-erf-x.svg",
        "x-erf-x.png",
        "relu.png",
        "gelu.svg",
        "activations.png",
    ] {
        assert!(tmp.path().join("pics").join(file).is_file(), "{file}");
    }
    // `summary` shows the formula layer and the formula.
    let out = actlab(&["summary", &path], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("activation x-erf-x")
            && stdout.contains("(Formula)")
            && stdout.contains("Formula: f(x) = x * erf(x); no learnable parameters"),
        "{stdout}"
    );
    // A rational: its layer, its coefficients and its fit's maximum error.
    let path = config(
        tmp.path(),
        &data,
        "pau",
        "{ kind = \"rational\", init = \"leaky_relu\" }",
        "ndarray",
    );
    let out = actlab(&["summary", &path], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = stdout.lines().find(|l| l.starts_with("Rational:")).unwrap();
    assert!(
        stdout.contains("(Rational)")
            && line.contains("R(x) = P5(x) / (1 + |Q4(x)|), 10 learnable coefficients per layer")
            && line.contains("initialised to leaky_relu(slope=0.01)"),
        "{stdout}"
    );
    let printed: f64 = line
        .split("max error ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(printed > 0.0 && printed < 0.05, "{line}");
    // Only those three: the built-in gallery is not drawn with --config.
    assert!(!tmp.path().join("pics/tanh.png").exists());
    let out = actlab(
        &["plot", "activations", "--config", &path, "--also", "rellu"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--also rellu") && stderr.contains("relu"),
        "{stderr}"
    );
}
