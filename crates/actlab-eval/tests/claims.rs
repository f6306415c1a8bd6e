//! The claims' verdict logic on synthetic results with known answers.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;

use actlab_eval::claims::{Claim, Verdict, claims, final_dead_fraction};
use actlab_eval::report::{build_report, collect_runs};
use actlab_format::diagnose::{ActivationDiagnosis, DiagnoseReport, SeedDiagnosis};
use actlab_format::state::LayerDiagnostics;
use common::{summary, write_curve, write_dead, write_run};

fn layer(layer: usize, dead_fraction: Option<f64>, inactive: Option<f64>) -> LayerDiagnostics {
    LayerDiagnostics {
        layer,
        grad_norm: 0.1,
        dead_fraction,
        saturated_fraction: dead_fraction,
        learned_mean: None,
        inactive_fraction: inactive,
    }
}

/// One network of the deep diagnosis: its initial ratio, dead and inactive fractions.
fn network(seed: u64, ratio: f64, dead: f64, inactive: Option<f64>) -> SeedDiagnosis {
    SeedDiagnosis {
        seed,
        initial: vec![
            layer(1, Some(0.0), inactive.map(|_| 0.0)),
            layer(2, None, None),
        ],
        trained: vec![layer(1, Some(dead), inactive), layer(2, None, None)],
        initial_ratio: ratio,
        trained_ratio: ratio,
        first_loss: 2.3,
        last_loss: 1.0,
    }
}

/// A deep diagnosis from each activation's networks (one per seed).
fn deep_of(activations: Vec<(&str, Vec<SeedDiagnosis>)>) -> DiagnoseReport {
    let seeds = activations
        .first()
        .map(|(_, n)| n.iter().map(|s| s.seed).collect())
        .unwrap_or_default();
    DiagnoseReport {
        model: None,
        depth: 10,
        width: 128,
        steps: 200,
        probe_images: 256,
        seeds,
        backend: "flex".into(),
        activations: activations
            .into_iter()
            .map(|(kind, n)| ActivationDiagnosis::from_seeds(kind.into(), kind.into(), n))
            .collect(),
    }
}

/// A deep diagnosis of one network per activation, from before inactive units were measured.
fn deep(sigmoid: f64, tanh: f64, relu: f64) -> DiagnoseReport {
    let activation = |kind: &str, ratio: f64, dead: f64| ActivationDiagnosis {
        activation: kind.into(),
        kind: kind.into(),
        seeds: Vec::new(),
        initial: vec![layer(1, Some(0.0), None), layer(2, None, None)],
        trained: vec![layer(1, Some(dead), None), layer(2, None, None)],
        initial_ratio: ratio,
        trained_ratio: ratio,
        first_loss: 2.3,
        last_loss: 1.0,
    };
    DiagnoseReport {
        model: None,
        depth: 10,
        width: 128,
        steps: 200,
        probe_images: 256,
        seeds: Vec::new(),
        backend: "flex".into(),
        activations: vec![
            activation("sigmoid", sigmoid, 0.0),
            activation("tanh", tanh, 0.0),
            activation("relu", relu, 0.3),
            activation("leaky_relu", 0.5, 0.0),
            activation("prelu", 0.5, 0.0),
        ],
    }
}

/// Writes five seeds of an activation: accuracies `base + k·spread`, a validation curve that
/// reaches 0.88 at `fast_epoch`, and a dead fraction (the same inactive fraction, as for ReLU).
fn group(root: &Path, kind: &str, label: &str, base: f64, fast_epoch: usize, dead: f64) {
    group_with(root, kind, label, base, fast_epoch, dead, Some(dead));
}

/// [`group`] with its inactive fraction (`None`: files from before it), + 0.01 per seed when
/// above 0.
fn group_with(
    root: &Path,
    kind: &str,
    label: &str,
    base: f64,
    fast_epoch: usize,
    dead: f64,
    inactive: Option<f64>,
) {
    for seed in 1..=5u64 {
        let mut s = summary(kind, label, seed, base + 0.001 * seed as f64);
        if kind == "prelu" {
            s.prelu_slopes = Some(vec![vec![0.10 + 0.01 * seed as f32]]);
        }
        write_run(root, &s);
        let curve: Vec<f64> = (1..=4)
            .map(|e| if e >= fast_epoch { 0.90 } else { 0.80 })
            .collect();
        write_curve(root, &s.name, &curve);
        let step = |v: f64| v + 0.01 * seed as f64 * f64::from(u8::from(v > 0.0));
        write_dead(root, &s.name, step(dead), inactive.map(step));
    }
}

fn verdicts(claims: &[Claim]) -> String {
    claims
        .iter()
        .map(|c| match c.verdict {
            Verdict::Supported => 'S',
            Verdict::Contradicted => 'C',
            Verdict::Inconclusive => 'I',
        })
        .collect()
}

