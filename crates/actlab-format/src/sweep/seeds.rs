//! `[grid] seeds`: a list (every activation runs every seed); a sequential design —
//! `{ start = 5, step = 5, max = 40 }`: the first `start` seeds, then `step` more at a time
//! only for comparisons still undecided, up to `max` (`compare` plans each look from the run
//! directories; `actlab_eval::sequential` judges them); or the sources of a run's spread
//! varied apart — `{ init = [1, 2, 3], data = [1, 2, 3] }`: every initialisation seed with
//! every data seed (the validation split and the epochs' order), so the report can say how
//! much of the spread each explains.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// How a test spends its α over the looks of a sequential design.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Spending {
    /// Lan–DeMets' O'Brien–Fleming type: almost nothing early, nearly all of α at the last
    /// look (early looks stop only on clear cases).
    #[default]
    #[serde(rename = "obrien_fleming")]
    OBrienFleming,
    /// Lan–DeMets' Pocock type: about even boundaries, earlier stops, a stricter last look.
    Pocock,
}

impl Spending {
    /// The name in sweep files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Spending::OBrienFleming => "obrien_fleming",
            Spending::Pocock => "pocock",
        }
    }

    /// The name for people.
    pub fn title(self) -> &'static str {
        match self {
            Spending::OBrienFleming => "O'Brien–Fleming",
            Spending::Pocock => "Pocock",
        }
    }
}

fn one() -> u64 {
    1
}

/// `{ start, step, max }`: seeds until decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequentialSeeds {
    /// Seeds of the first look (≥ 2: a t-test needs two).
    pub start: usize,
    /// Seeds added at each later look for what is undecided (≥ 1).
    pub step: usize,
    /// The most seeds (the last look).
    pub max: usize,
    /// The first seed [1]: the seeds are first, first + 1, … in the order they are added.
    #[serde(default = "one")]
    pub first: u64,
    /// How each test spends α over the looks [obrien_fleming].
    #[serde(default)]
    pub spending: Spending,
}

/// The most looks a design may plan.
pub const MAX_LOOKS: usize = 20;

impl SequentialSeeds {
    /// Checks the design: 2 ≤ start ≤ max, step ≥ 1, at most [`MAX_LOOKS`] looks, seeds that fit
    /// in u64. The error says what is expected.
    pub fn check(&self) -> Result<(), String> {
        if self.start < 2 || self.step < 1 || self.start > self.max {
            return Err(format!(
                "start = {}, step = {}, max = {}: expected 2 ≤ start ≤ max and step ≥ 1",
                self.start, self.step, self.max
            ));
        }
        // Counted, not built: a huge max must not allocate before it is refused.
        let looks = (self.max - self.start).div_ceil(self.step) + 1;
        if looks > MAX_LOOKS {
            return Err(format!(
                "{looks} looks: at most {MAX_LOOKS} (take larger steps)"
            ));
        }
        if self.first.checked_add(self.max as u64).is_none() {
            return Err(format!(
                "first = {} leaves no room for {} seeds",
                self.first, self.max
            ));
        }
        Ok(())
    }

    /// Seeds at each look: start, start + step, …, and max last.
    pub fn looks(&self) -> Vec<usize> {
        let mut looks: Vec<usize> = (self.start..self.max).step_by(self.step.max(1)).collect();
        looks.push(self.max);
        looks
    }

    /// Every seed in the order they are added.
    pub fn values(&self) -> Vec<u64> {
        (self.first..self.first + self.max as u64).collect()
    }
}

/// `{ init, data }`: the initialisation and the data order varied apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSeeds {
    /// Seeds of the initial weights (`[train] seed`).
    pub init: Vec<u64>,
    /// Seeds of the validation split and each epoch's order (`[train] data_seed`).
    pub data: Vec<u64>,
}

/// `[grid] seeds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Seeds {
    /// Every activation runs every seed.
    List(Vec<u64>),
    /// Seeds until decided.
    Sequential(SequentialSeeds),
    /// Every initialisation seed with every data seed.
    Sources(SourceSeeds),
}

