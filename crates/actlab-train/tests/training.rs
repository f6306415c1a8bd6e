//! The training loop on small synthetic data: learning happens, runs are reproducible, resumed
//! runs equal uninterrupted ones bit for bit, backends agree, divergence and misuse are errors.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actlab_format::config::ExperimentConfig;
use actlab_format::run::RunSummary;
use actlab_train::{
    Observer, Outcome, Quiet, StepProgress, TrainError, TrainOptions, resume, resume_config, train,
};

mod common;
use common::{CNN, MLP, config_with, data, events, valid};

fn config(dir: &Path, backend: &str, extra: &str) -> actlab_format::config::ExperimentConfig {
    common::config(dir, backend, extra)
}

fn finished(outcome: Outcome) -> RunSummary {
    match outcome {
        Outcome::Finished(summary) => summary,
        other => panic!("expected a finished run, got {other:?}"),
    }
}

/// The summary without its timing and memory fields (the weights file's hash stays: equal
/// weights give equal `model.bpk` bytes).
fn timeless(mut s: RunSummary) -> RunSummary {
    assert!(s.model_sha256.as_ref().is_some_and(|h| h.len() == 64));
    s.epoch_seconds.clear();
    s.epoch_wall_seconds.clear();
    s.samples_per_second = 0.0;
    s.peak_rss_mb = None;
    s
}

/// metrics.csv without the two timing columns.
fn metrics(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("metrics.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
        .collect()
}

/// The final weights' values (the files themselves also hold random parameter ids).
fn weights(dir: &Path) -> Vec<Vec<f32>> {
    #[allow(deprecated)]
    let device = burn::tensor::Device::ndarray();
    let config = ExperimentConfig::load(&dir.join("config.toml")).unwrap();
    let model = actlab_train::run::load_model(dir, &config, &device, false).unwrap();
    actlab_train::run::parameter_values(&model).unwrap()
}

#[test]
fn loss_falls_and_accuracy_rises() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(1024, 256);
    let run = tmp.path().join("run");
    let summary = finished(
        train(
            &valid(&config(&run, "ndarray", "")),
            &data,
            &TrainOptions::default(),
            &mut Quiet,
        )
        .unwrap(),
    );
    let history = actlab_train::run::checkpoint::load(&run)
        .unwrap()
        .state
        .train
        .history;
    assert_eq!(history.len(), 3);
    let (first, last) = (&history[0], &history[2]);
    assert!(
        last.train_loss < 0.5 * first.train_loss,
        "loss {} → {}",
        first.train_loss,
        last.train_loss
    );
    assert!(last.train_acc > first.train_acc, "{first:?} → {last:?}");
    assert!(summary.test_accuracy > 0.9, "{summary:?}");
    assert!(summary.best_val_accuracy.unwrap() > 0.9);
    assert_eq!(summary.epochs, 3);
    assert_eq!(summary.train_samples, (1024 - 64) / 32 * 32);
    assert_eq!(summary.params, 784 * 32 + 32 + 32 * 10 + 10 + 1);
    // The activation as its config, the shape a config file accepts.
    assert_eq!(
        summary.activation_config,
        Some(actlab_format::activation::ActivationConfig::prelu())
    );
    assert_eq!(summary.prelu_slopes.as_ref().unwrap().len(), 1);
    // The run directory holds everything the contract names.
    for file in [
        "config.toml",
        "metrics.csv",
        "model.bpk",
        "summary.json",
        "checkpoint/state.toml",
    ] {
        assert!(run.join(file).is_file(), "{file} missing");
    }
    // Read back equal — but for the timing fields: serde_json (without `float_roundtrip`, which
    // would rebuild Burn) may read a float back one ulp off, and timings vary run to run, so an
    // exact comparison of them fails now and then. The other floats are the same every run.
    assert_eq!(
        timeless(RunSummary::load(&run).unwrap()),
        timeless(summary.clone())
    );
    // config.toml is the resolved config and loads back.
    let recorded = ExperimentConfig::load(&run.join("config.toml")).unwrap();
    assert_eq!(recorded.model.hidden, Some(vec![32]));
    assert_eq!(recorded.train.epochs, 3);
}

