//! Drives the real `actlab` binary, each test in its own temp dir.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{actlab, block_dataset, root, text, write_idx};

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
    // Again into the directory it made: rewritten. Into a user's own directory of pictures:
    // refused with one line, nothing in it replaced.
    let again = actlab(&["plot", "activations", "--out", "pics"], dir.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("relu.png"), "my own picture").unwrap();
    let out = actlab(&["plot", "activations", "--out", "mine"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("was not made by actlab"), "{stderr}");
    let names: Vec<_> = std::fs::read_dir(&mine).unwrap().collect();
    assert_eq!(names.len(), 1);
    assert_eq!(
        std::fs::read_to_string(mine.join("relu.png")).unwrap(),
        "my own picture"
    );
}

/// A tiny MNIST-shaped dataset: 20 training and 10 test images.
fn tiny_dataset(dir: &Path) {
    for (prefix, n) in [("train", 20u32), ("t10k", 10)] {
        let pixels = (0..n as usize * 784).map(|i| (i % 251) as u8).collect();
        write_idx(
            dir,
            &format!("{prefix}-images-idx3-ubyte"),
            &[n, 28, 28],
            pixels,
        );
        let labels = (0..n).map(|i| (i % 10) as u8).collect();
        write_idx(dir, &format!("{prefix}-labels-idx1-ubyte"), &[n], labels);
    }
}

#[test]
fn data_info_reports_counts_source_and_checksums() {
    let tmp = tempfile::tempdir().unwrap();
    tiny_dataset(&tmp.path().join("datasets/mnist"));
    let out = actlab(
        &["data", "info", "mnist", "--offline", "--json"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["train_count"], 20);
    assert_eq!(json["test_count"], 10);
    assert_eq!(json["source"], "project");
    assert_eq!(
        json["class_balance"]["train"],
        serde_json::to_value([2; 10]).unwrap()
    );
    // Fixtures are not the published MNIST: said so, file by file.
    assert_eq!(json["checksum_status"], "mismatch");
    assert_eq!(json["checksums"][0]["status"], "mismatch");
    assert!(
        text(&out.stderr).contains("project cache"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn data_errors_are_one_line_with_a_failing_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    // Nothing anywhere (offline): the error lists what was tried.
    let out = actlab(
        &["data", "info", "mnist", "--offline", "--dir", "nowhere"],
        tmp.path(),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot find or fetch mnist; tried:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("config dir nowhere: missing (no such directory)"),
        "{stderr}"
    );

    // A truncated file: one line naming it.
    let dir = tmp.path().join("broken");
    tiny_dataset(&dir);
    let file = dir.join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..1000]).unwrap();
    for args in [
        vec!["data", "verify", "broken"],
        vec![
            "data",
            "info",
            "fashion-mnist",
            "--offline",
            "--dir",
            "broken",
        ],
    ] {
        let out = actlab(&args, tmp.path());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error.len(), 1, "{stderr}");
        assert!(
            error[0].contains("broken/train-images-idx3-ubyte: truncated"),
            "{stderr}"
        );
    }
    let out = actlab(&["data", "info", "cifar100"], tmp.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown dataset \"cifar100\""));
}