/// `{ … }` as read: which form it is is decided by its keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedsTable {
    start: Option<usize>,
    step: Option<usize>,
    max: Option<usize>,
    first: Option<u64>,
    spending: Option<Spending>,
    init: Option<Vec<u64>>,
    data: Option<Vec<u64>>,
}

impl SeedsTable {
    fn into_seeds(self) -> Result<Seeds, String> {
        let sequential = [self.start, self.step, self.max]
            .iter()
            .any(Option::is_some)
            || self.first.is_some()
            || self.spending.is_some();
        match (self.init, self.data) {
            (Some(init), Some(data)) if !sequential => {
                Ok(Seeds::Sources(SourceSeeds { init, data }))
            }
            (None, None) => match (self.start, self.step, self.max) {
                (Some(start), Some(step), Some(max)) => Ok(Seeds::Sequential(SequentialSeeds {
                    start,
                    step,
                    max,
                    first: self.first.unwrap_or(1),
                    spending: self.spending.unwrap_or_default(),
                })),
                _ => Err("a sequential design needs start, step and max".into()),
            },
            (Some(_), Some(_)) => Err(
                "either { start, step, max } (seeds until decided) or { init, data } (sources \
                 varied apart), not both"
                    .into(),
            ),
            _ => Err("varying the sources needs both init and data seed lists".into()),
        }
    }
}

impl Default for Seeds {
    fn default() -> Seeds {
        Seeds::List((1..=5).collect())
    }
}

impl Seeds {
    /// Every seed a point may run, in order (a design's: all `max`).
    pub fn values(&self) -> Vec<u64> {
        match self {
            Seeds::List(list) => list.clone(),
            Seeds::Sequential(s) => s.values(),
            Seeds::Sources(s) => s.init.clone(),
        }
    }

    /// How many runs per grid point [`Seeds::pairs`] gives, counted without building them
    /// (`None` on overflow).
    pub fn count(&self) -> Option<usize> {
        match self {
            Seeds::List(list) => Some(list.len()),
            Seeds::Sequential(s) => Some(s.max),
            Seeds::Sources(s) => s.init.len().checked_mul(s.data.len()),
        }
    }

    /// Every run's (seed, data seed), in the grid's order: a data seed only when the sources
    /// are varied apart.
    pub fn pairs(&self) -> Vec<(u64, Option<u64>)> {
        match self {
            Seeds::Sources(s) => s
                .init
                .iter()
                .flat_map(|&i| s.data.iter().map(move |&d| (i, Some(d))))
                .collect(),
            other => other.values().into_iter().map(|s| (s, None)).collect(),
        }
    }

    /// `--until-decided MAX` on a list of seeds: a design whose first look is the list and
    /// whose later looks add as many seeds again, up to `max`. The list must be consecutive
    /// (the design's seeds are first, first + 1, …); already sequential seeds keep their design
    /// with `max` in place of theirs.
    pub fn until_decided(&self, max: usize) -> Result<Seeds, String> {
        let design = match self {
            Seeds::Sequential(s) => SequentialSeeds { max, ..s.clone() },
            Seeds::Sources(_) => {
                return Err(
                    "seeds that vary the sources apart ({ init, data }) cannot be added until \
                     decided"
                        .into(),
                );
            }
            Seeds::List(list) => {
                let first = list.first().copied().unwrap_or(1);
                let consecutive = list
                    .iter()
                    .enumerate()
                    .all(|(i, &s)| first.checked_add(i as u64) == Some(s));
                if !consecutive {
                    return Err(format!(
                        "--until-decided needs consecutive seeds (grid.seeds = {list:?}); write \
                         [grid] seeds = {{ start, step, max, first }} instead"
                    ));
                }
                SequentialSeeds {
                    start: list.len(),
                    step: list.len(),
                    max,
                    first,
                    spending: Spending::default(),
                }
            }
        };
        design.check()?;
        Ok(Seeds::Sequential(design))
    }