#[test]
fn same_seed_twice_gives_identical_runs_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 128);
    let run = |name: &str, seed: u64| {
        let dir = tmp.path().join(name);
        let mut c = config(&dir, "ndarray", "");
        c.train.seed = seed;
        let s = finished(train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap());
        (timeless(s), weights(&dir), metrics(&dir))
    };
    let a = run("a", 7);
    let b = run("b", 7);
    assert_eq!(a, b);
    let c = run("c", 8);
    assert_ne!(a.1, c.1, "another seed, other weights");
}

/// Sets the stop flag once a given step of a given epoch has been reported.
struct StopAt {
    epoch: usize,
    step: usize,
    flag: Arc<AtomicBool>,
}

impl Observer for StopAt {
    fn steps(&mut self, p: &StepProgress) {
        if p.epoch == self.epoch && p.step >= self.step {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

fn resume_matches_uninterrupted(backend: &str, model: &str, layers: usize) {
    let config = |dir: &Path, backend: &str, extra: &str| config_with(dir, backend, extra, model);
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 128);
    let extra = "optimizer = { kind = \"adamw\", lr = 2e-3, weight_decay = 0.05 }\n\
                 schedule = { kind = \"cosine\" }\ndiagnostics = true";

    let whole = tmp.path().join("whole");
    let reference = timeless(finished(
        train(
            &valid(&config(&whole, backend, extra)),
            &data,
            &TrainOptions::default(),
            &mut Quiet,
        )
        .unwrap(),
    ));

    // Stopped at an epoch boundary (the last step of epoch 1), then resumed. (The cosine
    // schedule depends on the total, so the interrupted run is the 3-epoch config stopped early.)
    let boundary = tmp.path().join("boundary");
    let options = TrainOptions {
        report_every: 5,
        ..TrainOptions::default()
    };
    let steps = (512 - 64) / 32;
    let mut at_end_of_epoch_1 = StopAt {
        epoch: 1,
        step: steps,
        flag: options.stop.clone(),
    };
    let outcome = train(
        &valid(&config(&boundary, backend, extra)),
        &data,
        &options,
        &mut at_end_of_epoch_1,
    )
    .unwrap();
    // Flagged at the epoch's last step: the checkpoint holds every step of epoch 1 and the
    // resumed run starts with its validation.
    assert!(
        matches!(
            outcome,
            Outcome::Interrupted {
                epochs_completed: 0,
                steps_into_epoch
            } if steps_into_epoch == steps
        ),
        "{outcome:?}"
    );
    let continued = resume_config(&boundary, None).unwrap();
    let resumed = timeless(finished(
        resume(&continued, &data, &TrainOptions::default(), &mut Quiet).unwrap(),
    ));
    assert_eq!(resumed, reference);
    assert_eq!(weights(&boundary), weights(&whole));
    assert_eq!(metrics(&boundary), metrics(&whole));

    // Stopped in the middle of epoch 2, then again in epoch 3.
    let middle = tmp.path().join("middle");
    let options = TrainOptions {
        report_every: 3,
        ..TrainOptions::default()
    };
    let mut stop = StopAt {
        epoch: 2,
        step: 5,
        flag: options.stop.clone(),
    };
    let outcome = train(
        &valid(&config(&middle, backend, extra)),
        &data,
        &options,
        &mut stop,
    )
    .unwrap();
    assert!(
        matches!(
            outcome,
            Outcome::Interrupted {
                epochs_completed: 1,
                steps_into_epoch: 6
            }
        ),
        "{outcome:?}"
    );
    let options = TrainOptions {
        report_every: 4,
        ..TrainOptions::default()
    };
    let mut stop = StopAt {
        epoch: 3,
        step: 1,
        flag: options.stop.clone(),
    };
    // Stopped in epoch 2: asking for 1 epoch in total cannot be honoured.
    let error = resume_config(&middle, Some(1))
        .and_then(|c| resume(&c, &data, &TrainOptions::default(), &mut Quiet))
        .unwrap_err()
        .to_string();
    assert!(error.contains("part-way through epoch 2"), "{error}");
    let continued = resume_config(&middle, None).unwrap();
    let outcome = resume(&continued, &data, &options, &mut stop).unwrap();
    assert!(
        matches!(
            outcome,
            Outcome::Interrupted {
                epochs_completed: 2,
                ..
            }
        ),
        "{outcome:?}"
    );
    let resumed = timeless(finished(
        resume(&continued, &data, &TrainOptions::default(), &mut Quiet).unwrap(),
    ));
    assert_eq!(resumed, reference);
    assert_eq!(weights(&middle), weights(&whole));
    assert_eq!(metrics(&middle), metrics(&whole));
    // Diagnostics survive interruptions too: epochs 0–3 × 2 layers, identical.
    let diagnostics = |dir: &Path| std::fs::read_to_string(dir.join("diagnostics.csv")).unwrap();
    assert_eq!(diagnostics(&middle), diagnostics(&whole));
    assert_eq!(diagnostics(&boundary), diagnostics(&whole));
    assert_eq!(diagnostics(&whole).lines().count(), 1 + 4 * layers);
    // TensorBoard: one event file each, the same events (steps, tags, values) as the
    // uninterrupted run's, every tag's steps strictly increasing.
    let reference = events(&whole);
    assert_eq!(events(&boundary), reference);
    assert_eq!(events(&middle), reference);
    let mut last: std::collections::HashMap<&str, i64> = Default::default();
    for (step, tag, _) in &reference {
        if let Some(before) = last.insert(tag, *step) {
            assert!(*step > before, "{tag}: step {step} after {before}");
        }
    }
    let tags: std::collections::BTreeSet<&str> =
        reference.iter().map(|(_, t, _)| t.as_str()).collect();
    for tag in [
        "train/loss",
        "val/accuracy",
        "lr",
        "grad_norm/layer_2",
        "dead_fraction/layer_1",
        "prelu_slope/layer_1",
        "test/accuracy",
        "val/best_accuracy",
        actlab_tb::SESSION_START_TAG,
        actlab_tb::SESSION_END_TAG,
    ] {
        assert!(tags.contains(tag), "{tag} missing from {tags:?}");
    }
}

#[test]
fn resumed_runs_equal_uninterrupted_ones_on_ndarray() {
    resume_matches_uninterrupted("ndarray", MLP, 2);
}

#[test]
fn resumed_runs_equal_uninterrupted_ones_on_flex() {
    resume_matches_uninterrupted("flex", MLP, 2);
}

#[test]
fn resumed_cnn_runs_equal_uninterrupted_ones_on_ndarray() {
    resume_matches_uninterrupted("ndarray", CNN, 5);
}

#[test]
fn resumed_cnn_runs_equal_uninterrupted_ones_on_flex() {
    resume_matches_uninterrupted("flex", CNN, 5);
}

/// A CNN's test accuracy, recomputed from its `model.bpk` on another backend: equal to the
/// summary's only if the BatchNorm running statistics travelled with the weights and
/// evaluation uses them (the batch statistics of other batches would classify differently).
#[test]
fn a_cnn_evaluates_as_its_summary_says_with_its_running_statistics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 128);
    let dir = tmp.path().join("cnn");
    let summary = finished(
        train(
            &valid(&config_with(
                &dir,
                "flex",
                "optimizer = { kind = \"adam\", lr = 1e-2 }",
                CNN,
            )),
            &data,
            &TrainOptions::default(),
            &mut Quiet,
        )
        .unwrap(),
    );
    let experiment = ExperimentConfig::load(&dir.join("config.toml")).unwrap();
    let backend = actlab_train::device(&actlab_format::config::BackendSection {
        name: actlab_format::config::BackendName::Ndarray,
        ..Default::default()
    })
    .unwrap();
    let model = actlab_train::run::load_model(&dir, &experiment, &backend.device, false).unwrap();
    let indices: Vec<u32> = (0..data.test.len() as u32).collect();
    let eval = actlab_train::evaluate(&model, &data.test, &indices, &backend, 32).unwrap();
    assert_eq!(eval.correct, summary.test_correct);
    assert!((eval.loss - summary.test_loss).abs() < 1e-4, "{eval:?}");
    // Trainable parameters, as `actlab summary` counts them (not BatchNorm's 44 statistics):
    // conv 36 + BN 8; residual 216 + 12, 324 + 12, projection 24 + 12; dense 84; output 130;
    // per-channel PReLU slopes 4 + 6 + 6 + 12.
    assert_eq!(summary.params, 886);
    assert_eq!(model.summary().params, 886);
    // Without the running statistics (BatchNorm reset to mean 0, variance 1) the same weights
    // classify differently: the statistics are what made the numbers equal.
    let actlab_model::Network::Cnn(mut cnn) = model else {
        panic!("a CNN")
    };
    let norm = cnn.blocks[0].first.norm.as_mut().unwrap();
    norm.running_mean =
        burn::module::RunningState::new(burn::tensor::Tensor::zeros([4], &backend.device));
    norm.running_var =
        burn::module::RunningState::new(burn::tensor::Tensor::ones([4], &backend.device));
    let reset = actlab_model::Network::Cnn(cnn);
    let eval = actlab_train::evaluate(&reset, &data.test, &indices, &backend, 32).unwrap();
    assert!(
        (eval.loss - summary.test_loss).abs() > 1e-2,
        "{eval:?} {summary:?}"
    );
}

