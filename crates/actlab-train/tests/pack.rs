//! Packed training against the same runs trained alone: after one step every parameter agrees,
//! after two epochs every loss and accuracy; per-member learning rates; the extracted
//! `model.bpk` evaluates to the member's recorded test accuracy; a diverging member stops
//! alone; members write the diagnostics their runs alone write and stop early when their runs
//! alone do; a stopped pack resumes bit-identically; a paused pack goes on regrouped. On
//! ndarray, flex and wgpu.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::convert::identity;
use std::path::Path;

use actlab_format::config::{Experiment, ExperimentConfig, OptimizerConfig};
use actlab_format::run::RunSummary;
use actlab_train::pack::{PackEvent, pack_key, resume_pack, train_pack};
use actlab_train::run::{load_model, parameter_values};
use actlab_train::{Outcome, Quiet, TrainError, TrainOptions, evaluate, train};
use common::{data, events};

/// Six members: two that differ only in rate (they share one activation call), and every kind
/// of learned activation parameter.
const MEMBERS: &[(&str, &str, f64)] = &[
    ("relu-a", "\"relu\"", 1e-3),
    ("relu-b", "\"relu\"", 4e-3),
    ("prelu", "{ kind = \"prelu\", per_unit = true }", 2e-3),
    ("swish", "{ kind = \"swish\", trainable = true }", 1e-3),
    ("pau", "{ kind = \"rational\", degrees = [3, 2] }", 1e-3),
    ("gelu", "\"gelu\"", 3e-3),
];

fn experiment(
    dir: &Path,
    backend: &str,
    (name, activation, lr): (&str, &str, f64),
    epochs: usize,
    train_limit: Option<usize>,
) -> Experiment {
    let limit = train_limit.map_or(String::new(), |l| format!("train_limit = {l}"));
    let text = format!(
        r#"
        name = "{name}"
        [model]
        preset = "prelu-mlp"
        hidden = [32]
        activation = {activation}
        [data]
        validation_size = 64
        {limit}
        [train]
        epochs = {epochs}
        batch_size = 32
        seed = 7
        optimizer = {{ kind = "adam", lr = {lr:?} }}
        [backend]
        name = "{backend}"
        [output]
        dir = "{}"
        "#,
        dir.join(name).display()
    );
    ExperimentConfig::parse(&text, Path::new("t.toml"))
        .unwrap()
        .validate(Path::new("t.toml"))
        .unwrap()
}

/// One experiment per member of `members`, each in `dir/<name>`, passed through `tweak`.
fn pack_of(
    members: &[(&str, &str, f64)],
    dir: &Path,
    backend: &str,
    epochs: usize,
    train_limit: Option<usize>,
    tweak: fn(Experiment) -> Experiment,
) -> Vec<Experiment> {
    members
        .iter()
        .map(|&m| tweak(experiment(dir, backend, m, epochs, train_limit)))
        .collect()
}

fn alone(experiment: &Experiment, data: &actlab_data::MnistData) -> RunSummary {
    match train(experiment, data, &TrainOptions::default(), &mut Quiet).unwrap() {
        Outcome::Finished(s) => s,
        other => panic!("{other:?}"),
    }
}

/// Every member of a stopped pack is interrupted at `at` (epochs finished, steps into the
/// next), and its checkpoint is there.
fn interrupted(results: Vec<Result<Outcome, TrainError>>, at: (usize, usize)) {
    for result in results {
        match result {
            Ok(Outcome::Interrupted {
                epochs_completed,
                steps_into_epoch,
            }) => assert_eq!((epochs_completed, steps_into_epoch), at),
            other => panic!("expected an interrupted member: {other:?}"),
        }
    }
}

/// A member's summary when it finished.
fn finished(result: Result<Outcome, TrainError>) -> RunSummary {
    match result {
        Ok(Outcome::Finished(summary)) => summary,
        other => panic!("expected a finished member: {other:?}"),
    }
}

