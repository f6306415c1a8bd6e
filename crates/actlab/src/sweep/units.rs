//! How `compare --pack` groups a sweep's points into units for the runner: fresh points that
//! may share a pack ([`PackKey`]) in packs of at most `--pack`, a checkpointed pack as the pack
//! it was, a halving's survivors regrouped; every other point alone.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use actlab_format::config::BackendName;
use actlab_format::run::RunStatus;
use actlab_format::sweep::Point;
use actlab_train::pack::{PackKey, pack_key};

/// `--pack`: the most runs per pack, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackChoice {
    /// At most this many runs per pack (1: none packed).
    Max(usize),
    /// By backend: none on CPU backends (their GEMM is at its plateau with one model), every
    /// eligible run on GPU backends.
    Auto,
}

impl FromStr for PackChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(PackChoice::Auto);
        }
        match s.parse::<usize>() {
            Ok(k) if k >= 1 => Ok(PackChoice::Max(k)),
            _ => Err(format!(
                "expected `auto` or a number of runs per pack (1 or more), not `{s}`"
            )),
        }
    }
}

impl std::fmt::Display for PackChoice {
    /// As `--pack` takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackChoice::Max(k) => write!(f, "{k}"),
            PackChoice::Auto => f.write_str("auto"),
        }
    }
}

/// What a unit groups points by.
#[derive(Debug, PartialEq)]
enum GroupKey {
    /// Fresh runs that may share a pack.
    Fresh(PackKey),
    /// The members of a checkpointed pack, sorted: it resumes as the pack it was.
    Resume(Vec<String>),
    /// Members of packs whose mates are not all here (a halving's survivors): regrouped with
    /// runs checkpointed at the same position that could share a pack.
    Survivor((usize, usize), PackKey),
}

/// Groups `todo` into units for the runner: runs that may share a pack (same [`pack_key`],
/// not started yet) in packs of at most the chosen size; a checkpointed pack as the pack it
/// was; members of packs whose mates are not all here (survivors of a halving) regrouped by
/// key and position, at most the chosen size; every other run alone. Returns the units and a
/// line for the log saying what was chosen and why.
pub fn units(
    todo: &[Point],
    out: &Path,
    choice: Option<PackChoice>,
    backend: BackendName,
) -> (Vec<Vec<Point>>, Option<String>) {
    let Some((max, why)) = limit(todo, out, choice, backend) else {
        return (todo.iter().map(|p| vec![p.clone()]).collect(), None);
    };
    // Each point's checkpoint position, read once.
    let positions: BTreeMap<&str, Option<(usize, usize)>> = todo
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                actlab_format::state::position(&out.join(&p.name)),
            )
        })
        .collect();
    let mut groups: Vec<(Option<GroupKey>, usize, Vec<Point>)> = Vec::new();
    for point in todo {
        let (key, limit) = group_of(point, out, max, choice.is_some(), &positions);
        let open = groups
            .iter_mut()
            .find(|(k, l, g)| key.is_some() && *k == key && g.len() < *l);
        match open {
            Some((_, _, group)) => group.push(point.clone()),
            None => groups.push((key, limit, vec![point.clone()])),
        }
    }
    let units: Vec<Vec<Point>> = groups.into_iter().map(|(_, _, g)| g).collect();
    let line = log_line(&why, &units);
    (units, Some(line))
}

/// The most runs per pack and why; `None` when nothing is packed (no `--pack`, and no
/// checkpointed pack to resume).
fn limit(
    todo: &[Point],
    out: &Path,
    choice: Option<PackChoice>,
    backend: BackendName,
) -> Option<(usize, String)> {
    let resuming = todo
        .iter()
        .any(|p| !actlab_format::state::packed_with(&out.join(&p.name)).is_empty());
    let on = backend.as_str();
    match choice {
        None if !resuming => None,
        None => Some((
            1,
            "no --pack, but checkpointed packs resume as packs".to_string(),
        )),
        Some(PackChoice::Max(k)) => Some((k, format!("--pack {k}"))),
        Some(PackChoice::Auto) if actlab_train::backend::is_gpu(backend) => Some((
            usize::MAX,
            format!("--pack auto on {on} (a GPU backend: all eligible runs)"),
        )),
        Some(PackChoice::Auto) => Some((
            1,
            format!(
                "--pack auto on {on} (a CPU backend: its GEMM gains nothing from packing; runs \
                 alone)"
            ),
        )),
    }
}

/// The group `point` joins and that group's size limit (`None`: it trains alone).
fn group_of(
    point: &Point,
    out: &Path,
    max: usize,
    chosen: bool,
    positions: &BTreeMap<&str, Option<(usize, usize)>>,
) -> (Option<GroupKey>, usize) {
    let dir = out.join(&point.name);
    let mates = actlab_format::state::packed_with(&dir);
    let here = positions.get(point.name.as_str()).copied().flatten();
    if mates.is_empty() {
        return if RunStatus::of(&dir) == RunStatus::Empty && max > 1 {
            (pack_key(&point.experiment).map(GroupKey::Fresh), max)
        } else {
            (None, 1)
        };
    }
    let together = mates
        .iter()
        .all(|m| *m == point.name || positions.get(m.as_str()) == Some(&here));
    if together {
        // A checkpointed pack resumes as the pack it was, whatever --pack says now
        // (bit-identical to one that never stopped).
        let mut all = mates;
        all.push(point.name.clone());
        all.sort();
        all.dedup();
        return (Some(GroupKey::Resume(all)), usize::MAX);
    }
    // Part of a pack (the survivors of a tuning stage's halving; mates that diverged):
    // regrouped with the runs checkpointed at the same position that could share a pack, at
    // most --pack of them, or without --pack as many as its pack had.
    let key = here.zip(pack_key(&point.experiment));
    let limit = if chosen { max } else { mates.len() + 1 };
    (key.map(|(at, key)| GroupKey::Survivor(at, key)), limit)
}

/// `packing: <why>: N pack(s) (a + b), M run(s) alone`.
fn log_line(why: &str, units: &[Vec<Point>]) -> String {
    let packs: Vec<String> = units
        .iter()
        .filter(|u| u.len() > 1)
        .map(|u| u.len().to_string())
        .collect();
    let alone = units.iter().filter(|u| u.len() == 1).count();
    let convolutional = units
        .iter()
        .flatten()
        .filter(|p| p.experiment.mlp().is_none())
        .count();
    let cnn = if convolutional > 0 {
        format!(" ({convolutional} convolutional: CNNs train alone)")
    } else {
        String::new()
    };
    let sizes = if packs.is_empty() {
        "none".to_string()
    } else {
        packs.join(" + ")
    };
    format!(
        "packing: {why}: {} pack(s) ({sizes}), {alone} run(s) alone{cnn}",
        packs.len()
    )
}
