//! `actlab search` end to end on tiny data: the screen by function, the proxy stage with its
//! halving and references, shards and packs, the confirmation, and the report.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::{actlab, block_dataset, interrupt_when, text};

/// A search file over the block dataset in `dir/data` (written here): a `hidden` MLP with
/// `train` lines added to `[base.train]`, the given `[space]` lines, `candidates` and
/// `finalists`; proxy 1 epoch then one halving round. Returns its path.
fn search_file(
    dir: &Path,
    hidden: &str,
    train: &str,
    space: &str,
    budget: (usize, usize),
) -> PathBuf {
    let data = dir.join("data");
    block_dataset(&data, 320, 64);
    let config = dir.join("search.toml");
    let (candidates, finalists) = budget;
    let file = format!(
        "[base.model]\npreset = \"prelu-mlp\"\nhidden = {hidden}\n[base.data]\ndir = \"{}\"\n\
         validation_size = 32\n[base.train]\nbatch_size = 32\n{train}[base.backend]\n\
         name = \"ndarray\"\n[space]\n{space}[budget]\ncandidates = {candidates}\n\
         proxy = {{ epochs = 1, seeds = [7001] }}\nhalving = {{ keep = 0.5, rounds = 1 }}\n\
         finalists = {finalists}\n[confirm]\nbaselines = [\"relu\"]\nseeds = [1, 2]\n\
         tune = {{ lr = [1e-3] }}\n",
        data.display()
    );
    std::fs::write(&config, file).unwrap();
    config
}

/// `actlab search --screen` on a small space whose functions are known: x·x, x·σ(x), σ(x)²,
/// x + σ(x), 2σ(x), and 2x (linear); everything with exp(x) overflows before 1e4.
#[test]
fn search_screens_a_known_space_by_function() {
    let tmp = tempfile::tempdir().unwrap();
    let config = search_file(
        tmp.path(),
        "[16, 16, 16]",
        "",
        "unary = [\"x\", \"sigmoid(x)\", \"exp(x)\"]\nbinary = [\"a * b\", \"b * a\", \"a + b\"]\n",
        (300, 2),
    );
    let file = std::fs::read_to_string(&config).unwrap();
    let out_dir = tmp.path().join("out");
    let args = [
        "search",
        config.to_str().unwrap(),
        "--screen",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let out = actlab(&args, tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let screen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("screen.json")).unwrap())
            .unwrap();
    let count = |reason: &str| {
        screen["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reason"] == reason)
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(screen["generated"], 300);
    assert_eq!(screen["unique"], 6, "{screen}");
    assert_eq!(count("linear"), 1);
    assert_eq!(count("constant"), 0);
    let survivors = screen["survivors"].as_array().unwrap();
    assert_eq!(
        300,
        count("not_finite") + count("duplicate") + 6,
        "the funnel adds up"
    );
    assert_eq!(
        6,
        1 + count("vanishing_gradient") + count("exploding_gradient") + survivors.len() as u64
    );
    // Every survivor is an activation that validates as pasted into a config.
    for s in survivors {
        let a: actlab_format::activation::ActivationConfig =
            serde_json::from_value(s["activation"].clone()).unwrap();
        a.validate("survivor").unwrap();
        assert!(!a.label().contains("exp"), "{}", a.label());
    }
    let md = std::fs::read_to_string(out_dir.join("screen.md")).unwrap();
    assert!(md.contains("| unique functions | 6 |"), "{md}");

    // Without --screen: the survivors train on the proxy (1 epoch, then the better half to 2),
    // ranked on validation accuracy, and the best 2 are the finalists.
    let full = [
        "search",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--jobs",
        "2",
        "--quiet",
    ];
    let out = actlab(&full, tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let proxy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("proxy.json")).unwrap())
            .unwrap();
    let standings = proxy.as_array().unwrap();
    assert_eq!(standings.len(), survivors.len());
    let finalists: Vec<&serde_json::Value> =
        standings.iter().filter(|s| s["finalist"] == true).collect();
    assert_eq!(finalists.len(), 2.min(survivors.len()));
    assert!(finalists.iter().all(|s| s["epoch"] == 2));
    // The confirmation: a sweep file of the finalists (named after their candidates) and the
    // baseline, run by compare on the confirmation's seeds — where the test set is first read.
    let sweep = actlab_format::sweep::SweepConfig::load(&out_dir.join("confirm.toml")).unwrap();
    assert_eq!(sweep.grid.activations.len(), finalists.len() + 1);
    assert_eq!(sweep.grid.seeds.values(), [1, 2]);
    assert_eq!(sweep.tune.as_ref().unwrap().seeds, [2001, 2002]);
    let results = std::fs::read_to_string(out_dir.join("confirm/report/results.csv")).unwrap();
    for f in &finalists {
        let name = f["candidate"].as_str().unwrap();
        assert!(results.contains(name), "{name}: {results}");
        assert!(
            out_dir
                .join(format!("confirm/{name}-s1/summary.json"))
                .is_file()
        );
    }
    assert!(results.contains("relu"), "{results}");
    // The test set is never read: no proxy run has a summary or test predictions, and none
    // trained past the last rung.
    for entry in std::fs::read_dir(out_dir.join("proxy")).unwrap() {
        let run = entry.unwrap().path();
        if !run.join("metrics.csv").is_file() {
            continue;
        }
        assert!(!run.join("summary.json").exists(), "{}", run.display());
        assert!(!run.join("predictions.bin").exists(), "{}", run.display());
        let epochs = std::fs::read_to_string(run.join("metrics.csv"))
            .unwrap()
            .lines()
            .count()
            - 1;
        assert!((1..=2).contains(&epochs), "{}: {epochs}", run.display());
    }
    // The baseline trained on the same proxy as a reference: to the last rung and no further.
    let reference = std::fs::read_to_string(out_dir.join("proxy/relu-s7001/metrics.csv")).unwrap();
    assert_eq!(reference.lines().count() - 1, 2, "{reference}");
    check_report(&out_dir, standings);
    // Run again: everything is re-derived from the run directories, nothing is trained, and the
    // standings are the same.
    let rerun = actlab(&full, tmp.path());
    assert!(rerun.status.success(), "{}", text(&rerun.stderr));
    assert!(
        !text(&rerun.stderr).contains("run(s) to epoch"),
        "{}",
        text(&rerun.stderr)
    );
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("proxy.json")).unwrap())
            .unwrap();
    assert_eq!(again, proxy);
    // A bad file names its field.
    std::fs::write(&config, file.replace("finalists = 2", "finalists = 0")).unwrap();
    let out = actlab(&args, tmp.path());
    assert!(
        text(&out.stderr).contains("budget.finalists"),
        "{}",
        text(&out.stderr)
    );
}

