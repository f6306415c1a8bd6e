//! A run's TensorBoard event file against the files it mirrors: every scalar equals the
//! `metrics.csv`, `diagnostics.csv` and `summary.json` value (read here as text, not through
//! actlab's readers) to f32 precision; the switch turns it off; a diverged run's session ends
//! as a failure. (Resume equivalence: `training.rs`. The real TensorBoard reads these files in
//! `scripts/check-tensorboard.py`, run by the test command.)

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::Path;

use actlab_tb::Message;
use actlab_tb::proto::{
    HParamsPluginData, event::What, hparams_plugin_data::Data, summary_value::Kind,
};
use actlab_train::{Quiet, TrainOptions, train};

mod common;
use common::{config, data, valid};

/// (step, tag) → value, and the hparams records by tag.
type Scalars = BTreeMap<(i64, String), f32>;

fn read(dir: &Path) -> (Scalars, Vec<(String, HParamsPluginData)>) {
    let files = actlab_tb::event_files(&dir.join("tensorboard")).unwrap();
    assert_eq!(files.len(), 1);
    let mut scalars = BTreeMap::new();
    let mut hparams = Vec::new();
    for event in actlab_tb::read(&files[0]).unwrap() {
        let Some(What::Summary(summary)) = event.what else {
            continue;
        };
        for value in summary.value {
            match value.value {
                Some(Kind::SimpleValue(v)) => {
                    let old = scalars.insert((event.step, value.tag.clone()), v);
                    assert!(old.is_none(), "{} twice at step {}", value.tag, event.step);
                }
                Some(Kind::Tensor(_)) => {
                    let plugin = value.metadata.unwrap().plugin_data.unwrap();
                    assert_eq!(plugin.plugin_name, "hparams");
                    let data = HParamsPluginData::decode(plugin.content.as_slice()).unwrap();
                    hparams.push((value.tag, data));
                }
                None => panic!("a value without a payload"),
            }
        }
    }
    (scalars, hparams)
}

fn csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            header
                .iter()
                .zip(line.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn every_scalar_is_the_value_the_run_files_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let c = config(&dir, "ndarray", "diagnostics = true");
    train(
        &valid(&c),
        &data(512, 128),
        &TrainOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    let (scalars, hparams) = read(&dir);
    let mut expected: BTreeMap<(i64, String), f64> = BTreeMap::new();
    for row in csv(&dir.join("metrics.csv")) {
        let step: i64 = row["epoch"].parse().unwrap();
        for (tag, column) in [
            ("train/loss", "train_loss"),
            ("train/accuracy", "train_acc"),
            ("val/loss", "val_loss"),
            ("val/accuracy", "val_acc"),
            ("lr", "lr"),
        ] {
            expected.insert((step, tag.into()), row[column].parse().unwrap());
        }
    }
    let diagnostics = csv(&dir.join("diagnostics.csv"));
    assert_eq!(diagnostics.len(), 4 * 2, "epochs 0–3 × 2 layers");
    for row in diagnostics {
        let step: i64 = row["epoch"].parse().unwrap();
        let layer = &row["layer"];
        for (tag, column) in [
            ("grad_norm", "grad_norm"),
            ("dead_fraction", "dead_fraction"),
            ("saturated_fraction", "saturated_fraction"),
            ("prelu_slope", "learned_mean"),
            ("inactive_fraction", "inactive_fraction"),
        ] {
            if !row[column].is_empty() {
                let tag = format!("{tag}/layer_{layer}");
                expected.insert((step, tag), row[column].parse().unwrap());
            }
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    for (tag, key) in [
        ("test/accuracy", "test_accuracy"),
        ("test/loss", "test_loss"),
        ("val/best_accuracy", "best_val_accuracy"),
    ] {
        expected.insert((3, tag.into()), summary[key].as_f64().unwrap());
    }
    assert_eq!(
        scalars.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, value) in &expected {
        assert_eq!(scalars[key], *value as f32, "{key:?}");
    }
    // The session: its hyperparameters at the start, success at the end.
    let tags: Vec<&str> = hparams.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tags,
        [actlab_tb::SESSION_START_TAG, actlab_tb::SESSION_END_TAG]
    );
    let Some(Data::SessionStartInfo(start)) = &hparams[0].1.data else {
        panic!("no session start")
    };
    let shown: BTreeMap<&str, String> = start
        .hparams
        .iter()
        .map(|(k, v)| (k.as_str(), format!("{:?}", v.kind.as_ref().unwrap())))
        .collect();
    assert_eq!(
        shown["activation"],
        "StringValue(\"prelu(init=0.25, shared)\")"
    );
    assert_eq!(shown["hidden"], "StringValue(\"32\")");
    assert_eq!(shown["seed"], "NumberValue(7.0)");
    assert_eq!(shown["backend"], "StringValue(\"ndarray\")");
    assert_eq!(start.group_name, "t", "the run's name without `-s<seed>`");
    let Some(Data::SessionEndInfo(end)) = &hparams[1].1.data else {
        panic!("no session end")
    };
    assert_eq!(end.status, actlab_tb::proto::STATUS_SUCCESS);
}

#[test]
fn the_switch_turns_it_off_and_a_diverged_run_ends_as_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data(512, 64);
    let off = tmp.path().join("off");
    let mut c = config(&off, "ndarray", "");
    c.train.epochs = 1;
    c.output.tensorboard = false;
    train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap();
    assert!(off.join("summary.json").is_file());
    assert!(!off.join("tensorboard").exists());
    let text = std::fs::read_to_string(off.join("config.toml")).unwrap();
    assert!(text.contains("tensorboard = false"), "{text}");

    let nan = tmp.path().join("nan");
    let c = config(&nan, "ndarray", "optimizer = { kind = \"sgd\", lr = 1e30 }");
    train(&valid(&c), &data, &TrainOptions::default(), &mut Quiet).unwrap_err();
    let (_, hparams) = read(&nan);
    let Some((tag, end)) = hparams.last() else {
        panic!("no hparams records")
    };
    assert_eq!(tag, actlab_tb::SESSION_END_TAG);
    assert!(
        matches!(&end.data, Some(Data::SessionEndInfo(e)) if e.status == actlab_tb::proto::STATUS_FAILURE)
    );
}