#[test]
fn data_verify_a_valid_unknown_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    tiny_dataset(&tmp.path().join("d"));
    let out = actlab(&["data", "verify", "d"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid IDX, 20 train + 10 test images"));
    // Claimed to be Fashion-MNIST, it is not: exit 1.
    let out = actlab(
        &["data", "verify", "d", "--dataset", "fashion-mnist"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("4 of 4 files differ from the published fashion-mnist"));
}

fn train_config(dir: &Path, data: &Path, epochs: usize, batch: usize) -> PathBuf {
    let path = dir.join("tiny.toml");
    std::fs::write(
        &path,
        format!(
            "[model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[data]\ndir = \"{}\"\n\
             validation_size = 32\n[train]\nepochs = {epochs}\nbatch_size = {batch}\n\
             [backend]\nname = \"ndarray\"\n",
            data.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn train_writes_a_run_directory_and_resume_continues_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 320, 64);
    let config = train_config(tmp.path(), &data, 2, 32);
    let out = actlab(&["train", config.to_str().unwrap(), "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("epoch  1/2") && stderr.contains("epoch  2/2"),
        "{stderr}"
    );
    assert!(stderr.contains("test accuracy"), "{stderr}");
    let run = tmp.path().join("runs/tiny");
    assert_eq!(text(&out.stdout).trim(), "runs/tiny");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    for key in [
        "name",
        "activation",
        "backend",
        "seed",
        "epochs",
        "params",
        "test_accuracy",
        "test_loss",
        "best_val_accuracy",
        "epoch_seconds",
        "prelu_slopes",
        "burn_version",
    ] {
        assert!(
            !summary[key].is_null(),
            "summary.json lacks {key}: {summary}"
        );
    }
    assert_eq!(summary["epochs"], 2);
    assert_eq!(summary["backend"], "ndarray");
    assert_eq!(summary["epoch_seconds"].as_array().unwrap().len(), 2);
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert!(
        metrics.starts_with("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"),
        "{metrics}"
    );
    assert_eq!(metrics.lines().count(), 3);

    // A second fresh run into the same directory is refused…
    let out = actlab(&["train", config.to_str().unwrap(), "--quiet"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--resume"),
        "{}",
        text(&out.stderr)
    );
    // …and --resume with more epochs continues it.
    let out = actlab(
        &["train", "--resume", "runs/tiny", "--epochs", "3", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("resuming after epoch 2"), "{stderr}");
    assert!(
        stderr.contains("epoch  3/3") && !stderr.contains("epoch  1/3"),
        "{stderr}"
    );
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 4);
    // Overrides land in the recorded config.
    let recorded = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(recorded.contains("epochs = 3"), "{recorded}");
}

/// Without `XDG_RUNTIME_DIR` (batch jobs, containers), a wgpu run prints no libwayland noise:
/// actlab starts itself again with a private runtime directory (`runtime_dir.rs`).
#[test]
fn a_wgpu_run_without_a_runtime_directory_is_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 96, 16);
    let config = train_config(tmp.path(), &data, 1, 32);
    let out = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["train", config.to_str().unwrap(), "--backend", "wgpu"])
        .args(["--out", "w"])
        .current_dir(tmp.path())
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("on wgpu"), "{stderr}");
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    // CI has no GPU: wgpu runs on Mesa's lavapipe, which the first line and the provenance
    // call a software adapter.
    let first = stderr.lines().find(|l| l.starts_with("training ")).unwrap();
    assert!(
        first.contains("SOFTWARE adapter") && first.contains("flex"),
        "{first}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("w/summary.json")).unwrap())
            .unwrap();
    let adapter = &summary["provenance"]["adapter"];
    assert_eq!(adapter["kind"], "software", "{adapter}");
    assert!(
        adapter["name"].as_str().unwrap().contains("llvmpipe"),
        "{adapter}"
    );
}

/// `summary.json` records where the run came from; `reproduce` re-trains it identically, and
/// reports an edited number as a difference on a matching environment (exit 1).
#[test]
fn provenance_is_recorded_and_reproduce_checks_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 160, 32);
    let config = train_config(tmp.path(), &data, 2, 32);
    let out = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["train", config.to_str().unwrap(), "--out", "r", "--quiet"])
        .current_dir(tmp.path())
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary_path = tmp.path().join("r/summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    let p = &summary["provenance"];
    assert_eq!(p["backend"], "ndarray");
    assert_eq!(p["threads"], 1, "RAYON_NUM_THREADS is the pool size");
    assert_eq!(p["burn_version"], "0.22.1");
    assert_eq!(p["build"]["version"], env!("CARGO_PKG_VERSION"));
    let commit = p["build"]["git_commit"].as_str().unwrap();
    assert_eq!(commit.len(), 40, "{commit}");
    assert!(p["build"]["rustc"].as_str().unwrap().starts_with("rustc "));
    assert!(p["logical_cores"].as_u64().unwrap() >= 1);
    assert_eq!(p["dataset_sha256"].as_object().unwrap().len(), 4);
    // The cache geometry, as Linux reports it for CPU 0 (read here independently).
    let l1d = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index0/size");
    if let Ok(size) = l1d {
        let caches = p["cpu_caches"].as_array().unwrap();
        assert!(
            caches[0]
                .as_str()
                .unwrap()
                .starts_with(&format!("L1d {}", size.trim())),
            "{caches:?}"
        );
    }
    #[cfg(target_arch = "x86_64")]
    {
        let features: Vec<&str> = p["cpu_features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(
            features.contains(&"avx2"),
            std::arch::is_x86_feature_detected!("avx2")
        );
        assert_eq!(
            features.contains(&"avx512f"),
            std::arch::is_x86_feature_detected!("avx512f")
        );
    }

    let reproduce = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_actlab"))
            .arg("reproduce")
            .args(args)
            .current_dir(tmp.path())
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap()
    };
    let same = reproduce(&["r", "--json"]);
    let stderr = text(&same.stderr);
    assert!(same.status.success(), "{stderr}");
    assert!(stderr.contains("r: identical"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(json[0]["identical"], true);
    assert_eq!(json[0]["weights_identical"], true);
    // A kept scratch directory is not reused: the second time is a clear error.
    assert!(reproduce(&["r", "--scratch", "s"]).status.success());
    assert!(tmp.path().join("s/r/summary.json").is_file());
    let again = reproduce(&["r", "--scratch", "s"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already holds r"),
        "{}",
        text(&again.stderr)
    );

    // An edited summary (consistently: accuracy and count): the reproduction disagrees with
    // it on a matching environment.
    let images = summary["test_samples"].as_f64().unwrap();
    summary["test_accuracy"] = serde_json::json!(0.25);
    summary["test_correct"] = serde_json::json!((0.25 * images) as usize);
    std::fs::write(&summary_path, summary.to_string()).unwrap();
    let edited = reproduce(&["r", "--json"]);
    let stderr = text(&edited.stderr);
    assert_eq!(edited.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("DIFFERS on a matching environment"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&edited.stdout).unwrap();
    assert_eq!(json[0]["first_difference"]["metric"], "test_accuracy");
    assert_eq!(json[0]["first_difference"]["original"], 0.25);

    // Another thread count is another environment: a difference is then reported, not failed.
    let other = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["reproduce", "r"])
        .current_dir(tmp.path())
        .env("RAYON_NUM_THREADS", "3")
        .output()
        .unwrap();
    let stderr = text(&other.stderr);
    assert!(other.status.success(), "{stderr}");
    assert!(stderr.contains("environment differs: threads"), "{stderr}");
    assert!(stderr.contains("threads 1 → 3"), "{stderr}");
}

#[test]
fn train_errors_are_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 96, 16);
    let config = train_config(tmp.path(), &data, 1, 32);
    let config = config.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["train", "no-such.toml"],
            "cannot read config no-such.toml",
        ),
        (
            &["train", config, "--backend", "tpu"],
            "unknown backend \"tpu\"",
        ),
        (&["train", config, "--backend", "cuda"], "--features cuda"),
        (
            &[
                "train",
                config,
                "--backend",
                "flex",
                "--device",
                "discrete:0",
            ],
            "not a flex device",
        ),
        (
            &[
                "train",
                config,
                "--backend",
                "wgpu",
                "--device",
                "discrete:99",
            ],
            "no wgpu adapter",
        ),
        (&["train", "--resume", "nowhere"], "no checkpoint"),
        (&["train", config, "--epochs", "0"], "train.epochs = 0"),
        // Files that never end or never answer are refused before they are read.
        (&["train", "/dev/zero"], "not a regular file"),
        (&["summary", "/dev/zero"], "not a regular file"),
        (&["train", "fifo.toml"], "not a regular file"),
    ];
    let made = Command::new("mkfifo")
        .arg(tmp.path().join("fifo.toml"))
        .status()
        .unwrap();
    assert!(made.success());
    for (args, expected) in cases {
        let out = actlab(args, tmp.path());
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // Values that parse but cannot train: sizes that do not fit the data, names that escape
    // runs/, sizes past what fits in memory.
    let base = std::fs::read_to_string(config).unwrap();
    let variants = [
        (
            base.replace("hidden = [16]", "hidden = [16]\ninput_size = 100"),
            "model.input_size = 100",
        ),
        (
            base.replace("hidden = [16]", "hidden = [16]\noutput_size = 5"),
            "model.output_size = 5",
        ),
        (format!("name = \"..\"\n{base}"), "a plain name"),
        (
            base.replace("batch_size = 32", "batch_size = 9223372036854775807"),
            "train.batch_size",
        ),
        (
            base.replace("hidden = [16]", "hidden = [1000000]"),
            "at most 100000000 weights",
        ),
    ];
    for (i, (toml, expected)) in variants.iter().enumerate() {
        let path = tmp.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, toml).unwrap();
        let out = actlab(&["train", path.to_str().unwrap(), "--offline"], tmp.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{toml}: {stderr}");
        assert!(stderr.contains(expected), "{toml}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    assert!(
        !tmp.path().join("config.toml").exists(),
        "nothing trained into the cwd"
    );

    // A dataset directory with a corrupt file.
    std::fs::write(data.join("t10k-labels-idx1-ubyte"), b"garbage").unwrap();
    let out = actlab(&["train", config, "--offline"], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("t10k-labels-idx1-ubyte"), "{stderr}");
    // The cause is said once (it used to follow its own quotation: "…: bad magic…: bad magic…").
    assert_eq!(stderr.matches("bad magic").count(), 1, "{stderr}");
}

/// `kill -SIGNAL` during training: a checkpoint, exit status `code`, and the run resumes.
fn a_signal_saves_a_checkpoint_and_the_run_resumes(signal: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 4000, 64);
    // Batch 4, 40 epochs: minutes of work, so the signal lands mid-run.
    let config = train_config(tmp.path(), &data, 40, 4);
    let child = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["train", config.to_str().unwrap(), "--quiet"])
        .current_dir(tmp.path())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until training has started (the checkpoint directory appears after epoch 1).
    let cp = tmp.path().join("runs/tiny/checkpoint/state.toml");
    let start = std::time::Instant::now();
    while !cp.exists() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(cp.exists(), "no epoch finished within 120 s");
    // While it trains, a second command on the same directory is refused, naming the first.
    let out = actlab(&["train", "--resume", "runs/tiny", "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("in use by process {}", child.id())),
        "{stderr}"
    );
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("checkpoint saved"), "{stderr}");
    assert!(stderr.contains("--resume runs/tiny"), "{stderr}");
    let state = std::fs::read_to_string(&cp).unwrap();
    assert!(state.contains("steps_into_epoch"), "{state}");
    // Resume for a total of 2 epochs (already at least 1 done) finishes normally.
    let out = actlab(
        &["train", "--resume", "runs/tiny", "--epochs", "2", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    if out.status.success() {
        assert!(
            stderr.contains("test accuracy") || stderr.contains("already has"),
            "{stderr}"
        );
    } else {
        // Interrupted after epoch 2 had already finished: --epochs 2 is then below the count.
        assert!(stderr.contains("already trained"), "{stderr}");
    }
}

#[test]
fn ctrl_c_saves_a_checkpoint_exits_130_and_the_run_resumes() {
    a_signal_saves_a_checkpoint_and_the_run_resumes("-INT", 130);
}

/// What Slurm and Kubernetes send before they kill a job.
#[test]
fn sigterm_saves_a_checkpoint_exits_143_and_the_run_resumes() {
    a_signal_saves_a_checkpoint_and_the_run_resumes("-TERM", 143);
}

#[test]
fn eval_and_predict_a_trained_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 320, 64);
    let config = train_config(tmp.path(), &data, 1, 32);
    let out = actlab(&["train", config.to_str().unwrap(), "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = actlab(&["eval", "runs/tiny"], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for expected in [
        "accuracy",
        "per class:",
        "T-shirt/top",
        "confusion matrix:",
        "most confused",
        "images/s",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    for file in [
        "eval.json",
        "confusion.csv",
        "confusion.svg",
        "confusion.png",
    ] {
        assert!(tmp.path().join("runs/tiny").join(file).is_file(), "{file}");
    }
    let out = actlab(
        &["eval", "runs/tiny", "--json", "--backend", "flex"],
        tmp.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["backend"], "flex");
    assert_eq!(json["images"], 64);

    // Two good images (one a PGM written by hand) and a bad one: the good ones are predicted,
    // the bad one named, exit status 1.
    let images = tmp.path().join("images");
    std::fs::create_dir_all(&images).unwrap();
    let mut pgm = b"P5\n28 28\n255\n".to_vec();
    pgm.extend((0..784).map(|i| if (i % 28) / 4 == 3 { 255u8 } else { 0 }));
    std::fs::write(images.join("bar.pgm"), pgm).unwrap();
    std::fs::write(images.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let out = actlab(
        &["predict", "runs/tiny", "images", "--top", "2", "--json"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("broken.png"),
        "{}",
        text(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let predictions = json.as_array().unwrap();
    assert_eq!(predictions.len(), 1);
    assert_eq!(predictions[0]["top"].as_array().unwrap().len(), 2);

    let out = actlab(&["predict", "runs/tiny", "--test-index", "3"], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("test[3]") && stdout.contains("(true: "),
        "{stdout}"
    );
    // Past the end, also where index × 784 overflows into range (2^60).
    for index in ["64", "1152921504606846976"] {
        let out = actlab(&["predict", "runs/tiny", "--test-index", index], tmp.path());
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("out of range"),
            "{}",
            text(&out.stderr)
        );
    }
    // A FIFO named like an image is refused, not waited on; the other image is still predicted.
    let fifo = tmp.path().join("fifo.png");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = actlab(
        &["predict", "runs/tiny", "fifo.png", "--test-index", "1"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("fifo.png: not a regular file"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("test[1]"));
    let out = actlab(&["eval", "nowhere"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a finished run"),
        "{}",
        text(&out.stderr)
    );

    // A report over a run whose summary holds an impossible accuracy: that run is skipped with
    // the reason, the report is written from the others (it used to spin forever on ±1e308).
    let summary = std::fs::read_to_string(tmp.path().join("runs/tiny/summary.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let accuracy = value["test_accuracy"].to_string();
    std::fs::create_dir_all(tmp.path().join("runs/bad")).unwrap();
    std::fs::write(
        tmp.path().join("runs/bad/summary.json"),
        summary.replace(
            &format!("\"test_accuracy\": {accuracy}"),
            "\"test_accuracy\": 1e308",
        ),
    )
    .unwrap();
    let out = actlab(&["report", "runs", "--out", "runs/report"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("runs/bad/summary.json") && stderr.contains("test_accuracy = 1e308"),
        "{stderr}"
    );
    // A report goes only where actlab wrote one before, or somewhere new or empty: a user's
    // directory with their own report.md and results.csv is refused, nothing replaced.
    let again = actlab(&["report", "runs", "--out", "runs/report"], tmp.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    let mine = tmp.path().join("paper");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("report.md"), "# my paper").unwrap();
    std::fs::write(mine.join("results.csv"), "mine,1\n").unwrap();
    let out = actlab(&["report", "runs", "--out", "paper"], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .contains("paper holds files and was not made by actlab"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("report.md")).unwrap(),
        "# my paper"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("results.csv")).unwrap(),
        "mine,1\n"
    );
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 2);
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let out = actlab(&["report", "runs", "--out", "empty"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tmp.path().join("empty/report.md").is_file());

    // One byte of the final weights changed: caught by the hash in summary.json.
    let weights = tmp.path().join("runs/tiny/model.bpk");
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&weights, bytes).unwrap();
    let out = actlab(&["predict", "runs/tiny", "--test-index", "0"], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("model.bpk") && stderr.contains("SHA-256"),
        "{stderr}"
    );
}

#[test]
fn diagnose_a_small_deep_network() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 200, 20);
    std::fs::write(
        tmp.path().join("deep.toml"),
        format!(
            "[base.model]\npreset = \"prelu-mlp\"\n[base.data]\ndir = \"{}\"\nvalidation_size = 32\n\
             [base.train]\nbatch_size = 16\n[base.backend]\nname = \"ndarray\"\n\
             [diagnose]\nactivations = [\"sigmoid\", \"relu\"]\n",
            data.display()
        ),
    )
    .unwrap();
    let out = actlab(
        &[
            "diagnose",
            "deep.toml",
            "--depth",
            "4",
            "--width",
            "8",
            "--steps",
            "3",
        ],
        tmp.path(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("| sigmoid |") && stdout.contains("| relu |"),
        "{stdout}"
    );
    for file in [
        "diagnose.json",
        "diagnose.csv",
        "gradients.svg",
        "gradients.png",
    ] {
        assert!(tmp.path().join("runs/deep").join(file).is_file(), "{file}");
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("runs/deep/diagnose.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["depth"], 4);
    assert_eq!(
        json["activations"][0]["initial"].as_array().unwrap().len(),
        5
    );
    let out = actlab(&["diagnose", "deep.toml", "--depth", "0"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("diagnose.depth"),
        "{}",
        text(&out.stderr)
    );
}

/// `diagnose` measures `[base.model]` itself with `model = "base"` — here a CNN with a residual
/// block on MNIST-1D (generated: no files) — one row per layer that feeds an activation (the
/// convolution, the residual block's two convolutions) and the output layer; the deep MLP takes
/// the dataset's 40 inputs, not 784; depth and width beside `model = "base"` are one line.
#[test]
fn diagnose_measures_a_cnn_from_the_base_model() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "[base.model]\nkind = \"cnn\"\n\
                blocks = [ { conv = 8, kernel = 5, pool = 2 }, { residual = 8, stride = 2 } ]\n\
                global_pool = true\nactivation = \"relu\"\n[base.data]\ndataset = \"mnist1d\"\nvalidation_size = 200\n\
                [base.train]\nbatch_size = 50\n[base.backend]\nname = \"ndarray\"\n";
    let write = |name: &str, diagnose: &str| {
        std::fs::write(
            tmp.path().join(name),
            format!("{base}[diagnose]\n{diagnose}"),
        )
        .unwrap()
    };
    write(
        "cnn.toml",
        "model = \"base\"\nsteps = 20\nactivations = [\"tanh\", \"relu\"]\n",
    );
    let out = actlab(&["diagnose", "cnn.toml", "--json"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("a CNN of 2 block(s)"),
        "{}",
        text(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["depth"], 3, "{json}");
    assert!(json["model"].as_str().unwrap().contains("CNN"), "{json}");
    for a in json["activations"].as_array().unwrap() {
        for stage in ["initial", "trained"] {
            let rows = a[stage].as_array().unwrap();
            assert_eq!(rows.len(), 4, "{a}");
            assert!(
                rows.iter().all(|r| r["grad_norm"].as_f64().unwrap() > 0.0),
                "{a}"
            );
        }
        // 20 Adam steps at 1e-3 lower the loss of a freshly initialised network.
        let (first, last) = (
            a["first_loss"].as_f64().unwrap(),
            a["last_loss"].as_f64().unwrap(),
        );
        assert!(last < first, "{a}");
    }
    write(
        "mlp.toml",
        "depth = 3\nwidth = 16\nsteps = 2\nactivations = [\"relu\"]\n",
    );
    let out = actlab(&["diagnose", "mlp.toml", "--json"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["activations"][0]["initial"].as_array().unwrap().len(),
        4
    );

    write("both.toml", "model = \"base\"\ndepth = 3\n");
    let out = actlab(&["diagnose", "both.toml"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("diagnose.depth") && stderr.contains("model = \"base\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// A damaged or hand-edited `checkpoint/state.toml` is refused by `train --resume` with one
/// line naming the file and the cause — before any training, with nothing in the run changed —
/// and the run resumes once the state is whole again.
#[test]
fn a_damaged_or_impossible_checkpoint_state_is_one_line_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 320, 64);
    let config = train_config(tmp.path(), &data, 2, 32);
    let out = actlab(
        &[
            "train",
            config.to_str().unwrap(),
            "--quiet",
            "--pause-after",
            "1",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = tmp.path().join("runs/tiny");
    let state_path = run.join("checkpoint/state.toml");
    let good = std::fs::read_to_string(&state_path).unwrap();
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    // 320 − 32 validation images in batches of 32: 9 steps an epoch.
    let mid_epoch = |partial: &str| {
        good.replace("steps_into_epoch = 0", "steps_into_epoch = 3")
            .replace("position = 0", "position = 3")
            + partial
    };
    let flipped = {
        let mut bytes = good.clone().into_bytes();
        let at = good.find("epochs_completed").unwrap() + 3;
        bytes[at] ^= 0x40;
        String::from_utf8(bytes).unwrap()
    };
    let without = |section: &str| {
        let start = good.find(section).unwrap();
        let end = good[start + 1..]
            .find("\n[")
            .map_or(good.len(), |i| start + 1 + i);
        format!("{}{}", &good[..start], &good[end..])
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("emptied", String::new(), "missing field"),
        (
            "truncated",
            good[..good.len() / 2].to_string(),
            "not a checkpoint state",
        ),
        ("a byte flipped", flipped, "not a checkpoint state"),
        ("[rng] removed", without("[rng]"), "missing field `rng`"),
        (
            "[[history]] removed",
            without("[[history]]"),
            "missing field `history`",
        ),
        (
            "an epoch more than [[history]] has",
            good.replace("epochs_completed = 1", "epochs_completed = 2")
                .replace("stream = 2", "stream = 3"),
            "epochs_completed = 2 but [[history]] has 1 epoch(s)",
        ),
        (
            "epochs_completed = -1",
            good.replace("epochs_completed = 1", "epochs_completed = -1"),
            "epochs_completed",
        ),
        (
            "NaN sums",
            mid_epoch(
                "\n[partial]\nloss_sum = nan\nsteps = 3\ncorrect = 60\nseen = 96\nseconds = 0.1\n",
            ),
            "partial.loss_sum = NaN",
        ),
        (
            "more correct than seen",
            mid_epoch(
                "\n[partial]\nloss_sum = 6.0\nsteps = 3\ncorrect = 9000\nseen = 96\nseconds = 0.1\n",
            ),
            "partial.correct = 9000 is more than partial.seen = 96",
        ),
        (
            "images the steps cannot have seen",
            mid_epoch(
                "\n[partial]\nloss_sum = 6.0\nsteps = 3\ncorrect = 60\nseen = 9600\nseconds = 0.1\n",
            ),
            "partial.seen = 9600 but 3 step(s) of 32 image(s) see 96",
        ),
        (
            "steps past the epoch",
            good.replace("steps_into_epoch = 0", "steps_into_epoch = 1000000000")
                .replace("position = 0", "position = 1000000000")
                + "\n[partial]\nloss_sum = 0.0\nsteps = 1000000000\ncorrect = 0\n\
                   seen = 32000000000\nseconds = 0.0\n",
            "steps_into_epoch = 1000000000 but an epoch of this run has 9 step(s)",
        ),
        (
            "an accuracy of 2",
            good.replacen("train_acc = ", "train_acc = 2.0 #", 1),
            "[[history]] epoch 1",
        ),
        (
            "another seed's shuffle",
            {
                let line = good.lines().find(|l| l.starts_with("seed = ")).unwrap();
                good.replace(line, "seed = 999")
            },
            "rng.seed = 999 but the run's seed is",
        ),
    ];
    for (what, state, expected) in cases {
        std::fs::write(&state_path, &state).unwrap();
        let out = actlab(&["train", "--resume", "runs/tiny", "--quiet"], tmp.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        // The error is the last line and one line (the lines before say where the data is).
        let last = stderr.trim_end().lines().last().unwrap_or_default();
        let errors = stderr.lines().filter(|l| l.starts_with("error")).count();
        assert!(
            last.starts_with("error: ") && errors == 1,
            "{what}: {stderr}"
        );
        assert!(
            last.contains("checkpoint/state.toml") && last.contains(expected),
            "{what}: expected {expected:?} in {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(&state_path).unwrap(),
            state,
            "{what}"
        );
        assert_eq!(
            std::fs::read_to_string(run.join("metrics.csv")).unwrap(),
            metrics,
            "{what}"
        );
        assert!(!run.join("summary.json").exists(), "{what}");
    }
    std::fs::write(&state_path, &good).unwrap();
    let out = actlab(&["train", "--resume", "runs/tiny", "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(run.join("summary.json").exists());
}

/// `dataset = "kmnist"` trains, evaluates with KMNIST's class names, and `data info` / `data
/// verify` say that KMNIST publishes no content checksums rather than claiming a match.
#[test]
fn a_kmnist_run_trains_and_its_data_is_described_honestly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("kmnist-files");
    block_dataset(&data, 320, 64);
    let config = tmp.path().join("kmnist.toml");
    std::fs::write(
        &config,
        format!(
            "[model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[data]\ndataset = \"kmnist\"\n\
             dir = \"{}\"\nvalidation_size = 32\n[train]\nepochs = 1\nbatch_size = 32\n\
             [backend]\nname = \"ndarray\"\n",
            data.display()
        ),
    )
    .unwrap();
    let out = actlab(&["train", config.to_str().unwrap(), "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("runs/kmnist/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["dataset"], "kmnist");
    let out = actlab(&["eval", "runs/kmnist"], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("tsu") && stdout.contains("wo"), "{stdout}");

    let dir = data.to_str().unwrap();
    let out = actlab(
        &["data", "info", "kmnist", "--dir", dir, "--offline"],
        tmp.path(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("not published"), "{stdout}");
    assert!(
        !text(&out.stderr).contains("differ"),
        "{}",
        text(&out.stderr)
    );
    let out = actlab(&["data", "verify", dir, "--dataset", "kmnist"], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("publishes no checksums"), "{stdout}");
    assert!(!stdout.contains("match the published"), "{stdout}");

    // Without a dataset, `data info` describes every one (looking for none).
    let out = actlab(&["data", "info", "--json"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dataset"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "mnist",
            "fashion-mnist",
            "kmnist",
            "emnist-balanced",
            "mnist1d",
            "cifar-10"
        ]
    );
    assert_eq!(all[2]["content_sha256_published"], false);
    assert_eq!(all[3]["classes"].as_array().unwrap().len(), 47);
    assert_eq!(all[3]["train_count"], 112_800);
    assert_eq!(all[4]["generated"], true);
    assert_eq!(all[5]["channels"], 3);
    assert_eq!(all[5]["image_shape"], serde_json::json!([32, 32]));
    assert_eq!(all[5]["content_sha256_published"], false);
    assert_eq!(all[4]["image_shape"], serde_json::json!([1, 40]));
    assert_eq!(all[4]["train_count"], 4000);
    assert_eq!(all[1]["debian_package"], "dataset-fashion-mnist");
    assert_eq!(all[2]["classes"][9], "wo");
    let out = actlab(&["data", "info"], tmp.path());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("kmnist: 28×28 grey images, 10 classes"),
        "{stdout}"
    );
    let out = actlab(&["data", "info", "--dir", dir], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("need a dataset"),
        "{}",
        text(&out.stderr)
    );
}

/// EMNIST balanced from files the test writes in NIST's layout (images stored transposed): an
/// MLP gets 47 outputs from the dataset, trains, evaluates with the letters' names, and predicts
/// an upright image of "A" as A — which fails if the images were not turned upright on reading,
/// because "A"'s block transposed is "M"'s. A ten-output model is refused in one line.
#[test]
fn an_emnist_run_has_47_outputs_and_reads_images_upright() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("emnist");
    // Class c upright: a 3×3 block at row 1 + 4 (c / 7), column 1 + 4 (c % 7).
    let block = |c: usize| (1 + 4 * (c / 7), 1 + 4 * (c % 7));
    for (split, n) in [("train", 47 * 24u32), ("test", 47 * 4)] {
        let labels: Vec<u8> = (0..n).map(|i| (i % 47) as u8).collect();
        let mut pixels = vec![0u8; n as usize * 784];
        for (i, &label) in labels.iter().enumerate() {
            let (row0, col0) = block(usize::from(label));
            for r in row0..row0 + 3 {
                for c in col0..col0 + 3 {
                    // Stored the way NIST stores them: columns first.
                    pixels[i * 784 + c * 28 + r] = 200 + (i % 50) as u8;
                }
            }
        }
        let base = format!("emnist-balanced-{split}");
        write_idx(
            &data,
            &format!("{base}-images-idx3-ubyte"),
            &[n, 28, 28],
            pixels,
        );
        write_idx(&data, &format!("{base}-labels-idx1-ubyte"), &[n], labels);
    }
    let config = |output: &str| {
        format!(
            "[model]\nhidden = [64]\nactivation = \"relu\"\n{output}[data]\n\
             dataset = \"emnist-balanced\"\ndir = \"{}\"\nvalidation_size = 94\n[train]\n\
             epochs = 6\nbatch_size = 32\noptimizer = {{ kind = \"adam\", lr = 3e-3 }}\n\
             [backend]\nname = \"ndarray\"\n[output]\ndir = \"runs/emnist\"\n",
            data.display()
        )
    };
    std::fs::write(tmp.path().join("ten.toml"), config("output_size = 10\n")).unwrap();
    let out = actlab(&["train", "ten.toml"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("model.output_size") && stderr.contains("47 (the 28×28 grey images in 47"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    std::fs::write(tmp.path().join("emnist.toml"), config("")).unwrap();
    let out = actlab(&["train", "emnist.toml", "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("runs/emnist/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["dataset"], "emnist-balanced");
    assert_eq!(summary["params"], 784 * 64 + 64 + 64 * 47 + 47);
    let accuracy = summary["test_accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.5, "blocks are learnable: {accuracy}");

    let out = actlab(&["eval", "runs/emnist"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(" of 188)"),
        "{}",
        text(&out.stdout)
    );
    let out = actlab(&["data", "verify", data.to_str().unwrap()], tmp.path());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("1128 train + 188 test images, labels 0–46")
            && stdout.contains("publishes no checksums"),
        "{stdout}"
    );

    let images = tmp.path().join("images");
    std::fs::create_dir_all(&images).unwrap();
    let (row0, col0) = block(10);
    let mut pgm = b"P5\n28 28\n255\n".to_vec();
    pgm.extend((0..784).map(|p| {
        let (r, c) = (p / 28, p % 28);
        let inside = (row0..row0 + 3).contains(&r) && (col0..col0 + 3).contains(&c);
        if inside { 230u8 } else { 0 }
    }));
    std::fs::write(images.join("a.pgm"), pgm).unwrap();
    let out = actlab(
        &["predict", "runs/emnist", "images", "--top", "1", "--json"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["top"][0]["name"], "A", "{json}");
}

/// MNIST-1D through the command line: a CNN on 1×40 sequences trains and evaluates; there is
/// nothing to fetch or verify, and `predict` (images) refuses the run with one line.
#[test]
fn an_mnist1d_cnn_trains_and_the_commands_say_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("m1d.toml");
    std::fs::write(
        &config,
        r#"
        [model]
        kind = "cnn"
        blocks = [ { conv = 8, kernel = 5, pool = 2 }, { residual = 8, stride = 2 } ]
        global_pool = true
        activation = "relu"
        [data]
        dataset = "mnist1d"
        validation_size = 500
        train_limit = 1000
        test_limit = 200
        [train]
        epochs = 1
        batch_size = 100
        [output]
        dir = "runs/m1d"
        "#,
    )
    .unwrap();
    let out = actlab(&["train", "m1d.toml"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = actlab(&["eval", "runs/m1d"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("m1d on mnist1d (flex): accuracy"),
        "{stdout}"
    );
    assert!(stdout.contains(" of 200)"), "{stdout}");

    let out = actlab(&["predict", "runs/m1d", "--test-index", "0"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("classifies 28×28 grey images") && stderr.contains("40-point sequences"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let out = actlab(&["data", "verify", ".", "--dataset", "mnist1d"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nothing in a directory to verify"));
    let out = actlab(&["data", "fetch", "mnist1d"], tmp.path());
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("nothing to fetch"));
    assert!(!tmp.path().join("datasets").exists(), "fetch wrote nothing");

    let out = actlab(&["data", "info", "mnist1d", "--json"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["train_count"], 4000);
    assert_eq!(info["image_shape"], serde_json::json!([1, 40]));
    assert_eq!(info["source"], "generated");
}

/// CIFAR-10 from its binary batches (small ones the test writes): a CNN trains on the 3×32×32
/// images and evaluates, an MLP takes their 3,072 values, `data verify` and `data info` read the
/// directory as CIFAR-10, and `predict` says it classifies 28×28 grey images only.
#[test]
fn a_cnn_trains_on_cifar10_batches_and_the_data_commands_know_them() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("cifar");
    std::fs::create_dir(&data).unwrap();
    for (b, name) in actlab_format::dataset::CIFAR10_BATCHES.iter().enumerate() {
        // Class c is an image whose channel c % 3 is bright: learnable from colour alone.
        let bytes: Vec<u8> = (0..40)
            .flat_map(|i: usize| {
                let label = ((i + b) % 10) as u8;
                let image = (0..3072).map(move |p| {
                    let bright = p / 1024 == usize::from(label) % 3;
                    if bright {
                        200 + (p % 50) as u8
                    } else {
                        (p % 60) as u8
                    }
                });
                std::iter::once(label).chain(image)
            })
            .collect();
        std::fs::write(data.join(name), bytes).unwrap();
    }
    let config = |kind: &str| {
        let model = if kind == "cnn" {
            "kind = \"cnn\"\nblocks = [ { conv = 4, kernel = 3, pool = 4 } ]\ndense = [16]\n"
        } else {
            "hidden = [16]\n"
        };
        format!(
            "[model]\n{model}activation = \"relu\"\n[data]\ndataset = \"cifar-10\"\n\
             dir = \"{}\"\nvalidation_size = 40\n[train]\nepochs = 1\nbatch_size = 20\n\
             [backend]\nname = \"ndarray\"\n[output]\ndir = \"runs/{kind}\"\n",
            data.display()
        )
    };
    for kind in ["cnn", "mlp"] {
        std::fs::write(tmp.path().join(format!("{kind}.toml")), config(kind)).unwrap();
        let out = actlab(&["train", &format!("{kind}.toml")], tmp.path());
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
    }
    let summary = |kind: &str| -> serde_json::Value {
        let path = tmp.path().join(format!("runs/{kind}/summary.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    // conv 3→4 (3×3): 112; 4×8×8 = 256 → 16: 4,112; 16 → 10: 170.
    assert_eq!(summary("cnn")["params"], 112 + 4112 + 170);
    // 3,072 → 16 → 10.
    assert_eq!(summary("mlp")["params"], 3072 * 16 + 16 + 16 * 10 + 10);
    let out = actlab(&["eval", "runs/cnn"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("on cifar-10") && stdout.contains(" of 40)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("airplane") && stdout.contains("truck"),
        "{stdout}"
    );

    let out = actlab(&["data", "verify", data.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("valid CIFAR-10 binary batches, 200 train + 40 test"),
        "{}",
        text(&out.stdout)
    );
    let out = actlab(
        &["data", "info", "cifar-10", "--dir", data.to_str().unwrap()],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("32×32 colour images"), "{stdout}");
    assert!(stdout.contains("checksum test_batch.bin"), "{stdout}");
    let out = actlab(&["predict", "runs/cnn", "--test-index", "0"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("32×32 colour images") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

/// Every published report with its runs in `docs/results/*/runs.tar.gz` rebuilds from them byte
/// for byte with this build (a change to the report's numbers or words shows here, and
/// `scripts/rebuild-results.sh` brings the published files up to date).
#[test]
fn published_reports_rebuild_from_their_runs() {
    let out = Command::new(root().join("scripts/rebuild-results.sh"))
        .arg("--check")
        .env("ACTLAB", env!("CARGO_BIN_EXE_actlab"))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("every report rebuilds byte for byte"),
        "{said}"
    );
    // The archives it checked: at least the four of this round.
    let archives = std::fs::read_dir(root().join("docs/results"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("runs.tar.gz").is_file())
        .count();
    assert!(archives >= 4, "{archives}");
}
