//! The comparison report's files: `report.md`, `results.csv`, `results.json` and the plots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{json, write_texts};
use crate::claims::Claim;
use crate::error::EvalError;
use crate::plot::comparison;
use crate::report::{ActivationResult, Report, RunRecord, group_keys};
use crate::stats::{self, TestKind};
use actlab_format::sweep::compare::Correction;

use crate::verdict::{Judgement, Verdict};

pub use super::results_csv::{csv, pairs_csv};

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}", 100.0 * v)
    } else {
        "–".into()
    }
}

/// A group's accuracy statistics, each formatted by `format`: mean, std, CI low, CI high, min,
/// max (the columns report.md and results.csv share).
pub(super) fn accuracy_cells(r: &ActivationResult, format: impl Fn(f64) -> String) -> [String; 6] {
    [
        r.accuracy.mean,
        r.std,
        r.accuracy.low,
        r.accuracy.high,
        r.min,
        r.max,
    ]
    .map(format)
}

/// Where the runs came from: one line, or a list (and a warning) when they came from several
/// environments, whose numbers need not agree bit for bit.
fn environment_lines(report: &Report) -> String {
    match report.environments.as_slice() {
        [] => String::new(),
        [one] => format!("Environment: {}.\n\n", one.description),
        many => {
            let mut out = format!(
                "**The runs came from {} different environments** (the same config gives \
                 bit-identical numbers only within one; see `actlab reproduce`):\n\n",
                many.len()
            );
            for env in many {
                out.push_str(&format!("- {} run(s): {}\n", env.runs, env.description));
            }
            out.push('\n');
            out
        }
    }
}

/// `report.md`: the table, the note on significance, the claims (when given) and the plots.
pub fn markdown(report: &Report, claims: &[Claim]) -> String {
    let mut md = String::from("# Activation comparison\n\n");
    md.push_str(&format!(
        "{} runs on {}, {} epoch(s) each, test accuracy on {} images. Sorted by mean test \
         accuracy; 95% confidence intervals are Student t over seeds.\n\n",
        report.runs,
        report.datasets.join(", "),
        report.epochs,
        report.test_images
    ));
    md.push_str(&environment_lines(report));
    if report.packed_runs > 0 {
        md.push_str(&format!(
            "{} of {} runs were trained in packs (`compare --pack`): each is its own model, \
             whose numbers agree with training it alone up to floating-point rounding; its \
             s/epoch is its share of its pack's time.\n\n",
            report.packed_runs, report.runs
        ));
    }
    md.push_str(&results_table(report));
    md.push_str(&significance_note(report));
    md.push_str(&super::images::sequential_markdown(report));
    md.push_str(&super::images::markdown(report));
    md.push_str(&super::images::sources_markdown(report));
    md.push_str(&pairs_note(report));
    md.push_str(&super::tuning::markdown(report));
    if !claims.is_empty() {
        md.push_str(&super::claims::markdown(claims));
    }
    if (2..=crate::plot::pairs::MAX_GROUPS).contains(&report.results.len()) {
        md.push_str("\n![all pairs](pairs.svg)\n");
    }
    if !crate::plot::comparison::depth_series(report).is_empty() {
        md.push_str("\n![test accuracy vs depth](depth.svg)\n");
    }
    md.push_str("\n![validation accuracy](val_accuracy.svg)\n\n![test accuracy](test_accuracy.svg)\n\n![training loss](train_loss.svg)\n");
    md
}

/// The leaderboard: one row per group, with its comparison with the baseline.
fn results_table(report: &Report) -> String {
    let mut md = String::from(
        "| activation | n | mean acc % | std | 95% CI | rank (95%) | min–max | s/epoch | params | learned | vs baseline (Δ points, simultaneous 95% CI, corrected p) | effect | MDE (points) | verdict |\n",
    );
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &report.results {
        let learned = r.learned.as_ref().map_or(String::new(), |(what, m, s)| {
            if s.is_finite() {
                format!("{what} {m:.3} ± {s:.3}")
            } else {
                format!("{what} {m:.3}")
            }
        });
        let (versus, power, mut verdict) = versus_cells(report, r);
        if let Some(twin) = &r.same_as {
            verdict.push_str(&format!(" (= {twin}: same runs, counted once)"));
        }
        let [mean, std, low, high, min, max] = accuracy_cells(r, pct);
        let rank = super::images::rank_cell(r.rank.as_ref());
        md.push_str(&format!(
            "| {} | {} | {mean} | {std} | [{low}, {high}] | {rank} | {min}–{max} | {:.2} | {} \
             | {learned} | {versus} | {power} | {verdict} |\n",
            r.name, r.n, r.epoch_seconds, r.params,
        ));
    }
    md
}

