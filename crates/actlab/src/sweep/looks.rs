//! Seeds until decided (`[grid] seeds = { start, step, max }`, `--until-decided`): trains the
//! first look's seeds for every activation, then, look by look, only what the group-sequential
//! design still needs — the undecided activations and their baseline — until every comparison
//! is decided or the last look is judged. Each look is planned from a report built over the run
//! directories alone ([`actlab_eval::report::build_report_with`] with the design), the same
//! one `actlab report` writes, so the decisions `compare` acted on are the ones it reports; a
//! look's seeds are ordinary points, so resume, `--shard` and `--pack` work as for a grid
//! ([`super::rounds::drive`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use actlab_eval::report::{self, ActivationResult, ReportOptions};
use actlab_eval::sequential::Design;
use actlab_format::run::RunStatus;
use actlab_format::shard::Shard;
use actlab_format::sweep::{Point, Sweep};
use anyhow::bail;

use super::DataOnce;
use super::rounds::{End, Next, Round, Stage, Training, drive};

/// What judging needs: the baseline, how the report judges (margin, family, correction; no
/// image resamples) and the design.
pub struct Judging<'a> {
    /// The baseline activation (or group).
    pub baseline: &'a str,
    /// The report's options, the design among them.
    pub options: ReportOptions,
    /// The looks.
    pub design: &'a Design,
}

/// Whether `point` is a run of `group` (its activation and hidden sizes).
fn belongs(point: &Point, group: &ActivationResult) -> bool {
    let network = point.experiment.network();
    let layers = network.layer_sizes();
    let hidden = match layers.as_slice() {
        [_, hidden @ .., _] => hidden,
        _ => &[],
    };
    network.activation().label() == group.activation_label && hidden == group.hidden.as_slice()
}

/// Trains `points` (the sweep's final points at every seed of the design) look by look into
/// `out`, until the design is done.
pub fn run(
    sweep: &Sweep,
    points: &[Point],
    out: &Path,
    shard: Option<Shard>,
    training: &Training,
    data: &mut DataOnce,
    judging: &Judging,
) -> anyhow::Result<End<()>> {
    let design = judging.design;
    let mine: BTreeSet<String> = match shard {
        Some(s) => s.select(points).into_iter().map(|p| p.name).collect(),
        None => points.iter().map(|p| p.name.clone()).collect(),
    };
    let stage = Stage {
        label: "seeds",
        needed_for: "the look cannot be judged",
        dir: out,
        mine,
        backend: sweep.base.backend.name,
        training,
        set_aside_failures: false,
    };
    let unfinished = |p: &&Point| RunStatus::of(&out.join(&p.name)) != RunStatus::Finished;
    let first: BTreeSet<u64> = design.seeds[..design.looks[0]].iter().copied().collect();
    drive(&stage, data, || {
        // Look 1: every activation on the first seeds.
        let look_one: Vec<Point> = points
            .iter()
            .filter(|p| first.contains(&p.experiment.train.seed))
            .filter(unfinished)
            .cloned()
            .collect();
        if !look_one.is_empty() {
            return Ok(Next::Train(Round {
                points: look_one,
                pause: None,
                what: format!("for look 1 ({} seeds each)", first.len()),
            }));
        }
        // Later looks: what the design, replayed over the finished runs, still needs.
        let (runs, _) = report::collect_runs(&[PathBuf::from(out)])?;
        let built = report::build_report_with(&runs, judging.baseline, &judging.options);
        let Some(sequential) = built.sequential else {
            bail!("the report has no sequential design");
        };
        let mut wanted: Vec<Point> = Vec::new();
        let mut looks = BTreeSet::new();
        for next in &sequential.next {
            let seeds = &design.seeds[..next.seeds];
            looks.insert((next.look, next.seeds));
            for name in &next.groups {
                let Some(group) = built.results.iter().find(|r| &r.name == name) else {
                    continue;
                };
                wanted.extend(
                    points
                        .iter()
                        .filter(|p| seeds.contains(&p.experiment.train.seed) && belongs(p, group))
                        .filter(unfinished)
                        .filter(|p| !wanted.iter().any(|w| w.name == p.name))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
            }
        }
        if wanted.is_empty() {
            if sequential.next.is_empty() {
                return Ok(Next::Done(()));
            }
            bail!(
                "the design needs more seeds of {}, but no point of the sweep provides them \
                 (were run directories moved?)",
                sequential.next[0].groups.join(", ")
            );
        }
        let what: Vec<String> = looks
            .iter()
            .map(|(look, seeds)| format!("look {look} ({seeds} seeds each)"))
            .collect();
        Ok(Next::Train(Round {
            points: wanted,
            pause: None,
            what: format!("for {}", what.join(", ")),
        }))
    })
}
