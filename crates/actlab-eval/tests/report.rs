//! Reports from synthetic run directories written by the test.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use actlab_eval::output::report::{csv, markdown, write};
use actlab_eval::report::{build_report, collect_runs};
use actlab_eval::stats::{self, TestKind};
use actlab_eval::verdict::Verdict;
mod common;

use common::{summary, write_run};

#[test]
fn statistics_tests_and_files_from_run_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let relu = [0.880, 0.884, 0.879, 0.882, 0.881];
    let prelu = [0.890, 0.892, 0.889, 0.893, 0.888];
    let tanh = [0.875, 0.886, 0.872, 0.889, 0.880];
    for (seed, ((r, p), t)) in (1..=5).zip(relu.iter().zip(&prelu).zip(&tanh)) {
        write_run(tmp.path(), &summary("relu", "relu", seed, *r));
        write_run(
            tmp.path(),
            &summary("prelu", "prelu(init=0.25, shared)", seed, *p),
        );
        write_run(tmp.path(), &summary("tanh", "tanh", seed, *t));
    }
    // A sigmoid group with other seeds: Welch's test.
    for (seed, a) in [(11, 0.80), (12, 0.81), (13, 0.79)] {
        write_run(tmp.path(), &summary("sigmoid", "sigmoid", seed, a));
    }
    // Not a run, and a broken one: skipped with a reason, never fatal.
    std::fs::create_dir_all(tmp.path().join("notes")).unwrap();
    std::fs::create_dir_all(tmp.path().join("broken")).unwrap();
    std::fs::write(tmp.path().join("broken/summary.json"), "{").unwrap();

    let (runs, skipped) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    assert_eq!(runs.len(), 18);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(runs[0].history.len(), 3);

    let report = build_report(&runs, "relu");
    assert_eq!(report.baseline, "relu");
    assert!(report.baseline_found);
    let names: Vec<&str> = report.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["prelu(init=0.25, shared)", "relu", "tanh", "sigmoid"],
        "best first"
    );

    let p = &report.results[0];
    assert_eq!(p.n, 5);
    assert_eq!(p.seeds, [1, 2, 3, 4, 5]);
    assert!((p.accuracy.mean - stats::mean(&prelu)).abs() < 1e-12);
    assert!((p.std - stats::sample_std(&prelu)).abs() < 1e-12);
    let half = 2.776_445 * stats::sample_std(&prelu) / 5f64.sqrt();
    assert!((p.accuracy.high - p.accuracy.mean - half).abs() < 1e-6);
    assert_eq!((p.min, p.max), (0.888, 0.893));
    assert_eq!(p.epoch_seconds, 2.0);
    let (what, slope, _) = p.learned.clone().unwrap();
    assert_eq!(what, "PReLU slope");
    assert!((slope - 0.23).abs() < 1e-6);
    // Same seeds as the baseline: a paired test, and PReLU is clearly better.
    let versus = p.vs_baseline.as_ref().unwrap();
    assert_eq!(versus.test.test, TestKind::Paired);
    let expected = stats::paired_t(&prelu, &relu);
    assert!((versus.test.p - expected.p).abs() < 1e-12);
    assert!((versus.test.difference.mean - 0.0092).abs() < 1e-9);
    assert_eq!(versus.judgement.verdict, Verdict::Better);
    // tanh: noisy, undecided; sigmoid: other seeds → Welch, worse.
    assert_eq!(
        report.results[2]
            .vs_baseline
            .as_ref()
            .unwrap()
            .judgement
            .verdict,
        Verdict::Undecided
    );
    let sigmoid = report.results[3].vs_baseline.as_ref().unwrap();
    assert_eq!(sigmoid.test.test, TestKind::Welch);
    assert_eq!(sigmoid.judgement.verdict, Verdict::Worse);
    assert!(
        report.results[1].vs_baseline.is_none(),
        "the baseline is not compared with itself"
    );
    assert!(
        (report.sampling_half_width - stats::binomial_half_width(p.accuracy.mean, 10_000)).abs()
            < 1e-12
    );

    // Holm over the three comparisons with relu, by hand: sort the raw p-values, multiply by
    // 3, 2, 1, keep a running maximum.
    let raw: Vec<f64> = [0, 2, 3]
        .iter()
        .map(|&i| report.results[i].vs_baseline.as_ref().unwrap().test.p)
        .collect();
    let mut sorted = raw.clone();
    sorted.sort_by(f64::total_cmp);
    let mut running = 0.0f64;
    let by_rank: Vec<f64> = sorted
        .iter()
        .enumerate()
        .map(|(k, p)| {
            running = running.max(((3 - k) as f64 * p).min(1.0));
            running
        })
        .collect();
    for (&i, p) in [0, 2, 3].iter().zip(&raw) {
        let rank = sorted.iter().position(|q| q == p).unwrap();
        let v = report.results[i].vs_baseline.as_ref().unwrap();
        assert!((v.judgement.p_holm - by_rank[rank]).abs() < 1e-12, "{i}");
        assert!(v.judgement.p_holm >= v.test.p);
    }
    // PReLU vs ReLU, paired: d_z and the minimal detectable difference by hand (t table, df 4).
    let diffs: Vec<f64> = prelu.iter().zip(&relu).map(|(a, b)| a - b).collect();
    let md_ = diffs.iter().sum::<f64>() / 5.0;
    let sd = (diffs.iter().map(|d| (d - md_).powi(2)).sum::<f64>() / 4.0).sqrt();
    assert_eq!(versus.effect_size.kind, "d_z");
    assert!((versus.effect_size.value - md_ / sd).abs() < 1e-9);
    // At α/m, Holm's strictest step, with m = 3 comparisons: t(1 − 0.05/6, 4) = 3.960786
    // (scipy.stats.t.ppf), t(0.8, 4) = 0.940965.
    let mde = 100.0 * (3.960_786 + 0.940_965) * sd / 5f64.sqrt();
    assert!(
        (versus.mde_points - mde).abs() < 1e-4,
        "{}",
        versus.mde_points
    );
    // Sigmoid vs ReLU, Welch: Hedges' g.
    assert_eq!(sigmoid.effect_size.kind, "hedges_g");
    assert!(sigmoid.effect_size.value < -1.0);
    assert!(report.seeds_for_two_tenths.is_some());
    // All pairs of the 4 groups, Holm over 6 tests: each corrected p is at least the raw one,
    // at most 6 times it, and PReLU vs sigmoid (≈ 8.9 points, Welch) stays significant.
    assert_eq!(report.pairs.len(), 6);
    for p in &report.pairs {
        assert!(
            p.judgement.p_holm >= p.test.p
                && p.judgement.p_holm <= (6.0 * p.test.p).min(1.0) + 1e-12
        );
        assert_eq!(p.significant, p.judgement.p_holm < 0.05);
    }
    let top = report
        .pairs
        .iter()
        .find(|p| p.row.starts_with("prelu") && p.column == "sigmoid")
        .unwrap();
    assert!(top.significant && top.test.difference.mean > 0.08);

    let md = markdown(&report, &[]);
    assert!(
        md.contains("| prelu(init=0.25, shared) | 5 | 89.04 |"),
        "{md}"
    );
    assert!(
        md.contains("paired") && md.contains("Welch") && md.contains("better"),
        "{md}"
    );
    let table = csv(&report);
    assert_eq!(table.lines().count(), 5);
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("\"prelu(init=0.25, shared)\",prelu,5,")
    );

    let out = tmp.path().join("report");
    let written = write(&report, &[], &runs, &out).unwrap();
    for name in [
        "report.md",
        "results.csv",
        "results.json",
        "val_accuracy.svg",
        "val_accuracy.png",
        "test_accuracy.svg",
        "test_accuracy.png",
        "train_loss.svg",
        "train_loss.png",
        "pairs.csv",
        "pairs.svg",
        "pairs.png",
    ] {
        assert!(written.contains(&out.join(name)), "{name}");
        assert!(
            std::fs::metadata(out.join(name)).unwrap().len() > 200,
            "{name} is empty"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["results"][0]["n"], 5);
    assert_eq!(json["results"][0]["vs_baseline"]["test"], "paired");
}