/// A row's comparison with the baseline: (Δ with CI and p-values, effect | MDE | seeds,
/// verdict).
fn versus_cells(report: &Report, r: &ActivationResult) -> (String, String, String) {
    let Some(v) = &r.vs_baseline else {
        let what = if report.baselines.contains(&r.name) {
            "baseline"
        } else {
            "–"
        };
        return (what.into(), " | ".into(), String::new());
    };
    let test = match v.test.test {
        TestKind::Paired => "paired",
        TestKind::Welch => "Welch",
    };
    let j = &v.judgement;
    let equivalence = j.p_equivalence_holm.map_or(String::new(), |p| {
        format!(", equivalence Holm {}", stats::p_text(p))
    });
    let versus = match j.sequential {
        // A group-sequential verdict: the repeated interval, and the look's p-value against
        // the boundary's nominal level.
        Some(look) => format!(
            "{:+.2} [{:+.2}, {:+.2}], {} at {} seeds (boundary at α/m: p < {}) ({test})",
            100.0 * v.test.difference.mean,
            100.0 * j.simultaneous.low,
            100.0 * j.simultaneous.high,
            stats::p_text(v.test.p),
            look.seeds,
            nominal_text(look.nominal),
        ),
        None => format!(
            "{:+.2} [{:+.2}, {:+.2}], {} {}{equivalence} ({test}{})",
            100.0 * v.test.difference.mean,
            100.0 * j.simultaneous.low,
            100.0 * j.simultaneous.high,
            match j.correction {
                Correction::Holm => "Holm",
                Correction::MaxT => "max-T",
            },
            stats::p_text(j.p_holm),
            match v.family.as_str() {
                "baseline comparisons" => String::new(),
                family => format!(", {family}"),
            },
        ),
    };
    let power = format!(
        "{} = {:+.2} | {:.2}",
        v.effect_size.kind, v.effect_size.value, v.mde_points,
    );
    (versus, power, verdict_text(j, report.margin))
}

/// A boundary's nominal level, in as many digits as it needs ("0.0032", "4.1e-9").
fn nominal_text(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.4}")
    } else {
        format!("{p:.1e}")
    }
}

/// The verdict as the tables print it: "better", "worse", "equivalent (±0.30)" (with "a
/// smaller real difference" when the difference test also rejects), "undecided (≈ 12 seeds)".
pub fn verdict_text(j: &Judgement, margin: Option<f64>) -> String {
    let at = j.sequential.and_then(|look| {
        look.decided_at
            .map(|k| format!(" (look {k}, {} seeds)", look.seeds))
    });
    let word = verdict_word(j, margin);
    match (at, j.sequential) {
        (Some(at), _) => format!("{word}{at}"),
        (None, Some(look)) if look.open => format!(
            "undecided (open after {} seeds: run `actlab compare` again)",
            look.seeds
        ),
        _ => word,
    }
}

/// The verdict's words without where a sequential design decided it.
fn verdict_word(j: &Judgement, margin: Option<f64>) -> String {
    match j.verdict {
        Verdict::Better | Verdict::Worse => format!("**{}**", j.verdict),
        Verdict::Equivalent => {
            let margin = margin.map_or(String::new(), |m| format!(" (±{m:.2})"));
            let below = if j.below_margin {
                ", a real difference below the margin"
            } else {
                ""
            };
            format!("**equivalent**{margin}{below}")
        }
        Verdict::Undecided => match j.seeds_to_decide {
            Some(n) => format!("undecided (≈ {n} seeds)"),
            None => format!("undecided (> {} seeds)", crate::verdict::MAX_SEEDS),
        },
    }
}