#[test]
fn every_claim_supported_when_the_data_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    group(tmp.path(), "relu", "relu", 0.880, 3, 0.2);
    group(
        tmp.path(),
        "leaky_relu",
        "leaky_relu(slope=0.01)",
        0.881,
        3,
        0.0,
    );
    group(
        tmp.path(),
        "prelu",
        "prelu(init=0.25, shared)",
        0.879,
        3,
        0.0,
    );
    group(tmp.path(), "swish", "swish(beta=1, fixed)", 0.890, 1, 0.0);
    group(tmp.path(), "tanh", "tanh", 0.870, 2, 0.0);
    group(tmp.path(), "sigmoid", "sigmoid", 0.860, 4, 0.0);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let relu1 = runs.iter().find(|r| r.summary.name == "relu-s1").unwrap();
    assert!((final_dead_fraction(&relu1.dir).unwrap() - 0.21).abs() < 1e-12);
    let report = build_report(&runs, "relu");
    let found = claims(&report, &runs, Some(&deep(1e-8, 1e-4, 0.5)));
    assert_eq!(found.iter().map(|c| c.id).collect::<String>(), "abcdefg");
    assert_eq!(verdicts(&found), "SSSSSSI", "{found:#?}");
    assert!(
        found[1].evidence.contains("ReLU 23.00%"),
        "{}",
        found[1].evidence
    );
    assert!(found[2].evidence.contains("0.130") && found[2].evidence.contains("0.25"));
    assert!(found[4].evidence.contains("swish 1.00") && found[4].evidence.contains("relu 3.00"));

    // Without the deep network, (a) cannot be judged.
    let found = claims(&report, &runs, None);
    assert_eq!(found[0].verdict, Verdict::Inconclusive);
    assert!(found[0].evidence.contains("actlab diagnose"));
    // ReLU's gradient also vanishing contradicts (a).
    let found = claims(&report, &runs, Some(&deep(1e-8, 1e-4, 1e-3)));
    assert_eq!(found[0].verdict, Verdict::Contradicted);
}

#[test]
fn contradictions_and_missing_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    // No ReLU unit dies; Swish is worse than ReLU and slower; sigmoid beats tanh to the target.
    group(tmp.path(), "relu", "relu", 0.890, 1, 0.0);
    group(
        tmp.path(),
        "leaky_relu",
        "leaky_relu(slope=0.01)",
        0.889,
        1,
        0.0,
    );
    group(
        tmp.path(),
        "prelu",
        "prelu(init=0.25, shared)",
        0.888,
        1,
        0.0,
    );
    group(tmp.path(), "swish", "swish(beta=1, fixed)", 0.870, 3, 0.0);
    group(tmp.path(), "tanh", "tanh", 0.870, 4, 0.0);
    group(tmp.path(), "sigmoid", "sigmoid", 0.871, 2, 0.0);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let found = claims(&report, &runs, None);
    // (c) still moved: the slopes are 0.11–0.15 against 0.25.
    assert_eq!(verdicts(&found), "ICSCCCI", "{found:#?}");

    // The initial slope comes from the runs' activation config, not from their labels.
    let other = tempfile::tempdir().unwrap();
    for seed in 1..=3u64 {
        let mut s = summary("prelu", "prelu(init=0.25, shared)", seed, 0.88);
        s.activation_config = Some(actlab_format::activation::ActivationConfig::Prelu {
            slope: 0.12,
            per_unit: false,
        });
        s.prelu_slopes = Some(vec![vec![0.11 + 0.01 * seed as f32]]);
        write_run(other.path(), &s);
    }
    let (runs, _) = collect_runs(&[other.path().to_path_buf()]).unwrap();
    let found = claims(&build_report(&runs, "relu"), &runs, None);
    assert!(
        found[2].evidence.contains("initial 0.12"),
        "{}",
        found[2].evidence
    );
    assert_eq!(
        found[2].verdict,
        Verdict::Inconclusive,
        "0.12–0.14 around 0.12"
    );

    // A report without ReLU, PReLU or curves: everything is inconclusive, nothing panics.
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &summary("gelu", "gelu", 1, 0.88));
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    assert_eq!(verdicts(&claims(&report, &runs, None)), "IIIIIII");
}

/// Runs of `kind` (relu or swish) with `depth` hidden layers, seeds 1, 2, …
fn at_depth(root: &Path, kind: &str, depth: usize, accuracies: &[f64]) {
    let label = if kind == "swish" {
        "swish(beta=1, fixed)"
    } else {
        "relu"
    };
    for (i, &a) in accuracies.iter().enumerate() {
        let mut s = summary(kind, label, i as u64 + 1, a);
        s.name = format!("{kind}-d{depth}-s{}", i + 1);
        s.layers = std::iter::once(784)
            .chain(std::iter::repeat_n(32, depth))
            .chain(std::iter::once(10))
            .collect();
        write_run(root, &s);
    }
}