#[test]
fn more_epochs_continue_a_finished_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 128);
    let whole = tmp.path().join("whole");
    let reference = timeless(finished(
        train(
            &valid(&config(&whole, "ndarray", "")),
            &data,
            &TrainOptions::default(),
            &mut Quiet,
        )
        .unwrap(),
    ));

    let short = tmp.path().join("short");
    let mut two = config(&short, "ndarray", "");
    two.train.epochs = 2;
    finished(train(&valid(&two), &data, &TrainOptions::default(), &mut Quiet).unwrap());
    // Same total again: nothing to do.
    let again = resume_config(&short, None).unwrap();
    let outcome = resume(&again, &data, &TrainOptions::default(), &mut Quiet).unwrap();
    assert!(
        matches!(outcome, Outcome::AlreadyComplete(_)),
        "{outcome:?}"
    );
    // Fewer epochs than trained: an error naming the count.
    let error = resume_config(&short, Some(1))
        .and_then(|c| resume(&c, &data, &TrainOptions::default(), &mut Quiet))
        .unwrap_err()
        .to_string();
    assert!(error.contains("at least the 2 epochs"), "{error}");
    // Up to 3 in total.
    let three = resume_config(&short, Some(3)).unwrap();
    let resumed = timeless(finished(
        resume(&three, &data, &TrainOptions::default(), &mut Quiet).unwrap(),
    ));
    assert_eq!(resumed, reference);
    assert_eq!(weights(&short), weights(&whole));
}

