//! `actlab compare` on small synthetic sweeps: shards, resume, interruption, and the tuning
//! stage (`[tune]`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::{actlab, block_dataset, interrupt_when, text, val_acc};

#[test]
fn compare_runs_shards_resumes_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    std::fs::write(
        tmp.path().join("tiny-sweep.toml"),
        format!(
            "[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[base.data]\ndir = \"{}\"\n\
             validation_size = 32\n[base.train]\nepochs = 1\nbatch_size = 32\n\
             [base.backend]\nname = \"ndarray\"\n[grid]\nactivations = [\"relu\", \"tanh\"]\n\
             seeds = [1, 2]\n[compare]\nmargin = 0.3\n",
            data.display()
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("runs/tiny-sweep");
    let summary_time = |run: &str| {
        std::fs::metadata(out_dir.join(run).join("summary.json"))
            .unwrap()
            .modified()
            .unwrap()
    };

    // Half the grid, as one task of a job array would.
    let out = actlab(
        &["compare", "tiny-sweep.toml", "--shard", "1/2", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("0 finished, 0 to resume, 2 to train"),
        "{stderr}"
    );
    assert!(stderr.contains("actlab report"), "{stderr}");
    assert!(out_dir.join("relu-s1/summary.json").is_file());
    assert!(out_dir.join("tanh-s1/summary.json").is_file());
    assert!(!out_dir.join("relu-s2").exists());
    let before = summary_time("relu-s1");

    // The whole sweep: the finished half is skipped, not retrained.
    let out = actlab(
        &["compare", "tiny-sweep.toml", "--jobs", "2", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 finished, 0 to resume, 2 to train"),
        "{stderr}"
    );
    assert_eq!(summary_time("relu-s1"), before);
    let report = std::fs::read_to_string(out_dir.join("report/report.md")).unwrap();
    assert!(
        report.contains("| relu | 2 |") && report.contains("| tanh | 2 |"),
        "{report}"
    );
    for file in [
        "results.csv",
        "results.json",
        "test_accuracy.svg",
        "val_accuracy.png",
    ] {
        assert!(out_dir.join("report").join(file).is_file(), "{file}");
    }
    // Shards that finish together both find the sweep complete; the one that finds the report
    // being written (its lock held, here by this test) leaves it to the writer and succeeds.
    let held = std::fs::File::open(out_dir.join("report/.actlab.lock")).unwrap();
    held.lock().unwrap();
    let shard = actlab(
        &["compare", "tiny-sweep.toml", "--shard", "2/2", "--quiet"],
        tmp.path(),
    );
    let shard_err = text(&shard.stderr);
    assert!(shard.status.success(), "{shard_err}");
    assert!(
        shard_err.contains("another shard is writing the report"),
        "{shard_err}"
    );
    drop(held);
    // The sweep's margin is recorded and judged with: one of the four verdicts.
    let verdict = |results: &serde_json::Value| {
        let tanh = results["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "tanh")
            .unwrap();
        tanh["vs_baseline"]["verdict"].as_str().unwrap().to_string()
    };
    let results = json(&out_dir.join("report/results.json"));
    assert_eq!(results["margin"], 0.3, "{results}");
    let words = ["better", "worse", "equivalent", "undecided"];
    assert!(words.contains(&verdict(&results).as_str()), "{results}");
    assert!(report.contains("margin of ±0.30"), "{report}");
    // The last lines: the verdict in one line, and where to look next.
    let verdict_line = format!("against relu: 1 {}", verdict(&results));
    assert!(stderr.contains(&verdict_line), "{stderr}");
    assert!(
        stderr.contains("next: open runs/tiny-sweep/report/report.html")
            && stderr.contains("tensorboard --logdir runs/tiny-sweep"),
        "{stderr}"
    );
    // `--margin` overrides it; a margin of 100 points makes any two activations equivalent
    // once the interval is finite (two seeds, paired).
    let out = actlab(
        &[
            "report",
            "runs/tiny-sweep",
            "--out",
            "wide",
            "--margin",
            "100",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let wide = json(&tmp.path().join("wide/results.json"));
    assert_eq!(wide["margin"], 100.0, "{wide}");
    for bad in ["0", "-1", "x", "inf"] {
        let flag = format!("--margin={bad}");
        let out = actlab(&["report", "runs/tiny-sweep", &flag], tmp.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("margin"), "{bad}: {stderr}");
    }
    // `report` without --margin judges as compare did: the margin is recorded in the sweep
    // directory (so shards merged later, elsewhere, get the same verdicts).
    let out = actlab(&["report", "runs/tiny-sweep", "--out", "again"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json(&tmp.path().join("again/results.json"))["margin"], 0.3);
    let recorded = out_dir.join("compare.json");
    std::fs::write(&recorded, "{\"margin\": -2}").unwrap();
    let out = actlab(&["report", "runs/tiny-sweep", "--out", "again"], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("compare.json") && stderr.contains("not a margin"),
        "{stderr}"
    );
    let out = actlab(
        &[
            "report",
            "runs/tiny-sweep",
            "--out",
            "again",
            "--margin",
            "0.5",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(&recorded, "{\"margin\": 0.3}").unwrap();

    // A run that lost its summary and weights but kept its checkpoint is resumed, not redone.
    std::fs::remove_file(out_dir.join("tanh-s2/summary.json")).unwrap();
    std::fs::remove_file(out_dir.join("tanh-s2/model.bpk")).unwrap();
    let out = actlab(&["compare", "tiny-sweep.toml", "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("3 finished, 1 to resume, 0 to train"),
        "{stderr}"
    );
    assert!(out_dir.join("tanh-s2/summary.json").is_file());

    // Merging run directories from elsewhere: `report` over two roots.
    let other = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::rename(out_dir.join("tanh-s1"), other.join("tanh-s1")).unwrap();
    let out = actlab(
        &["report", "runs/tiny-sweep", "elsewhere", "--out", "merged"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let merged = std::fs::read_to_string(tmp.path().join("merged/report.md")).unwrap();
    assert!(merged.contains("| tanh | 2 |"), "{merged}");
    let out = actlab(&["report", "nowhere"], tmp.path());
    assert_eq!(out.status.code(), Some(1));

    let out = actlab(
        &["compare", "tiny-sweep.toml", "--shard", "3/2"],
        tmp.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("i/N"), "{}", text(&out.stderr));
}

#[test]
fn an_interrupted_compare_resumes_without_retraining_finished_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 3000, 64);
    std::fs::write(
        tmp.path().join("slow.toml"),
        format!(
            "[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[base.data]\ndir = \"{}\"\n\
             validation_size = 32\n[base.train]\nepochs = 3\nbatch_size = 4\n\
             [base.backend]\nname = \"ndarray\"\n[grid]\nactivations = [\"relu\", \"tanh\"]\n\
             seeds = [1, 2]\n",
            data.display()
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("runs/slow");
    let first = out_dir.join("relu-s1/summary.json");
    let mut finished_at = None;
    let out = interrupt_when(
        &["compare", "slow.toml", "--quiet"],
        tmp.path(),
        &first,
        || {
            finished_at = Some(std::fs::metadata(&first).unwrap().modified().unwrap());
        },
    );
    let finished_at = finished_at.unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!out_dir.join("report").exists());

    let out = actlab(&["compare", "slow.toml", "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(" 0 finished"), "{stderr}");
    assert_eq!(
        std::fs::metadata(&first).unwrap().modified().unwrap(),
        finished_at,
        "a finished run was trained again"
    );
    for run in ["relu-s1", "relu-s2", "tanh-s1", "tanh-s2"] {
        assert!(out_dir.join(run).join("summary.json").is_file(), "{run}");
    }
    assert!(out_dir.join("report/report.md").is_file());
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The best rate by mean validation accuracy at `epoch` (ties: the lower rate), computed here
/// from the tuning runs' metrics files.
fn best(tune: &std::path::Path, group: &str, rates: &[f64], epoch: usize) -> Vec<(f64, f64)> {
    let mut scores: Vec<(f64, f64)> = rates
        .iter()
        .map(|&lr| {
            let values: Vec<f64> = [11, 12]
                .iter()
                .map(|s| val_acc(&tune.join(format!("{group}-lr{lr}-s{s}")))[epoch - 1])
                .collect();
            (lr, values.iter().sum::<f64>() / values.len() as f64)
        })
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.total_cmp(&b.0)));
    scores
}

#[test]
fn a_tuned_sweep_chooses_on_validation_shards_resume_and_reports_two_leaderboards() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    std::fs::write(
        tmp.path().join("tuned.toml"),
        format!(
            "[base.model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[base.data]\ndir = \"{}\"\n\
             validation_size = 64\n[base.train]\nepochs = 2\nbatch_size = 32\n\
             optimizer = {{ kind = \"adam\", lr = 1e-1 }}\n\
             [base.backend]\nname = \"ndarray\"\n[grid]\nactivations = [\"relu\", \"tanh\"]\n\
             seeds = [1, 2]\n[tune]\nlr = [1e-1, 1e-3, 1e-2]\nseeds = [11, 12]\nepochs = 3\n\
             halving = {{ after = [1], keep = 0.5 }}\n",
            data.display()
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("runs/tuned");
    let tune = out_dir.join("tune");
    let rates = [1e-3, 1e-2, 1e-1];

    // One shard alone: it trains its slice of the tuning runs, then the other shard's (nobody
    // is training them), so a job array that runs one task at a time cannot deadlock.
    let out = actlab(
        &["compare", "tuned.toml", "--shard", "1/2", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("of other shards, idle"), "{stderr}");
    assert!(
        stderr.contains("tuning: 12 run(s) to epoch 1, then halving"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tuning: 8 run(s) to its last epoch (3)"),
        "{stderr}"
    );
    // Halving after epoch 1 kept ⌈0.5·3⌉ = 2 rates per activation: those with the best mean
    // validation accuracy at epoch 1 finished, the third stopped there with a checkpoint.
    for group in ["relu", "tanh"] {
        let ranked = best(&tune, group, &rates, 1);
        for (k, (lr, _)) in ranked.iter().enumerate() {
            for seed in [11, 12] {
                let dir = tune.join(format!("{group}-lr{lr}-s{seed}"));
                let finished = dir.join("summary.json").is_file();
                assert_eq!(finished, k < 2, "{} (rank {k})", dir.display());
                assert_eq!(val_acc(&dir).len(), if k < 2 { 3 } else { 1 });
            }
        }
    }
    // The choice: the better survivor at epoch 3, computed here independently.
    let selection = json(&tune.join("selection.json"));
    let mut chosen = Vec::new();
    for (i, group) in ["relu", "tanh"].iter().enumerate() {
        let ranked = best(&tune, group, &rates, 1);
        let survivors: Vec<f64> = ranked[..2].iter().map(|r| r.0).collect();
        let at_end = best(&tune, group, &survivors, 3);
        let entry = &selection["groups"][i];
        assert_eq!(entry["group"], *group);
        assert_eq!(entry["tuned_lr"].as_f64().unwrap(), at_end[0].0, "{entry}");
        assert!((entry["lr_curve"].as_array().unwrap().len()) == 3);
        chosen.push(at_end[0].0);
    }
    // Its final slice (relu-s1, tanh-s1) at the chosen rates; the other half is left.
    assert!(out_dir.join("relu-s1/summary.json").is_file());
    assert!(!out_dir.join("relu-s2").exists());
    let lr_of = |run: &str| json(&out_dir.join(run).join("summary.json"))["lr"].as_f64();
    assert_eq!(lr_of("relu-s1"), Some(chosen[0]));
    assert_eq!(lr_of("tanh-s1"), Some(chosen[1]));

    // The other shard finds the tuning done and trains only its final runs.
    let out = actlab(
        &["compare", "tuned.toml", "--shard", "2/2", "--quiet"],
        tmp.path(),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("run(s) to"), "{stderr}");
    assert!(
        stderr.contains("0 finished, 0 to resume, 2 to train"),
        "{stderr}"
    );

    // The whole sweep again: nothing to train; the report has both leaderboards.
    let out = actlab(&["compare", "tuned.toml", "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("4 finished, 0 to resume, 0 to train"),
        "{stderr}"
    );
    assert!(!stderr.contains("run(s) to"), "{stderr}");
    let report = std::fs::read_to_string(out_dir.join("report/report.md")).unwrap();
    for part in [
        "| relu | 2 |",
        "| tanh | 2 |",
        "## Learning rates",
        "### At the shared rate (lr = 0.1 for every activation)",
        "Holm p",
        "To separate differences of 0.2 points",
        "![learning-rate sensitivity](lr_sensitivity.svg)",
    ] {
        assert!(report.contains(part), "{part}:\n{report}");
    }
    assert!(report.contains("Rank changes") || report.contains("No activation changes rank"));
    assert!(out_dir.join("report/lr_sensitivity.png").is_file());
    let results = json(&out_dir.join("report/results.json"));
    for r in results["results"].as_array().unwrap() {
        let k = usize::from(r["name"] == "tanh");
        assert_eq!(r["tuned_lr"].as_f64(), Some(chosen[k]), "{r}");
        assert_eq!(r["lr_curve"].as_array().unwrap().len(), 3);
    }
    let shared = &results["tuning"]["shared"]["results"];
    assert_eq!(shared.as_array().map(Vec::len), Some(2), "{shared}");
    // Each choice's lead over the best rate not chosen, from the curve by hand.
    let tuning = &results["tuning"];
    let margins = tuning["margins"].as_array().unwrap();
    assert_eq!(margins.len(), 2, "{tuning}");
    for (m, g) in margins
        .iter()
        .zip(tuning["selection"]["groups"].as_array().unwrap())
    {
        let curve = g["lr_curve"].as_array().unwrap();
        let kept = curve.iter().filter(|s| s["pruned_after"].is_null());
        let val = |s: &serde_json::Value| s["val_accuracy"].as_f64().unwrap();
        let chosen = kept
            .clone()
            .find(|s| s["lr"] == g["tuned_lr"])
            .map(val)
            .unwrap();
        let runner = kept
            .filter(|s| s["lr"] != g["tuned_lr"])
            .map(val)
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            (m["margin"].as_f64().unwrap() - (chosen - runner)).abs() < 1e-12,
            "{m}"
        );
        let near = m["near_tie"].as_bool().unwrap();
        assert_eq!(
            near,
            m["margin_images"].as_f64() < m["noise_images"].as_f64(),
            "{m}"
        );
    }
    assert!(
        report.contains("Lead: how many more validation predictions"),
        "{report}"
    );

    // Test accuracies never enter the choice: scramble every tuning run's, choose again.
    let before = std::fs::read(tune.join("selection.json")).unwrap();
    for entry in std::fs::read_dir(&tune).unwrap().flatten() {
        let path = entry.path().join("summary.json");
        if path.is_file() {
            let mut value = json(&path);
            let flipped = 1.0 - value["test_accuracy"].as_f64().unwrap();
            value["test_accuracy"] = serde_json::json!(flipped);
            std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
        }
    }
    std::fs::remove_file(tune.join("selection.json")).unwrap();
    let out = actlab(&["compare", "tuned.toml", "--quiet"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(tune.join("selection.json")).unwrap(), before);

    // Validation accuracies do: make relu's other survivor the best at epoch 3. The final
    // runs were trained at the old choice, so compare refuses rather than reuse them.
    let survivors: Vec<f64> = best(&tune, "relu", &rates, 1)[..2]
        .iter()
        .map(|r| r.0)
        .collect();
    let other = survivors
        .iter()
        .find(|&&r| r != chosen[0])
        .copied()
        .unwrap();
    for seed in [11, 12] {
        let path = tune.join(format!("relu-lr{other}-s{seed}/metrics.csv"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
        cells[4] = "1".into(); // val_acc at epoch 3
        lines[3] = cells.join(",");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    std::fs::remove_file(tune.join("selection.json")).unwrap();
    let out = actlab(&["compare", "tuned.toml", "--quiet"], tmp.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("relu {other}"))
            && stderr.contains("relu-s1 was trained at lr")
            && stderr.contains(&format!("tuning now chooses {other} for relu")),
        "{stderr}"
    );
}

#[test]
fn a_run_paused_after_an_epoch_resumes_bit_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 256, 64);
    for backend in ["ndarray", "flex"] {
        let config = tmp.path().join(format!("{backend}.toml"));
        std::fs::write(
            &config,
            format!(
                "[model]\npreset = \"prelu-mlp\"\nhidden = [16]\n[data]\ndir = \"{}\"\n\
                 validation_size = 32\n[train]\nepochs = 3\nbatch_size = 32\n\
                 schedule = {{ kind = \"cosine\" }}\n[backend]\nname = \"{backend}\"\n",
                data.display()
            ),
        )
        .unwrap();
        let whole = tmp.path().join(format!("{backend}-whole"));
        let paused = tmp.path().join(format!("{backend}-paused"));
        let config = config.to_str().unwrap();
        let out = actlab(
            &["train", config, "--out", whole.to_str().unwrap(), "--quiet"],
            tmp.path(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let args = [
            "train",
            config,
            "--out",
            paused.to_str().unwrap(),
            "--quiet",
        ];
        let out = actlab(&[&args[..], &["--pause-after", "1"]].concat(), tmp.path());
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("paused after epoch 1"), "{stderr}");
        assert!(!paused.join("summary.json").exists());
        assert_eq!(val_acc(&paused).len(), 1);
        let out = actlab(
            &["train", "--resume", paused.to_str().unwrap(), "--quiet"],
            tmp.path(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(val_acc(&paused), val_acc(&whole), "{backend}");
        assert_eq!(
            std::fs::read(paused.join("model.bpk")).unwrap(),
            std::fs::read(whole.join("model.bpk")).unwrap(),
            "{backend}: the weights differ"
        );
    }
}

/// A new user's first minutes: `actlab new sweep` writes a commented file that `compare` runs
/// as it is (here pointed at a small dataset and one short epoch), and compare ends by saying
/// the verdicts and where to look. The file is never written over.
#[test]
fn a_new_sweep_file_runs_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    block_dataset(&data, 320, 64);
    let args = [
        "new",
        "sweep",
        "mine.toml",
        "--activations",
        "relu,tanh,max(x, 0.1*x)",
        "--seeds",
        "2",
    ];
    let out = actlab(&args, tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = tmp.path().join("mine.toml");
    let written = std::fs::read_to_string(&file).unwrap();
    let sweep = actlab_format::sweep::SweepConfig::load(&file).unwrap();
    assert_eq!(sweep.grid.activations.len(), 3);
    assert_eq!(sweep.grid.seeds.values(), [1, 2]);
    // Never written over; a bad formula or baseline writes nothing.
    let again = actlab(&args, tmp.path());
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("never written over"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    let bad = actlab(
        &["new", "sweep", "bad.toml", "--activations", "relu,foo(x)"],
        tmp.path(),
    );
    assert!(text(&bad.stderr).contains("unknown function `foo`"));
    let bad = actlab(
        &["new", "sweep", "bad.toml", "--baseline", "elu"],
        tmp.path(),
    );
    assert!(text(&bad.stderr).contains("--baseline"));
    assert!(!tmp.path().join("bad.toml").exists());
    // Small data and one epoch; everything else as written.
    let small = written
        .replace(
            "dataset = \"fashion-mnist\"",
            &format!("dir = \"{}\"", data.display()),
        )
        .replace("validation_size = 5000", "validation_size = 32")
        .replace("epochs = 10", "epochs = 1")
        .replace("batch_size = 64", "batch_size = 32");
    std::fs::write(&file, small).unwrap();
    let out = actlab(
        &["compare", "mine.toml", "--jobs", "2", "--quiet"],
        tmp.path(),
    );
    let said = text(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("against relu: "), "{said}");
    assert!(
        said.contains("next: open runs/mine/report/report.html"),
        "{said}"
    );
}
