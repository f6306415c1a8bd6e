//! `actlab eval`: what a run's final weights score on the test set, per class, with the
//! confusion matrix. Everything comes from the run directory (its `config.toml` names the
//! dataset and test subset; `model.bpk` holds the weights). `crate::output::eval` writes it.

use std::path::Path;
use std::time::Instant;

use actlab_data::{FetchProgress, Sources};
use actlab_format::config::BackendSection;
use actlab_format::run::{RunSummary, TestPredictions};
use serde::Serialize;

use crate::error::EvalError;
use crate::predict::Predictor;

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
    /// Where the per-image predictions go, and how they compare with training's.
    pub predictions: PredictionsFile,
    /// The per-image predictions (written as `predictions.file` says).
    #[serde(skip)]
    pub per_image: TestPredictions,
}

/// Where `actlab eval` puts its per-image predictions: `predictions.bin` when the run has none
/// yet and the evaluation reproduces the summary's test count (a run trained before actlab
/// wrote them gains them), nowhere new when they equal training's, and
/// `eval-predictions.bin` beside training's when they differ (another backend) — training's
/// are never replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionsFile {
    /// The file written (`predictions.bin`, `eval-predictions.bin`), or none when training's
    /// are the same.
    pub file: Option<String>,
    /// Test images whose predicted class differs from training's `predictions.bin` (none when
    /// the run had none).
    pub differing_images: Option<usize>,
    /// One line for people.
    pub note: String,
}

/// Decides [`PredictionsFile`] for `new` in `run_dir` (which may hold training's
/// `predictions.bin`), given the summary's count of correct test images.
pub fn predictions_file(
    run_dir: &Path,
    new: &TestPredictions,
    summary_correct: Option<usize>,
) -> Result<PredictionsFile, EvalError> {
    use actlab_format::run::files::{EVAL_PREDICTIONS, PREDICTIONS};
    let Some(training) = TestPredictions::read(run_dir)? else {
        let agrees = summary_correct == Some(new.correct_count());
        return Ok(if agrees {
            PredictionsFile {
                file: Some(PREDICTIONS.into()),
                differing_images: None,
                note: format!(
                    "{PREDICTIONS} added: the run had none, and this evaluation reproduces its                      summary's {} correct images",
                    new.correct_count()
                ),
            }
        } else {
            PredictionsFile {
                file: Some(EVAL_PREDICTIONS.into()),
                differing_images: None,
                note: format!(
                    "{EVAL_PREDICTIONS} written: the run has no {PREDICTIONS}, and this                      evaluation ({} correct) does not reproduce its summary's count ({})",
                    new.correct_count(),
                    summary_correct.map_or("none".into(), |c| c.to_string())
                ),
            }
        });
    };
    let comparable = training.test_sha256 == new.test_sha256 && training.len() == new.len();
    let differing = comparable.then(|| {
        training
            .predicted
            .iter()
            .zip(&new.predicted)
            .filter(|(a, b)| a != b)
            .count()
    });
    Ok(match differing {
        Some(0) => PredictionsFile {
            file: None,
            differing_images: Some(0),
            note: format!("every image's prediction equals training's {PREDICTIONS}"),
        },
        Some(n) => PredictionsFile {
            file: Some(EVAL_PREDICTIONS.into()),
            differing_images: Some(n),
            note: format!(
                "{n} of {} images predicted differently from training's {PREDICTIONS}: these                  are in {EVAL_PREDICTIONS}",
                new.len()
            ),
        },
        None => PredictionsFile {
            file: Some(EVAL_PREDICTIONS.into()),
            differing_images: None,
            note: format!(
                "training's {PREDICTIONS} scored other test images: these are in                  {EVAL_PREDICTIONS}"
            ),
        },
    })
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

/// Evaluates the final weights of `run_dir` on its test images (the whole test split, or the
/// run's `test_limit`), on the run's backend or `backend` (`unverified`: see
/// [`Predictor::open`]).
pub fn eval_run(
    run_dir: &Path,
    backend: Option<BackendSection>,
    sources: Sources,
    progress: &mut dyn FetchProgress,
    unverified: bool,
) -> Result<EvalReport, EvalError> {
    let predictor = Predictor::open(run_dir, backend, unverified)?;
    let (model, backend, config) = (&predictor.model, &predictor.backend, &predictor.experiment);
    let data = actlab_train::load_data(config, sources, progress)?;
    let count = config
        .data
        .test_limit
        .map_or(data.test.len(), |l| l.min(data.test.len()));
    let indices: Vec<u32> = (0..count as u32).collect();
    let start = Instant::now();
    let predictions = actlab_train::predict_split(
        model,
        &data.test,
        &indices,
        backend,
        config.train.batch_size,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let evaluation = predictions.evaluation();

    let names = config.data.dataset.class_names();
    let classes = names.len();
    let mut confusion = vec![vec![0usize; classes]; classes];
    for (&truth, &predicted) in predictions.labels.iter().zip(&predictions.predicted) {
        let (t, p) = (usize::from(truth), usize::from(predicted));
        if t < classes && p < classes {
            confusion[t][p] += 1;
        }
    }
    let per_class = (0..classes)
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
    let mut pairs: Vec<Confusion> = (0..classes)
        .flat_map(|t| (0..classes).map(move |p| (t, p)))
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
    let summary = RunSummary::load(run_dir).ok();
    let per_image = predictions.to_file(config.data.dataset.as_str(), &data.test);
    let predictions_file = predictions_file(
        run_dir,
        &per_image,
        summary.as_ref().map(|s| s.test_correct),
    )?;

    Ok(EvalReport {
        run: config.name.clone().unwrap_or_default(),
        dataset: config.data.dataset.as_str().to_string(),
        backend: backend.name.to_string(),
        images: evaluation.count,
        accuracy: evaluation.accuracy,
        loss: evaluation.loss,
        correct: evaluation.correct,
        per_class,
        confusion,
        most_confused: pairs,
        summary_accuracy: summary.map(|s| s.test_accuracy),
        seconds,
        images_per_second: evaluation.count as f64 / seconds.max(1e-9),
        predictions: predictions_file,
        per_image,
    })
}
