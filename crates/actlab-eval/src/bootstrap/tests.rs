#![allow(clippy::unwrap_used)]
use super::*;
use crate::test_rng::Xorshift;

#[test]
fn mcnemar_matches_scipy_binomtest() {
    // scipy.stats.binomtest(b, b + c, 0.5).pvalue (scipy 1.17.1).
    for (b, c, want) in [
        (3, 12, 0.035_156_25),
        (40, 60, 0.056_887_933_640_980_89),
        (0, 5, 0.0625),
        (7, 7, 1.0),
        (150, 210, 0.001_834_007_417_096_482),
    ] {
        let got = mcnemar_p(b, c);
        assert!((got - want).abs() < 1e-9 * want.max(1e-3), "{b} {c}: {got}");
        assert_eq!(mcnemar_p(c, b), got, "symmetric");
    }
    // By hand: P(X ≤ 3), X ~ Bin(15, ½) = (1 + 15 + 105 + 455) / 2¹⁵.
    assert!((mcnemar_p(3, 12) - 2.0 * 576.0 / 32768.0).abs() < 1e-12);
    assert_eq!(mcnemar_p(0, 0), 1.0);
}

#[test]
fn probability_of_improvement_is_mann_whitney_u_over_nm() {
    // scipy.stats.mannwhitneyu(a, b).statistic / (n·m).
    assert_eq!(
        probability_of_improvement(&[0.1, 0.3, 0.5, 0.5], &[0.2, 0.5, 0.4]),
        0.5
    );
    let a = [0.8861, 0.8874, 0.8840, 0.8869, 0.8852];
    let b = [0.8850, 0.8866, 0.8851, 0.8848, 0.8849];
    assert!((probability_of_improvement(&a, &b) - 0.72).abs() < 1e-12);
    assert_eq!(probability_of_improvement(&[1.0], &[0.0]), 1.0);
    assert_eq!(probability_of_improvement(&[0.0], &[1.0]), 0.0);
}

/// Runs of two activations as real networks behave: each test image has a persistent chance
/// of being right for A and for B (mostly near 0 or 1, so seeds agree on most images), drawn
/// from a population; each seed's network then gets it right with that chance. Returns A's
/// and B's runs, per seed.
fn crossed_runs(rng: &mut Xorshift, images: usize, seeds: usize) -> (Vec<Correct>, Vec<Correct>) {
    // (share of the population, chance A is right, chance B is right).
    const KINDS: [(f64, f64, f64); 4] = [
        (0.80, 0.98, 0.98),
        (0.08, 0.90, 0.20),
        (0.07, 0.15, 0.85),
        (0.05, 0.05, 0.05),
    ];
    let chances: Vec<(f64, f64)> = (0..images)
        .map(|_| {
            let mut u = rng.uniform();
            for (share, a, b) in KINDS {
                if u < share {
                    return (a, b);
                }
                u -= share;
            }
            (0.05, 0.05)
        })
        .collect();
    let run = |rng: &mut Xorshift, pick: fn(&(f64, f64)) -> f64| {
        Correct::new(
            &chances
                .iter()
                .map(|c| rng.uniform() < pick(c))
                .collect::<Vec<_>>(),
        )
    };
    let a = (0..seeds).map(|_| run(rng, |c| c.0)).collect();
    let b = (0..seeds).map(|_| run(rng, |c| c.1)).collect();
    (a, b)
}

/// The population's true A − B of [`crossed_runs`]: 0.08·0.7 − 0.07·0.7.
const CROSSED_TRUTH: f64 = 0.007;

fn mean_var(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (
        m,
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64,
    )
}

