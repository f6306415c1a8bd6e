//! The resampling behind [`super::analyse`]: seeds and, crossed with them, images, drawn once
//! for every comparison and the ranking.

use super::*;

/// The resamples behind [`analyse`], before they are summarised.
pub(super) struct Drawn {
    pub(super) images: usize,
    /// Per comparison, the seeds it pairs on: (index into A's runs, into B's).
    pub(super) shared: Vec<Vec<(usize, usize)>>,
    /// Every run's own accuracy, per group.
    pub(super) observed: Vec<Vec<f64>>,
    pub(super) draws: Vec<Draws>,
    pub(super) ranking: bool,
    /// Per group, its rank in each ranking resample.
    pub(super) rank_draws: Vec<Vec<usize>>,
}

pub(super) fn draw(
    groups: &[GroupImages],
    names: &[&str],
    wanted: &[Wanted],
    resamples: usize,
    rank_resamples: usize,
) -> Result<Drawn, ImagesError> {
    let mut images = None;
    for (g, name) in groups.iter().zip(names) {
        if g.runs.is_empty() {
            return Err(ImagesError::Empty(name.to_string()));
        }
        for r in g.runs {
            match images {
                None => images = Some(r.images),
                Some(n) if n != r.images => return Err(ImagesError::Images(n, r.images)),
                Some(_) => {}
            }
        }
    }
    let images = images.unwrap_or(0);
    let resamples = resamples.max(100);
    let rank_resamples = rank_resamples.min(resamples);
    // The seeds each comparison pairs on: (index into A's runs, into B's).
    let shared: Vec<Vec<(usize, usize)>> = wanted
        .iter()
        .map(|w| {
            let (a, b) = (&groups[w.a], &groups[w.b]);
            a.seeds
                .iter()
                .enumerate()
                .filter_map(|(i, s)| Some((i, b.seeds.iter().position(|t| t == s)?)))
                .collect()
        })
        .collect();
    let n_img = images.max(1) as f64;
    let observed: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| g.runs.iter().map(|r| r.count() as f64 / n_img).collect())
        .collect();
    // Cohorts for ranking: groups that ran the same seeds share each seed draw.
    let mut cohorts: Vec<(Vec<u64>, Vec<usize>)> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        match cohorts.iter_mut().find(|(s, _)| s.as_slice() == g.seeds) {
            Some((_, members)) => members.push(i),
            None => cohorts.push((g.seeds.to_vec(), vec![i])),
        }
    }
    let ranking = groups.len() <= MAX_RANKED && rank_resamples > 0;

    let mut image_rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut pair_rngs: Vec<ChaCha8Rng> = wanted
        .iter()
        .map(|w| rng_for(&[names[w.a], names[w.b]]))
        .collect();
    let mut cohort_rngs: Vec<ChaCha8Rng> = cohorts
        .iter()
        .map(|(seeds, _)| {
            let text: Vec<String> = seeds.iter().map(u64::to_string).collect();
            let refs: Vec<&str> = text.iter().map(String::as_str).collect();
            rng_for(&refs)
        })
        .collect();
    let mut counts = vec![0u32; images];
    let mut draws: Vec<Draws> = wanted
        .iter()
        .map(|_| Draws::with_capacity(resamples))
        .collect();
    let mut rank_draws: Vec<Vec<usize>> = vec![Vec::with_capacity(rank_resamples); groups.len()];
    let mut acc: Vec<Vec<f64>> = groups.iter().map(|g| vec![0.0; g.runs.len()]).collect();
    let mut means = vec![0.0; groups.len()];
    for r in 0..resamples {
        let planes = image_weights(&mut image_rng, images, &mut counts);
        for (g, group) in groups.iter().enumerate() {
            for (k, run) in group.runs.iter().enumerate() {
                acc[g][k] = run.weighted(&planes) as f64 / n_img;
            }
        }
        for (((w, pairs), rng), d) in wanted
            .iter()
            .zip(&shared)
            .zip(&mut pair_rngs)
            .zip(&mut draws)
        {
            if pairs.len() >= 2 {
                d.push(
                    rng,
                    pairs,
                    (&acc[w.a], &acc[w.b]),
                    (&observed[w.a], &observed[w.b]),
                );
            }
        }
        if ranking && r < rank_resamples {
            for ((seeds, members), rng) in cohorts.iter().zip(&mut cohort_rngs) {
                let k = seeds.len();
                for &g in members {
                    means[g] = 0.0;
                }
                for _ in 0..k {
                    let s = rng.random_range(0..k);
                    for &g in members {
                        means[g] += acc[g][s] / k as f64;
                    }
                }
            }
            for (g, d) in rank_draws.iter_mut().enumerate() {
                d.push(1 + means.iter().filter(|&&v| v > means[g]).count());
            }
        }
    }
    Ok(Drawn {
        images,
        shared,
        observed,
        draws,
        ranking,
        rank_draws,
    })
}

