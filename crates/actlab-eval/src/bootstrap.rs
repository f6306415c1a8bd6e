//! Image-level statistics: every run is scored on the same test images, so two activations'
//! errors are paired image by image as well as seed by seed.
//!
//! [`analyse`] draws joint bootstrap resamples of seeds **and** test images and returns, per
//! comparison, the accuracy difference A − B with intervals that include the test set's own
//! sampling error, rliable's **probability of improvement** P(A > B) (Agarwal et al. 2021:
//! the chance that a run of A scores above a run of B, Mann–Whitney's U over n·m) with its
//! interval, and a **McNemar** test per seed (the two networks of that seed, on the same
//! images); and each group's **rank** with its interval.
//!
//! Seeds and images are *crossed*, not nested: every seed's network is scored on the same
//! images. So a resample draws seeds (with replacement, the same draw for groups that ran the
//! same seeds, keeping them paired) and **one** resample of the test images, weighting every
//! run alike — the two-way ("pigeonhole") bootstrap of crossed designs (Owen 2007). Resampling
//! images afresh within each seed, as for nested data, would let the test set's error average
//! out over seeds, which it does not (the tests measure both). The image weights are a
//! multinomial draw of N images; each run's weighted count of correct images is a sum of
//! popcounts over the weights' bit planes. Seeded: a report is deterministic.

use chacha20::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use statrs::distribution::{Binomial as BinomialLaw, DiscreteCDF};

use crate::stats::Interval;

/// Resamples of the comparisons (a simultaneous interval reaches α/(2m) into each tail: at
/// m = 12 about 20 resamples lie beyond it).
pub const RESAMPLES: usize = 10_000;
/// Of those, the first ones also rank the groups.
pub const RANK_RESAMPLES: usize = 2_000;
/// The bootstrap's fixed seed: the image draws' stream; seed draws derive theirs from names.
const SEED: u64 = 0x0AC7_1AB5_2026_1205;

/// Which test images one run classified correctly, as bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correct {
    bits: Vec<u64>,
    images: usize,
}

impl Correct {
    /// From one flag per image.
    pub fn new(correct: &[bool]) -> Correct {
        let mut bits = vec![0u64; correct.len().div_ceil(64)];
        for (i, _) in correct.iter().enumerate().filter(|(_, c)| **c) {
            bits[i / 64] |= 1 << (i % 64);
        }
        Correct {
            bits,
            images: correct.len(),
        }
    }

    /// Test images.
    pub fn images(&self) -> usize {
        self.images
    }

    /// Images classified correctly.
    pub fn count(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether image `i` was classified correctly.
    pub fn get(&self, i: usize) -> bool {
        self.bits[i / 64] >> (i % 64) & 1 == 1
    }

    /// Σ weight(i) over the images classified correctly, the weights given as bit planes
    /// (plane b holds bit b of every image's weight).
    fn weighted(&self, planes: &[Vec<u64>]) -> u64 {
        planes
            .iter()
            .enumerate()
            .map(|(b, plane)| {
                let ones: u64 = self
                    .bits
                    .iter()
                    .zip(plane)
                    .map(|(x, w)| u64::from((x & w).count_ones()))
                    .sum();
                ones << b
            })
            .sum()
    }
}

/// One group's runs: per seed, its correct images (all on the same test images).
#[derive(Debug, Clone, Copy)]
pub struct GroupImages<'a> {
    /// Its seeds.
    pub seeds: &'a [u64],
    /// Per seed (same order), which images it got right.
    pub runs: &'a [&'a Correct],
}

/// McNemar's exact test of two classifiers on the same images: `b` images only the first got
/// right, `c` only the second. Two-sided: min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½).
pub fn mcnemar_p(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let Ok(law) = BinomialLaw::new(0.5, n as u64) else {
        return f64::NAN;
    };
    (2.0 * law.cdf(b.min(c) as u64)).min(1.0)
}

/// P(X > Y) + ½·P(X = Y) for X drawn from `a` and Y from `b`: the Mann–Whitney U over n·m
/// (rliable's probability of improvement, for one task).
pub fn probability_of_improvement(a: &[f64], b: &[f64]) -> f64 {
    let mut sorted = b.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut wins = 0.0;
    for &x in a {
        let below = sorted.partition_point(|&y| y < x);
        let not_above = sorted.partition_point(|&y| y <= x);
        wins += below as f64 + 0.5 * (not_above - below) as f64;
    }
    wins / (a.len() * b.len()).max(1) as f64
}

/// McNemar's tests of one comparison, one per shared seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McNemar {
    /// Per seed: images only A got right, only B, and the exact p-value.
    pub per_seed: Vec<(u64, usize, usize, f64)>,
    /// Seeds where A's network is significantly better at 0.05 (per seed, uncorrected).
    pub a_better: usize,
    /// Seeds where B's is.
    pub b_better: usize,
    /// The median p-value over seeds.
    pub median_p: f64,
}

