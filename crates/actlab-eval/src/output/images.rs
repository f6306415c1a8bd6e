//! The report's image-level section (the bootstrap over seeds and test images, P(A > B),
//! McNemar per seed) and its "seeds until decided" section, as Markdown.

use crate::report::Report;
use crate::stats::Interval;
use crate::verdict::Verdict;

fn points(i: &Interval) -> String {
    format!("[{:+.2}, {:+.2}]", 100.0 * i.low, 100.0 * i.high)
}

/// A rank with its interval: "2 (1–6)".
pub fn rank_cell(rank: Option<&crate::bootstrap::Rank>) -> String {
    rank.map_or("–".into(), |r| {
        if r.low == r.high {
            format!("{} ({})", r.rank, r.low)
        } else {
            format!("{} ({}–{})", r.rank, r.low, r.high)
        }
    })
}

/// "Per-image comparisons": one row per comparison with a baseline that has them, and what
/// each interval includes.
pub fn markdown(report: &Report) -> String {
    let Some(summary) = &report.images else {
        return String::new();
    };
    let mut md = String::from("\n## Per-image comparisons with the baseline\n\n");
    let rows: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.same_as.is_none())
        .filter_map(|r| {
            let v = r.vs_baseline.as_ref()?;
            let c = v.images.as_ref()?;
            let m = &c.mcnemar;
            Some(format!(
                "| {} | {} | {} | {:+.2} | {} | {} | {} | {:.2} [{:.2}, {:.2}] | {} / {} of {} (median p {:.3}) |\n",
                r.name,
                v.baseline,
                c.seeds,
                100.0 * c.difference.mean,
                points(&c.seeds_only),
                points(&c.difference),
                points(&c.simultaneous),
                c.improvement.mean,
                c.improvement.low,
                c.improvement.high,
                m.a_better,
                m.b_better,
                m.per_seed.len(),
                m.median_p,
            ))
        })
        .collect();
    if rows.is_empty() {
        md.push_str("No comparison has per-image predictions on both sides.\n");
    } else {
        md.push_str(
            "| activation | vs | seeds | Δ points | 95% CI, seeds only | 95% CI, seeds + images | simultaneous CI (1 − α/m), seeds + images | P(better run) [95% CI] | McNemar: seeds where it / the baseline is better |\n|---|---|---|---|---|---|---|---|---|\n",
        );
        for row in rows {
            md.push_str(&row);
        }
    }
    md.push_str(&format!(
        "\nEvery run is scored on the same {} test images, so two activations are paired image \
         by image as well as seed by seed. **Seeds only**: a bootstrap over seeds with the \
         test images held fixed — what the t-tests above measure; it says how these networks \
         differ on *this* test set. **Seeds + images**: each of {} resamples draws the seeds \
         and one resample of the test images that weights every run alike (seeds and images \
         are crossed, not nested), so the interval also holds for new images from the same \
         distribution; the simultaneous one is at the family's level 1 − α/m. **P(better \
         run)**: the probability that a run of the activation scores above a run of the \
         baseline (rliable's probability of improvement; 0.5 = no difference), with its \
         bootstrap interval. **McNemar**: per seed, the two networks of that seed tested on the \
         same images (exact test at 0.05, not corrected over seeds): it asks whether these two \
         trained networks differ, not whether the activations do. Rank (95%) in the \
         leaderboard: each group's rank over the first bootstrap resamples (1 = best). {} of {} \
         runs had per-image predictions (`predictions.bin`).\n",
        report.test_images,
        summary.resamples,
        summary.runs,
        summary.runs + summary.runs_without,
    ));
    for note in &summary.notes {
        md.push_str(&format!("\n- {note}\n"));
    }
    md
}