#[test]
fn backends_agree_on_a_short_run() {
    let tmp = tempfile::tempdir().unwrap();
    // Small, so lavapipe's kernel compilation stays short: 9 steps of 32.
    let data = data(352, 64);
    let mut summaries = Vec::new();
    for backend in ["ndarray", "flex", "wgpu"] {
        let dir = tmp.path().join(backend);
        let mut c = config(&dir, backend, "");
        c.train.epochs = 1;
        let s = finished(train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap());
        assert_eq!(s.backend, backend);
        summaries.push(s);
    }
    let base = &summaries[0];
    for other in &summaries[1..] {
        // Same initial weights and batches on every backend; only the order of floating-point
        // operations differs. Stated tolerance: 1e-3 relative on the losses, and at most one
        // test image (of 64) classified differently.
        let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-12);
        assert!(
            rel(base.final_train_loss, other.final_train_loss) < 1e-3,
            "{} vs {}: train loss {} vs {}",
            base.backend,
            other.backend,
            base.final_train_loss,
            other.final_train_loss
        );
        assert!(
            rel(base.test_loss, other.test_loss) < 1e-3,
            "{} vs {}: test loss {} vs {}",
            base.backend,
            other.backend,
            base.test_loss,
            other.test_loss
        );
        assert!(
            (base.test_accuracy - other.test_accuracy).abs() <= 1.0 / 64.0 + 1e-12,
            "{} vs {}: {} vs {}",
            base.backend,
            other.backend,
            base.test_accuracy,
            other.test_accuracy
        );
    }
}

