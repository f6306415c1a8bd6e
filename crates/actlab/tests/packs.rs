//! `compare --pack` and `actlab train-pack` through the real binary: a packed sweep gives the
//! unpacked sweep's numbers and run directories that eval and report read unchanged; `auto`
//! leaves CPU sweeps alone; runs that cannot share a pack are refused in one line; a tuning
//! stage packs its runs, regroups the survivors of a halving and chooses what the unpacked
//! stage chooses.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{actlab, block_dataset, interrupt_when, text, val_acc};

fn sweep(dir: &Path, data: &Path, name: &str) -> String {
    let file = format!("{name}.toml");
    std::fs::write(
        dir.join(&file),
        format!(
            "name = \"{name}\"\n[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[base.data]\n\
             dir = \"{}\"\nvalidation_size = 32\n[base.train]\nepochs = 2\nbatch_size = 32\n\
             [base.backend]\nname = \"ndarray\"\n[grid]\nactivations = [\"relu\", \"tanh\", \
             {{ kind = \"swish\", trainable = true }}]\nlr = [1e-3, 3e-3]\nseeds = [1, 2]\n",
            data.display()
        ),
    )
    .unwrap();
    file
}

fn summary(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
}

/// The names in `dir` that `keep` keeps.
fn entries(dir: &std::path::Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| keep(n))
        .collect()
}