/// A candidate whose proxy run fails (SGD at a learning rate of 1e4: some candidates' loss is
/// non-finite at once) is tried twice, set aside under `proxy/failed/`, and the search goes on
/// with the others instead of stopping.
#[test]
fn search_sets_aside_candidates_whose_runs_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let config = search_file(
        tmp.path(),
        "[16]",
        "optimizer = { kind = \"sgd\", lr = 1e4 }\n",
        "unary = [\"x\", \"sigmoid(x)\"]\nbinary = [\"a * b\"]\n",
        (20, 1),
    );
    let out_dir = tmp.path().join("out");
    let args = [
        "search",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
        "--proxy-only",
    ];
    let out = actlab(&args, tmp.path());
    let said = text(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("set aside"), "{said}");
    let proxy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("proxy.json")).unwrap())
            .unwrap();
    let standings = proxy.as_array().unwrap();
    let failed: Vec<&serde_json::Value> =
        standings.iter().filter(|s| s["failed"] == true).collect();
    assert!(!failed.is_empty(), "{proxy}");
    assert!(failed.iter().all(|s| s["finalist"] == false));
    let markers = std::fs::read_dir(out_dir.join("proxy/failed"))
        .unwrap()
        .count();
    assert_eq!(markers, failed.len());
    // The others were ranked, and one is the finalist (or, if all failed, none is — said so).
    let finalists = standings.iter().filter(|s| s["finalist"] == true).count();
    if failed.len() < standings.len() {
        assert_eq!(finalists, 1, "{proxy}");
    } else {
        assert!(said.contains("no finalist"), "{said}");
    }
}

/// The value of column `name` in the last line of a CSV file.
fn last_value(file: &Path, name: &str) -> f64 {
    let text = std::fs::read_to_string(file).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == name).unwrap();
    text.lines()
        .last()
        .unwrap()
        .split(',')
        .nth(column)
        .unwrap()
        .parse()
        .unwrap()
}

/// Ranks 1…n with ties averaged, counted directly: 1 + (values below) + (ties − 1) / 2.
fn ranks(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .map(|v| {
            let below = values.iter().filter(|w| *w < v).count() as f64;
            let equal = values.iter().filter(|w| *w == v).count() as f64;
            1.0 + below + (equal - 1.0) / 2.0
        })
        .collect()
}

