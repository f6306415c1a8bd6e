//! Real clients read what actlab writes, on `compare configs/sweep-quick.toml` (real
//! Fashion-MNIST; trained once, shared by the tests here):
//! - TensorBoard (from PyPI, in the venv `scripts/test.sh` makes and names in `$ACTLAB_PYTHON`),
//!   through `scripts/check-tensorboard.py`: every tag, step and value against the runs' CSVs
//!   and summaries (plus one run with diagnostics), the HTTP API's runs and tags, the hparams
//!   plugin's experiment and sessions;
//! - headless Chromium (Debian's, driven by Selenium), through `scripts/check-report-html.py`:
//!   `report.html` loads without console errors or requests, its plots are drawn, clicking
//!   "mean acc" sorts the leaderboard, its run links resolve.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{actlab, root, skip, text};

const DATA: &str = "/usr/share/datasets/fashion-mnist";

/// The Python with the clients, or why the test cannot run.
fn python(test: &str) -> Option<OsString> {
    let Some(python) = std::env::var_os("ACTLAB_PYTHON") else {
        skip(
            test,
            "ACTLAB_PYTHON (a Python with tensorboard, selenium, pillow) is not set: scripts/test.sh sets it",
        );
        return None;
    };
    if !Path::new(DATA).is_dir() {
        skip(
            test,
            &format!("{DATA} is absent (apt-get install dataset-fashion-mnist)"),
        );
        return None;
    }
    Some(python)
}

/// `compare configs/sweep-quick.toml`, once for the test binary.
fn sweep() -> &'static Path {
    static SWEEP: OnceLock<PathBuf> = OnceLock::new();
    SWEEP.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clients");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sweep = dir.join("sweep-quick");
        let config = root().join("configs/sweep-quick.toml");
        let out = actlab(
            &[
                "compare",
                config.to_str().unwrap(),
                "--out",
                sweep.to_str().unwrap(),
                "--quiet",
            ],
            &dir,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        sweep
    })
}

fn run_script(python: OsString, script: &str, args: &[&Path]) -> String {
    let out = Command::new(python)
        .arg(root().join("scripts").join(script))
        .args(args)
        .output()
        .unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    println!("{said}");
    assert!(out.status.success(), "{said}");
    said
}

#[test]
fn tensorboard_reads_a_sweep_and_a_diagnosed_run() {
    let Some(python) = python("tensorboard_reads_a_sweep_and_a_diagnosed_run") else {
        return;
    };
    let sweep = sweep();
    assert!(sweep.join("events.out.tfevents.0.actlab-hparams").is_file());
    let tmp = tempfile::tempdir().unwrap();

    // A run with diagnostics: gradient norms, dead/saturated fractions, PReLU slopes.
    let diagnosed = tmp.path().join("diagnosed");
    let file = tmp.path().join("diagnosed.toml");
    std::fs::write(
        &file,
        format!(
            "[model]\npreset = \"prelu-mlp\"\nhidden = [64, 32]\n\
             [data]\nvalidation_size = 1000\ntrain_limit = 2048\n\
             [train]\nepochs = 2\ndiagnostics = true\nprogress = \"plain\"\n\
             [backend]\nname = \"flex\"\n[output]\ndir = \"{}\"\n",
            diagnosed.display()
        ),
    )
    .unwrap();
    let out = actlab(&["train", file.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));

    let said = run_script(
        python,
        "check-tensorboard.py",
        &[sweep, diagnosed.as_path()],
    );
    // 8 final runs and the tuning runs that finished; the diagnosed run's tags are in.
    assert!(said.contains("the hparams plugin"), "{said}");
    assert!(said.contains("runs' events equal their files"), "{said}");
    // sweep-quick's report: one HParams session per activation, equal to results.json.
    assert!(
        said.contains("(4 report sessions equal results.json)"),
        "{said}"
    );
    for tag in [
        "grad_norm/layer_3",
        "dead_fraction/layer_2",
        "saturated_fraction/layer_1",
        "inactive_fraction/layer_2",
        "prelu_slope/layer_1",
        "val/best_accuracy",
    ] {
        assert!(said.contains(tag), "{tag} was not checked: {said}");
    }
}

#[test]
fn report_html_passes_in_headless_chromium() {
    let test = "report_html_passes_in_headless_chromium";
    let Some(python) = python(test) else {
        return;
    };
    if !Path::new("/usr/bin/chromium").is_file() || !Path::new("/usr/bin/chromedriver").is_file() {
        skip(
            test,
            "no /usr/bin/chromium or chromedriver (apt-get install chromium chromium-driver)",
        );
        return;
    }
    let report = sweep().join("report/report.html");
    let shots = sweep().join("screenshots");
    let said = run_script(python, "check-report-html.py", &[&report, &shots]);
    assert!(said.contains("sorts by 'mean acc' both ways"), "{said}");
    // sweep-quick has three activations besides the baseline: three verdicts, each a word.
    let verdicts = said
        .lines()
        .find_map(|l| l.strip_prefix("verdicts: "))
        .unwrap_or_else(|| panic!("{said}"));
    assert_eq!(verdicts.split("; ").count(), 3, "{said}");
    // Every row's rank with its bootstrap interval (four rows: ranks 1–4 in some order).
    let ranks = said
        .lines()
        .find_map(|l| l.strip_prefix("ranks: "))
        .unwrap_or_else(|| panic!("{said}"));
    assert_eq!(ranks.split("; ").count(), 4, "{said}");
    assert!(shots.join("report.png").is_file());
}
