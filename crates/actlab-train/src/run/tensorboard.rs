//! `tensorboard/`: the run's TensorBoard event file, derived from the run's state exactly as the
//! CSVs are. [`sync`] writes every epoch the state holds that the file does not (one event per
//! epoch, so an epoch is in the file whole or not at all), which makes it idempotent: called
//! after every checkpoint and again on resume, a resumed run's events equal an uninterrupted
//! run's, steps strictly increasing.
//!
//! | tag | step | from |
//! |---|---|---|
//! | `train/loss`, `train/accuracy`, `val/loss`, `val/accuracy`, `lr` | epoch | `metrics.csv` |
//! | `grad_norm/layer_<i>`, `dead_fraction/layer_<i>`, `saturated_fraction/layer_<i>`, `inactive_fraction/layer_<i>`, and `prelu_slope/layer_<i>` / `swish_beta/layer_<i>` / `learned_mean/layer_<i>` | epoch (0 = at initialisation) | `diagnostics.csv` |
//! | `test/accuracy`, `test/loss`, `val/best_accuracy` | last epoch | `summary.json` |
//! | `_hparams_/session_start_info`, `_hparams_/session_end_info` | 0 | config, outcome |
//!
//! Accuracies are fractions in [0, 1], as in `metrics.csv`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actlab_tb::proto::{
    Experiment as HpExperiment, HParamInfo, ListValue, MetricInfo, MetricName, STATUS_FAILURE,
    STATUS_SUCCESS, Value, ValueKind, data_type,
};
use actlab_tb::{EventFile, TbError};

use actlab_format::config::Experiment;
use actlab_format::run::{RunSummary, files};
use actlab_format::state::{DiagnosticRow, EpochRecord};

use crate::error::TrainError;

impl From<TbError> for TrainError {
    fn from(error: TbError) -> TrainError {
        match error {
            TbError::Io { path, source } => TrainError::Io {
                path,
                error: source,
            },
            TbError::Corrupt { path, message } => TrainError::Corrupt { path, message },
        }
    }
}

/// `run_dir/tensorboard`.
pub fn dir(run_dir: &Path) -> PathBuf {
    run_dir.join(files::TENSORBOARD)
}

