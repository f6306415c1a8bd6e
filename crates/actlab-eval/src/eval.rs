//! `actlab eval`: what a run's final weights score on the test set, per class, with the
//! confusion matrix. Everything comes from the run directory (its `config.toml` names the
//! dataset and test subset; `model.bpk` holds the weights).

use std::path::{Path, PathBuf};
use std::time::Instant;

use actlab_data::{NUM_CLASSES, Progress, Sources};
use actlab_train::run::{files, write_atomic};
use actlab_train::{BackendSection, ExperimentConfig, RunSummary, TrainError};
use serde::Serialize;

use crate::EvalError;

/// `eval.json`.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The run's name.
    pub run: String,
    /// The dataset.
    pub dataset: String,
    /// The backend that evaluated.
    pub backend: String,
    /// Test images evaluated.
    pub images: usize,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Images classified correctly.
    pub correct: usize,
    /// Per class, in class order.
    pub per_class: Vec<ClassResult>,
    /// `confusion[true][predicted]` = images.
    pub confusion: Vec<Vec<usize>>,
    /// The largest off-diagonal cells, most frequent first (at most 5).
    pub most_confused: Vec<Confusion>,
    /// `summary.json`'s test accuracy, when the run has one.
    pub summary_accuracy: Option<f64>,
    /// Seconds to evaluate (batching, forward, reading back; not loading).
    pub seconds: f64,
    /// Test images per second.
    pub images_per_second: f64,
}

/// One class's score.
#[derive(Debug, Clone, Serialize)]
pub struct ClassResult {
    /// Index.
    pub class: usize,
    /// Name (`T-shirt/top`, `7`, …).
    pub name: String,
    /// Test images of this class.
    pub count: usize,
    /// Of which classified correctly.
    pub correct: usize,
    /// `correct / count`.
    pub accuracy: f64,
}

/// A confused pair.
#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    /// True class.
    pub true_class: usize,
    /// Its name.
    pub true_name: String,
    /// Predicted class.
    pub predicted_class: usize,
    /// Its name.
    pub predicted_name: String,
    /// Images.
    pub count: usize,
}

/// The run's config, with the backend replaced when `backend` is given.
pub fn run_config(
    run_dir: &Path,
    backend: Option<BackendSection>,
) -> Result<ExperimentConfig, EvalError> {
    let path = run_dir.join(files::CONFIG);
    if !path.is_file() {
        return Err(EvalError::NotARun {
            dir: run_dir.to_path_buf(),
            missing: files::CONFIG,
        });
    }
    let mut config = ExperimentConfig::load(&path).map_err(TrainError::from)?;
    if let Some(backend) = backend {
        config.backend = backend;
    }
    Ok(config)
}