/// search.json, search.md and search.html after a confirmed search: every number in the
/// confirmation table is the proxy's or compare's, and ρ is the rank correlation of the two.
fn check_report(out_dir: &Path, standings: &[serde_json::Value]) {
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out_dir.join(name)).unwrap()).unwrap()
    };
    let report = read("search.json");
    let results = read("confirm/report/results.json");
    let confirmation = &report["confirmation"];
    assert_eq!(confirmation["baseline"], "relu");
    let rows = confirmation["rows"].as_array().unwrap();
    let finalists = standings.iter().filter(|s| s["finalist"] == true).count();
    assert_eq!(rows.len(), finalists + 1, "{confirmation}");
    let mut pairs = Vec::new();
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let result = results["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap();
        assert_eq!(row["test"]["mean"], result["accuracy"]["mean"], "{name}");
        let proxy = row["proxy"].as_f64().unwrap();
        let want = if name == "relu" {
            assert!(row["formula"].is_null() && row["verdict"].is_null());
            last_value(&out_dir.join("proxy/relu-s7001/metrics.csv"), "val_acc")
        } else {
            assert_eq!(row["verdict"], result["vs_baseline"]["verdict"], "{name}");
            let s = standings.iter().find(|s| s["candidate"] == name).unwrap();
            s["val_accuracy"].as_f64().unwrap()
        };
        assert!((proxy - want).abs() < 1e-12, "{name}: {proxy} vs {want}");
        pairs.push((proxy, row["test"]["mean"].as_f64().unwrap()));
    }
    let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let (rx, ry) = (ranks(&x), ranks(&y));
    let mean = (rx.len() as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mean) * (b - mean);
        sxx += (a - mean).powi(2);
        syy += (b - mean).powi(2);
    }
    if sxx > 0.0 && syy > 0.0 {
        let rho = report["spearman"]["rho"].as_f64().unwrap();
        assert!((rho - sxy / (sxx * syy).sqrt()).abs() < 1e-12, "{report}");
        assert_eq!(report["spearman"]["n"], rows.len());
    } else {
        assert!(report["spearman"].is_null(), "no spread, no rho: {report}");
    }
    let md = std::fs::read_to_string(out_dir.join("search.md")).unwrap();
    for part in [
        "## The screen",
        "## The proxy stage",
        "| relu | `relu` |",
        "![finalists and references](plots/activations.svg)",
        "## Confirmation",
        "## Did the proxy predict the confirmation?",
    ] {
        assert!(md.contains(part), "{part}: {md}");
    }
    let html = std::fs::read_to_string(out_dir.join("search.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("is missing"),
        "{html}"
    );
}

/// Two shards (packing the proxy runs two at a time) share the proxy stage and the
/// confirmation; each leaves the report to a last `actlab search` without `--shard`, which
/// trains nothing and writes it.
#[test]
fn search_shards_and_packs_then_one_last_run_writes_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let config = search_file(
        tmp.path(),
        "[16]",
        "",
        "unary = [\"x\", \"sigmoid(x)\", \"tanh(x)\"]\nbinary = [\"a * b\", \"a + b\"]\n",
        (40, 2),
    );
    let out_dir = tmp.path().join("out");
    let shard = |i: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_actlab"))
            .args(["search", config.to_str().unwrap(), "--out"])
            .arg(&out_dir)
            .args(["--shard", i, "--pack", "2", "--quiet"])
            .current_dir(tmp.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let shards = [shard("1/2"), shard("2/2")];
    for child in shards {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert!(
        !out_dir.join("search.json").exists(),
        "a shard writes no report"
    );
    let packed = std::fs::read_dir(out_dir.join("proxy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|run| !actlab_format::state::packed_with(run).is_empty())
        .count();
    assert!(packed >= 2, "some proxy runs trained in packs of 2");
    let last = actlab(
        &[
            "search",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    let said = text(&last.stderr);
    assert!(last.status.success(), "{said}");
    assert!(
        !said.contains("run(s) to epoch") && !said.contains("test accuracy"),
        "{said}"
    );
    let standings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("proxy.json")).unwrap())
            .unwrap();
    check_report(&out_dir, standings.as_array().unwrap());
}

/// Ctrl-C in the proxy stage, then again in the confirmation: each time the search stops with
/// its runs checkpointed, and resumed to its end it gives the report of a search never stopped,
/// to the last digit.
#[test]
fn an_interrupted_search_resumes_at_any_stage_to_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let config = search_file(
        tmp.path(),
        "[16, 16]",
        "",
        "unary = [\"x\", \"sigmoid(x)\", \"tanh(x)\"]\nbinary = [\"a * b\", \"a + b\"]\n",
        (40, 2),
    );
    let args = |out: &Path| {
        vec![
            "search".to_string(),
            config.to_str().unwrap().to_string(),
            "--out".to_string(),
            out.to_str().unwrap().to_string(),
            "--quiet".to_string(),
        ]
    };
    let plain = tmp.path().join("plain");
    let argv = args(&plain);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = actlab(&argv, tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stopped = tmp.path().join("stopped");
    let argv = args(&stopped);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    for trigger in ["proxy/configs", "confirm/tune/configs"] {
        let out = interrupt_when(&argv, tmp.path(), &stopped.join(trigger), || {});
        let said = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(130),
            "{trigger}: {:?} {said}",
            out.status
        );
        assert!(said.contains("interrupted"), "{trigger}: {said}");
    }
    let out = actlab(&argv, tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let read = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("search.json")).unwrap()).unwrap()
    };
    let (a, b) = (read(&plain), read(&stopped));
    for part in ["proxy", "references", "confirmation", "spearman"] {
        assert_eq!(a[part], b[part], "{part}");
    }
}