#[test]
fn a_missing_baseline_or_directory_is_handled() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..=2 {
        write_run(
            tmp.path(),
            &summary("tanh", "tanh", seed, 0.87 + seed as f64 * 0.001),
        );
    }
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    assert!(!report.baseline_found);
    assert!(report.results[0].vs_baseline.is_none());
    assert!(markdown(&report, &[]).contains("no runs found"));
    let error = collect_runs(&[tmp.path().join("nope")]).unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");
}

#[test]
fn unfinished_and_unreadable_runs_are_listed_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &summary("relu", "relu", 1, 0.88));
    // A run stopped after 2 epochs and 5 steps: a checkpoint, no summary.
    let unfinished = tmp.path().join("unfinished");
    let state = actlab_format::state::TrainState {
        epochs_completed: 2,
        steps_into_epoch: 5,
        ..Default::default()
    };
    actlab_train::run::checkpoint::save_state(&unfinished, 1, &state, b"m", b"o").unwrap();
    // A finished run whose metrics.csv lost a column.
    let damaged = summary("tanh", "tanh", 1, 0.87);
    write_run(tmp.path(), &damaged);
    std::fs::write(
        tmp.path().join(&damaged.name).join("metrics.csv"),
        "epoch,train_loss\n1,0.5\n",
    )
    .unwrap();
    // Numbers no run produces (the report used to spin forever drawing ±1e308).
    for (seed, accuracy) in [(2, 1e308), (3, -1e308)] {
        let mut s = summary("relu", "relu", seed, 0.5);
        s.test_accuracy = accuracy;
        let dir = tmp.path().join(&s.name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("summary.json"), serde_json::to_string(&s).unwrap()).unwrap();
    }
    let (runs, skipped) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert_eq!(
        skipped
            .iter()
            .filter(|s| s.contains("is not an accuracy in [0, 1]"))
            .count(),
        2,
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|s| s.contains("unfinished")
            && s.contains("not finished")
            && s.contains("after 2 epoch(s) and 5 step(s)")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("metrics.csv") && s.contains("train_acc")),
        "{skipped:?}"
    );
}

