//! Seeded mutation tests of every reader of user-made input: IDX files (raw and gzip),
//! experiment, sweep and diagnose configs, checkpoint states, run summaries, images. Thousands
//! of mutants of real inputs (the shipped configs, tiny datasets and images made here) must
//! each give a value or an error — never a panic — without unbounded memory. Stable toolchain,
//! in-process, part of CI; the same readers are what a cargo-fuzz target would call.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use actlab_data::idx::{IdxArray, parse_idx, read_idx_file_within};
use actlab_eval::diagnose::DiagnoseConfig;
use actlab_eval::sweep::SweepConfig;
use actlab_train::ExperimentConfig;
use actlab_train::checkpoint::CheckpointState;

/// Seeded mutations of an input (a small, dependency-free stand-in for a fuzzer's mutator): bit
/// flips, random bytes, deletions, duplications, insertions, truncation.
pub struct Mutator(u64);

impl Mutator {
    pub fn new(seed: u64) -> Mutator {
        Mutator(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `input` with one to four random edits.
    pub fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + self.below(4) {
            let len = out.len();
            match self.below(6) {
                0 if len > 0 => {
                    let i = self.below(len);
                    out[i] ^= 1 << self.below(8);
                }
                1 if len > 0 => {
                    let i = self.below(len);
                    out[i] = self.next() as u8;
                }
                2 if len > 0 => {
                    let start = self.below(len);
                    let end = (start + 1 + self.below(16)).min(len);
                    out.drain(start..end);
                }
                3 if len > 0 => {
                    let start = self.below(len);
                    let end = (start + 1 + self.below(64)).min(len);
                    let copy = out[start..end].to_vec();
                    let at = self.below(len);
                    out.splice(at..at, copy);
                }
                4 => {
                    let at = self.below(len + 1);
                    let bytes: Vec<u8> =
                        (0..1 + self.below(8)).map(|_| self.next() as u8).collect();
                    out.splice(at..at, bytes);
                }
                _ => out.truncate(self.below(len + 1)),
            }
        }
        out
    }
}

/// Mutants per target (a few seconds each in release).
const MUTANTS: u64 = 3000;
/// What all mutants of a target together may add to the peak resident memory.
const MAX_GROWTH_MB: f64 = 512.0;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `check` on `MUTANTS` mutants of each corpus entry; a panic fails the test (naming the
/// seed), and so does memory growth past [`MAX_GROWTH_MB`].
fn fuzz(name: &str, corpus: &[Vec<u8>], mut check: impl FnMut(&[u8])) {
    // Peak resident memory (Linux; 0 where unknown), to bound what the mutants allocate.
    let peak_rss_mb = || actlab_train::run::peak_rss_mb().unwrap_or(0.0);
    let before = peak_rss_mb();
    for (i, input) in corpus.iter().enumerate() {
        check(input); // the corpus itself
        let mut mutator = Mutator::new(i as u64 + 1);
        for _ in 0..MUTANTS {
            check(&mutator.mutate(input));
        }
    }
    let growth = peak_rss_mb() - before;
    assert!(
        growth < MAX_GROWTH_MB,
        "{name}: peak memory grew {growth:.0} MB over the mutants"
    );
}

fn idx_corpus() -> Vec<Vec<u8>> {
    let images = IdxArray {
        dims: vec![3, 28, 28],
        data: (0..3 * 784).map(|i| (i % 251) as u8).collect(),
    };
    let labels = IdxArray {
        dims: vec![3],
        data: vec![1, 7, 9],
    };
    vec![images.to_bytes(), labels.to_bytes()]
}

#[test]
fn idx_mutants_are_values_or_errors() {
    fuzz("idx", &idx_corpus(), |bytes| {
        let _ = parse_idx(bytes, Some(bytes.len() as u64));
        let _ = parse_idx(bytes, None);
    });
}

#[test]
fn gzipped_idx_mutants_are_values_or_errors() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.gz");
    let corpus: Vec<Vec<u8>> = idx_corpus()
        .iter()
        .map(|raw| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(raw).unwrap();
            gz.finish().unwrap()
        })
        .collect();
    fuzz("gzipped idx", &corpus, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        let _ = read_idx_file_within(&path, 60_000 * 784);
    });
}

