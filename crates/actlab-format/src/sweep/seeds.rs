//! `[grid] seeds`: a list (every activation runs every seed), or a sequential design —
//! `{ start = 5, step = 5, max = 40 }`: the first `start` seeds, then `step` more at a time
//! only for comparisons still undecided, up to `max` (`compare` plans each look from the run
//! directories; `actlab_eval::sequential` judges them).

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
        let looks = self.looks().len();
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

/// `[grid] seeds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Seeds {
    /// Every activation runs every seed.
    List(Vec<u64>),
    /// Seeds until decided.
    Sequential(SequentialSeeds),
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
        }
    }

    /// `--until-decided MAX` on a list of seeds: a design whose first look is the list and
    /// whose later looks add as many seeds again, up to `max`. The list must be consecutive
    /// (the design's seeds are first, first + 1, …); already sequential seeds keep their design
    /// with `max` in place of theirs.
    pub fn until_decided(&self, max: usize) -> Result<Seeds, String> {
        let design = match self {
            Seeds::Sequential(s) => SequentialSeeds { max, ..s.clone() },
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
            Seeds::List(_) => None,
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
                f.write_str("a list of seeds, or { start = 5, step = 5, max = 40 }")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Seeds, A::Error> {
                Vec::<u64>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Seeds::List)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Seeds, A::Error> {
                SequentialSeeds::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Seeds::Sequential)
            }
        }
        deserializer.deserialize_any(SeedsVisitor)
    }
}