fn provenance(threads: usize, features: &[&str]) -> actlab_format::provenance::Provenance {
    actlab_format::provenance::Provenance {
        build: actlab_format::provenance::BuildInfo::default(),
        burn_version: "0.22.1".into(),
        backend: "flex".into(),
        device: "default".into(),
        adapter: None,
        cpu_model: Some("Test CPU".into()),
        arch: "x86_64".into(),
        cpu_features: features.iter().map(|f| f.to_string()).collect(),
        cpu_caches: vec!["L1d 32K 8-way".into()],
        logical_cores: 2,
        threads,
        os: "linux".into(),
        dataset: "fashion-mnist".into(),
        dataset_sha256: Default::default(),
    }
}

#[test]
fn the_report_says_which_environments_its_runs_came_from() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..=3 {
        let mut s = summary("relu", "relu", seed, 0.88);
        s.provenance = Some(provenance(2, &["avx2", "fma"]));
        write_run(tmp.path(), &s);
    }
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    assert_eq!(report.environments.len(), 1);
    assert_eq!(report.environments[0].runs, 3);
    let md = markdown(&report, &[]);
    assert!(
        md.contains("Environment: flex on Test CPU, avx2, 2 threads"),
        "{md}"
    );

    // One run from a machine with AVX-512 and one without provenance: three environments,
    // the largest first, and a warning.
    let mut s = summary("relu", "relu", 4, 0.88);
    s.provenance = Some(provenance(2, &["avx2", "fma", "avx512f"]));
    write_run(tmp.path(), &s);
    write_run(tmp.path(), &summary("relu", "relu", 5, 0.88));
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let counts: Vec<usize> = report.environments.iter().map(|e| e.runs).collect();
    assert_eq!(counts, [3, 1, 1]);
    let md = markdown(&report, &[]);
    assert!(md.contains("came from 3 different environments"), "{md}");
    assert!(md.contains("1 run(s): not recorded"), "{md}");
    assert!(md.contains("avx512f"), "{md}");
}