#[test]
fn divergence_stops_with_the_epoch_and_step() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 64);
    let dir = tmp.path().join("nan");
    let c = config(&dir, "ndarray", "optimizer = { kind = \"sgd\", lr = 1e30 }");
    let error = train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap_err();
    match &error {
        TrainError::NonFinite {
            epoch, step, steps, ..
        } => {
            assert_eq!(*epoch, 1);
            assert!(*step >= 1 && *step <= *steps, "{error}");
        }
        other => panic!("expected NonFinite, got {other}"),
    }
    let message = error.to_string();
    assert!(message.contains("epoch 1, step"), "{message}");
    assert!(!dir.join("summary.json").exists());
}

#[test]
fn misuse_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(256, 64);
    let dir = tmp.path().join("run");
    let mut c = config(&dir, "ndarray", "");
    c.train.epochs = 1;
    finished(train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap());
    let before = weights(&dir);
    // A second fresh run in the same directory overwrites nothing.
    let error = train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap_err();
    assert!(matches!(error, TrainError::RunExists { .. }), "{error}");
    assert!(error.to_string().contains("--resume"), "{error}");
    assert_eq!(weights(&dir), before);

    // A fresh run into a directory that holds someone's files: refused, nothing written there.
    let foreign = tmp.path().join("thesis");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("chapter1.tex"), "mine").unwrap();
    let error = train(
        &valid(&config(&foreign, "ndarray", "")),
        &data,
        &TrainOptions::default(),
        &mut Quiet,
    )
    .unwrap_err();
    assert!(matches!(error, TrainError::NotARunDir { .. }), "{error}");
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
    // Even when the user's files carry a run's names (their own config.toml and metrics.csv).
    let own = tmp.path().join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("config.toml"), "# my notes").unwrap();
    std::fs::write(own.join("metrics.csv"), "mine").unwrap();
    let error = train(
        &valid(&config(&own, "ndarray", "")),
        &data,
        &TrainOptions::default(),
        &mut Quiet,
    )
    .unwrap_err();
    assert!(matches!(error, TrainError::NotARunDir { .. }), "{error}");
    assert_eq!(
        std::fs::read_to_string(own.join("config.toml")).unwrap(),
        "# my notes"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("chapter1.tex")).unwrap(),
        "mine"
    );

    // Resuming a directory that is not a run.
    let error = resume_config(&tmp.path().join("nothing"), None).unwrap_err();
    assert!(matches!(error, TrainError::NoCheckpoint { .. }), "{error}");

    // A corrupt checkpoint file.
    let cp = dir.join("checkpoint");
    let model = std::fs::read_dir(&cp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("model-"))
        .unwrap();
    std::fs::write(&model, b"not burnpack").unwrap();
    let three = resume_config(&dir, Some(3)).unwrap();
    let error = resume(&three, &data, &TrainOptions::default(), &mut Quiet).unwrap_err();
    assert!(matches!(error, TrainError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("model-"), "{error}");

    // Fewer images than one batch.
    let mut c = config(&tmp.path().join("tiny"), "ndarray", "");
    c.data.train_limit = Some(10);
    let error = train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap_err();
    assert!(
        matches!(error, TrainError::TooFewImages { images: 10, .. }),
        "{error}"
    );

    // A validation set larger than the data.
    let mut c = config(&tmp.path().join("val"), "ndarray", "");
    c.data.validation_size = 1000;
    let error = train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap_err();
    assert!(
        error.to_string().contains("validation set of 1000"),
        "{error}"
    );
}