/// Removes the event files of an attempt that died before its first checkpoint (a fresh start
/// in that directory writes its own).
pub fn remove_leftovers(run_dir: &Path) {
    if let Ok(files) = actlab_tb::event_files(&dir(run_dir)) {
        for file in files {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// The hyperparameters a run is a session of, for TensorBoard's HParams dashboard.
pub fn hparams(experiment: &Experiment) -> BTreeMap<String, Value> {
    let network = experiment.network();
    let hidden = network.layer_sizes();
    // Input and output sizes are not hyperparameters of the sweep: the widths between them.
    let hidden = hidden
        .get(1..hidden.len().saturating_sub(1))
        .unwrap_or_default()
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x");
    BTreeMap::from([
        (
            "activation".into(),
            actlab_tb::string(network.activation().label()),
        ),
        (
            "lr".into(),
            actlab_tb::number(experiment.train.optimizer.lr()),
        ),
        (
            "seed".into(),
            actlab_tb::number(experiment.train.seed as f64),
        ),
        ("hidden".into(), actlab_tb::string(hidden)),
        (
            "backend".into(),
            actlab_tb::string(experiment.backend.name.to_string()),
        ),
    ])
}

/// The session's group: the run's name without its seed suffix (a sweep point's group, so the
/// seeds of one configuration are aggregated and a tuning run never joins a final run's group).
fn group(experiment: &Experiment) -> String {
    let name = experiment.name();
    let suffix = format!("-s{}", experiment.train.seed);
    name.strip_suffix(&suffix).unwrap_or(&name).to_string()
}

/// The metrics the HParams dashboard shows for each session: a run's, and the report's per
/// activation (`report/…`, written by the report into `report/tensorboard/`, one session per
/// activation, so the comparison's verdicts sit beside the runs).
pub const METRICS: [(&str, &str, i32); 9] = [
    ("test/accuracy", "test accuracy", 0),
    ("val/best_accuracy", "best validation accuracy", 2),
    ("test/loss", "test loss", 0),
    ("report/mean_accuracy", "mean test accuracy (report)", 0),
    ("report/delta_points", "Δ vs baseline, points (report)", 0),
    (
        "report/verdict",
        "verdict vs baseline: 2 better, 1 equivalent, 0 undecided, −1 worse (report)",
        0,
    ),
    ("report/rank", "rank (report)", 0),
    (
        "report/rank_high",
        "rank, worst of its 95% interval (report)",
        0,
    ),
    (
        "report/p_improvement",
        "P(a run beats the baseline's) (report)",
        0,
    ),
];

/// The hparams experiment record of a sweep whose runs are `experiments`: each
/// hyperparameter with the values the sweep takes, and the [`METRICS`].
pub fn experiment_record(name: &str, experiments: &[Experiment]) -> actlab_tb::proto::Event {
    let mut domains: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for experiment in experiments {
        for (key, value) in hparams(experiment) {
            let values = domains.entry(key).or_default();
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }
    let hparam_infos = domains
        .into_iter()
        .map(|(name, values)| HParamInfo {
            r#type: match values.first().and_then(|v| v.kind.as_ref()) {
                Some(ValueKind::NumberValue(_)) => data_type::FLOAT64,
                _ => data_type::STRING,
            },
            name,
            display_name: String::new(),
            description: String::new(),
            domain_discrete: Some(ListValue { values }),
        })
        .collect();
    let metric_infos = METRICS
        .iter()
        .map(|(tag, display, dataset)| MetricInfo {
            name: Some(MetricName {
                group: String::new(),
                tag: (*tag).into(),
            }),
            display_name: (*display).into(),
            description: String::new(),
            dataset_type: *dataset,
        })
        .collect();
    actlab_tb::experiment(HpExperiment {
        description: format!("actlab sweep `{name}`: {} runs", experiments.len()),
        time_created_secs: actlab_tb::now(),
        hparam_infos,
        metric_infos,
        name: name.into(),
    })
}

/// The scalar tag of a layer's learned activation parameter.
fn learned_tag(experiment: &Experiment, layer: usize) -> String {
    let name = match experiment.network().activation().kind() {
        "prelu" => "prelu_slope",
        "swish" => "swish_beta",
        _ => "learned_mean",
    };
    format!("{name}/layer_{layer}")
}

fn diagnostic_values(
    experiment: &Experiment,
    rows: &[DiagnosticRow],
    epoch: usize,
) -> Vec<(String, f64)> {
    let mut values = Vec::new();
    for row in rows.iter().filter(|r| r.epoch == epoch) {
        let l = &row.layer;
        let i = l.layer;
        values.push((format!("grad_norm/layer_{i}"), l.grad_norm));
        if let Some(v) = l.dead_fraction {
            values.push((format!("dead_fraction/layer_{i}"), v));
        }
        if let Some(v) = l.saturated_fraction {
            values.push((format!("saturated_fraction/layer_{i}"), v));
        }
        if let Some(v) = l.learned_mean {
            values.push((learned_tag(experiment, i), v));
        }
        if let Some(v) = l.inactive_fraction {
            values.push((format!("inactive_fraction/layer_{i}"), v));
        }
    }
    values
}

/// Brings `run_dir`'s event file up to the run's state: the session's hyperparameters, every
/// epoch of `history` (with its `diagnostics`), and when `summary` is given the test numbers
/// and the session's end. Does nothing with `[output] tensorboard = false`.
pub fn sync(
    run_dir: &Path,
    experiment: &Experiment,
    history: &[EpochRecord],
    diagnostics: &[DiagnosticRow],
    summary: Option<&RunSummary>,
) -> Result<(), TrainError> {
    let Some(mut file) = session(run_dir, experiment)? else {
        return Ok(());
    };
    let initial = diagnostic_values(experiment, diagnostics, 0);
    if !initial.is_empty() {
        file.append(&actlab_tb::scalars(0, &initial))?;
    }
    for r in history {
        let mut values = vec![
            ("train/loss".to_string(), r.train_loss),
            ("train/accuracy".to_string(), r.train_acc),
        ];
        values.extend(r.val_loss.map(|v| ("val/loss".to_string(), v)));
        values.extend(r.val_acc.map(|v| ("val/accuracy".to_string(), v)));
        values.push(("lr".to_string(), r.lr));
        values.extend(diagnostic_values(experiment, diagnostics, r.epoch));
        file.append(&actlab_tb::scalars(r.epoch as i64, &values))?;
    }
    if let Some(summary) = summary {
        let step = summary.epochs as i64;
        let mut values = vec![
            ("test/accuracy".to_string(), summary.test_accuracy),
            ("test/loss".to_string(), summary.test_loss),
        ];
        values.extend(
            summary
                .best_val_accuracy
                .map(|v| ("val/best_accuracy".to_string(), v)),
        );
        file.append(&actlab_tb::scalars(step, &values))?;
        file.append(&actlab_tb::session_end(STATUS_SUCCESS))?;
    }
    Ok(())
}

/// Records that the run failed (it diverged): the session ends with a failure status.
pub fn failed(run_dir: &Path, experiment: &Experiment) -> Result<(), TrainError> {
    if let Some(mut file) = session(run_dir, experiment)? {
        file.append(&actlab_tb::session_end(STATUS_FAILURE))?;
    }
    Ok(())
}

/// The run's event file, its session started (`None` with `[output] tensorboard = false`).
fn session(run_dir: &Path, experiment: &Experiment) -> Result<Option<EventFile>, TrainError> {
    if !experiment.output.tensorboard {
        return Ok(None);
    }
    let mut file = EventFile::open(&dir(run_dir))?;
    file.append(&actlab_tb::session_start(
        hparams(experiment),
        &group(experiment),
    ))?;
    Ok(Some(file))
}

/// The file in a sweep's directory that holds its hparams experiment (its own TensorBoard run,
/// `.`; shards of one sweep write the same file, atomically).
pub const EXPERIMENT_FILE: &str = "events.out.tfevents.0.actlab-hparams";

/// Writes the hparams experiment of the sweep `name`, whose runs are `experiments`, into `out`.
pub fn write_experiment(
    out: &Path,
    name: &str,
    experiments: &[Experiment],
) -> Result<PathBuf, TrainError> {
    let event = experiment_record(name, experiments);
    Ok(actlab_tb::write_whole(out, EXPERIMENT_FILE, &[event])?)
}