#[test]
fn several_depths_get_a_depth_figure() {
    let tmp = tempfile::tempdir().unwrap();
    let shallow = [0.880, 0.884, 0.879];
    let deep = [0.870, 0.872, 0.869];
    for (seed, (s, d)) in (1..=3).zip(shallow.iter().zip(&deep)) {
        for (layers, acc, tag) in [
            (vec![784, 128, 10], *s, "h1"),
            (vec![784, 128, 128, 10], *d, "h2"),
        ] {
            let mut run = summary("relu", "relu", seed, acc);
            run.name = format!("relu-{tag}-s{seed}");
            run.layers = layers;
            write_run(tmp.path(), &run);
        }
    }
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    assert_eq!(report.results.len(), 2, "one group per depth");
    let series = actlab_eval::plot::comparison::depth_series(&report);
    assert_eq!(series.len(), 1, "one line: relu");
    let points = &series[0].1;
    assert_eq!(points.len(), 2);
    assert_eq!((points[0].0, points[1].0), (1.0, 2.0));
    assert!((points[0].1 - stats::mean(&shallow)).abs() < 1e-12);
    assert!((points[1].1 - stats::mean(&deep)).abs() < 1e-12);
    let half = 4.302_653 * stats::sample_std(&deep) / 3f64.sqrt();
    assert!((points[1].2 - half).abs() < 1e-6);
    let out = tmp.path().join("report");
    write(&report, &[], &runs, &out).unwrap();
    assert!(std::fs::metadata(out.join("depth.svg")).unwrap().len() > 200);

    // With GELU at both depths too, each GELU group is compared with ReLU at its own depth
    // (not with the best ReLU group), Holm over the one comparison at each depth.
    let gelu_deep = [0.880, 0.884, 0.880]; // deep ReLU + 0.010, 0.012, 0.011
    for (seed, (s, d)) in (1..=3).zip(shallow.iter().zip(&gelu_deep)) {
        for (layers, acc, tag) in [
            (vec![784, 128, 10], *s - 0.001, "h1"),
            (vec![784, 128, 128, 10], *d, "h2"),
        ] {
            let mut run = summary("gelu", "gelu", seed, acc);
            run.name = format!("gelu-{tag}-s{seed}");
            run.layers = layers;
            write_run(tmp.path(), &run);
        }
    }
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    assert_eq!(
        report.baselines,
        ["relu [784-128-10]", "relu [784-128-128-10]"]
    );
    assert_eq!(report.baseline, "relu at each hidden shape");
    let gelu = |shape: &str| {
        let r = report
            .results
            .iter()
            .find(|r| r.name == format!("gelu {shape}"))
            .unwrap();
        r.vs_baseline.clone().unwrap()
    };
    let deep_vs = gelu("[784-128-128-10]");
    assert_eq!(deep_vs.baseline, "relu [784-128-128-10]");
    assert!((deep_vs.test.difference.mean - 0.011).abs() < 1e-12);
    // Paired, 2 degrees of freedom: two-sided p = 1 − |t| / √(t² + 2), t = 0.011 / (0.001/√3).
    let t = 0.011 / (0.001 / 3f64.sqrt());
    let p = 1.0 - t / (t * t + 2.0).sqrt();
    assert!(
        (deep_vs.test.p - p).abs() < 1e-6,
        "{} vs {p}",
        deep_vs.test.p
    );
    assert_eq!(
        deep_vs.judgement.p_holm, deep_vs.test.p,
        "a family of one at each depth"
    );
    assert_eq!(gelu("[784-128-10]").baseline, "relu [784-128-10]");
    let md = markdown(&report, &[]);
    assert!(md.contains("at the same hidden layers"), "{md}");
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .unwrap()
            .contains("depth.svg")
    );
}

/// Runs of `kind` at `lr` with these accuracies (seeds 1, 2, …) under `root`.
fn at_rate(root: &std::path::Path, kind: &str, lr: f64, accuracies: &[f64]) {
    for (i, &a) in accuracies.iter().enumerate() {
        let mut s = summary(kind, kind, i as u64 + 1, a);
        s.name = format!("{kind}-lr{lr}-s{}", i + 1);
        s.lr = lr;
        write_run(root, &s);
    }
}

