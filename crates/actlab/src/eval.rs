//! `actlab eval` and `actlab predict`: printing only; the work is in `actlab-eval`.

use std::path::PathBuf;

use actlab_eval::output::eval::{confusion_table, write_report};
use actlab_eval::predict::{image_inputs, scale_pixels};
use actlab_eval::{EvalError, Prediction, Predictor};
use actlab_format::config::{BackendName, BackendSection, DeviceSpec};
use actlab_format::dataset::IMAGE_PIXELS;
use anyhow::Context;
use clap::Args;

use crate::flags::DataFlags;
use crate::progress::CliProgress;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run directory (runs/<name>).
    run: PathBuf,
    /// Evaluate on this backend instead of the one the run trained on.
    #[arg(long, help = crate::about::backend_help("instead of the run's own"))]
    backend: Option<BackendName>,
    /// The device of that backend.
    #[arg(long, requires = "backend")]
    device: Option<DeviceSpec>,
    /// Print eval.json on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Use weights that have no recorded SHA-256 (model.bpk.sha256 and summary.json both
    /// gone), which therefore cannot be verified.
    #[arg(long)]
    unverified: bool,
    #[command(flatten)]
    data: DataFlags,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run directory (runs/<name>).
    run: PathBuf,
    /// Images (PNG, JPEG, PGM/PPM/PBM, any size) or directories of them.
    #[arg(required_unless_present = "test_index")]
    images: Vec<PathBuf>,
    /// Show the K most probable classes.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Dark object on a light background (ink on paper): invert before predicting.
    #[arg(long)]
    invert: bool,
    /// Predict test-set image N and show its true label.
    #[arg(long, value_name = "N")]
    test_index: Option<usize>,
    /// Predict on this backend instead of the one the run trained on.
    #[arg(long, help = crate::about::backend_help("instead of the run's own"))]
    backend: Option<BackendName>,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Use weights that have no recorded SHA-256 (model.bpk.sha256 and summary.json both
    /// gone), which therefore cannot be verified.
    #[arg(long)]
    unverified: bool,
    #[command(flatten)]
    data: DataFlags,
}

fn section(backend: Option<BackendName>, device: Option<DeviceSpec>) -> Option<BackendSection> {
    backend.map(|name| BackendSection {
        name,
        device: device.unwrap_or_default(),
    })
}

pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let backend = section(args.backend, args.device);
    let sources = args.data.sources();
    let report = actlab_eval::eval_run(
        &args.run,
        backend,
        sources,
        &mut CliProgress::default(),
        args.unverified,
    )?;
    let written = write_report(&args.run, &report)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} on {} ({}): accuracy {:.2}% ({} of {}), mean loss {:.4}",
            report.run,
            report.dataset,
            report.backend,
            100.0 * report.accuracy,
            report.correct,
            report.images,
            report.loss
        );
        if let Some(summary) = report.summary_accuracy {
            println!("summary.json test accuracy: {:.2}%", 100.0 * summary);
        }
        println!("\nper class:");
        for class in &report.per_class {
            println!(
                "  {:>2} {:<12} {:>6.2}%  ({} of {})",
                class.class,
                class.name,
                100.0 * class.accuracy,
                class.correct,
                class.count
            );
        }
        println!("\nconfusion matrix:\n{}", confusion_table(&report));
        println!("most confused (true → predicted):");
        for pair in &report.most_confused {
            println!(
                "  {} → {}: {}",
                pair.true_name, pair.predicted_name, pair.count
            );
        }
        println!(
            "\nevaluated {} images in {:.3} s ({:.0} images/s)",
            report.images, report.seconds, report.images_per_second
        );
        println!("per-image predictions: {}", report.predictions.note);
    }
    for file in written {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}

/// Returns the exit status: 1 when some image could not be read (the others are still shown).
pub fn predict(args: PredictArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.top >= 1, "--top must be at least 1");
    let predictor = Predictor::for_images(&args.run, section(args.backend, None), args.unverified)
        .with_context(|| args.run.display().to_string())?;
    let mut inputs: Vec<(String, Vec<f32>, Option<usize>)> = Vec::new();
    let mut failures = 0u8;
    if let Some(index) = args.test_index {
        let data = args.data.load(predictor.experiment())?;
        let image = data.test.image(index).ok_or(EvalError::TestIndex {
            index,
            count: data.test.len(),
        })?;
        let pixels = scale_pixels(image);
        let label = data.test.labels()[index];
        inputs.push((format!("test[{index}]"), pixels, Some(usize::from(label))));
    }
    for path in image_inputs(&args.images)? {
        match actlab_eval::load_image(&path, args.invert) {
            Ok(pixels) => inputs.push((path.display().to_string(), pixels, None)),
            Err(error) => {
                eprintln!("error: {error}");
                failures = 1;
            }
        }
    }
    let pixels: Vec<Vec<f32>> = inputs.iter().map(|(_, p, _)| p.clone()).collect();
    debug_assert!(pixels.iter().all(|p| p.len() == IMAGE_PIXELS));
    let probabilities = predictor
        .probabilities(&pixels)
        .context("running the model")?;
    let names = predictor.class_names();
    let predictions: Vec<Prediction> = inputs
        .iter()
        .zip(&probabilities)
        .map(|((input, _, truth), probs)| Prediction {
            input: input.clone(),
            top: predictor.top(probs, args.top),
            true_class: *truth,
            true_name: truth.and_then(|t| names.get(t)).map(|n| n.to_string()),
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&predictions)?);
    } else {
        for p in &predictions {
            let truth = p
                .true_name
                .as_ref()
                .map_or(String::new(), |n| format!("  (true: {n})"));
            println!("{}{truth}", p.input);
            for c in &p.top {
                println!("  {:>6.2}%  {} {}", 100.0 * c.probability, c.class, c.name);
            }
        }
    }
    Ok(failures)
}
