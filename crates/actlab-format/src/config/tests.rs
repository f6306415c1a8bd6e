//! Config parsing and validation.

use std::path::{Path, PathBuf};

use super::*;
use crate::dataset::DatasetName;

fn parse(text: &str) -> Result<Experiment, ConfigError> {
    let path = Path::new("configs/test.toml");
    ExperimentConfig::parse(text, path)?.validate(path)
}

fn message(text: &str) -> String {
    match parse(text) {
        Ok(config) => panic!("accepted {config:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn minimal_config_gets_the_articles_defaults() {
    let config = parse("[model]\npreset = \"prelu-mlp\"\n").unwrap();
    assert_eq!(config.train.epochs, 10);
    assert_eq!(config.train.batch_size, 64);
    assert_eq!(config.train.optimizer, OptimizerConfig::default());
    assert_eq!(config.train.optimizer.lr(), 1e-3);
    assert_eq!(config.data.dataset, DatasetName::FashionMnist);
    assert_eq!(config.backend.name, BackendName::Flex);
    assert_eq!(config.backend.device, DeviceSpec::Default);
}

#[test]
fn round_trips_through_toml() {
    let text = r#"
        name = "x"
        [model]
        preset = "swish-mlp"
        activation = { kind = "swish", beta = 1.0, trainable = true }
        [data]
        dataset = "mnist"
        validation_size = 1000
        [train]
        epochs = 3
        optimizer = { kind = "sgd", lr = 0.1, momentum = 0.9 }
        progress = "plain"
        [backend]
        name = "wgpu"
        device = "discrete:1"
        [output]
        dir = "runs/elsewhere"
    "#;
    let config = parse(text).unwrap();
    assert_eq!(config.backend.device, DeviceSpec::Discrete(1));
    assert_eq!(config.train.progress, ProgressDisplay::Plain);
    // `progress` is the command line's display choice: never written into a resolved config.
    let written = config.to_toml().unwrap();
    assert!(!written.contains("progress"), "{written}");
    let again = parse(&written).unwrap();
    let mut expected = config.into_config();
    expected.train.progress = ProgressDisplay::Bar;
    assert_eq!(again.config(), &expected);
}

#[test]
fn errors_name_the_file_the_field_and_what_is_allowed() {
    let m = message("[model]\npreset = \"prelu-mlp\"\nactivation = \"rellu\"\n");
    assert!(m.starts_with("configs/test.toml: model.activation"), "{m}");
    assert!(m.contains("rellu") && m.contains("leaky_relu"), "{m}");

    let m = message("[model]\npreset = \"prelu-mlp\"\n[backend]\nname = \"tpu\"\n");
    assert!(
        m.contains("backend.name") && m.contains("tpu") && m.contains("wgpu"),
        "{m}"
    );

    let m = message("[model]\npreset = \"prelu-mlp\"\n[backend]\ndevice = \"gpu:0\"\n");
    assert!(
        m.contains("backend.device") && m.contains("discrete:N"),
        "{m}"
    );

    let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochz = 3\n");
    assert!(m.contains("train") && m.contains("epochz"), "{m}");

    let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = \"ten\"\n");
    assert!(m.contains("train.epochs"), "{m}");

    let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = 0\n");
    assert!(m.contains("train.epochs = 0"), "{m}");

    let m = message(
        "[model]\npreset = \"prelu-mlp\"\n[train]\noptimizer = { kind = \"adam\", lr = -1.0 }\n",
    );
    assert!(m.contains("train.optimizer.lr"), "{m}");

    let m = message("[model]\nhidden = [64]\n");
    assert!(m.contains("model.activation is missing"), "{m}");

    let m =
        message("[model]\npreset = \"prelu-mlp\"\nactivation = { kind = \"elu\", alpha = -2.0 }\n");
    assert!(m.contains("model.activation.alpha"), "{m}");

    let m = message("[model\n");
    assert!(m.starts_with("configs/test.toml: (syntax)"), "{m}");
    assert!(m.contains("(line 1, column"), "{m}");

    // Every message is one line, with the place.
    let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = \"ten\"\n");
    assert_eq!(m.lines().count(), 1, "{m}");
    assert!(
        m.contains("train.epochs") && m.contains("(line 4, column 10)"),
        "{m}"
    );

    let m = message("[data]\ndataset = \"mnist\"\n");
    assert!(m.contains("model"), "{m}");
}