    /// The design, when the seeds are sequential.
    pub fn sequential(&self) -> Option<&SequentialSeeds> {
        match self {
            Seeds::Sequential(s) => Some(s),
            Seeds::List(_) | Seeds::Sources(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Seeds {
    /// A list of seeds or a `{ start, step, max }` table, each with its own error (an untagged
    /// enum would say only that nothing matched).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seeds, D::Error> {
        struct SeedsVisitor;
        impl<'de> Visitor<'de> for SeedsVisitor {
            type Value = Seeds;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a list of seeds, { start = 5, step = 5, max = 40 }, or \
                     { init = [1, 2, 3], data = [1, 2, 3] }",
                )
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Seeds, A::Error> {
                Vec::<u64>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Seeds::List)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Seeds, A::Error> {
                SeedsTable::deserialize(de::value::MapAccessDeserializer::new(map))?
                    .into_seeds()
                    .map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(SeedsVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sweep::SweepConfig;

    fn load(seeds: &str) -> Result<crate::sweep::Sweep, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let text = format!(
            "[base.model]\npreset = \"prelu-mlp\"\n[grid]\nactivations = [\"relu\", \"tanh\"]\n{seeds}\n"
        );
        std::fs::write(&path, text).unwrap();
        SweepConfig::load(&path).map_err(|e| e.to_string())
    }

    #[test]
    fn the_three_forms_read_and_expand() {
        let list = load("seeds = [3, 4]").unwrap();
        assert_eq!(list.points().len(), 4);
        let seq = load("seeds = { start = 5, step = 5, max = 40, first = 101 }").unwrap();
        let design = seq.grid.seeds.sequential().unwrap();
        assert_eq!(design.looks(), vec![5, 10, 15, 20, 25, 30, 35, 40]);
        assert_eq!(design.spending, Spending::OBrienFleming);
        assert_eq!(seq.points().len(), 80);
        assert_eq!(seq.points()[0].experiment.train.seed, 101);
        let pocock = load("seeds = { start = 2, step = 3, max = 7, spending = \"pocock\" }");
        let pocock = pocock.unwrap();
        assert_eq!(
            pocock.grid.seeds.sequential().unwrap().looks(),
            vec![2, 5, 7]
        );
        let sources = load("seeds = { init = [1, 2], data = [7, 8, 9] }").unwrap();
        let p = &sources.points()[4];
        assert_eq!(p.name, "relu-s2-d8");
        assert_eq!(
            (p.experiment.train.seed, p.experiment.train.data_seed),
            (2, Some(8))
        );
        assert_eq!(sources.points().len(), 12);
    }

    #[test]
    fn hostile_sizes_are_refused_before_anything_is_built() {
        // A billion seeds in two looks, or a 50,000 × 50,000 crossing: refused by counting.
        let m = load("seeds = { start = 2, step = 1000000000, max = 1000000000 }").unwrap_err();
        assert!(m.contains("at most 100000 runs"), "{m}");
        let big: Vec<String> = (0..50_000).map(|s| s.to_string()).collect();
        let grid = format!("seeds = {{ init = [{0}], data = [{0}] }}", big.join(","));
        let m = load(&grid).unwrap_err();
        assert!(m.contains("at most 100000 runs"), "{m}");
        let m = load("seeds = { start = 2, step = 1, max = 9223372036854775807 }").unwrap_err();
        assert!(m.contains("grid.seeds") && m.contains("at most 20"), "{m}");
        let m =
            load("seeds = { start = 2, step = 4611686018427387904, max = 9223372036854775807 }")
                .unwrap_err();
        assert!(m.contains("at most 100000 runs"), "{m}");
        let m =
            load("seeds = { start = 2, step = 1, max = 4, spending = \"linear\" }").unwrap_err();
        assert!(m.contains("linear") && m.contains("pocock"), "{m}");
        let m = load("seeds = \"1-5\"").unwrap_err();
        assert!(m.contains("a list of seeds"), "{m}");
    }
}
