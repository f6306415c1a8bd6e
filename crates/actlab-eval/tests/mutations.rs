//! Seeded mutation tests of every reader of user-made input: IDX files (raw and gzip),
//! experiment, sweep and diagnose configs, checkpoint states, a run directory's and a sweep's
//! text files (`metrics.csv`, `diagnostics.csv`, `summary.json`, `selection.json`,
//! `diagnose.json`), `predictions.bin`, images. Thousands
//! of mutants of real inputs (the shipped configs, tiny datasets and images made here) must
//! each give a value or an error — never a panic — without unbounded memory, and every value
//! its properties (`actlab_format::invariants`, the same checks the cargo-fuzz targets in
//! `fuzz/` run, on the same checked-in seed corpus). Stable toolchain, in-process, part of CI.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use actlab_format::config::ExperimentConfig;
use actlab_format::invariants;
use actlab_format::state::CheckpointState;
use actlab_idx::{IdxArray, parse_idx, read_idx_file_within};

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

/// The checked-in seed corpus of a cargo-fuzz target (`fuzz/corpus/<target>/`), plus `extra`
/// shipped files (paths from the repository root).
/// `fuzz/corpus/<target>` and its file names, sorted.
fn corpus_names(target: &str) -> (PathBuf, Vec<String>) {
    let dir = repo().join("fuzz/corpus").join(target);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (dir, names)
}

fn corpus(target: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let dir = repo().join("fuzz/corpus").join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths.extend(extra.iter().map(|name| repo().join(name)));
    assert!(!paths.is_empty(), "no corpus for {target}");
    paths
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

#[test]
fn predictions_mutants_are_values_or_errors() {
    let corpus = corpus("predictions", &[]);
    // The seeds are real predictions files: the round trip is really exercised.
    for seed in &corpus {
        actlab_format::run::TestPredictions::parse(seed, Path::new("seed")).unwrap();
    }
    fuzz("predictions", &corpus, invariants::predictions);
}

#[test]
fn experiment_config_mutants_are_values_or_errors() {
    let shipped = [
        "configs/prelu-mlp.toml",
        "configs/swish-mlp.toml",
        "configs/prelu-mlp-wgpu.toml",
        "configs/swish-mlp-wgpu.toml",
    ];
    let corpus = corpus("experiment", &shipped);
    // The seeds themselves are valid: the round trip is really exercised.
    for seed in &corpus {
        let text = std::str::from_utf8(seed).unwrap();
        let path = Path::new("seed.toml");
        ExperimentConfig::parse(text, path)
            .unwrap()
            .validate(path)
            .unwrap();
    }
    fuzz("experiment config", &corpus, invariants::experiment_config);
}

#[test]
fn sweep_and_diagnose_config_mutants_are_values_or_errors() {
    let sweeps = corpus("sweep", &["configs/sweep-quick.toml", "configs/sweep.toml"]);
    fuzz("sweep config", &sweeps, invariants::sweep_config);
    let diagnoses = corpus("diagnose", &["configs/deep.toml"]);
    fuzz("diagnose config", &diagnoses, invariants::diagnose_config);
    let formulas = corpus("expr", &[]);
    fuzz("activation formula", &formulas, invariants::formula);
    let searches = corpus("search", &["configs/search.toml"]);
    fuzz("search config", &searches, invariants::search_config);
}

#[test]
fn checkpoint_state_and_summary_mutants_are_values_or_errors() {
    // Real states written by `actlab train` (finished with diagnostics; interrupted mid-epoch),
    // and `bad-*`: those damaged or hand-edited (NaN sums, impossible counts, no history, a
    // negative epoch count, a position that is not the shuffle's, truncated), each refused
    // with one line naming the file.
    let (dir, names) = corpus_names("state");
    let mut bad = 0;
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let parsed = CheckpointState::parse(&text, Path::new("state.toml"));
        if name.starts_with("bad-") {
            bad += 1;
            let error = parsed.expect_err(name).to_string();
            assert!(
                error.starts_with("state.toml: ") && !error.contains('\n'),
                "{name}: {error}"
            );
        } else {
            parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    assert!(bad >= 6 && bad < names.len(), "{names:?}");
    let states = corpus("state", &[]);
    fuzz("checkpoint state", &states, invariants::checkpoint_state);
    // A real summary, from the trainer's own writer.
    let dir = tempfile::tempdir().unwrap();
    let summary = common::summary("prelu", "prelu(init=0.25, shared)", 1, 0.88);
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    summary.write(&run).unwrap();
    let text = std::fs::read(run.join("summary.json")).unwrap();
    fuzz("summary", &[text], |bytes| {
        std::fs::write(run.join("summary.json"), bytes).unwrap();
        if let Ok(read) = actlab_format::run::RunSummary::load(&run) {
            assert!((0.0..=1.0).contains(&read.test_accuracy));
        }
    });
}

#[test]
fn run_file_mutants_are_values_or_errors() {
    use actlab_format::run::{RunSummary, diagnostics, metrics};
    // Real files of a run directory, a tuned sweep and `actlab diagnose`, as their writers
    // wrote them: each seed reads as what it is.
    // `bad-*`: hand-edited files no run writes, which every reader refuses.
    let (dir, names) = corpus_names("run_files");
    let files: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap())
        .collect();
    let path = Path::new("seed");
    let read = |seed: &[u8]| {
        let text = std::str::from_utf8(seed).unwrap();
        [
            metrics::parse(text, path).is_ok_and(|h| !h.is_empty()),
            diagnostics::parse(text, path).is_ok_and(|d| !d.is_empty()),
            RunSummary::parse(text, path).is_ok(),
            actlab_format::tuning::Selection::parse(text, path).is_ok(),
            actlab_format::diagnose::DiagnoseReport::parse(text, path).is_ok(),
        ]
    };
    let kinds: Vec<[bool; 5]> = files.iter().map(|seed| read(seed)).collect();
    for (name, kind) in names.iter().zip(&kinds) {
        let readers = kind.iter().filter(|&&ok| ok).count();
        let expected = usize::from(!name.starts_with("bad-"));
        assert_eq!(readers, expected, "{name}: {kind:?}");
    }
    for k in 0..5 {
        assert!(
            kinds.iter().any(|r| r[k]),
            "no seed for reader {k}: {kinds:?}"
        );
    }
    fuzz("run files", &files, invariants::run_files);
}

#[test]
fn image_mutants_are_values_or_errors() {
    let images = corpus("image", &[]);
    for seed in &images {
        assert_eq!(
            actlab_format::image::decode_image(seed, false)
                .unwrap()
                .len(),
            784
        );
    }
    fuzz("image (bytes)", &images, invariants::image);
    // And through the file reader `predict` uses, on fewer mutants.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutant");
    let mut mutator = Mutator::new(99);
    for seed in &images {
        for _ in 0..200 {
            std::fs::write(&path, mutator.mutate(seed)).unwrap();
            if let Ok(pixels) = actlab_eval::load_image(&path, false) {
                assert_eq!(pixels.len(), 784);
            }
        }
    }
}