#[test]
fn the_bootstrap_has_the_crossed_designs_variance() {
    // Closed form of one resample: k seeds drawn with replacement, and one multinomial draw of
    // the N images weighting every run. With x(s,i) = A right − B right on image i at seed s,
    // m_i and v_i its mean and (population) variance over seeds, d_s the seed's difference,
    // d̄ and σ²_b their mean and variance:
    //   E Δ* = d̄,  Var Δ* = σ²_b / k + (1/N²)·[Σ_i (m_i² + v_i/k) − N·(d̄² + σ²_b / k)].
    // The seeds-only resample (images fixed) has the first term alone.
    let (images, k) = (400usize, 6usize);
    let mut rng = Xorshift(3);
    let (a, b) = crossed_runs(&mut rng, images, k);
    let seeds: Vec<u64> = (1..=k as u64).collect();
    let (ra, rb): (Vec<&Correct>, Vec<&Correct>) = (a.iter().collect(), b.iter().collect());
    let x =
        |s: usize, i: usize| f64::from(u8::from(a[s].get(i))) - f64::from(u8::from(b[s].get(i)));
    let (n, kf) = (images as f64, k as f64);
    let d: Vec<f64> = (0..k)
        .map(|s| (0..images).map(|i| x(s, i)).sum::<f64>() / n)
        .collect();
    let d_bar = d.iter().sum::<f64>() / kf;
    let between = d.iter().map(|v| (v - d_bar).powi(2)).sum::<f64>() / kf;
    let mut images_term = 0.0;
    for i in 0..images {
        let m = (0..k).map(|s| x(s, i)).sum::<f64>() / kf;
        let v = (0..k).map(|s| (x(s, i) - m).powi(2)).sum::<f64>() / kf;
        images_term += m * m + v / kf;
    }
    let want = between / kf + (images_term - n * (d_bar * d_bar + between / kf)) / (n * n);
    let groups = [
        GroupImages {
            seeds: &seeds,
            runs: &ra,
        },
        GroupImages {
            seeds: &seeds,
            runs: &rb,
        },
    ];
    let wanted = [Wanted {
        a: 0,
        b: 1,
        level: 0.05,
    }];
    let resamples = 40_000;
    let drawn = draw(&groups, &["a", "b"], &wanted, resamples, 0).unwrap();
    let (m, v) = mean_var(&drawn.draws[0].diffs);
    // Monte Carlo: the mean within 4 standard errors; the variance within 4% (its relative
    // standard error at 40,000 draws is about 0.7%).
    assert!(
        (m - d_bar).abs() < 4.0 * (want / resamples as f64).sqrt(),
        "{m} vs {d_bar}"
    );
    assert!((v / want - 1.0).abs() < 0.04, "variance {v} vs {want}");
    let (m2, v2) = mean_var(&drawn.draws[0].seeds_only);
    assert!((m2 - d_bar).abs() < 4.0 * (between / kf / resamples as f64).sqrt());
    assert!(
        (v2 / (between / kf) - 1.0).abs() < 0.04,
        "{v2} vs {}",
        between / kf
    );
    // Here the images are most of the width: what the seeds-only interval leaves out.
    assert!(want > 2.0 * between / kf, "{want} vs {}", between / kf);
}

#[test]
fn the_interval_covers_a_known_truth_where_seeds_only_and_nested_resampling_do_not() {
    // Each experiment draws its own test set of 500 images from the population and trains 6
    // seeds of each activation; the truth is the population's difference.
    let (experiments, images, k) = (200, 500usize, 6usize);
    let mut rng = Xorshift(99);
    let (mut crossed, mut seeds_only, mut nested) = (0, 0, 0);
    let inside = |low: f64, high: f64| usize::from(low <= CROSSED_TRUTH && CROSSED_TRUTH <= high);
    for e in 0..experiments {
        let (a, b) = crossed_runs(&mut rng, images, k);
        let seeds: Vec<u64> = (1..=k as u64).collect();
        let (ra, rb): (Vec<&Correct>, Vec<&Correct>) = (a.iter().collect(), b.iter().collect());
        let groups = [
            GroupImages {
                seeds: &seeds,
                runs: &ra,
            },
            GroupImages {
                seeds: &seeds,
                runs: &rb,
            },
        ];
        let name = format!("a{e}");
        let wanted = [Wanted {
            a: 0,
            b: 1,
            level: 0.05,
        }];
        let analysis = analyse(&groups, &[&name, "b"], &wanted, 1_000, 0).unwrap();
        let c = analysis.comparisons[0].clone().unwrap();
        crossed += inside(c.difference.low, c.difference.high);
        // The seed-level paired t interval (the report's seed-only test).
        let diffs: Vec<f64> = ra
            .iter()
            .zip(&rb)
            .map(|(x, y)| (x.count() as f64 - y.count() as f64) / images as f64)
            .collect();
        let t = crate::stats::paired_t(&diffs, &vec![0.0; k]).difference;
        seeds_only += inside(t.low, t.high);
        // Nested resampling: images drawn afresh within every drawn seed.
        let mut values: Vec<f64> = (0..400)
            .map(|_| {
                (0..k)
                    .map(|_| {
                        let s = (rng.uniform() * k as f64) as usize;
                        (0..images)
                            .map(|_| {
                                let i = (rng.uniform() * images as f64) as usize;
                                f64::from(u8::from(a[s].get(i))) - f64::from(u8::from(b[s].get(i)))
                            })
                            .sum::<f64>()
                            / images as f64
                    })
                    .sum::<f64>()
                    / k as f64
            })
            .collect();
        let nested_ci = percentile(&mut values, 0.0, 0.05);
        nested += inside(nested_ci.low, nested_ci.high);
    }
    let rate = |c: usize| c as f64 / experiments as f64;
    println!(
        "known truth Δ = {CROSSED_TRUTH} ({experiments} experiments of {k} seeds × {images} \
         images): 95% intervals cover it in {:.3} (seeds and images, crossed), {:.3} (seeds \
         only, paired t), {:.3} (images resampled within each seed, nested)",
        rate(crossed),
        rate(seeds_only),
        rate(nested)
    );
    // A percentile bootstrap over 6 seeds runs a little short of 95%; the others far shorter.
    assert!(rate(crossed) >= 0.9, "{}", rate(crossed));
    assert!(rate(seeds_only) < rate(crossed) - 0.2);
    assert!(rate(nested) < rate(crossed) - 0.1);
}