/// Killed during the very first checkpoint write: `checkpoint/` holds files but no state. The
/// run has nothing to resume, so a fresh `train` starts it again and clears the debris.
#[test]
fn a_first_checkpoint_cut_short_is_restartable() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(256, 64);
    let dir = tmp.path().join("run");
    let cp = dir.join("checkpoint");
    std::fs::create_dir_all(&cp).unwrap();
    std::fs::write(cp.join("model-e0001-s000000.bpk"), b"half").unwrap();
    std::fs::write(cp.join(".tmpAbC123"), b"torn").unwrap();
    std::fs::write(dir.join(".tmpXyZ789"), b"torn").unwrap();
    std::fs::write(dir.join(actlab_format::run::files::LOCK), b"4242").unwrap(); // it was ours
    assert_eq!(
        actlab_format::run::RunStatus::of(&dir),
        actlab_format::run::RunStatus::Empty
    );
    let error = resume_config(&dir, None).unwrap_err();
    assert!(matches!(error, TrainError::NoCheckpoint { .. }), "{error}");
    let mut c = config(&dir, "ndarray", "");
    c.train.epochs = 1;
    // The run says so (the CLI prints it).
    struct Restarted(Option<bool>);
    impl Observer for Restarted {
        fn started(&mut self, info: &actlab_train::RunInfo) {
            self.0 = Some(info.restarted);
        }
    }
    let mut seen = Restarted(None);
    finished(train(&valid(&c), &data, &TrainOptions::default(), &mut seen).unwrap());
    assert_eq!(seen.0, Some(true));
    let mut fresh = Restarted(None);
    let c = config(&tmp.path().join("new"), "ndarray", "");
    finished(train(&valid(&c), &data, &TrainOptions::default(), &mut fresh).unwrap());
    assert_eq!(fresh.0, Some(false), "a new directory is no restart");
    let mut left: Vec<String> = std::fs::read_dir(&cp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "model-e0001-s000000.bpk",
            "optimizer-e0001-s000000.bpk",
            "state.toml"
        ]
    );
    assert_ne!(
        std::fs::read(cp.join("model-e0001-s000000.bpk")).unwrap(),
        b"half"
    );
    assert!(
        !dir.join(".tmpXyZ789").exists(),
        "the run directory's leftovers too"
    );
}

/// Killed after an epoch's checkpoint state but before its `metrics.csv` row (or after a row
/// whose state never landed): resuming makes the CSV match the state again.
#[test]
fn resume_rebuilds_the_metrics_the_state_records() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(256, 64);
    let dir = tmp.path().join("run");
    let mut c = config(&dir, "ndarray", "diagnostics = true");
    c.train.epochs = 2;
    finished(train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap());
    let full = metrics(&dir);
    assert_eq!(full.len(), 3, "a header and two epochs");
    let diagnostics = std::fs::read_to_string(dir.join("diagnostics.csv")).unwrap();
    // Epoch 2's rows lost, and a stray third row that no state has.
    let mut damaged: Vec<String> = std::fs::read_to_string(dir.join("metrics.csv"))
        .unwrap()
        .lines()
        .take(2)
        .map(str::to_string)
        .collect();
    damaged.push("3,0.1,0.9,0.1,0.9,0.001,1.0,1.0".into());
    std::fs::write(dir.join("metrics.csv"), damaged.join("\n")).unwrap();
    std::fs::write(dir.join("diagnostics.csv"), "epoch\n").unwrap();
    let three = resume_config(&dir, Some(3)).unwrap();
    finished(resume(&three, &data, &TrainOptions::default(), &mut Quiet).unwrap());
    let now = metrics(&dir);
    assert_eq!(now.len(), 4);
    assert_eq!(
        now[..3],
        full[..],
        "epochs 1 and 2 as the state recorded them"
    );
    let rows = std::fs::read_to_string(dir.join("diagnostics.csv")).unwrap();
    assert!(rows.starts_with(&diagnostics), "{rows}");
}