/// A comparison at the image level (A − B; accuracy fractions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageComparison {
    /// Seeds both groups ran (the pairing).
    pub seeds: usize,
    /// Test images per run.
    pub images: usize,
    /// Resamples drawn.
    pub resamples: usize,
    /// A − B on the shared seeds with its bootstrap 95% interval over seeds **and** test
    /// images.
    pub difference: Interval,
    /// The same bootstrap at the family's level 1 − α/m (beside the verdict).
    pub simultaneous: Interval,
    /// The 95% interval of a bootstrap over seeds only (the test images held fixed), for how
    /// much of the width the test set adds.
    pub seeds_only: Interval,
    /// P(A > B): a run of A scores above a run of B, with its 95% bootstrap interval.
    pub improvement: Interval,
    /// McNemar per seed.
    pub mcnemar: McNemar,
}

/// A stream of its own from names (FNV-1a), so adding a group to a report does not change
/// another comparison's seed draws.
fn rng_for(names: &[&str]) -> ChaCha8Rng {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in names {
        for b in name.bytes().chain([0xff]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    ChaCha8Rng::seed_from_u64(SEED ^ hash)
}

/// The `q` quantile of sorted values (linear interpolation between order statistics).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[low] + (pos - low as f64) * (sorted[high] - sorted[low])
}

/// The two-sided `1 − level` percentile interval of `values` around `estimate`.
fn percentile(values: &mut [f64], estimate: f64, level: f64) -> Interval {
    values.sort_by(f64::total_cmp);
    Interval {
        mean: estimate,
        low: quantile(values, level / 2.0),
        high: quantile(values, 1.0 - level / 2.0),
    }
}

/// One resample of the test images: a multinomial draw of N images, as bit planes of the
/// per-image counts.
fn image_weights(rng: &mut ChaCha8Rng, images: usize, counts: &mut [u32]) -> Vec<Vec<u64>> {
    counts.iter_mut().for_each(|c| *c = 0);
    for _ in 0..images {
        counts[rng.random_range(0..images)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0);
    let planes = (u32::BITS - top.leading_zeros()) as usize;
    (0..planes)
        .map(|b| {
            let mut plane = vec![0u64; images.div_ceil(64)];
            for (i, &c) in counts.iter().enumerate() {
                if c >> b & 1 == 1 {
                    plane[i / 64] |= 1 << (i % 64);
                }
            }
            plane
        })
        .collect()
}

/// A comparison to make: groups `a` and `b` (indices), and the level of its simultaneous
/// interval (the family's α/m).
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// A's index in the groups.
    pub a: usize,
    /// B's.
    pub b: usize,
    /// α/m of its family.
    pub level: f64,
}

/// What [`analyse`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// One per wanted comparison: `None` with fewer than two shared seeds.
    pub comparisons: Vec<Option<ImageComparison>>,
    /// Each group's rank with its interval (`None` over [`MAX_RANKED`] groups).
    pub ranks: Option<Vec<Rank>>,
}

/// A group's place on the leaderboard with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rank {
    /// The rank of its observed mean accuracy (1: best).
    pub rank: usize,
    /// The 2.5% quantile of its bootstrap ranks.
    pub low: usize,
    /// The 97.5% quantile.
    pub high: usize,
}

/// The most groups ranked together.
pub const MAX_RANKED: usize = 200;

/// Why the groups cannot be analysed together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImagesError {
    /// A group without runs.
    #[error("group {0} has no runs with per-image predictions")]
    Empty(String),
    /// Runs scored on different numbers of images.
    #[error("runs were scored on different numbers of test images ({0} and {1})")]
    Images(usize, usize),
}

/// Joint bootstrap of `groups` (named `names`): `resamples` resamples (≥ 100) of seeds and
/// images give every `wanted` comparison; the first `rank_resamples` of them also rank every
/// group.
pub fn analyse(
    groups: &[GroupImages],
    names: &[&str],
    wanted: &[Wanted],
    resamples: usize,
    rank_resamples: usize,
) -> Result<Analysis, ImagesError> {
    let drawn = draw(groups, names, wanted, resamples, rank_resamples)?;
    let comparisons = wanted
        .iter()
        .zip(&drawn.shared)
        .zip(drawn.draws)
        .map(|((w, pairs), d)| {
            (pairs.len() >= 2).then(|| {
                d.summarise(
                    w.level,
                    pairs,
                    (&groups[w.a], &groups[w.b]),
                    (&drawn.observed[w.a], &drawn.observed[w.b]),
                    drawn.images,
                )
            })
        })
        .collect();
    let ranks = drawn.ranking.then(|| {
        let observed_means: Vec<f64> = drawn
            .observed
            .iter()
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            .collect();
        drawn
            .rank_draws
            .into_iter()
            .enumerate()
            .map(|(i, mut d)| {
                d.sort_unstable();
                let at = |q: f64| d[((q * (d.len() - 1) as f64).round() as usize).min(d.len() - 1)];
                Rank {
                    rank: 1 + observed_means
                        .iter()
                        .filter(|&&v| v > observed_means[i])
                        .count(),
                    low: at(0.025),
                    high: at(0.975),
                }
            })
            .collect()
    });
    Ok(Analysis { comparisons, ranks })
}

mod draw;
use draw::draw;

#[cfg(test)]
mod tests;
