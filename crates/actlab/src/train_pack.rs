//! `actlab train-pack`: the child that trains one pack (what `compare --pack` runs); the work
//! is `actlab_train::pack`'s, the lines `crate::progress::PackLines`'.

use std::path::PathBuf;

use actlab_format::config::ExperimentConfig;
use actlab_train::Outcome;
use clap::Args;

use crate::flags::TrainFlags;
use crate::progress::PackLines;

#[derive(Debug, Args)]
pub struct TrainPackArgs {
    /// Experiment configs that differ only in activation and learning rate (each with its own
    /// `[output] dir` or name); with --resume, the run directories of every member of a pack.
    #[arg(required = true, num_args = 1..)]
    configs: Vec<PathBuf>,
    /// Continue a checkpointed pack from its members' run directories.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    flags: TrainFlags,
}

/// `actlab train-pack`: returns the exit status (1 when a member failed; the signal's status
/// when Ctrl-C or SIGTERM stopped the pack).
pub fn run(args: TrainPackArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(
        args.resume || args.configs.len() >= 2,
        "a pack needs at least two configs (train one with `actlab train`)"
    );
    let experiments = if args.resume {
        args.configs
            .iter()
            .map(|dir| actlab_train::resume_config(dir, None))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        args.configs
            .iter()
            .map(|path| ExperimentConfig::load(path))
            .collect::<Result<Vec<_>, _>>()?
    };
    let data = args.flags.data.load(experiments[0].config())?;
    let options = args.flags.options();
    let signals = crate::signals::watch(&options.stop)?;
    let mut lines = PackLines::new(args.flags.quiet);
    let mut watch = |event: actlab_train::pack::PackEvent| lines.show(&event);
    let results = if args.resume {
        actlab_train::pack::resume_pack(&args.configs, &data, &options, &mut watch)?
    } else {
        actlab_train::pack::train_pack(&experiments, &data, &options, &mut watch)?
    };
    let (mut failed, mut interrupted) = (false, None);
    for (experiment, result) in experiments.iter().zip(results) {
        let (name, dir) = (experiment.name(), experiment.run_dir());
        match result {
            Ok(Outcome::Finished(summary) | Outcome::AlreadyComplete(summary)) => println!(
                "{name}: test accuracy {:.2}% → {}",
                100.0 * summary.test_accuracy,
                dir.display()
            ),
            Ok(Outcome::Paused { epochs_completed }) => eprintln!(
                "{name}: paused after epoch {epochs_completed} (--pause-after) → {}",
                dir.display()
            ),
            Ok(Outcome::Interrupted {
                epochs_completed,
                steps_into_epoch,
            }) => interrupted = Some((epochs_completed, steps_into_epoch)),
            Err(error) => {
                failed = true;
                eprintln!("{name}: error: {error}");
            }
        }
    }
    if let Some((epochs, steps)) = interrupted {
        eprintln!(
            "interrupted: every member checkpointed after {epochs} epoch(s) and {steps} step(s); \
             continue with `actlab train-pack --resume` on their run directories (or `compare` \
             again)"
        );
        return Ok(signals.status());
    }
    Ok(u8::from(failed))
}