/// Two commands on one run directory: the second is refused, naming the first.
#[test]
fn a_run_directory_in_use_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(256, 64);
    let dir = tmp.path().join("run");
    let held = actlab_train::run::DirLock::acquire(&dir).unwrap();
    let error = train(
        &valid(&config(&dir, "ndarray", "")),
        &data,
        &TrainOptions::default(),
        &mut Quiet,
    )
    .unwrap_err();
    assert!(matches!(error, TrainError::Busy { .. }), "{error}");
    assert!(
        error.to_string().contains(&std::process::id().to_string()),
        "{error}"
    );
    assert!(!dir.join("config.toml").exists(), "nothing written");
    drop(held);
    let mut c = config(&dir, "ndarray", "");
    c.train.epochs = 1;
    finished(train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap());
}

/// Early stopping: stops `patience` epochs after the best validation accuracy, ends with that
/// epoch's weights (the test numbers are theirs), and an interrupted run resumes to exactly
/// the same end.
fn early_stopping_is_exact(backend: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 128);
    let extra = "epochs = 15\noptimizer = { kind = \"sgd\", lr = 0.05 }\n\
                 early_stopping = { patience = 2, restore_best = true }";
    let config = |dir: &Path| {
        let mut c = config(dir, backend, "");
        let with = ExperimentConfig::parse(
            &format!("[model]\npreset = \"prelu-mlp\"\n[train]\n{extra}\n"),
            Path::new("e.toml"),
        )
        .unwrap();
        c.train = with.train;
        c.train.batch_size = 32;
        c.train.seed = 7;
        c
    };
    let whole = tmp.path().join("whole");
    let summary = finished(
        train(
            &valid(&config(&whole)),
            &data,
            &TrainOptions::default(),
            &mut Quiet,
        )
        .unwrap(),
    );
    // The best epoch, recomputed from metrics.csv: the first highest validation accuracy.
    let rows = metrics(&whole);
    let val: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    let best = val.iter().copied().fold(f64::MIN, f64::max);
    let best_epoch = val.iter().position(|&v| v == best).unwrap() + 1;
    let stopped = summary.stopped_epoch.expect("stops before 15 epochs");
    assert_eq!(stopped, best_epoch + 2, "{val:?}");
    assert_eq!(val.len(), stopped);
    assert_eq!(summary.epochs, stopped);
    assert_eq!(summary.best_val_epoch, Some(best_epoch));
    assert_eq!(summary.weights_epoch, Some(best_epoch));
    // The final weights are the best epoch's: byte-identical files.
    let best_file = whole.join(format!("checkpoint/best-e{best_epoch:04}.bpk"));
    assert_eq!(
        std::fs::read(whole.join("model.bpk")).unwrap(),
        std::fs::read(&best_file).unwrap()
    );

    // Interrupted in the epoch after the best, then resumed: the same end, bit for bit.
    let cut = tmp.path().join("cut");
    let options = TrainOptions {
        report_every: 3,
        ..TrainOptions::default()
    };
    let mut stop = StopAt {
        epoch: best_epoch + 1,
        step: 4,
        flag: options.stop.clone(),
    };
    let outcome = train(&valid(&config(&cut)), &data, &options, &mut stop).unwrap();
    assert!(
        matches!(outcome, Outcome::Interrupted { .. }),
        "{outcome:?}"
    );
    let continued = resume_config(&cut, None).unwrap();
    let resumed =
        finished(resume(&continued, &data, &TrainOptions::default(), &mut Quiet).unwrap());
    assert_eq!(timeless(resumed), timeless(summary));
    assert_eq!(metrics(&cut), metrics(&whole));
    assert_eq!(
        std::fs::read(cut.join("model.bpk")).unwrap(),
        std::fs::read(whole.join("model.bpk")).unwrap()
    );
}