#[test]
fn a_comparison_reports_mcnemar_per_seed_and_is_deterministic() {
    // Two seeds, 10 images: A right on 0–7, B on 2–9 (seed 1); A on 0–8, B on 0–4 (seed 2).
    let run = |range: std::ops::Range<usize>| {
        Correct::new(&(0..10).map(|i| range.contains(&i)).collect::<Vec<_>>())
    };
    let (a1, a2, b1, b2) = (run(0..8), run(0..9), run(2..10), run(0..5));
    let seeds = [1u64, 2];
    let ga = [&a1, &a2];
    let gb = [&b1, &b2];
    let groups = [
        GroupImages {
            seeds: &seeds,
            runs: &ga,
        },
        GroupImages {
            seeds: &seeds,
            runs: &gb,
        },
    ];
    let wanted = [Wanted {
        a: 0,
        b: 1,
        level: 0.05 / 3.0,
    }];
    let pair = |names: [&str; 2]| {
        analyse(&groups, &names, &wanted, 2_000, 0)
            .unwrap()
            .comparisons[0]
            .clone()
            .unwrap()
    };
    let c = pair(["a", "b"]);
    assert_eq!((c.seeds, c.images, c.resamples), (2, 10, 2_000));
    // Seed 1: only A right on 0, 1; only B on 8, 9. Seed 2: only A on 5–8: p = 2/16.
    let first = c.mcnemar.per_seed[0];
    assert_eq!((first.0, first.1, first.2), (1, 2, 2));
    assert!((first.3 - 1.0).abs() < 1e-12);
    assert_eq!((c.mcnemar.per_seed[1].1, c.mcnemar.per_seed[1].2), (4, 0));
    assert!((c.mcnemar.per_seed[1].3 - 0.125).abs() < 1e-12);
    assert_eq!((c.mcnemar.a_better, c.mcnemar.b_better), (0, 0));
    // Δ = ((0.8 − 0.8) + (0.9 − 0.5)) / 2 = 0.2; P(A > B) over {0.8, 0.9} vs {0.8, 0.5}:
    // (½ + 1 + 1 + 1) / 4 = 0.875.
    assert!((c.difference.mean - 0.2).abs() < 1e-12);
    assert!((c.improvement.mean - 0.875).abs() < 1e-12);
    assert!(c.simultaneous.low <= c.difference.low && c.difference.high <= c.simultaneous.high);
    assert_eq!(pair(["a", "b"]), c, "seeded: the same report twice");
    assert_ne!(
        pair(["a2", "b"]).difference,
        c.difference,
        "each comparison its own stream"
    );
    // One shared seed is not a comparison; runs on other test sets are an error.
    let one = [2u64];
    let lone = [
        GroupImages {
            seeds: &one,
            runs: &ga[..1],
        },
        groups[1],
    ];
    let analysis = analyse(&lone, &["a", "b"], &wanted, 100, 0).unwrap();
    assert_eq!(analysis.comparisons, vec![None]);
    let other = Correct::new(&[true; 11]);
    let odd = [&other];
    let mixed = [
        groups[0],
        GroupImages {
            seeds: &one,
            runs: &odd,
        },
    ];
    assert_eq!(
        analyse(&mixed, &["a", "b"], &wanted, 100, 0).unwrap_err(),
        ImagesError::Images(10, 11)
    );
}

#[test]
fn rank_intervals_are_tight_when_groups_are_far_apart() {
    let images = 1_000;
    let mut rng = Xorshift(5);
    let seeds: Vec<u64> = (1..=5).collect();
    // Accuracies 0.60, 0.70, 0.90, 0.902 (the last two close).
    let levels = [0.6, 0.7, 0.9, 0.902];
    let runs: Vec<Vec<Correct>> = levels
        .iter()
        .map(|&p| {
            (0..5)
                .map(|_| Correct::new(&(0..images).map(|_| rng.uniform() < p).collect::<Vec<_>>()))
                .collect()
        })
        .collect();
    let refs: Vec<Vec<&Correct>> = runs.iter().map(|r| r.iter().collect()).collect();
    let groups: Vec<GroupImages> = refs
        .iter()
        .map(|r| GroupImages {
            seeds: &seeds,
            runs: r,
        })
        .collect();
    let names = ["p60", "p70", "p90", "p902"];
    let wanted = [Wanted {
        a: 3,
        b: 2,
        level: 0.05,
    }];
    let analysis = analyse(&groups, &names, &wanted, 2_000, 2_000).unwrap();
    let r = analysis.ranks.unwrap();
    assert_eq!((r[0].rank, r[0].low, r[0].high), (4, 4, 4));
    assert_eq!((r[1].rank, r[1].low, r[1].high), (3, 3, 3));
    // The close pair shares ranks 1–2, and its pairwise interval straddles 0.
    assert_eq!((r[2].low, r[2].high), (1, 2), "{:?}", r[2]);
    assert_eq!((r[3].low, r[3].high), (1, 2), "{:?}", r[3]);
    let c = analysis.comparisons[0].clone().unwrap();
    assert!(c.difference.low < 0.0 && c.difference.high > 0.0, "{c:?}");
}