/// Evaluates the final weights of `run_dir` on its test images (the whole test split, or the
/// run's `test_limit`), on the run's backend or `backend`.
pub fn eval_run(
    run_dir: &Path,
    backend: Option<BackendSection>,
    sources: Sources,
    progress: &mut dyn Progress,
) -> Result<EvalReport, EvalError> {
    let predictor = crate::Predictor::open(run_dir, backend)?;
    let (model, device, config) = (&predictor.model, &predictor.device, &predictor.config);
    let data = actlab_train::load_data(config, sources, progress)?;
    let count = config
        .data
        .test_limit
        .map_or(data.test.len(), |l| l.min(data.test.len()));
    let indices: Vec<u32> = (0..count as u32).collect();
    let (batch, pad) = actlab_train::eval_batch(config.backend.name, config.train.batch_size);
    let start = Instant::now();
    let predictions = actlab_train::predict_split(model, &data.test, &indices, batch, pad, device)?;
    let seconds = start.elapsed().as_secs_f64();
    let evaluation = predictions.evaluation();

    let names = config.data.dataset.class_names();
    let mut confusion = vec![vec![0usize; NUM_CLASSES]; NUM_CLASSES];
    for (&truth, &predicted) in predictions.labels.iter().zip(&predictions.predicted) {
        let (t, p) = (usize::from(truth), usize::from(predicted));
        if t < NUM_CLASSES && p < NUM_CLASSES {
            confusion[t][p] += 1;
        }
    }
    let per_class = (0..NUM_CLASSES)
        .map(|class| {
            let count: usize = confusion[class].iter().sum();
            let correct = confusion[class][class];
            ClassResult {
                class,
                name: names[class].to_string(),
                count,
                correct,
                accuracy: correct as f64 / count.max(1) as f64,
            }
        })
        .collect();
    let mut pairs: Vec<Confusion> = (0..NUM_CLASSES)
        .flat_map(|t| (0..NUM_CLASSES).map(move |p| (t, p)))
        .filter(|&(t, p)| t != p && confusion[t][p] > 0)
        .map(|(t, p)| Confusion {
            true_class: t,
            true_name: names[t].to_string(),
            predicted_class: p,
            predicted_name: names[p].to_string(),
            count: confusion[t][p],
        })
        .collect();
    pairs.sort_by_key(|pair| std::cmp::Reverse(pair.count));
    pairs.truncate(5);

    Ok(EvalReport {
        run: config.name.clone().unwrap_or_default(),
        dataset: config.data.dataset.as_str().to_string(),
        backend: actlab_train::backend::backend_name(config.backend.name).to_string(),
        images: evaluation.count,
        accuracy: evaluation.accuracy,
        loss: evaluation.loss,
        correct: evaluation.correct,
        per_class,
        confusion,
        most_confused: pairs,
        summary_accuracy: RunSummary::load(run_dir).ok().map(|s| s.test_accuracy),
        seconds,
        images_per_second: evaluation.count as f64 / seconds.max(1e-9),
    })
}

/// Writes `eval.json`, `confusion.csv` and the heatmap (`confusion.svg`, `confusion.png`) into
/// `run_dir`; returns the files written.
pub fn write_report(run_dir: &Path, report: &EvalReport) -> Result<Vec<PathBuf>, EvalError> {
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, EvalError> {
        let path = run_dir.join(name);
        write_atomic(&path, bytes).map_err(|source| EvalError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    let json = serde_json::to_vec_pretty(report).map_err(|e| EvalError::Io {
        path: run_dir.join("eval.json"),
        source: std::io::Error::other(e),
    })?;
    let mut written = vec![
        write("eval.json", &json)?,
        write("confusion.csv", confusion_csv(report).as_bytes())?,
    ];
    written.extend(crate::plot::plot_confusion(run_dir, report)?);
    Ok(written)
}

/// `confusion.csv`: a header of predicted class names, one row per true class.
pub fn confusion_csv(report: &EvalReport) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let names: Vec<String> = report.per_class.iter().map(|c| quote(&c.name)).collect();
    let mut out = format!("true\\predicted,{}\n", names.join(","));
    for (row, class) in report.confusion.iter().zip(&report.per_class) {
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        out.push_str(&format!("{},{}\n", quote(&class.name), cells.join(",")));
    }
    out
}

/// The confusion matrix as a text table (true classes down, predicted across).
pub fn confusion_table(report: &EvalReport) -> String {
    let short = |name: &str| -> String { name.chars().take(7).collect() };
    let mut out = format!("{:>12} │", "true ╲ pred");
    for class in &report.per_class {
        out.push_str(&format!(" {:>7}", short(&class.name)));
    }
    out.push('\n');
    out.push_str(&format!(
        "{}┼{}\n",
        "─".repeat(13),
        "─".repeat(8 * report.per_class.len())
    ));
    for (row, class) in report.confusion.iter().zip(&report.per_class) {
        out.push_str(&format!("{:>12} │", short(&class.name)));
        for count in row {
            out.push_str(&format!(" {count:>7}"));
        }
        out.push('\n');
    }
    out
}
