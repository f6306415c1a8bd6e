//! Verdicts that decide, through the real binary on a tiny synthetic dataset: per-image
//! predictions in every run (`predictions.bin`, and what `eval` does with them), the report's
//! image-level section, and seeds until decided (`[grid] seeds = { start, step, max }`,
//! `--until-decided`): only what is undecided is trained, look by look, resumably, and
//! `actlab report` repeats the decisions.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use actlab_format::run::{RunSummary, TestPredictions};
use common::{actlab, block_dataset, text};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A sweep file over the block dataset in `dir/data` with `grid` and `compare` lines.
fn sweep(dir: &Path, name: &str, grid: &str, compare: &str) -> PathBuf {
    let data = dir.join("data");
    if !data.exists() {
        block_dataset(&data, 256, 64);
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[base.data]\ndir = \"{}\"\n\
             validation_size = 32\n[base.train]\nepochs = 1\nbatch_size = 32\n\
             [base.backend]\nname = \"ndarray\"\n[output]\ntensorboard = false\n\
             [grid]\nactivations = [\"relu\", \"tanh\", \"silu\", \
             {{ kind = \"swish\", beta = 1.0 }}]\n{grid}\n[compare]\n{compare}\n",
            data.display()
        ),
    )
    .unwrap();
    path
}

/// The finished runs' names under `dir`.
fn runs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("summary.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn row<'a>(results: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {results}"))
}