/// One comparison's resampled statistics.
pub(super) struct Draws {
    /// A − B over seeds and images.
    pub(super) diffs: Vec<f64>,
    /// A − B over seeds only (the observed accuracies of the drawn seeds).
    pub(super) seeds_only: Vec<f64>,
    /// P(A > B) over the drawn runs.
    pub(super) improvements: Vec<f64>,
    pub(super) ra: Vec<f64>,
    pub(super) rb: Vec<f64>,
}

impl Draws {
    fn with_capacity(n: usize) -> Draws {
        Draws {
            diffs: Vec::with_capacity(n),
            seeds_only: Vec::with_capacity(n),
            improvements: Vec::with_capacity(n),
            ra: Vec::new(),
            rb: Vec::new(),
        }
    }

    /// Draws the shared seeds once more and records the statistics under this resample's
    /// image weights (`acc_*`: every run's weighted accuracy; `obs_*`: its own).
    fn push(
        &mut self,
        rng: &mut ChaCha8Rng,
        pairs: &[(usize, usize)],
        acc: (&[f64], &[f64]),
        obs: (&[f64], &[f64]),
    ) {
        let k = pairs.len();
        self.ra.clear();
        self.rb.clear();
        let mut fixed = 0.0;
        for _ in 0..k {
            let (i, j) = pairs[rng.random_range(0..k)];
            self.ra.push(acc.0[i]);
            self.rb.push(acc.1[j]);
            fixed += obs.0[i] - obs.1[j];
        }
        let diff: f64 = self.ra.iter().zip(&self.rb).map(|(x, y)| x - y).sum();
        self.diffs.push(diff / k as f64);
        self.seeds_only.push(fixed / k as f64);
        self.improvements
            .push(probability_of_improvement(&self.ra, &self.rb));
    }

    /// The intervals, the estimates and McNemar per shared seed.
    pub(super) fn summarise(
        mut self,
        level: f64,
        pairs: &[(usize, usize)],
        runs: (&GroupImages, &GroupImages),
        obs: (&[f64], &[f64]),
        images: usize,
    ) -> ImageComparison {
        let k = pairs.len();
        let (oa, ob): (Vec<f64>, Vec<f64>) =
            pairs.iter().map(|&(i, j)| (obs.0[i], obs.1[j])).unzip();
        let estimate = oa.iter().zip(&ob).map(|(x, y)| x - y).sum::<f64>() / k as f64;
        let per_seed: Vec<(u64, usize, usize, f64)> = pairs
            .iter()
            .map(|&(i, j)| {
                let (x, y) = (runs.0.runs[i], runs.1.runs[j]);
                let (mut only_a, mut only_b) = (0usize, 0usize);
                for (wx, wy) in x.bits.iter().zip(&y.bits) {
                    only_a += (wx & !wy).count_ones() as usize;
                    only_b += (!wx & wy).count_ones() as usize;
                }
                (runs.0.seeds[i], only_a, only_b, mcnemar_p(only_a, only_b))
            })
            .collect();
        let mut ps: Vec<f64> = per_seed.iter().map(|x| x.3).collect();
        ps.sort_by(f64::total_cmp);
        ImageComparison {
            seeds: k,
            images,
            resamples: self.diffs.len(),
            simultaneous: percentile(&mut self.diffs.clone(), estimate, level),
            difference: percentile(&mut self.diffs, estimate, 0.05),
            seeds_only: percentile(&mut self.seeds_only, estimate, 0.05),
            improvement: percentile(
                &mut self.improvements,
                probability_of_improvement(&oa, &ob),
                0.05,
            ),
            mcnemar: McNemar {
                a_better: per_seed.iter().filter(|x| x.3 < 0.05 && x.1 > x.2).count(),
                b_better: per_seed.iter().filter(|x| x.3 < 0.05 && x.2 > x.1).count(),
                median_p: quantile(&ps, 0.5),
                per_seed,
            },
        }
    }
}
