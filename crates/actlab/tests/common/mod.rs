//! Helpers shared by the CLI test binaries: run the real binary, make small datasets.

#![allow(dead_code)] // each test binary uses part of this
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../actlab-data/tests/common/skip.rs"]
mod skip_log;
#[allow(unused_imports)] // not every test binary skips
pub use skip_log::skip;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn actlab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

/// Runs the binary with `args` until `file` appears (at most 120 s), then sends it SIGINT (as
/// Ctrl-C would) and returns how it ended. Runs `before` just before the signal.
pub fn interrupt_when(args: &[&str], cwd: &Path, file: &Path, before: impl FnOnce()) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !file.exists() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        file.exists(),
        "{} did not appear within 120 s",
        file.display()
    );
    before();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The `val_acc` column of a run's `metrics.csv` (one value per epoch), read by its header.
pub fn val_acc(dir: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "val_acc").unwrap();
    lines
        .map(|l| l.split(',').nth(column).unwrap().parse().unwrap())
        .collect()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn write_idx(dir: &Path, base: &str, dims: &[u32], data: Vec<u8>) {
    std::fs::create_dir_all(dir).unwrap();
    let array = actlab_idx::IdxArray {
        dims: dims.to_vec(),
        data,
    };
    std::fs::write(dir.join(base), array.to_bytes()).unwrap();
}

/// A learnable MNIST-shaped dataset: class `c` lights a block at a class-specific place.
pub fn block_dataset(dir: &Path, train: u32, test: u32) {
    for (prefix, n) in [("train", train), ("t10k", test)] {
        let mut pixels = vec![0u8; n as usize * 784];
        let labels: Vec<u8> = (0..n).map(|i| ((i * 7 + i / 3) % 10) as u8).collect();
        for (i, &label) in labels.iter().enumerate() {
            let (row0, col0) = (2 + (label as usize / 5) * 12, 1 + (label as usize % 5) * 5);
            for r in row0..row0 + 7 {
                for c in col0..col0 + 5 {
                    pixels[i * 784 + r * 28 + c] = 200 + (i % 50) as u8;
                }
            }
        }
        write_idx(
            dir,
            &format!("{prefix}-images-idx3-ubyte"),
            &[n, 28, 28],
            pixels,
        );
        write_idx(dir, &format!("{prefix}-labels-idx1-ubyte"), &[n], labels);
    }
}