fn history(dir: &Path) -> Vec<actlab_format::state::EpochRecord> {
    actlab_format::run::metrics::read(dir).unwrap_or_default()
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

#[test]
fn one_packed_step_moves_every_parameter_as_the_runs_alone_do() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(256, 64);
    for backend in ["ndarray", "flex", "wgpu"] {
        let dir = tmp.path().join(backend);
        let make = |sub: &str| pack_of(MEMBERS, &dir.join(sub), backend, 1, Some(32), identity);
        let (single, packed) = (make("alone"), make("pack"));
        assert!(packed.iter().all(|e| pack_key(e) == pack_key(&packed[0])));
        let results = train_pack(&packed, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        let device = actlab_train::device(&packed[0].backend).unwrap().device;
        for ((one, member), result) in single.iter().zip(&packed).zip(results) {
            let summary = finished(result);
            alone(one, &data);
            let a = parameter_values(&load_model(&one.run_dir(), one, &device, false).unwrap())
                .unwrap();
            let b =
                parameter_values(&load_model(&member.run_dir(), member, &device, false).unwrap())
                    .unwrap();
            assert_eq!(a.len(), b.len());
            // Adam's first step is lr·g/(|g| + ε): where a gradient is within rounding of 0
            // (a unit that barely fired), its size is rounding, and a GEMM of another shape
            // rounds differently. Measured: the same run on ndarray and on flex differs there
            // by up to 6e-3·lr in 1–2 coordinates of 25,770. So: every parameter within 1e-5
            // relative + 1e-4·lr, but for at most 0.05% of them, and those within 0.05·lr.
            let lr = one.train.optimizer.lr();
            let (a, b) = (a.concat(), b.concat());
            let mut loose = 0;
            for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
                let (x, y) = (f64::from(x), f64::from(y));
                if !close(x, y, 1e-5, 1e-4 * lr) {
                    loose += 1;
                    assert!(
                        (x - y).abs() <= 0.05 * lr,
                        "{backend} {}: parameter {i}: alone {x}, packed {y}",
                        one.name()
                    );
                }
            }
            assert!(
                loose * 2000 <= a.len(),
                "{backend} {}: {loose} of {} parameters differ",
                one.name(),
                a.len()
            );
            assert_eq!(
                summary.packed_with.as_ref().map(Vec::len),
                Some(MEMBERS.len() - 1)
            );
        }
    }
}

#[test]
fn two_packed_epochs_give_each_runs_losses_and_a_model_that_evaluates_to_them() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(352, 64);
    for backend in ["ndarray", "flex", "wgpu"] {
        let dir = tmp.path().join(backend);
        let make = |sub: &str| pack_of(MEMBERS, &dir.join(sub), backend, 2, None, identity);
        let (single, packed) = (make("alone"), make("pack"));
        let results = train_pack(&packed, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        let backend_facts = actlab_train::device(&packed[0].backend).unwrap();
        for ((one, member), result) in single.iter().zip(&packed).zip(results) {
            let p = finished(result);
            let s = alone(one, &data);
            let name = one.name();
            let (hs, hp) = (history(&one.run_dir()), history(&member.run_dir()));
            assert_eq!((hs.len(), hp.len()), (2, 2));
            for (x, y) in hs.iter().zip(&hp) {
                assert!(
                    close(x.train_loss, y.train_loss, 1e-4, 0.0),
                    "{backend} {name}: {x:?} vs {y:?}"
                );
                let (xv, yv) = (x.val_loss.unwrap(), y.val_loss.unwrap());
                assert!(close(xv, yv, 1e-4, 0.0), "{backend} {name}: {xv} vs {yv}");
                assert!(
                    (x.train_acc - y.train_acc).abs() <= 1.0 / 320.0 + 1e-12,
                    "{name}"
                );
                assert!((x.val_acc.unwrap() - y.val_acc.unwrap()).abs() <= 1.0 / 64.0 + 1e-12);
                assert_eq!(x.lr, y.lr);
            }
            assert!(
                close(s.test_loss, p.test_loss, 1e-4, 0.0),
                "{backend} {name}"
            );
            // The member's model.bpk, loaded as any run's, evaluates to its recorded accuracy.
            let model =
                load_model(&member.run_dir(), member, &backend_facts.device, false).unwrap();
            let test: Vec<u32> = (0..64).collect();
            let eval = evaluate(&model, &data.test, &test, &backend_facts, 32).unwrap();
            assert_eq!(eval.accuracy, p.test_accuracy, "{backend} {name}");
            assert_eq!(eval.loss, p.test_loss, "{backend} {name}");
        }
    }
}