#[test]
fn the_advantage_growing_with_depth_is_a_paired_difference_of_differences() {
    let tmp = tempfile::tempdir().unwrap();
    // Swish's advantage per seed: depth 1: +0.01, +0.00, +0.02; depth 3: +0.03, +0.04, +0.05.
    at_depth(tmp.path(), "relu", 1, &[0.80, 0.81, 0.82]);
    at_depth(tmp.path(), "swish", 1, &[0.81, 0.81, 0.84]);
    at_depth(tmp.path(), "relu", 3, &[0.70, 0.71, 0.72]);
    at_depth(tmp.path(), "swish", 3, &[0.73, 0.75, 0.77]);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let g = &claims(&report, &runs, None)[6];
    assert_eq!(g.id, 'g');
    // Growth per seed: 0.02, 0.04, 0.03 → mean 0.03, sd 0.01, t = 0.03/(0.01/√3) = 5.196 on
    // 2 df: two-sided p = 0.0351 (t tables); one comparison, so Holm p = p.
    assert!(
        g.evidence.contains("at 3 hidden layers minus at 1")
            && g.evidence.contains("Δ = +3.00 points")
            && g.evidence.contains("p = 0.035, Holm p = 0.035"),
        "{}",
        g.evidence
    );
    assert_eq!(g.verdict, Verdict::Supported, "{}", g.evidence);

    // The advantage shrinking with depth contradicts the claim.
    let tmp = tempfile::tempdir().unwrap();
    at_depth(tmp.path(), "relu", 1, &[0.80, 0.81, 0.82]);
    at_depth(tmp.path(), "swish", 1, &[0.83, 0.85, 0.87]);
    at_depth(tmp.path(), "relu", 2, &[0.70, 0.71, 0.72]);
    at_depth(tmp.path(), "swish", 2, &[0.70, 0.72, 0.72]);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let g = &claims(&build_report(&runs, "relu"), &runs, None)[6];
    assert_eq!(g.verdict, Verdict::Contradicted, "{}", g.evidence);

    // One depth: the claim does not apply, and says what would make it.
    let tmp = tempfile::tempdir().unwrap();
    at_depth(tmp.path(), "relu", 1, &[0.80, 0.81, 0.82]);
    at_depth(tmp.path(), "swish", 1, &[0.81, 0.81, 0.84]);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let g = &claims(&build_report(&runs, "relu"), &runs, None)[6];
    assert_eq!(g.verdict, Verdict::Inconclusive);
    assert!(g.evidence.contains("[grid] hidden"), "{}", g.evidence);
}

#[test]
fn vanishing_gradients_over_several_seeds_are_an_interval_that_may_straddle_the_cut_off() {
    let three = |ratios: [f64; 3]| -> Vec<SeedDiagnosis> {
        (0..3)
            .map(|i| network(42 + i as u64, ratios[i], 0.0, Some(0.0)))
            .collect()
    };
    let sigmoid = three([1e-8, 2e-8, 5e-9]);
    let tanh = three([1e-4, 3e-4, 2e-4]);
    // ReLU: one seed below 1e-2, two above; log₁₀ mean −1.841 ± t(2)·sd/√3 straddles −2.
    let relu = three([5e-3, 2e-2, 3e-2]);
    let report = deep_of(vec![
        ("sigmoid", sigmoid.clone()),
        ("tanh", tanh.clone()),
        ("relu", relu),
    ]);
    let a = &claims(&build_report(&[], "relu"), &[], Some(&report))[0];
    assert_eq!(a.verdict, Verdict::Inconclusive, "{}", a.evidence);
    // Geometric means and t-intervals on log₁₀ ratios, computed with scipy.stats.t.
    for part in [
        "over 3 initialisation seeds",
        "sigmoid 1.0e-8 [1.8e-9, 5.6e-8]",
        "tanh 1.8e-4 [4.6e-5, 7.2e-4]",
        "ReLU 1.4e-2 [1.4e-3, 1.5e-1]",
        "the verdict depends on the seed for ReLU: 1 of 3 seeds below 1e-2",
    ] {
        assert!(a.evidence.contains(part), "{part}: {}", a.evidence);
    }
    // ReLU clearly above, sigmoid and tanh clearly below: supported.
    let report = deep_of(vec![
        ("sigmoid", sigmoid.clone()),
        ("tanh", tanh),
        ("relu", three([0.2, 0.3, 0.25])),
    ]);
    let a = &claims(&build_report(&[], "relu"), &[], Some(&report))[0];
    assert_eq!(a.verdict, Verdict::Supported, "{}", a.evidence);
    assert!(
        !a.evidence.contains("depends on the seed"),
        "{}",
        a.evidence
    );
    // Tanh clearly above the cut-off: contradicted.
    let report = deep_of(vec![
        ("sigmoid", sigmoid),
        ("tanh", three([0.1, 0.2, 0.15])),
        ("relu", three([0.2, 0.3, 0.25])),
    ]);
    let a = &claims(&build_report(&[], "relu"), &[], Some(&report))[0];
    assert_eq!(a.verdict, Verdict::Contradicted, "{}", a.evidence);
    // One network each (a file from before seeds): its side, and how to get an interval.
    let a = &claims(
        &build_report(&[], "relu"),
        &[],
        Some(&deep(1e-8, 1e-4, 7e-3)),
    )[0];
    assert_eq!(a.verdict, Verdict::Contradicted, "{}", a.evidence);
    assert!(a.evidence.contains("ReLU 7.0e-3") && a.evidence.contains("[diagnose] seeds"));
}

