//! A declared confirmatory family (`[compare] family`) and the max-T correction
//! (`[compare] correction = "max_t"`) in a report built from synthetic run directories.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use actlab_eval::output::report::markdown;
use actlab_eval::report::{ReportOptions, build_report_with, collect_runs};
use actlab_eval::stats;
use actlab_format::sweep::compare::Correction;
mod common;

use common::{summary, write_run};

/// ReLU and five activations over 6 seeds; every group shares ReLU's seed noise.
fn runs(root: &std::path::Path) -> Vec<actlab_eval::report::RunRecord> {
    let noise = [0.000, 0.004, -0.003, 0.002, -0.001, 0.003];
    let shifts = [
        ("relu", 0.0),
        ("gelu", 0.004),
        ("mish", 0.0035),
        ("tanh", -0.002),
        ("elu", 0.001),
        ("selu", -0.0045),
    ];
    for (g, (kind, shift)) in shifts.iter().enumerate() {
        for (s, base) in noise.iter().enumerate() {
            // A group's own wobble, different per group and seed (a fixed scramble).
            let own = 0.0007 * (((g * 13 + s * 7 + g * s * 5) % 11) as f64 - 5.0) / 2.5;
            write_run(
                root,
                &summary(kind, kind, s as u64 + 1, 0.88 + shift + base + own),
            );
        }
    }
    collect_runs(&[root.to_path_buf()]).unwrap().0
}

fn options(family: Option<&[&str]>, correction: Correction) -> ReportOptions {
    ReportOptions {
        family: family.map(|f| f.iter().map(|s| s.to_string()).collect()),
        correction,
        ..ReportOptions::default()
    }
}

#[test]
fn a_declared_family_is_corrected_alone_and_the_rest_is_exploratory() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = runs(tmp.path());
    let all = build_report_with(&runs, "relu", &options(None, Correction::Holm));
    let declared = build_report_with(
        &runs,
        "relu",
        &options(Some(&["gelu", "mish"]), Correction::Holm),
    );
    let row = |report: &actlab_eval::report::Report, name: &str| {
        report
            .results
            .iter()
            .find(|r| r.name == name)
            .unwrap()
            .vs_baseline
            .clone()
            .unwrap()
    };
    // Holm over the two declared comparisons only, by hand from their raw p-values.
    let (g, m) = (row(&declared, "gelu"), row(&declared, "mish"));
    let holm = stats::holm(&[g.test.p, m.test.p]);
    assert_eq!(
        (g.family.as_str(), g.judgement.family_size),
        ("confirmatory", 2)
    );
    assert!((g.judgement.p_holm - holm[0]).abs() < 1e-15);
    assert!((m.judgement.p_holm - holm[1]).abs() < 1e-15);
    // Without the declaration they were corrected over all 5: never less.
    assert_eq!(row(&all, "gelu").judgement.family_size, 5);
    assert!(row(&all, "gelu").judgement.p_holm >= g.judgement.p_holm);
    assert_eq!(row(&all, "gelu").family, "baseline comparisons");
    // The rest: a family of its own, labelled exploratory.
    let t = row(&declared, "tanh");
    assert_eq!(
        (t.family.as_str(), t.judgement.family_size),
        ("exploratory", 3)
    );
    let md = markdown(&declared, &[]);
    assert!(
        md.contains("Families: confirmatory (m = 2: gelu, mish; Holm), exploratory (m = 3; Holm)"),
        "{md}"
    );
    assert!(md.contains(", exploratory)"), "{md}");
}

#[test]
fn max_t_uses_the_shared_baseline_and_is_no_more_conservative_than_holm() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = runs(tmp.path());
    let holm = build_report_with(&runs, "relu", &options(None, Correction::Holm));
    let max_t = build_report_with(&runs, "relu", &options(None, Correction::MaxT));
    // (Holm, max-T): the sums of the adjusted p-values.
    let mut totals = (0.0, 0.0);
    for (h, x) in holm.results.iter().zip(&max_t.results) {
        let (Some(h), Some(x)) = (&h.vs_baseline, &x.vs_baseline) else {
            continue;
        };
        assert_eq!(x.judgement.correction, Correction::MaxT);
        // The step-down max-T adjusted p lies between the raw p and Holm's (up to the null's
        // Monte Carlo error, 4 standard errors at 20,000 draws).
        let se = (x.judgement.p_holm * (1.0 - x.judgement.p_holm) / 20_000.0).sqrt();
        assert!(x.judgement.p_holm >= x.test.p - 4.0 * se, "{x:?}");
        assert!(
            x.judgement.p_holm <= h.judgement.p_holm + 4.0 * se,
            "{x:?} vs {h:?}"
        );
        totals.0 += h.judgement.p_holm;
        totals.1 += x.judgement.p_holm;
        // Its simultaneous interval is narrower than Bonferroni's.
        let width = |j: &actlab_eval::verdict::Judgement| j.simultaneous.high - j.simultaneous.low;
        assert!(width(&x.judgement) < width(&h.judgement));
    }
    // The shared baseline's correlation gains something (here: 0.00100 vs Holm's 0.00128 for
    // the smallest, with correlations near 0.5).
    assert!(totals.1 < totals.0, "{totals:?}");
    let md = markdown(&max_t, &[]);
    assert!(md.contains("Family: m = 5 comparisons (max-T)"), "{md}");
    assert!(md.contains(", max-T p"), "{md}");
}