/// `experiment` with `[train] diagnostics = true`.
fn diagnosed(experiment: Experiment) -> Experiment {
    let mut config = experiment.config().clone();
    config.train.diagnostics = true;
    config.validate(Path::new("t.toml")).unwrap()
}

#[test]
fn packed_members_write_the_diagnostics_their_runs_alone_write() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(352, 64);
    for backend in ["ndarray", "flex"] {
        let dir = tmp.path().join(backend);
        let make = |sub: &str| pack_of(MEMBERS, &dir.join(sub), backend, 2, None, diagnosed);
        let (single, packed) = (make("alone"), make("pack"));
        // Runs with diagnostics pack with each other, not with runs without.
        assert!(pack_key(&packed[0]).is_some());
        let plain = experiment(tmp.path(), backend, MEMBERS[0], 2, None);
        assert_ne!(pack_key(&packed[0]), pack_key(&plain));
        for result in train_pack(&packed, &data, &TrainOptions::default(), &mut |_| {}).unwrap() {
            finished(result);
        }
        for (one, member) in single.iter().zip(&packed) {
            alone(one, &data);
            let name = one.name();
            let read = |e: &Experiment| {
                actlab_format::run::diagnostics::read(&e.run_dir())
                    .unwrap()
                    .unwrap()
            };
            let (a, b) = (read(one), read(member));
            // Epochs 0, 1, 2 × (one hidden layer + the output layer).
            assert_eq!(a.len(), 6, "{backend} {name}");
            assert_eq!(
                a.iter()
                    .map(|r| (r.epoch, r.layer.layer))
                    .collect::<Vec<_>>(),
                b.iter()
                    .map(|r| (r.epoch, r.layer.layer))
                    .collect::<Vec<_>>()
            );
            for (x, y) in a.iter().zip(&b) {
                if x.epoch == 0 {
                    // The same initial weights, the same function: the same numbers.
                    assert_eq!(x, y, "{backend} {name}");
                    continue;
                }
                let (p, q) = (&x.layer, &y.layer);
                assert!(
                    close(p.grad_norm, q.grad_norm, 1e-3, 1e-9),
                    "{backend} {name}: {x:?} vs {y:?}"
                );
                // A unit within rounding of a threshold may count on either side.
                for (u, v) in [
                    (p.dead_fraction, q.dead_fraction),
                    (p.saturated_fraction, q.saturated_fraction),
                ] {
                    assert_eq!(u.is_some(), v.is_some());
                    let (u, v) = (u.unwrap_or(0.0), v.unwrap_or(0.0));
                    assert!((u - v).abs() <= 1.0 / 32.0 + 1e-12, "{backend} {name}");
                }
                match (p.learned_mean, q.learned_mean) {
                    (Some(u), Some(v)) => assert!(close(u, v, 1e-4, 1e-7), "{u} vs {v}"),
                    (u, v) => assert_eq!(u, v, "{backend} {name}"),
                }
            }
            // TensorBoard has them too, as for the run alone.
            let tags = |e: &Experiment| {
                let mut t: Vec<String> = events(&e.run_dir()).into_iter().map(|x| x.1).collect();
                t.sort();
                t.dedup();
                t
            };
            assert_eq!(tags(one), tags(member), "{backend} {name}");
            assert!(tags(member).iter().any(|t| t == "grad_norm/layer_1"));
        }
    }
}