#[test]
fn fewer_dead_units_is_judged_on_a_state_leaky_relu_can_reach() {
    // Runs from before the inactive measure: ReLU dies (20–25%), Leaky ReLU and PReLU show 0%
    // dead — which they cannot miss — so the comparison is not judged.
    let tmp = tempfile::tempdir().unwrap();
    group_with(tmp.path(), "relu", "relu", 0.88, 3, 0.2, None);
    group_with(
        tmp.path(),
        "leaky_relu",
        "leaky_relu(slope=0.01)",
        0.88,
        3,
        0.0,
        None,
    );
    group_with(
        tmp.path(),
        "prelu",
        "prelu(init=0.25, shared)",
        0.88,
        3,
        0.0,
        None,
    );
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let b = &claims(&report, &runs, None)[1];
    assert_eq!(b.verdict, Verdict::Inconclusive, "{}", b.evidence);
    assert!(
        b.evidence.contains("by construction") && b.evidence.contains("ReLU 23.00%"),
        "{}",
        b.evidence
    );
    // The deep diagnosis measured inactive units at 3 seeds: ReLU 30, 32, 31%; Leaky ReLU
    // 5, 6, 4%: paired Δ = −26 points, t(2) = −45.0, p = 0.00049 (scipy.stats.ttest_rel).
    let deep_with = |leaky: [f64; 3]| {
        let nets = |v: [f64; 3]| -> Vec<SeedDiagnosis> {
            (0..3)
                .map(|i| network(42 + i as u64, 0.5, 0.0, Some(v[i])))
                .collect()
        };
        deep_of(vec![
            ("relu", nets([0.30, 0.32, 0.31])),
            ("leaky_relu", nets(leaky)),
            ("prelu", nets(leaky)),
        ])
    };
    let b = &claims(&report, &runs, Some(&deep_with([0.05, 0.06, 0.04])))[1];
    assert_eq!(b.verdict, Verdict::Supported, "{}", b.evidence);
    for part in [
        "dead ReLU units (|f′| ≤ 1e-6 on every probe image; sweep runs, after training): 23.00%",
        "after 200 steps, 3 seeds): ReLU 31.00% [28.52, 33.48] (n = 3)",
        "Leaky − ReLU Δ = -26.00 points",
        "p < 0.001",
    ] {
        assert!(b.evidence.contains(part), "{part}: {}", b.evidence);
    }
    // More inactive Leaky ReLU units than ReLU's: contradicted.
    let b = &claims(&report, &runs, Some(&deep_with([0.40, 0.45, 0.42])))[1];
    assert_eq!(b.verdict, Verdict::Contradicted, "{}", b.evidence);

    // Sweep runs that measured inactive units are preferred to the deep network: Leaky ReLU
    // 5–9% inactive, ReLU 21–25%.
    let tmp = tempfile::tempdir().unwrap();
    group(tmp.path(), "relu", "relu", 0.88, 3, 0.2);
    group_with(
        tmp.path(),
        "leaky_relu",
        "leaky_relu(slope=0.01)",
        0.88,
        3,
        0.0,
        Some(0.04),
    );
    group_with(
        tmp.path(),
        "prelu",
        "prelu(init=0.25, shared)",
        0.88,
        3,
        0.0,
        Some(0.3),
    );
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let b = &claims(&report, &runs, Some(&deep_with([0.05, 0.06, 0.04])))[1];
    assert!(
        b.evidence
            .contains("sweep runs, after training): ReLU 23.00%")
            && b.evidence.contains("Leaky ReLU 7.00%"),
        "{}",
        b.evidence
    );
    // PReLU's 31–35% is more than ReLU's: contradicted, whatever the deep network says.
    assert_eq!(b.verdict, Verdict::Contradicted, "{}", b.evidence);
}