#[test]
fn schedules_follow_their_formulas() {
    let cosine = ScheduleConfig::Cosine { min_lr: 0.0 };
    assert_eq!(cosine.lr(1e-3, 1, 10), 1e-3);
    assert!((cosine.lr(1e-3, 6, 10) - 0.5e-3).abs() < 1e-15);
    assert!(cosine.lr(1e-3, 10, 10) > 0.0 && cosine.lr(1e-3, 10, 10) < 0.03e-3);
    let step = ScheduleConfig::Step {
        step_size: 3,
        gamma: 0.5,
    };
    let lrs: Vec<f64> = (1..=7).map(|e| step.lr(1.0, e, 7)).collect();
    assert_eq!(lrs, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
    let config = parse(
        "[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = 4\n\
         schedule = { kind = \"cosine\", min_lr = 1e-4 }\n",
    )
    .unwrap();
    assert_eq!(config.train.lr_at(1), 1e-3);
    assert!((config.train.lr_at(3) - 0.55e-3).abs() < 1e-15);
    let constant = parse("[model]\npreset = \"prelu-mlp\"\n").unwrap();
    assert_eq!(constant.train.lr_at(7), 1e-3);
}

#[test]
fn new_fields_are_validated() {
    let base = "[model]\npreset = \"prelu-mlp\"\n";
    let m = message(&format!(
        "{base}[train]\nschedule = {{ kind = \"step\", step_size = 0 }}\n"
    ));
    assert!(m.contains("train.schedule.step_size = 0"), "{m}");
    let m = message(&format!(
        "{base}[train]\nschedule = {{ kind = \"cosine\", min_lr = 1.0 }}\n"
    ));
    assert!(m.contains("train.schedule.min_lr"), "{m}");
    let m = message(&format!(
        "{base}[train]\nschedule = {{ kind = \"linear\" }}\n"
    ));
    assert!(m.contains("train.schedule") && m.contains("cosine"), "{m}");
    let m = message(&format!("{base}[data]\ntrain_limit = 0\n"));
    assert!(m.contains("data.train_limit = 0"), "{m}");
    let m = message(&format!("{base}[train]\nseed = -1\n"));
    assert!(m.contains("train.seed"), "{m}");
    let mut config = parse(base).unwrap().into_config();
    config.train.seed = u64::MAX;
    let e = config
        .validate(Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("train.seed"), "{e}");
    let ok = parse(&format!(
        "{base}[data]\ntrain_limit = 100\ntest_limit = 50\n[train]\n\
         schedule = {{ kind = \"step\", step_size = 2, gamma = 0.5 }}\n"
    ))
    .unwrap();
    assert_eq!(parse(&ok.to_toml().unwrap()).unwrap(), ok);
}

#[test]
fn run_dir_defaults_to_runs_and_the_name() {
    let mut config = parse("name = \"abc\"\n[model]\npreset = \"prelu-mlp\"\n")
        .unwrap()
        .into_config();
    assert_eq!(config.run_dir(), Path::new("runs/abc"));
    config.output.dir = Some(PathBuf::from("/tmp/x"));
    assert_eq!(config.run_dir(), Path::new("/tmp/x"));
}

#[test]
fn written_configs_load_back_identically_and_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let config = parse("name = \"a\"\n[model]\npreset = \"prelu-mlp\"\n").unwrap();
    config.write_atomic(&path).unwrap();
    config.write_atomic(&path).unwrap(); // overwriting works too
    assert_eq!(ExperimentConfig::load(&path).unwrap(), config);
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 1, "only config.toml is left");
    let missing_dir = dir.path().join("no/such/dir/config.toml");
    let err = config.write_atomic(&missing_dir).unwrap_err();
    assert!(matches!(err, ConfigError::Write { .. }), "{err}");
}

#[test]
fn missing_file_is_a_read_error() {
    let err = ExperimentConfig::load(Path::new("/nonexistent/actlab.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/actlab.toml"));
}

#[test]
fn name_defaults_to_the_file_stem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-run.toml");
    std::fs::write(&path, "[model]\npreset = \"swish-mlp\"\n").unwrap();
    assert_eq!(
        ExperimentConfig::load(&path).unwrap().name.as_deref(),
        Some("my-run")
    );
}