/// What "significant" means here, the test set's own sampling error, and the seeds that would
/// separate 0.2 points.
fn significance_note(report: &Report) -> String {
    let family = if report.baselines.len() > 1 {
        " (each row compared with it at the same hidden layers; Holm over the comparisons at \
         each shape)"
    } else {
        ""
    };
    let equivalence = match report.margin {
        Some(m) => format!(
            " **equivalent** when the two one-sided tests (TOST) at α against a margin of ±{m:.2} \
             points reject, Holm-corrected over the same family (equivalently: the 90% interval, \
             widened by Holm, lies inside ±{m:.2});"
        ),
        None => " equivalence is not judged (no `[compare] margin` / `--margin`: a difference \
                  that would not matter to you, in points);"
            .into(),
    };
    let mut md = format!(
        "\nBaseline: {}{family}{}. Verdicts hold at α = {} family-wise over the table's \
         comparisons with the baseline: **better**/**worse** when the two-sided p-value (paired \
         t-test over shared seeds, Welch's otherwise), Holm-corrected over that family, is below \
         α;{equivalence} otherwise **undecided**, with the seeds (each) that would decide it \
         with power 0.8 at α/m if the observed difference and spread were the truth — a \
         projection, not a promise. The interval beside each Δ is simultaneous over the family \
         (Bonferroni, 1 − α/m): it excludes 0 only beside better, worse, or a real difference \
         below the margin. An equivalent verdict is the TOST's, whose interval is the narrower \
         1 − 2α/m one (`equivalence_interval` in results.json), and Holm's step-down can decide \
         its later steps with less, so beside \"equivalent\" the printed interval may reach past \
         the margin. The raw \
         95% intervals and p-values are in results.csv (`diff_low`, `diff_high`, `p_value`). \
         Intervals and tests include the seeds' spread only, not the test set's sampling \
         error{}. \
         Effect: paired d_z or Hedges' g. MDE: the smallest difference these seeds detect with \
         power 0.8 at α/m, Holm's strictest step. For scale: the test set's own sampling error \
         is about ±{:.2} points for one accuracy of {:.1}% measured on {} images.\n",
        report.baseline,
        if report.baseline_found {
            ""
        } else {
            " (no runs found: no comparisons)"
        },
        report.alpha,
        if report.images.is_some() {
            " (the per-image section adds it)"
        } else {
            ""
        },
        100.0 * report.sampling_half_width,
        report
            .results
            .first()
            .map_or(0.0, |r| 100.0 * r.accuracy.mean),
        report.test_images
    );
    if report.sequential.is_some() {
        md.push_str(
            "\n**Seeds until decided:** the verdicts against the baseline, and the intervals and \
             p-values beside them, are the group-sequential design's (see its section below: each \
             look's paired t-test against its boundary, Holm with α passed on between looks, \
             repeated confidence intervals at α/m), not the fixed-sample Holm rule described \
             above, which still judges the pairs.\n",
        );
    }
    let family_sizes: BTreeSet<usize> = report
        .results
        .iter()
        .filter_map(|r| r.vs_baseline.as_ref())
        .map(|v| v.judgement.family_size)
        .collect();
    if !family_sizes.is_empty() {
        md.push_str(&format!("\n{}", families_line(report)));
        let twins: Vec<String> = report
            .results
            .iter()
            .filter_map(|r| r.same_as.as_ref().map(|t| format!("{} = {t}", r.name)))
            .collect();
        if twins.is_empty() {
            md.push_str(".\n");
        } else {
            md.push_str(&format!(
                "; groups whose runs reproduce another's exactly (the same function under two \
                 names) are counted once, in this family and among the pairs: {}.\n",
                twins.join(", ")
            ));
        }
    }
    if let Some((seeds, sd)) = report.seeds_for_two_tenths {
        md.push_str(&format!(
            "\nTo separate differences of 0.2 points (power 0.8 at α/m, paired, at the median \
             spread of the paired differences here, {:.2} points), run {}.\n",
            100.0 * sd,
            seeds.map_or("more than 1000 seeds".to_string(), |n| format!(
                "≥ {n} seeds"
            ))
        ));
    }
    md
}