#[test]
fn rates_split_groups_only_when_one_activation_has_several() {
    // A tuned sweep: each activation at its own rate — one group per activation.
    let tmp = tempfile::tempdir().unwrap();
    at_rate(tmp.path(), "relu", 1e-3, &[0.88, 0.89]);
    at_rate(tmp.path(), "tanh", 1e-2, &[0.87, 0.86]);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let names: Vec<String> = build_report(&runs, "relu")
        .results
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["relu", "tanh"]);
    // A rate grid: ReLU at two rates — every group names its rate.
    at_rate(tmp.path(), "relu", 1e-2, &[0.85, 0.86]);
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let names: Vec<String> = build_report(&runs, "relu")
        .results
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["relu lr=0.001", "tanh lr=0.01", "relu lr=0.01"]);
    // A sweep's tuning runs (`tune/`) are not among its results.
    let sweep = tempfile::tempdir().unwrap();
    at_rate(sweep.path(), "relu", 1e-3, &[0.88, 0.89]);
    at_rate(&sweep.path().join("tune"), "relu", 1e-2, &[0.5, 0.5]);
    let (runs, _) = collect_runs(&[sweep.path().to_path_buf()]).unwrap();
    assert_eq!(runs.len(), 2);
}

#[test]
fn rank_changes_compare_positions_among_shared_groups() {
    let shared_dir = tempfile::tempdir().unwrap();
    let tuned_dir = tempfile::tempdir().unwrap();
    // Shared: relu > tanh > sigmoid; tuned: sigmoid > relu > tanh, and gelu only when tuned.
    at_rate(shared_dir.path(), "relu", 1e-3, &[0.90, 0.91]);
    at_rate(shared_dir.path(), "tanh", 1e-3, &[0.88, 0.89]);
    at_rate(shared_dir.path(), "sigmoid", 1e-3, &[0.80, 0.81]);
    at_rate(tuned_dir.path(), "sigmoid", 3e-3, &[0.95, 0.96]);
    at_rate(tuned_dir.path(), "gelu", 1e-3, &[0.94, 0.94]);
    at_rate(tuned_dir.path(), "relu", 1e-3, &[0.90, 0.91]);
    at_rate(tuned_dir.path(), "tanh", 3e-4, &[0.88, 0.89]);
    let report = |dir: &tempfile::TempDir| {
        let (runs, _) = collect_runs(&[dir.path().to_path_buf()]).unwrap();
        build_report(&runs, "relu").results
    };
    let changes =
        actlab_eval::report::tuning::rank_changes(&report(&shared_dir), &report(&tuned_dir));
    let seen: Vec<(String, usize, usize)> = changes
        .into_iter()
        .map(|c| (c.name, c.shared, c.tuned))
        .collect();
    assert_eq!(
        seen,
        [
            ("relu".to_string(), 1, 2),
            ("tanh".to_string(), 2, 3),
            ("sigmoid".to_string(), 3, 1)
        ]
    );
}

/// A long run's curves are drawn from at most `MAX_CURVE_POINTS` bucket means (the report of
/// three 100,000-epoch runs took a minute and wrote 60 MB of SVG when every epoch was drawn
/// and looked up with a scan), and the means are those of the epochs they cover.
#[test]
fn long_runs_draw_bounded_curves_of_bucket_means() {
    use actlab_eval::plot::comparison::{MAX_CURVE_POINTS, epoch_series};
    let tmp = tempfile::tempdir().unwrap();
    let epochs = 2000;
    let val = |seed: u64, e: usize| 0.5 + 0.0001 * e as f64 + 0.01 * seed as f64;
    for kind in ["relu", "gelu"] {
        for seed in 1..=2 {
            write_run(tmp.path(), &summary(kind, kind, seed, 0.85));
            let curve: Vec<f64> = (1..=epochs).map(|e| val(seed, e)).collect();
            common::write_curve(tmp.path(), &format!("{kind}-s{seed}"), &curve);
        }
    }
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let keys = actlab_eval::report::group_keys(&runs);
    let (series, width) = epoch_series(&report, &runs, &keys, |row| row.val_acc);
    assert_eq!(width, epochs.div_ceil(MAX_CURVE_POINTS), "{width}");
    assert_eq!(series.len(), 2);
    for (_, points) in &series {
        assert_eq!(points.len(), epochs.div_ceil(width));
        // The first bucket: epochs 1..=width; per epoch the mean over seeds 1, 2 and their
        // sample std (0.01/√2), averaged over the bucket.
        let mean = (1..=width)
            .map(|e| (val(1, e) + val(2, e)) / 2.0)
            .sum::<f64>()
            / width as f64;
        let epoch = (1..=width).sum::<usize>() as f64 / width as f64;
        let (x, m, s) = points[0];
        assert!((x - epoch).abs() < 1e-9, "{x} vs {epoch}");
        assert!((m - mean).abs() < 1e-12, "{m} vs {mean}");
        assert!((s - 0.01 / 2f64.sqrt()).abs() < 1e-9, "{s}");
    }
    let out = tmp.path().join("report");
    write(&report, &[], &runs, &out).unwrap();
    let svg = std::fs::read_to_string(out.join("val_accuracy.svg")).unwrap();
    assert!(svg.contains(&format!("means of {width} epochs")));
    assert!(svg.len() < 250_000, "{} bytes", svg.len());
}