#[test]
fn an_open_design_trains_every_look_the_twin_once_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    // No margin: nothing can be equivalent, and on this data tanh and silu stay within noise
    // of ReLU, so every look is needed.
    let file = sweep(
        tmp.path(),
        "open",
        "seeds = { start = 2, step = 1, max = 4 }",
        "",
    );
    let out = actlab(
        &["compare", file.to_str().unwrap(), "--jobs", "2", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for look in [
        "look 1 (2 seeds each)",
        "look 2 (3 seeds each)",
        "look 3 (4 seeds each)",
    ] {
        assert!(stderr.contains(look), "{look}: {stderr}");
    }
    let dir = tmp.path().join("runs/open");
    let results = json(&dir.join("report/results.json"));
    let design = &results["sequential"]["design"];
    assert_eq!(design["looks"], serde_json::json!([2, 3, 4]), "{results}");
    assert_eq!(design["spending"], "obrien_fleming");
    // Who ran what: decided comparisons stop; the twin (Swish β = 1 = SiLU) stays at look 1.
    let names = runs(&dir);
    let twin = row(&results, "swish(beta=1, fixed)");
    assert_eq!(twin["same_as"], "silu", "{twin}");
    assert_eq!(twin["n"], 2, "{twin}");
    for group in ["relu", "tanh", "silu"] {
        let r = row(&results, group);
        let n = r["n"].as_u64().unwrap() as usize;
        let seq = &r["vs_baseline"]["sequential"];
        if group != "relu" {
            let decided = seq["decided_at"].as_u64();
            // Open to the end (4 seeds), or stopped at the look that decided it.
            let expected = decided.map_or(4, |k| [2, 3, 4][k as usize - 1]);
            assert_eq!(n, expected, "{group}: {r}");
            assert_eq!(seq["seeds"], n, "{r}");
            assert_eq!(r["vs_baseline"]["p_holm"], serde_json::Value::Null, "{r}");
            let verdict = r["vs_baseline"]["verdict"].as_str().unwrap();
            assert!(["better", "worse", "undecided"].contains(&verdict), "{r}");
        }
        for seed in 1..=n {
            assert!(
                names.contains(&format!("{group}-s{seed}")),
                "{group} {seed}: {names:?}"
            );
        }
    }
    assert_eq!(
        row(&results, "relu")["n"],
        4,
        "the baseline gets every seed needed"
    );
    let report = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(report.contains("## Seeds until decided"), "{report}");
    assert!(report.contains("## Per-image comparisons"), "{report}");

    // Every run has per-image predictions that agree with its summary.
    for name in &names {
        let run = dir.join(name);
        let p = TestPredictions::read(&run).unwrap().unwrap();
        let s = RunSummary::load(&run).unwrap();
        assert_eq!(
            (p.len(), p.correct_count()),
            (s.test_samples, s.test_correct)
        );
        assert_eq!(p.dataset, "fashion-mnist");
    }

    // `report` repeats the decisions from compare.json's design, byte for byte.
    let first = std::fs::read_to_string(dir.join("report/results.json")).unwrap();
    let again = tmp.path().join("again");
    let out = actlab(
        &[
            "report",
            dir.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = std::fs::read_to_string(again.join("results.json")).unwrap();
    assert_eq!(
        first, second,
        "a report is deterministic (seeded bootstrap)"
    );

    // A later look's run lost: compare retrains exactly it and reports the same.
    std::fs::remove_dir_all(dir.join("relu-s4")).unwrap();
    let out = actlab(&["compare", file.to_str().unwrap(), "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("seeds: 1 run(s) for look 3"), "{stderr}");
    assert_eq!(runs(&dir), names);
    let third = std::fs::read_to_string(dir.join("report/results.json")).unwrap();
    let strip = |s: &str| {
        // The environment line holds timings; compare the verdicts and statistics.
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        (v["results"].clone(), v["sequential"].clone())
    };
    assert_eq!(strip(&third).1, strip(&first).1);
    for group in ["tanh", "silu"] {
        assert_eq!(
            row(&json(&dir.join("report/results.json")), group)["vs_baseline"]["verdict"],
            row(&serde_json::from_str(&first).unwrap(), group)["vs_baseline"]["verdict"]
        );
    }
}

#[test]
fn a_wide_margin_decides_everything_at_the_first_look() {
    let tmp = tempfile::tempdir().unwrap();
    // A list of seeds made sequential by --until-decided: looks at 4 and 8 seeds. (With 2
    // seeds, 1 degree of freedom, not even ±100 points passes O'Brien–Fleming's first look.)
    let file = sweep(tmp.path(), "wide", "seeds = [1, 2, 3, 4]", "margin = 100.0");
    let out = actlab(
        &[
            "compare",
            file.to_str().unwrap(),
            "--until-decided",
            "8",
            "--quiet",
        ],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("looks at [4, 8] seeds"), "{stderr}");
    let dir = tmp.path().join("runs/wide");
    // Everything is within ±100 points: equivalent at look 1, nothing more trained.
    assert_eq!(runs(&dir).len(), 16, "{:?}", runs(&dir));
    let results = json(&dir.join("report/results.json"));
    for group in ["tanh", "silu"] {
        let v = &row(&results, group)["vs_baseline"];
        assert_eq!(v["verdict"], "equivalent", "{v}");
        assert_eq!(v["sequential"]["decided_at"], 1, "{v}");
    }
    assert_eq!(results["sequential"]["runs"], 16);
    assert_eq!(results["sequential"]["fixed_runs"], 32);
    let report = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(report.contains("16 runs trained of the 32"), "{report}");
    assert!(
        report.contains("**equivalent** (±100.00) (look 1, 4 seeds)"),
        "{report}"
    );

    // Bad designs are one line naming the field.
    for (grid, want) in [
        (
            "seeds = { start = 1, step = 1, max = 4 }",
            "2 ≤ start ≤ max",
        ),
        ("seeds = { start = 2, stp = 1, max = 4 }", "stp"),
        ("seeds = { start = 2, step = 1, max = 30 }", "at most 20"),
        (
            "seeds = { start = 2, step = 1, max = 4 }\nlr = [1e-3, 3e-3]",
            "grid.lr",
        ),
    ] {
        let bad = sweep(tmp.path(), "bad", grid, "");
        let out = actlab(&["compare", bad.to_str().unwrap()], tmp.path());
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{grid}");
        assert!(
            stderr.contains("grid") && stderr.contains(want),
            "{grid}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
    let out = actlab(
        &[
            "compare",
            sweep(tmp.path(), "gap", "seeds = [1, 3]", "")
                .to_str()
                .unwrap(),
            "--until-decided",
        ],
        tmp.path(),
    );
    assert!(
        text(&out.stderr).contains("consecutive seeds"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn eval_writes_predictions_where_training_left_none_and_never_over_them() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep(tmp.path(), "one", "seeds = [1, 2]", "");
    let out = actlab(&["compare", file.to_str().unwrap(), "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("runs/one");
    let run = dir.join("tanh-s1");
    let eval = |run: &Path| {
        let out = actlab(&["eval", run.to_str().unwrap()], tmp.path());
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let original = std::fs::read(run.join("predictions.bin")).unwrap();
    assert!(eval(&run).contains("equals training's predictions.bin"));
    assert_eq!(
        std::fs::read(run.join("predictions.bin")).unwrap(),
        original
    );
    assert!(!run.join("eval-predictions.bin").exists());
    // A run from before predictions existed: eval adds them, the same bytes training wrote.
    std::fs::remove_file(run.join("predictions.bin")).unwrap();
    assert!(eval(&run).contains("predictions.bin added"));
    assert_eq!(
        std::fs::read(run.join("predictions.bin")).unwrap(),
        original
    );
    // Training's file edited (another test set, say): eval keeps it and writes its own beside.
    let mut edited = TestPredictions::read(&run).unwrap().unwrap();
    edited.predicted[0] = (edited.predicted[0] + 1) % 10;
    edited.write(&run).unwrap();
    assert!(eval(&run).contains("1 of 64 images predicted differently"));
    assert!(run.join("eval-predictions.bin").is_file());
    // The report leaves a corrupt file out with a line saying why, and the rest stays.
    std::fs::write(dir.join("relu-s2/predictions.bin"), b"not ours").unwrap();
    let out = actlab(&["report", dir.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(
        report.contains("relu-s2/predictions.bin: not an actlab predictions file"),
        "{report}"
    );
    assert!(
        report.contains("runs had per-image predictions"),
        "{report}"
    );
}

#[test]
fn sources_are_varied_apart_paired_and_their_shares_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let crossed = sweep(
        tmp.path(),
        "sources",
        "seeds = { init = [1, 2], data = [1, 2, 3] }",
        "",
    );
    let out = actlab(
        &[
            "compare",
            crossed.to_str().unwrap(),
            "--jobs",
            "2",
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tmp.path().join("runs/sources");
    let names = runs(&dir);
    assert_eq!(names.len(), 4 * 6, "{names:?}");
    assert!(names.contains(&"relu-s2-d3".to_string()), "{names:?}");
    let summary = |run: &str| RunSummary::load(&dir.join(run)).unwrap();
    assert_eq!(
        (summary("tanh-s2-d1").seed, summary("tanh-s2-d1").data_seed),
        (2, Some(1))
    );
    // A data seed equal to the seed is the plain run, bit for bit; another one changes it.
    let plain = sweep(tmp.path(), "plain", "seeds = [1]", "");
    let out = actlab(&["compare", plain.to_str().unwrap(), "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let alone = RunSummary::load(&tmp.path().join("runs/plain/relu-s1")).unwrap();
    let same = summary("relu-s1-d1");
    assert_eq!(same.test_accuracy.to_bits(), alone.test_accuracy.to_bits());
    assert_eq!(
        same.final_train_loss.to_bits(),
        alone.final_train_loss.to_bits()
    );
    assert_ne!(
        summary("relu-s1-d2").final_train_loss.to_bits(),
        same.final_train_loss.to_bits()
    );
    // The report pairs on (seed, data seed) and splits each group's spread.
    let results = json(&dir.join("report/results.json"));
    let tanh = row(&results, "tanh");
    assert_eq!(tanh["vs_baseline"]["test"], "paired", "{tanh}");
    assert_eq!(tanh["vs_baseline"]["df"], 5.0, "{tanh}");
    assert_eq!(
        tanh["data_seeds"],
        serde_json::json!([1, 2, 3, 1, 2, 3]),
        "{tanh}"
    );
    let v = &tanh["variance"];
    assert_eq!(
        (v["init_seeds"].as_u64(), v["data_seeds"].as_u64()),
        (Some(2), Some(3))
    );
    // The components from the six accuracies by hand (two-way ANOVA, no replication).
    let acc = |s: u64, d: u64| summary(&format!("tanh-s{s}-d{d}")).test_accuracy;
    let y: Vec<Vec<f64>> = (1..=2)
        .map(|s| (1..=3).map(|d| acc(s, d)).collect())
        .collect();
    let grand = y.iter().flatten().sum::<f64>() / 6.0;
    let rows: Vec<f64> = y.iter().map(|r| r.iter().sum::<f64>() / 3.0).collect();
    let cols: Vec<f64> = (0..3).map(|j| (y[0][j] + y[1][j]) / 2.0).collect();
    let ms_init = 3.0 * rows.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let ms_res = (0..2)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .map(|(i, j)| (y[i][j] - rows[i] - cols[j] + grand).powi(2))
        .sum::<f64>()
        / 2.0;
    let want_init = ((ms_init - ms_res) / 3.0).max(0.0);
    assert!(
        (v["init"].as_f64().unwrap() - want_init).abs() < 1e-15,
        "{v}"
    );
    assert!((v["rest"].as_f64().unwrap() - ms_res).abs() < 1e-15, "{v}");
    let report = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(
        report.contains("## Where the spread comes from"),
        "{report}"
    );
    assert!(report.contains("| tanh | 2 × 3 |"), "{report}");

    // Bad source seeds: one line naming the field.
    for (grid, want) in [
        ("seeds = { init = [1, 2], data = [] }", "grid.seeds.data"),
        ("seeds = { init = [1, 1], data = [1] }", "grid.seeds.init"),
        ("seeds = { init = [1, 2] }", "both init and data"),
        ("seeds = { init = [1], data = [1], start = 2 }", "not both"),
    ] {
        let bad = sweep(tmp.path(), "bad", grid, "");
        let out = actlab(&["compare", bad.to_str().unwrap()], tmp.path());
        let stderr = text(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(want),
            "{grid}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}