/// Which family each p-value belongs to: "Family: m = 11 comparisons (Holm)", or with a
/// declared family "Families: confirmatory (m = 3: gelu, mish, swish; max-T), exploratory
/// (m = 8; Holm)".
fn families_line(report: &Report) -> String {
    // (family, m, correction) → members, in table order.
    type Family<'a> = ((String, usize, &'static str), Vec<&'a str>);
    let mut families: Vec<Family> = Vec::new();
    for r in report.results.iter().filter(|r| r.same_as.is_none()) {
        let Some(v) = &r.vs_baseline else { continue };
        let correction = match (v.judgement.sequential, v.judgement.correction) {
            (Some(_), _) => "group-sequential Holm",
            (None, Correction::Holm) => "Holm",
            (None, Correction::MaxT) => "max-T",
        };
        let key = (v.family.clone(), v.judgement.family_size, correction);
        match families.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&r.name),
            None => families.push((key, vec![&r.name])),
        }
    }
    let described: Vec<String> = families
        .iter()
        .map(|((family, m, correction), names)| match family.as_str() {
            "baseline comparisons" => format!("m = {m} comparisons ({correction})"),
            "confirmatory" => format!("confirmatory (m = {m}: {}; {correction})", names.join(", ")),
            other => format!("{other} (m = {m}; {correction})"),
        })
        .collect();
    match described.len() {
        0 => "Family: none".into(),
        1 => format!("Family: {}", described[0]),
        _ => format!("Families: {}", described.join(", ")),
    }
}

/// The all-pairs tests: which pairs differ, or why they were skipped.
fn pairs_note(report: &Report) -> String {
    let mut md = String::new();
    if report.results.len() > crate::report::MAX_PAIR_GROUPS {
        md.push_str(&format!(
            "\nAll-pairs tests skipped: {} groups (at most {}).\n",
            report.results.len(),
            crate::report::MAX_PAIR_GROUPS
        ));
    }
    if report.pairs.is_empty() {
        return md;
    }
    let decided = |want: &dyn Fn(Verdict) -> bool| -> Vec<String> {
        report
            .pairs
            .iter()
            .filter(|p| want(p.judgement.verdict))
            .map(|p| {
                format!(
                    "{} vs {} ({:+.2} points, Holm {})",
                    p.row,
                    p.column,
                    100.0 * p.test.difference.mean,
                    stats::p_text(p.judgement.p_holm)
                )
            })
            .collect()
    };
    let differ = decided(&|v| matches!(v, Verdict::Better | Verdict::Worse));
    let equivalent = decided(&|v| v == Verdict::Equivalent).len();
    let undecided = decided(&|v| v == Verdict::Undecided).len();
    let untested = report.pairs.iter().filter(|p| p.test.p.is_nan()).count();
    let tested = report.pairs.len() - untested;
    let untested = if untested > 0 {
        format!(" ({untested} more without any spread in their differences: not tested)")
    } else {
        String::new()
    };
    md.push_str(&format!(
        "\nAll {tested} pairs{untested} (`pairs.csv`, `pairs.svg`), judged as one family (Holm \
         over those {tested}): {}; {equivalent} equivalent, {undecided} undecided.\n",
        if differ.is_empty() {
            "none differs".to_string()
        } else {
            format!("differ: {}", differ.join("; "))
        }
    ));
    md
}

/// `results.json`: the report with the claims beside its fields.
#[derive(Serialize)]
struct Comparison<'a> {
    #[serde(flatten)]
    report: &'a Report,
    claims: &'a [Claim],
}

/// Writes `report.md`, `results.csv`, `results.json`, the plots and `report.html` into `out`.
pub fn write(
    report: &Report,
    claims: &[Claim],
    runs: &[RunRecord],
    out: &Path,
) -> Result<Vec<PathBuf>, EvalError> {
    let md = markdown(report, claims);
    let files = [
        ("report.md", md.clone()),
        ("results.csv", csv(report)),
        ("results.json", json(out, &Comparison { report, claims })?),
        ("pairs.csv", pairs_csv(report)),
    ];
    let mut written = write_texts(out, &files)?;
    written.extend(comparison::plot(report, runs, &group_keys(runs), out)?);
    written.extend(crate::plot::pairs::plot(out, report)?);
    if let Some(tuning) = &report.tuning {
        let names = crate::report::tuning::display_names(tuning, &report.results);
        written.extend(crate::plot::lr::plot(&tuning.selection, &names, out)?);
    }
    written.extend(super::tensorboard::write(report, runs, out)?);
    // Last: the page inlines the plots just written.
    let html = super::html::page(&md, runs, out);
    written.extend(write_texts(out, &[("report.html", html)])?);
    Ok(written)
}