fn files(names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .map(|name| std::fs::read(repo().join("configs").join(name)).unwrap())
        .collect()
}

#[test]
fn experiment_config_mutants_are_values_or_errors() {
    let corpus = files(&[
        "prelu-mlp.toml",
        "swish-mlp.toml",
        "prelu-mlp-wgpu.toml",
        "swish-mlp-wgpu.toml",
    ]);
    let path = Path::new("mutant.toml");
    fuzz("experiment config", &corpus, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        if let Ok(raw) = ExperimentConfig::parse(&text, path)
            && let Ok(experiment) = raw.validate(path)
        {
            // What passes validation must also build (sizes are bounded there).
            let _ = experiment.to_toml();
        }
    });
}

#[test]
fn sweep_and_diagnose_config_mutants_are_values_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutant.toml");
    let sweeps = files(&["sweep-quick.toml", "sweep.toml"]);
    fuzz("sweep config", &sweeps, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        if let Ok(sweep) = SweepConfig::load(&path) {
            assert!(sweep.points().len() <= actlab_eval::sweep::MAX_POINTS);
        }
    });
    fuzz("diagnose config", &files(&["deep.toml"]), |bytes| {
        std::fs::write(&path, bytes).unwrap();
        let _ = DiagnoseConfig::load(&path);
    });
}

#[test]
fn checkpoint_state_and_summary_mutants_are_values_or_errors() {
    // A real checkpoint state and summary, from a run of the trainer's own writer.
    let dir = tempfile::tempdir().unwrap();
    let state = actlab_train::checkpoint::TrainState {
        epochs_completed: 1,
        steps_into_epoch: 3,
        partial: Some(actlab_train::checkpoint::PartialEpoch {
            loss_sum: 1.25,
            steps: 3,
            correct: 40,
            seen: 96,
            seconds: 0.5,
        }),
        history: Vec::new(),
        diagnostics: Vec::new(),
    };
    actlab_train::checkpoint::save_state(dir.path(), 7, &state, b"m", b"o").unwrap();
    let state_text = std::fs::read(dir.path().join("checkpoint/state.toml")).unwrap();
    fuzz("checkpoint state", &[state_text], |bytes| {
        let _ = toml::from_str::<CheckpointState>(&String::from_utf8_lossy(bytes));
    });
    let summary = common::summary("prelu", "prelu(init=0.25, shared)", 1, 0.88);
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    summary.write(&run).unwrap();
    let text = std::fs::read(run.join("summary.json")).unwrap();
    fuzz("summary", &[text], |bytes| {
        std::fs::write(run.join("summary.json"), bytes).unwrap();
        if let Ok(read) = actlab_train::RunSummary::load(&run) {
            assert!((0.0..=1.0).contains(&read.test_accuracy));
        }
    });
}

#[test]
fn image_mutants_are_values_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    let gray = image::GrayImage::from_fn(28, 28, |x, y| image::Luma([(x * 9 + y) as u8]));
    let mut corpus = Vec::new();
    for (name, format) in [
        ("a.png", image::ImageFormat::Png),
        ("a.pgm", image::ImageFormat::Pnm),
        ("a.jpg", image::ImageFormat::Jpeg),
    ] {
        let path = dir.path().join(name);
        gray.save_with_format(&path, format).unwrap();
        corpus.push(std::fs::read(&path).unwrap());
    }
    let path = dir.path().join("mutant");
    fuzz("image", &corpus, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        if let Ok(pixels) = actlab_eval::load_image(&path, false) {
            assert_eq!(pixels.len(), 784);
        }
    });
}