#[test]
fn the_same_function_under_two_names_enters_each_family_once() {
    let tmp = tempfile::tempdir().unwrap();
    let relu = [0.880, 0.884, 0.879, 0.882];
    let silu = [0.886, 0.889, 0.884, 0.887];
    let tanh = [0.878, 0.885, 0.874, 0.880];
    for (i, seed) in (1..=4).enumerate() {
        write_run(tmp.path(), &summary("relu", "relu", seed, relu[i]));
        write_run(tmp.path(), &summary("silu", "silu", seed, silu[i]));
        // Swish with β = 1 is SiLU: the same runs, bit for bit.
        let swish = summary("swish", "swish(beta=1, fixed)", seed, silu[i]);
        write_run(tmp.path(), &swish);
        write_run(tmp.path(), &summary("tanh", "tanh", seed, tanh[i]));
        // The same test accuracies as SiLU but another training curve: a different function.
        write_run(tmp.path(), &summary("gelu", "gelu", seed, silu[i]));
        common::write_curve(tmp.path(), &format!("gelu-s{seed}"), &[0.5, 0.6, 0.7]);
    }
    let (runs, _) = collect_runs(&[tmp.path().to_path_buf()]).unwrap();
    let report = build_report(&runs, "relu");
    let row = |name: &str| report.results.iter().find(|r| r.name == name).unwrap();
    assert_eq!(row("swish(beta=1, fixed)").same_as.as_deref(), Some("silu"));
    for name in ["silu", "gelu", "tanh", "relu"] {
        assert_eq!(row(name).same_as, None, "{name}");
    }
    // The family is gelu, silu, tanh: m = 3, Holm by hand over their three paired tests.
    let raw: Vec<f64> = [&silu, &silu, &tanh]
        .iter()
        .map(|a| stats::paired_t(&a[..], &relu).p)
        .collect();
    let holm = stats::holm(&raw);
    let judged = |name: &str| row(name).vs_baseline.clone().unwrap().judgement;
    assert_eq!(judged("tanh").family_size, 3);
    assert!((judged("tanh").p_holm - holm[2]).abs() < 1e-12);
    assert!((judged("silu").p_holm - holm[0]).abs() < 1e-12);
    // The twin carries its comparison.
    assert_eq!(judged("swish(beta=1, fixed)"), judged("silu"));
    // Pairs: four groups, six pairs, none of them the twin's.
    assert_eq!(report.pairs.len(), 6);
    assert!(
        report
            .pairs
            .iter()
            .all(|p| p.row != "swish(beta=1, fixed)" && p.column != "swish(beta=1, fixed)")
    );
    // SiLU − GELU is 0 at every seed: no spread, no test, not counted in m.
    assert!(report.pairs.iter().all(|p| p.judgement.family_size == 5));
    let md = markdown(&report, &[]);
    assert!(md.contains("(= silu: same runs, counted once)"), "{md}");
    assert!(
        md.contains("Family: m = 3 comparisons") && md.contains("swish(beta=1, fixed) = silu"),
        "{md}"
    );
    assert!(
        md.contains("All 5 pairs (1 more without any spread"),
        "{md}"
    );
}