#[test]
fn early_stopping_restores_the_best_epoch_and_resumes_exactly_on_ndarray() {
    early_stopping_is_exact("ndarray");
}

#[test]
fn early_stopping_restores_the_best_epoch_and_resumes_exactly_on_flex() {
    early_stopping_is_exact("flex");
}

#[test]
fn early_stopping_needs_patience_and_a_validation_set() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = config(tmp.path(), "flex", "early_stopping = { patience = 0 }");
    let error = c.validate(Path::new("t.toml")).unwrap_err().to_string();
    assert!(
        error.contains("train.early_stopping.patience = 0"),
        "{error}"
    );
    c = config(tmp.path(), "flex", "early_stopping = { patience = 2 }");
    assert!(
        c.train.early_stopping.unwrap().restore_best,
        "restore_best defaults to true"
    );
    c.data.validation_size = 0;
    let error = c.validate(Path::new("t.toml")).unwrap_err().to_string();
    assert!(error.contains("a validation set"), "{error}");
}

/// MNIST-1D, generated: the task separates models as its paper says (a CNN far above an MLP;
/// Greydanus 2020: MLP ≈ 68%, CNN ≈ 94% with longer training). Ten epochs here give about 57%
/// and 85%. A CNN run on it resumes like any other (its sequences are floats, resident as f32).
#[test]
fn mnist1d_separates_a_cnn_from_an_mlp() {
    let tmp = tempfile::tempdir().unwrap();
    let data = actlab_data::mnist1d::dataset().unwrap();
    assert_eq!((data.train.len(), data.test.len()), (4000, 1000));
    assert_eq!(data.train.features(), 40);
    let run = |name: &str, model: &str| {
        let text = format!(
            r#"
            name = "{name}"
            [model]
            {model}
            [data]
            dataset = "mnist1d"
            validation_size = 500
            [train]
            epochs = 10
            batch_size = 100
            seed = 3
            optimizer = {{ kind = "adam", lr = 1e-2 }}
            [output]
            dir = "{}"
            "#,
            tmp.path().join(name).display()
        );
        let config = ExperimentConfig::parse(&text, Path::new("m1d.toml")).unwrap();
        finished(train(&valid(&config), &data, &TrainOptions::default(), &mut Quiet).unwrap())
    };
    let mlp = run("mlp", "hidden = [100, 100]\nactivation = \"relu\"");
    let cnn = run(
        "cnn",
        "kind = \"cnn\"\nblocks = [ { conv = 32, kernel = 5, pool = 2 }, { conv = 32, kernel = 3, \
         pool = 2 }, { conv = 32, kernel = 3 } ]\ndense = [64]\nactivation = \"relu\"",
    );
    assert!(mlp.test_accuracy > 0.45, "{}", mlp.test_accuracy);
    assert!(
        cnn.test_accuracy > mlp.test_accuracy + 0.15,
        "CNN {} vs MLP {}",
        cnn.test_accuracy,
        mlp.test_accuracy
    );
    // The model must fit the dataset's shape.
    let mut wrong = config(tmp.path(), "flex", "");
    wrong.data.dataset = actlab_format::dataset::DatasetName::Mnist1d;
    wrong.model.input_size = Some(784);
    let error = wrong.validate(Path::new("w.toml")).unwrap_err().to_string();
    assert!(
        error.contains("model.input_size = 784") && error.contains("40-point sequences"),
        "{error}"
    );
}
