//! `compare`'s final runs: which points they are (after the tuning stage, each at its chosen
//! rate) and which of them still need training.

use super::*;

/// The sweep's final runs: its grid points, or — with `[tune]` — after the tuning stage, each
/// at the rate tuning chose. `Err(status)`: the tuning stage was interrupted.
pub(super) fn final_points(
    args: &CompareArgs,
    sweep: &Sweep,
    out: &Path,
    data: &mut DataOnce,
) -> anyhow::Result<Result<Vec<Point>, u8>> {
    let Some(tune) = &sweep.tune else {
        return Ok(Ok(sweep.points().to_vec()));
    };
    eprintln!(
        "tuning: {} runs ({} groups × {} rates × {} seeds, {} epochs{}) → {}",
        sweep.tune_points().len(),
        sweep.group_points().len(),
        tune.lr.len(),
        tune.seeds.len(),
        tune.epochs(sweep),
        tune.halving.as_ref().map_or(String::new(), |h| format!(
            ", halving after epochs {:?} keeping {}",
            h.after, h.keep
        )),
        out.join("tune").display()
    );
    let training = rounds::Training {
        jobs: args.jobs,
        pack: args.pack,
        quiet: args.quiet,
    };
    match tune::run(sweep, out, args.shard, &training, data)? {
        TuneEnd::Interrupted(code) => {
            eprintln!(
                "interrupted: finished runs are kept and unfinished ones checkpointed; run the \
                 same command again to continue"
            );
            Ok(Err(code))
        }
        TuneEnd::Done(selection) => {
            let chosen: Vec<String> = selection
                .groups
                .iter()
                .map(|g| format!("{} {}", g.group, g.tuned_lr))
                .collect();
            eprintln!(
                "tuned rates (best mean validation accuracy): {}",
                chosen.join(", ")
            );
            Ok(Ok(selection.final_points(sweep)?))
        }
    }
}

/// The points of this process (its shard) that are not finished, with a line saying how many
/// are finished, to resume and to train. A directory in a point's way is an error.
pub(super) fn to_train(
    args: &CompareArgs,
    sweep: &Sweep,
    points: &[Point],
    all: usize,
    out: &Path,
) -> anyhow::Result<Vec<Point>> {
    let mut todo = Vec::new();
    let (mut finished, mut partial) = (0, 0);
    for point in points {
        let dir = out.join(&point.name);
        if sweep.tune.is_some() {
            check_rate(&dir, point)?;
        }
        match RunStatus::of(&dir) {
            RunStatus::Finished => finished += 1,
            RunStatus::Checkpointed { .. } => {
                partial += 1;
                todo.push(point.clone());
            }
            RunStatus::Empty => todo.push(point.clone()),
            RunStatus::NotARun => bail!(
                "{} is in the way of sweep point {}: it is not an actlab run directory (move it \
                 away; nothing was written there)",
                dir.display(),
                point.name
            ),
        }
    }
    let shard_note = args.shard.map_or(String::new(), |s| {
        format!(" (shard {}/{} of {all})", s.index, s.count)
    });
    eprintln!(
        "sweep {}: {} runs{shard_note} → {}; {finished} finished, {partial} to resume, {} to \
         train; {} at a time",
        sweep.name.as_deref().unwrap_or("sweep"),
        points.len(),
        out.display(),
        todo.len() - partial,
        args.jobs
    );
    Ok(todo)
}

/// A final run of a tuned sweep that already exists must be at the rate tuning chose (it was
/// not, for instance, after the tuning runs or `[tune]` changed): never reused silently.
fn check_rate(dir: &Path, point: &Point) -> anyhow::Result<()> {
    if matches!(RunStatus::of(dir), RunStatus::Empty | RunStatus::NotARun) {
        return Ok(());
    }
    let recorded = actlab_train::run::run_config(dir)?.train.optimizer.lr();
    let chosen = point.experiment.train.optimizer.lr();
    if (recorded - chosen).abs() > 1e-12 * chosen.abs() {
        bail!(
            "{} was trained at lr = {recorded}, but tuning now chooses {chosen} for {}: move it \
             away (or restore the tuning runs it came from); nothing was changed",
            dir.display(),
            point.group
        );
    }
    Ok(())
}