/// "Seeds until decided": the design, each comparison's look and seeds, the compute spent
/// against a fixed grid, and what is still to train.
pub fn sequential_markdown(report: &Report) -> String {
    let Some(s) = &report.sequential else {
        return String::new();
    };
    let d = &s.design;
    let looks: Vec<String> = d.looks.iter().map(usize::to_string).collect();
    let mut md = format!(
        "\n## Seeds until decided\n\nA group-sequential design: looks at {} seeds \
         ({}-type spending of α over the looks, Lan–DeMets), each comparison stopped once decided \
         and the baseline trained as far as any comparison needs. Holm within each family at \
         every look, with the α of decided comparisons passed on (Maurer & Bretz 2013); a \
         look's p-value (paired t) is compared with its boundary's nominal level. The interval \
         beside each verdict is the repeated confidence interval at α/m, valid at every look \
         at once. {} runs trained of the {} a fixed grid of every seed would train ({:.0}%).\n\n",
        looks.join(", "),
        d.spending.title(),
        s.runs,
        s.fixed_runs,
        100.0 * s.runs as f64 / s.fixed_runs.max(1) as f64,
    );
    md.push_str("| activation | seeds | decided at look | verdict |\n|---|---|---|---|\n");
    for r in &report.results {
        let Some(v) = &r.vs_baseline else { continue };
        let Some(look) = v.judgement.sequential else {
            continue;
        };
        let at = match (look.decided_at, look.open) {
            (Some(k), _) => format!("{k} of {}", look.looks),
            (None, true) => "open".into(),
            (None, false) => format!("not by the last ({})", look.looks),
        };
        md.push_str(&format!(
            "| {} | {} | {at} | {} |\n",
            r.name,
            look.seeds,
            super::report::verdict_text(&v.judgement, report.margin)
        ));
    }
    let decided = report
        .results
        .iter()
        .filter(|r| r.same_as.is_none())
        .filter_map(|r| r.vs_baseline.as_ref())
        .filter(|v| v.judgement.sequential.is_some())
        .map(|v| v.judgement.verdict != Verdict::Undecided)
        .collect::<Vec<_>>();
    md.push_str(&format!(
        "\n{} of {} comparisons decided.",
        decided.iter().filter(|d| **d).count(),
        decided.len()
    ));
    for next in &s.next {
        md.push_str(&format!(
            " Not finished: look {} needs {} seeds of {} (run `actlab compare` again).",
            next.look,
            next.seeds,
            next.groups.join(", ")
        ));
    }
    md.push('\n');
    md
}

/// "Where the spread comes from": each group whose runs cross initialisation and data seeds.
pub fn sources_markdown(report: &Report) -> String {
    let rows: Vec<String> = report
        .results
        .iter()
        .filter_map(|r| {
            let v = r.variance?;
            let total = v.total();
            let share = |x: f64| {
                if total > 0.0 {
                    format!("{:.0}% (sd {:.2})", 100.0 * x / total, 100.0 * x.sqrt())
                } else {
                    "–".into()
                }
            };
            Some(format!(
                "| {} | {} × {} | {:.2} | {} | {} | {} |\n",
                r.name,
                v.init_seeds,
                v.data_seeds,
                100.0 * total.sqrt(),
                share(v.init),
                share(v.data),
                share(v.rest),
            ))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\n## Where the spread comes from\n\n| activation | runs (init × data seeds) | sd of one run (points) | initial weights | data (split and order) | interaction and rest |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        md.push_str(&row);
    }
    md.push_str(&format!(
        "\nEach activation ran every initialisation seed (`[train] seed`: the initial weights) \
         with every data seed (`[train] data_seed`: the validation split and the epochs' \
         order). Variance components of a two-way random-effects ANOVA without replication \
         (negative estimates set to 0); \"interaction and rest\" is what neither seed explains \
         alone. The test set is the same {} images for every run, so its own sampling error \
         (about ±{:.2} points for one accuracy) is not part of this spread: the per-image \
         section measures it.\n",
        report.test_images,
        100.0 * report.sampling_half_width
    ));
    md
}