#[test]
fn a_diverging_member_stops_alone_and_runs_that_differ_otherwise_are_not_packed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(256, 64);
    let dir = tmp.path();
    let members = vec![
        experiment(dir, "flex", ("calm", "\"relu\"", 1e-3), 2, None),
        experiment(dir, "flex", ("wild", "\"relu\"", 1e30), 2, None),
    ];
    let results = train_pack(&members, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
    let calm = match &results[0] {
        Ok(Outcome::Finished(summary)) => summary,
        other => panic!("{other:?}"),
    };
    let calm_history = history(&dir.join("calm"));
    assert_eq!(calm_history.len(), 2);
    assert!(calm.test_loss.is_finite());
    match &results[1] {
        Err(TrainError::NonFinite { epoch: 1, .. }) => {}
        other => panic!("expected the wild member to diverge: {other:?}"),
    }
    assert!(!dir.join("wild/summary.json").exists());
    // The calm member equals its run alone: the other's NaNs never reached it.
    let one = experiment(
        &dir.join("alone"),
        "flex",
        ("calm", "\"relu\"", 1e-3),
        2,
        None,
    );
    let s = alone(&one, &data);
    assert!(close(s.test_loss, calm.test_loss, 1e-4, 0.0));
    let one_history = history(&dir.join("alone/calm"));
    assert!(close(
        one_history[1].train_loss,
        calm_history[1].train_loss,
        1e-4,
        0.0
    ));
    // The wild member's metrics stop before the epoch it diverged in.
    assert!(history(&dir.join("wild")).is_empty());

    // Another number of epochs (or seed, batch size, optimizer…) is not the same pack.
    let other = experiment(dir, "flex", ("x", "\"relu\"", 1e-3), 3, None);
    assert_ne!(pack_key(&other), pack_key(&members[0]));
    let error = train_pack(
        &[members[0].clone(), other],
        &data,
        &TrainOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("differ only in activation"),
        "{error}"
    );
    // A run with another optimizer is never packed: the packed step is an Adam.
    let sgd = members[0]
        .revised(Path::new("t.toml"), |c| {
            c.train.optimizer = OptimizerConfig::Sgd {
                lr: 1e-3,
                momentum: 0.0,
                weight_decay: 0.0,
            }
        })
        .unwrap();
    assert_eq!(pack_key(&sgd), None);
    let error = train_pack(
        &[members[0].clone(), sgd],
        &data,
        &TrainOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(error, TrainError::PackNeedsAdam { .. }), "{error}");
    // An empty pack is nothing to do, not a panic.
    let options = TrainOptions::default();
    assert!(
        train_pack(&[], &data, &options, &mut |_| {})
            .unwrap()
            .is_empty()
    );
    assert!(
        resume_pack(&[], &data, &options, &mut |_| {})
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_stopped_pack_resumes_bit_identically() {
    use std::sync::atomic::Ordering;
    let tmp = tempfile::tempdir().unwrap();
    let data = data(352, 64);
    for backend in ["ndarray", "flex"] {
        let dir = tmp.path().join(backend);
        let make = |sub: &str| pack_of(MEMBERS, &dir.join(sub), backend, 3, None, identity);
        let (whole, stopped) = (make("whole"), make("stopped"));
        train_pack(&whole, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        // Stopped during epoch 1's end: its checkpoints are epoch 1's, and every member says so.
        let options = TrainOptions::default();
        let stop = options.stop.clone();
        let results = train_pack(&stopped, &data, &options, &mut |event| {
            if matches!(event, PackEvent::EpochFinished { epoch: 1, .. }) {
                stop.store(true, Ordering::SeqCst);
            }
        })
        .unwrap();
        interrupted(results, (1, 0));
        let dirs: Vec<_> = stopped.iter().map(|e| e.run_dir()).collect();
        for dir in &dirs {
            assert_eq!(actlab_format::state::position(dir), Some((1, 0)));
        }
        // A member alone cannot be resumed by the trainer (its optimizer file is a pack's).
        let alone_error =
            actlab_train::resume(&stopped[0], &data, &TrainOptions::default(), &mut Quiet)
                .unwrap_err();
        assert!(
            alone_error.to_string().contains("train-pack --resume"),
            "{alone_error}"
        );
        let results = resume_pack(&dirs, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        assert_same(&whole, &stopped, results);

        // Stopped in the middle of epoch 2 (after step 6 of 9), resumed and stopped again in
        // epoch 3 (after its step 4), then resumed to the end: still the same.
        let middle = make("middle");
        let dirs: Vec<_> = middle.iter().map(|e| e.run_dir()).collect();
        let steps = |epoch, step| PackEvent::Steps {
            epoch,
            epochs: 3,
            step,
            steps: 9,
        };
        for (first_run, every, line, at) in [
            (true, 3, steps(2, 6), (1, 6)),
            (false, 4, steps(3, 4), (2, 4)),
        ] {
            let options = TrainOptions {
                report_every: every,
                ..TrainOptions::default()
            };
            let stop = options.stop.clone();
            let mut watch = |event: PackEvent| {
                if event == line {
                    stop.store(true, Ordering::SeqCst);
                }
            };
            let results = if first_run {
                train_pack(&middle, &data, &options, &mut watch).unwrap()
            } else {
                resume_pack(&dirs, &data, &options, &mut watch).unwrap()
            };
            interrupted(results, at);
            for dir in &dirs {
                assert_eq!(actlab_format::state::position(dir), Some(at));
            }
        }
        let results = resume_pack(&dirs, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        assert_same(&whole, &middle, results);

        // Killed while finishing: the first member's summary is written, the others' not. The
        // others resume without it (only the summaries were left) and finish the same.
        let dirs: Vec<_> = stopped.iter().map(|e| e.run_dir()).collect();
        let before: Vec<RunSummary> = dirs.iter().map(|d| RunSummary::load(d).unwrap()).collect();
        for dir in &dirs[1..] {
            std::fs::remove_file(dir.join("summary.json")).unwrap();
            std::fs::remove_file(dir.join("model.bpk")).unwrap();
        }
        let results =
            resume_pack(&dirs[1..], &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        for (dir, (result, old)) in dirs[1..].iter().zip(results.into_iter().zip(&before[1..])) {
            finished(result);
            let again = RunSummary::load(dir).unwrap();
            assert_eq!(
                (again.test_loss, again.test_accuracy),
                (old.test_loss, old.test_accuracy)
            );
        }
    }
}

/// The resumed pack `resumed` (its members' `results`) equals the uninterrupted `whole`: the
/// same weights, metrics, TensorBoard events and test numbers, bit for bit.
fn assert_same(
    whole: &[Experiment],
    resumed: &[Experiment],
    results: Vec<Result<Outcome, TrainError>>,
) {
    let device = actlab_train::device(&whole[0].backend).unwrap().device;
    let backend = &whole[0].backend.name;
    for ((w, s), result) in whole.iter().zip(resumed).zip(results) {
        let summary = finished(result);
        let a = parameter_values(&load_model(&w.run_dir(), w, &device, false).unwrap()).unwrap();
        let b = parameter_values(&load_model(&s.run_dir(), s, &device, false).unwrap()).unwrap();
        assert_eq!(a, b, "{backend} {}: weights", w.name());
        let (hw, hs) = (history(&w.run_dir()), history(&s.run_dir()));
        assert_eq!(hw.len(), 3);
        for (x, y) in hw.iter().zip(&hs) {
            assert_eq!(
                (x.train_loss, x.train_acc, x.val_loss, x.val_acc, x.lr),
                (y.train_loss, y.train_acc, y.val_loss, y.val_acc, y.lr),
                "{backend} {}",
                w.name()
            );
        }
        // The TensorBoard events too: the same steps, tags and values.
        assert_eq!(events(&w.run_dir()), events(&s.run_dir()), "{}", w.name());
        // Both read back from summary.json (serde_json may read a float one ulp off).
        let whole_summary = RunSummary::load(&w.run_dir()).unwrap();
        let resumed_summary = RunSummary::load(&s.run_dir()).unwrap();
        assert_eq!(whole_summary.test_loss, resumed_summary.test_loss);
        assert_eq!(whole_summary.test_accuracy, summary.test_accuracy);
    }
}

#[test]
fn a_paused_pack_goes_on_regrouped_and_each_member_trains_on_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(352, 64);
    let make = |sub: &str, epochs: usize| {
        pack_of(
            MEMBERS,
            &tmp.path().join(sub),
            "ndarray",
            epochs,
            None,
            identity,
        )
    };
    let (whole, paused) = (make("whole", 3), make("paused", 3));
    let whole_results = train_pack(&whole, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
    let pause = TrainOptions {
        pause_after: Some(1),
        ..TrainOptions::default()
    };
    let mut said_paused = false;
    let mut watch = |e: PackEvent| said_paused |= e == PackEvent::Paused { epoch: 1 };
    for result in train_pack(&paused, &data, &pause, &mut watch).unwrap() {
        assert!(
            matches!(
                result,
                Ok(Outcome::Paused {
                    epochs_completed: 1
                })
            ),
            "{result:?}"
        );
    }
    assert!(said_paused);
    let dirs: Vec<_> = paused.iter().map(|e| e.run_dir()).collect();
    for dir in &dirs {
        assert_eq!(actlab_format::state::position(dir), Some((1, 0)));
        assert!(!dir.join("summary.json").exists());
        assert_eq!(history(dir).len(), 1);
    }

    // Runs checkpointed after another epoch, or trained alone, cannot join.
    let late = make("late", 3);
    let two = TrainOptions {
        pause_after: Some(2),
        ..TrainOptions::default()
    };
    train_pack(&late[..2], &data, &two, &mut |_| {}).unwrap();
    let error = resume_pack(
        &[dirs[0].clone(), late[0].run_dir()],
        &data,
        &TrainOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("checkpointed at the same point"),
        "{error}"
    );
    // A position past the epoch's end (a damaged state.toml) is an error, not a loop.
    let late_dirs: Vec<_> = late[..2].iter().map(|e| e.run_dir()).collect();
    for dir in &late_dirs {
        let state = dir.join("checkpoint/state.toml");
        let text = std::fs::read_to_string(&state).unwrap();
        assert!(text.contains("steps_into_epoch = 0"));
        let text = text.replace("steps_into_epoch = 0", "steps_into_epoch = 999");
        std::fs::write(&state, text).unwrap();
    }
    let error = resume_pack(&late_dirs, &data, &TrainOptions::default(), &mut |_| {}).unwrap_err();
    // Refused on reading: the position has no sums of an unfinished epoch.
    let error = error.to_string();
    assert!(
        error.contains("state.toml") && error.contains("steps_into_epoch = 999"),
        "{error}"
    );
    let solo = &make("solo", 3)[0];
    let outcome = train(solo, &data, &pause, &mut Quiet).unwrap();
    assert!(matches!(outcome, Outcome::Paused { .. }), "{outcome:?}");
    let error = resume_pack(
        &[dirs[0].clone(), solo.run_dir()],
        &data,
        &TrainOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("was not trained in a pack"),
        "{error}"
    );

    // Regrouped as the tuning stage regroups survivors: every other member together, the rest
    // in a second pack. Each goes on as it would have in the whole pack.
    let odd: Vec<_> = dirs.iter().step_by(2).cloned().collect();
    let even: Vec<_> = dirs.iter().skip(1).step_by(2).cloned().collect();
    let mut regrouped = Vec::new();
    for group in [&odd, &even] {
        for (dir, result) in group
            .iter()
            .zip(resume_pack(group, &data, &TrainOptions::default(), &mut |_| {}).unwrap())
        {
            let summary = finished(result);
            let mut mates: Vec<String> = summary.packed_with.clone().unwrap();
            mates.sort();
            let mut expected: Vec<String> = group
                .iter()
                .filter(|d| *d != dir)
                .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            expected.sort();
            assert_eq!(
                mates,
                expected,
                "{}: the pack it finished in",
                dir.display()
            );
            regrouped.push((dir.clone(), summary));
        }
    }
    for (w, result) in whole.iter().zip(whole_results) {
        let summary = finished(result);
        let (dir, again) = regrouped
            .iter()
            .find(|(d, _)| d.file_name() == w.run_dir().file_name())
            .unwrap();
        let (hw, hr) = (history(&w.run_dir()), history(dir));
        assert_eq!(hr.len(), 3);
        // Epoch 1 was trained in the same pack: identical.
        assert_eq!(hw[0].train_loss, hr[0].train_loss);
        assert_eq!(hw[0].val_loss, hr[0].val_loss);
        for (x, y) in hw.iter().zip(&hr).skip(1) {
            assert!(
                close(x.train_loss, y.train_loss, 1e-4, 0.0),
                "{}: {x:?} vs {y:?}",
                w.name()
            );
            let (xv, yv) = (x.val_loss.unwrap(), y.val_loss.unwrap());
            assert!(close(xv, yv, 1e-4, 0.0), "{}: {xv} vs {yv}", w.name());
            assert!((x.val_acc.unwrap() - y.val_acc.unwrap()).abs() <= 1.0 / 64.0 + 1e-12);
        }
        assert!(close(summary.test_loss, again.test_loss, 1e-4, 0.0));
    }
}

/// Members whose validation accuracy stops improving at different epochs.
const EARLY: &[(&str, &str, f64)] = &[
    ("calm", "\"relu\"", 1e-3),
    ("quick", "\"relu\"", 3e-2),
    ("wild", "\"tanh\"", 1e-1),
    ("prelu", "{ kind = \"prelu\", per_unit = true }", 1e-2),
    ("swish", "{ kind = \"swish\", trainable = true }", 3e-3),
];

/// `experiment` with `[train] early_stopping = { patience = 2 }` (restoring the best epoch).
fn stopping_early(experiment: Experiment) -> Experiment {
    let mut config = experiment.config().clone();
    config.train.early_stopping = Some(actlab_format::config::EarlyStopping {
        patience: 2,
        restore_best: true,
    });
    config.validate(Path::new("t.toml")).unwrap()
}

#[test]
fn members_stop_early_as_their_runs_alone_do_and_a_stopped_pack_resumes_the_same() {
    use std::sync::atomic::Ordering;
    let tmp = tempfile::tempdir().unwrap();
    let data = data(352, 64);
    let make = |sub: &str| {
        pack_of(
            EARLY,
            &tmp.path().join(sub),
            "ndarray",
            5,
            None,
            stopping_early,
        )
    };
    let (single, packed, stopped, paused) =
        (make("alone"), make("pack"), make("stopped"), make("paused"));
    let results = train_pack(&packed, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
    let device = actlab_train::device(&packed[0].backend).unwrap();
    let mut ends = Vec::new();
    for ((one, member), result) in single.iter().zip(&packed).zip(results) {
        let p = finished(result);
        let s = alone(one, &data);
        let name = one.name();
        assert_eq!(
            (s.stopped_epoch, s.weights_epoch),
            (p.stopped_epoch, p.weights_epoch),
            "{name}"
        );
        assert_eq!(
            history(&one.run_dir()).len(),
            history(&member.run_dir()).len()
        );
        assert!(close(s.test_loss, p.test_loss, 1e-4, 0.0), "{name}");
        // model.bpk holds the restored best epoch's weights: it evaluates to the summary.
        let model = load_model(&member.run_dir(), member, &device.device, false).unwrap();
        let test: Vec<u32> = (0..64).collect();
        let eval = evaluate(&model, &data.test, &test, &device, 32).unwrap();
        assert_eq!(
            (eval.accuracy, eval.loss),
            (p.test_accuracy, p.test_loss),
            "{name}"
        );
        ends.push(p.stopped_epoch);
    }
    // Some stopped early and some ran every epoch: both paths were taken.
    assert!(ends.iter().any(Option::is_some), "{ends:?}");
    assert!(ends.iter().any(Option::is_none), "{ends:?}");

    // Stopped (Ctrl-C) after the first member stopped early, then resumed: the same.
    let first_stop = ends.iter().flatten().min().copied().unwrap();
    let options = TrainOptions::default();
    let stop = options.stop.clone();
    let results = train_pack(&stopped, &data, &options, &mut |event| {
        if matches!(event, PackEvent::EpochFinished { epoch, .. } if epoch == first_stop) {
            stop.store(true, Ordering::SeqCst);
        }
    })
    .unwrap();
    // The members that stopped early are interrupted with the others (they finish when the
    // pack does).
    interrupted(results, (first_stop, 0));
    let dirs: Vec<_> = stopped.iter().map(|e| e.run_dir()).collect();
    let results = resume_pack(&dirs, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
    for ((p, s), result) in packed.iter().zip(&stopped).zip(results) {
        finished(result);
        let a =
            parameter_values(&load_model(&p.run_dir(), p, &device.device, false).unwrap()).unwrap();
        let b =
            parameter_values(&load_model(&s.run_dir(), s, &device.device, false).unwrap()).unwrap();
        assert_eq!(a, b, "{}", p.name());
        let (x, y) = (
            RunSummary::load(&p.run_dir()).unwrap(),
            RunSummary::load(&s.run_dir()).unwrap(),
        );
        assert_eq!(
            (x.stopped_epoch, x.weights_epoch, x.test_loss),
            (y.stopped_epoch, y.weights_epoch, y.test_loss)
        );
    }

    // Stopped at the end of the next epoch: a member that stopped early is checkpointed at the
    // pack's position with its shorter history and no sums of the epoch under way — a state
    // the reader accepts for a pack member — and the pack resumes to the same end.
    let later = make("later");
    let options = TrainOptions::default();
    let stop = options.stop.clone();
    let results = train_pack(&later, &data, &options, &mut |event| {
        if matches!(event, PackEvent::EpochFinished { epoch, .. } if epoch == first_stop + 1) {
            stop.store(true, Ordering::SeqCst);
        }
    })
    .unwrap();
    let dirs: Vec<_> = later.iter().map(|e| e.run_dir()).collect();
    let shorter = dirs.iter().any(|d| {
        let state = actlab_format::state::CheckpointState::read(d)
            .unwrap()
            .unwrap();
        state.train.history.len() < state.train.epochs_completed
    });
    let all_ran = results
        .iter()
        .all(|r| matches!(r, Ok(Outcome::Finished(_))));
    assert!(shorter || all_ran, "a stopped member's state was saved");
    if !all_ran {
        let results = resume_pack(&dirs, &data, &TrainOptions::default(), &mut |_| {}).unwrap();
        for ((p, s), result) in packed.iter().zip(&later).zip(results) {
            finished(result);
            let a = parameter_values(&load_model(&p.run_dir(), p, &device.device, false).unwrap())
                .unwrap();
            let b = parameter_values(&load_model(&s.run_dir(), s, &device.device, false).unwrap())
                .unwrap();
            assert_eq!(a, b, "{}", p.name());
        }
    }

    // Paused after that epoch (a tuning stage's halving): the members that stopped early are
    // finished — they would train no further — and the others pause.
    let pause = TrainOptions {
        pause_after: Some(first_stop),
        ..TrainOptions::default()
    };
    let results = train_pack(&paused, &data, &pause, &mut |_| {}).unwrap();
    let mut going_on = Vec::new();
    for ((p, q), (result, end)) in packed
        .iter()
        .zip(&paused)
        .zip(results.into_iter().zip(&ends))
    {
        match result {
            Ok(Outcome::Finished(summary)) => {
                assert!(end.is_some_and(|e| e <= first_stop), "{}", q.name());
                let whole = RunSummary::load(&p.run_dir()).unwrap();
                assert_eq!(
                    (summary.stopped_epoch, summary.weights_epoch),
                    (whole.stopped_epoch, whole.weights_epoch)
                );
                assert_eq!(summary.test_accuracy, whole.test_accuracy);
            }
            Ok(Outcome::Paused { epochs_completed }) => {
                assert_eq!(epochs_completed, first_stop);
                assert!(end.is_none_or(|e| e > first_stop), "{}", q.name());
                going_on.push(q.run_dir());
            }
            other => panic!("{}: {other:?}", q.name()),
        }
    }
    assert!(!going_on.is_empty() && going_on.len() < paused.len());
    for result in resume_pack(&going_on, &data, &TrainOptions::default(), &mut |_| {}).unwrap() {
        finished(result);
    }
    for (p, q) in packed.iter().zip(&paused) {
        let (x, y) = (
            RunSummary::load(&p.run_dir()).unwrap(),
            RunSummary::load(&q.run_dir()).unwrap(),
        );
        assert_eq!(
            (x.stopped_epoch, x.weights_epoch),
            (y.stopped_epoch, y.weights_epoch),
            "{}",
            p.name()
        );
        assert!(close(x.test_loss, y.test_loss, 1e-4, 0.0), "{}", p.name());
    }
}