#[test]
fn a_packed_sweep_gives_the_unpacked_sweeps_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    let alone = sweep(tmp.path(), &data, "alone");
    let packed = sweep(tmp.path(), &data, "packed");
    let out = actlab(
        &["compare", &alone, "--quiet", "--pack", "auto"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--pack auto on ndarray (a CPU backend") && stderr.contains("0 pack(s)"),
        "{stderr}"
    );
    let out = actlab(&["compare", &packed, "--quiet", "--pack", "4"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // 12 runs: per seed 6 (3 activations × 2 rates) share a key; packs of at most 4.
    assert!(
        stderr.contains("packing: --pack 4: 4 pack(s) (") && stderr.contains("), 0 run(s) alone"),
        "{stderr}"
    );
    let runs = tmp.path().join("runs");
    let names = entries(&runs.join("alone"), |n| n.contains("-s"));
    assert_eq!(names.len(), 12, "{names:?}");
    for name in &names {
        let (a, p) = (
            summary(&runs.join("alone").join(name)),
            summary(&runs.join("packed").join(name)),
        );
        assert!(a.get("packed_with").is_none());
        let mates = p["packed_with"].as_array().unwrap();
        assert!(mates.len() == 1 || mates.len() == 3, "{name}: {mates:?}");
        let (x, y) = (
            a["test_loss"].as_f64().unwrap(),
            p["test_loss"].as_f64().unwrap(),
        );
        assert!(
            (x - y).abs() <= 1e-4 * x.abs(),
            "{name}: test loss {x} vs {y}"
        );
        let (x, y) = (
            a["test_accuracy"].as_f64().unwrap(),
            p["test_accuracy"].as_f64().unwrap(),
        );
        assert!((x - y).abs() <= 1.0 / 64.0 + 1e-12, "{name}: {x} vs {y}");
        assert_eq!(a["lr"], p["lr"], "{name}");
    }
    // The report reads packed runs as any others, and says they were packed; eval reads a
    // packed run's model.bpk.
    let report = std::fs::read_to_string(runs.join("packed/report/report.md")).unwrap();
    assert!(
        report.contains("12 of 12 runs were trained in packs"),
        "{report}"
    );
    let report = std::fs::read_to_string(runs.join("alone/report/report.md")).unwrap();
    assert!(!report.contains("trained in packs"), "{report}");
    let run = runs.join("packed").join(&names[0]);
    let out = actlab(&["eval", run.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("eval.json")).unwrap()).unwrap();
    assert_eq!(eval["accuracy"], summary(&run)["test_accuracy"]);
}

#[test]
fn train_pack_refuses_runs_that_differ_in_more_than_activation_and_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 64, 16);
    let write = |name: &str, epochs: usize| {
        let path = tmp.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "name = \"{name}\"\n[model]\npreset = \"prelu-mlp\"\nhidden = [8]\n[data]\n\
                 dir = \"{}\"\nvalidation_size = 16\n[train]\nepochs = {epochs}\nbatch_size = 16\n\
                 [backend]\nname = \"ndarray\"\n",
                data.display()
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_string()
    };
    let (a, b) = (write("a", 1), write("b", 2));
    let out = actlab(&["train-pack", &a, &b], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("differ only in activation and learning rate"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!tmp.path().join("runs/a").exists());
    let out = actlab(&["compare", "nothing.toml", "--pack", "0"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("expected `auto` or a number of runs per pack"),
        "{stderr}"
    );
}

#[test]
fn an_interrupted_packed_compare_resumes_as_the_pack_bit_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 3000, 64);
    for name in ["slow", "straight"] {
        std::fs::write(
            tmp.path().join(format!("{name}.toml")),
            format!(
                "name = \"{name}\"\n[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n\
                 [base.data]\ndir = \"{}\"\nvalidation_size = 32\n[base.train]\nepochs = 3\n\
                 batch_size = 4\n[base.backend]\nname = \"ndarray\"\n[grid]\n\
                 activations = [\"relu\", {{ kind = \"prelu\", per_unit = true }}]\nseeds = [1]\n",
                data.display()
            ),
        )
        .unwrap();
    }
    let out = actlab(
        &["compare", "straight.toml", "--quiet", "--pack", "2"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let runs = tmp.path().join("runs/slow");
    let state = runs.join("relu-s1/checkpoint/state.toml");
    let args = ["compare", "slow.toml", "--quiet", "--pack", "2"];
    let out = interrupt_when(&args, tmp.path(), &state, || {});
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // A member alone cannot be resumed; compare (even without --pack) resumes the pack.
    let run = runs.join("relu-s1");
    let out = actlab(&["train", "--resume", run.to_str().unwrap()], tmp.path());
    assert!(
        text(&out.stderr).contains("train-pack"),
        "{}",
        text(&out.stderr)
    );
    let out = actlab(&["compare", "slow.toml", "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("checkpointed packs resume as packs: 1 pack(s) (2)"),
        "{stderr}"
    );
    let members = entries(&tmp.path().join("runs/straight"), |n| n.ends_with("-s1"));
    assert_eq!(members.len(), 2, "{members:?}");
    for member in &members {
        let metrics = |sweep: &str| {
            let text = std::fs::read_to_string(
                tmp.path()
                    .join("runs")
                    .join(sweep)
                    .join(member)
                    .join("metrics.csv"),
            )
            .unwrap_or_else(|e| panic!("{member}: {e}"));
            text.lines()
                .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
                .collect::<Vec<_>>()
        };
        let (a, b) = (metrics("straight"), metrics("slow"));
        assert_eq!(a.len(), 4, "{a:?}");
        assert_eq!(a, b, "{member}");
    }
}

#[test]
fn a_packed_tuning_stage_regroups_the_survivors_and_measures_what_runs_alone_measure() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    for name in ["alone", "packed", "stopped"] {
        std::fs::write(
            tmp.path().join(format!("{name}.toml")),
            format!(
                "name = \"{name}\"\n[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n\
                 [base.data]\ndir = \"{}\"\nvalidation_size = 64\n[base.train]\nepochs = 2\n\
                 batch_size = 32\ndiagnostics = true\n[base.backend]\nname = \"ndarray\"\n\
                 [grid]\nactivations = [\"relu\", \"tanh\"]\nseeds = [1, 2]\n[tune]\n\
                 lr = [1e-1, 1e-3, 1e-2]\nseeds = [11, 12]\nepochs = 3\n\
                 halving = {{ after = [1], keep = 0.5 }}\n",
                data.display()
            ),
        )
        .unwrap();
    }
    let out = actlab(&["compare", "alone.toml", "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = actlab(
        &["compare", "packed.toml", "--quiet", "--pack", "6"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Per tuning seed, 2 activations × 3 rates share a pack; after the halving at epoch 1,
    // 2 × 2 survivors per seed go on, regrouped; the final runs pack per seed.
    for line in [
        "tuning: packing: --pack 6: 2 pack(s) (6 + 6), 0 run(s) alone",
        "tuning: packing: --pack 6: 2 pack(s) (4 + 4), 0 run(s) alone",
        "packing: --pack 6: 2 pack(s) (2 + 2), 0 run(s) alone",
    ] {
        assert!(stderr.contains(line), "{line}:\n{stderr}");
    }
    let runs = tmp.path().join("runs");
    let (alone, packed) = (runs.join("alone/tune"), runs.join("packed/tune"));
    let names = entries(&alone, |n| n.contains("-lr"));
    assert_eq!(names.len(), 12, "{names:?}");
    let mut finished = 0;
    for name in &names {
        // Every tuning run measured what its run alone measured (one image of 64).
        let (a, p) = (val_acc(&alone.join(name)), val_acc(&packed.join(name)));
        assert_eq!(a.len(), p.len(), "{name}");
        for (x, y) in a.iter().zip(&p) {
            assert!(
                (x - y).abs() <= 1.0 / 64.0 + 1e-12,
                "{name}: {a:?} vs {p:?}"
            );
        }
        assert!(
            packed.join(name).join("diagnostics.csv").is_file(),
            "{name}"
        );
        // A survivor finished in its regrouped pack: the other 3 survivors of its seed.
        if p.len() == 3 {
            finished += 1;
            let mates = summary(&packed.join(name))["packed_with"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(mates, 3, "{name}");
        }
    }
    assert_eq!(finished, 8);
    // The same choices (the scores agree to one image; these are not close calls).
    let choices = |sweep: &str| {
        let selection: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(runs.join(sweep).join("tune/selection.json")).unwrap(),
        )
        .unwrap();
        selection["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["group"].to_string(), g["tuned_lr"].as_f64().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(choices("alone"), choices("packed"));
    for run in ["relu-s1", "tanh-s2"] {
        assert!(summary(&runs.join("packed").join(run))["packed_with"].is_array());
    }

    // Ctrl-C as the second tuning pack checkpoints its first epoch, then `compare` again
    // without --pack: the packs resume as packs, the survivors are regrouped as before, and
    // every tuning run's metrics equal the uninterrupted stage's.
    let trigger = runs.join("stopped/tune/tanh-lr0.1-s12/checkpoint/state.toml");
    let args = ["compare", "stopped.toml", "--quiet", "--pack", "6"];
    let out = interrupt_when(&args, tmp.path(), &trigger, || {});
    assert!(
        matches!(out.status.code(), Some(0 | 130)),
        "{}",
        text(&out.stderr)
    );
    let out = actlab(&["compare", "stopped.toml", "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let metrics = |sweep: &str, name: &str| {
        let text =
            std::fs::read_to_string(runs.join(sweep).join("tune").join(name).join("metrics.csv"))
                .unwrap();
        text.lines()
            .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    };
    for name in &names {
        assert_eq!(metrics("packed", name), metrics("stopped", name), "{name}");
    }
    assert_eq!(choices("packed"), choices("stopped"));
}
