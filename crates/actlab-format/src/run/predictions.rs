//! `predictions.bin`: one run's predicted class for every test image it was scored on, with the
//! true label, so two runs can be compared image by image (the test set is the same images for
//! every run). Writer and reader.
//!
//! ```text
//! offset  size    what (integers little-endian)
//!      0     8    magic "ACTLPRED"
//!      8     2    version (1)
//!     10     2    classes (1–256): every predicted class and label is below it
//!     12     4    count: test images (1–1,000,000), the first `count` of the test split
//!     16    32    the dataset's name, ASCII, NUL-padded
//!     48    32    SHA-256 of the test images evaluated (`test_sha256`: their labels, then
//!                 their values as stored), so runs on other data are never paired
//!     80 count    predicted class per image
//!  80+count count  true label per image
//! 80+2·count 32   SHA-256 of every byte before it (a torn or edited file is refused)
//! ```
//!
//! 20,112 bytes for 10,000 test images.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::files;
use crate::error::FileError;
use crate::fsio::write_atomic;

const MAGIC: &[u8; 8] = b"ACTLPRED";
const VERSION: u16 = 1;
const HEADER: usize = 80;
const NAME_BYTES: usize = 32;
/// The most test images a predictions file may hold.
pub const MAX_IMAGES: usize = 1_000_000;

/// A run's per-image test predictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPredictions {
    /// The dataset (`fashion-mnist`, …; at most 32 ASCII characters).
    pub dataset: String,
    /// SHA-256 (hex) of the test images evaluated: their labels, then their values.
    pub test_sha256: String,
    /// Classes of the dataset.
    pub classes: usize,
    /// The predicted class of each test image.
    pub predicted: Vec<u8>,
    /// Its true class.
    pub labels: Vec<u8>,
}

impl TestPredictions {
    /// Checks what a predictions file must hold: a name that fits, a hash, 1–256 classes, 1 to
    /// [`MAX_IMAGES`] images with one prediction and one label each, all below `classes`.
    pub fn check(&self) -> Result<(), String> {
        let name_ok = !self.dataset.is_empty()
            && self.dataset.len() <= NAME_BYTES
            && self.dataset.bytes().all(|b| b.is_ascii_graphic());
        if !name_ok {
            return Err(format!(
                "dataset name {:?} is not 1–32 printable ASCII characters",
                self.dataset
            ));
        }
        if hex_bytes(&self.test_sha256).is_none() {
            return Err(format!(
                "test_sha256 {:?} is not 64 hex digits",
                self.test_sha256
            ));
        }
        if !(1..=256).contains(&self.classes) {
            return Err(format!("{} classes (expected 1 to 256)", self.classes));
        }
        let n = self.predicted.len();
        if n == 0 || n > MAX_IMAGES || self.labels.len() != n {
            return Err(format!(
                "{n} predictions and {} labels (expected the same number, 1 to {MAX_IMAGES})",
                self.labels.len()
            ));
        }
        let over = |v: &[u8]| v.iter().position(|&c| usize::from(c) >= self.classes);
        if let Some(i) = over(&self.predicted) {
            return Err(format!(
                "image {i}: predicted class {} is not below {} classes",
                self.predicted[i], self.classes
            ));
        }
        if let Some(i) = over(&self.labels) {
            return Err(format!(
                "image {i}: label {} is not below {} classes",
                self.labels[i], self.classes
            ));
        }
        Ok(())
    }

    /// Test images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none (never for a file that reads).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Whether each image was classified correctly.
    pub fn correct(&self) -> Vec<bool> {
        self.predicted
            .iter()
            .zip(&self.labels)
            .map(|(p, l)| p == l)
            .collect()
    }

    /// Images classified correctly.
    pub fn correct_count(&self) -> usize {
        self.predicted
            .iter()
            .zip(&self.labels)
            .filter(|(p, l)| p == l)
            .count()
    }

    /// The file's bytes (the values must pass [`TestPredictions::check`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        self.check()?;
        let n = self.len();
        let mut out = Vec::with_capacity(HEADER + 2 * n + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        // check(): 1 ≤ classes ≤ 256 and n ≤ MAX_IMAGES, so both fit.
        out.extend_from_slice(&(self.classes as u16).to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        let mut name = [0u8; NAME_BYTES];
        name[..self.dataset.len()].copy_from_slice(self.dataset.as_bytes());
        out.extend_from_slice(&name);
        out.extend_from_slice(&hex_bytes(&self.test_sha256).unwrap_or([0; 32]));
        out.extend_from_slice(&self.predicted);
        out.extend_from_slice(&self.labels);
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        Ok(out)
    }

    /// Parses a predictions file's bytes; `path` is named in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<TestPredictions, FileError> {
        let corrupt = |message: String| FileError::corrupt(path, message);
        if bytes.len() < HEADER + 32 || &bytes[..8] != MAGIC {
            return Err(corrupt(format!(
                "not an actlab predictions file ({} bytes; expected the {:?} header)",
                bytes.len(),
                std::str::from_utf8(MAGIC).unwrap_or_default()
            )));
        }
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let version = u16_at(8);
        if version != VERSION {
            return Err(corrupt(format!(
                "version {version} (this actlab reads version {VERSION})"
            )));
        }
        let classes = usize::from(u16_at(10));
        let count = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        if count == 0 || count > MAX_IMAGES {
            return Err(corrupt(format!(
                "{count} images (expected 1 to {MAX_IMAGES})"
            )));
        }
        let expected = HEADER + 2 * count + 32;
        if bytes.len() != expected {
            return Err(corrupt(format!(
                "{} bytes, but its header says {count} images ({expected} bytes): truncated or \
                 extended",
                bytes.len()
            )));
        }
        let body = &bytes[..expected - 32];
        if Sha256::digest(body).as_slice() != &bytes[expected - 32..] {
            return Err(corrupt(
                "its SHA-256 does not match its contents (changed after it was written)".into(),
            ));
        }
        let name = &bytes[16..16 + NAME_BYTES];
        let end = name.iter().position(|&b| b == 0).unwrap_or(NAME_BYTES);
        let predictions = TestPredictions {
            dataset: String::from_utf8_lossy(&name[..end]).into_owned(),
            test_sha256: bytes[48..80].iter().map(|b| format!("{b:02x}")).collect(),
            classes,
            predicted: bytes[HEADER..HEADER + count].to_vec(),
            labels: bytes[HEADER + count..HEADER + 2 * count].to_vec(),
        };
        predictions.check().map_err(corrupt)?;
        Ok(predictions)
    }

    /// Writes `run_dir/predictions.bin` (atomically).
    pub fn write(&self, run_dir: &Path) -> Result<(), FileError> {
        self.write_as(run_dir, files::PREDICTIONS)
    }

    /// Writes `run_dir/<name>` (atomically): `eval` writes its own predictions under another
    /// name when they differ from training's.
    pub fn write_as(&self, run_dir: &Path, name: &str) -> Result<(), FileError> {
        let path = run_dir.join(name);
        let bytes = self
            .to_bytes()
            .map_err(|m| FileError::corrupt(&path, format!("cannot be written: {m}")))?;
        write_atomic(&path, &bytes).map_err(FileError::io(path))
    }

    /// Reads `run_dir/predictions.bin`; `None` when the run has none (trained before actlab
    /// wrote them: `actlab eval` adds it).
    pub fn read(run_dir: &Path) -> Result<Option<TestPredictions>, FileError> {
        Self::read_as(run_dir, files::PREDICTIONS)
    }

    /// Reads `run_dir/<name>` (`None` when missing).
    pub fn read_as(run_dir: &Path, name: &str) -> Result<Option<TestPredictions>, FileError> {
        let path = run_dir.join(name);
        let limit = (HEADER + 2 * MAX_IMAGES + 32) as u64;
        match crate::fsio::read_bytes(&path, limit) {
            Ok(bytes) => Self::parse(&bytes, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FileError::io(path)(e)),
        }
    }
}

/// The SHA-256 identifying a test set: over its labels, then its values (`values` as stored:
/// bytes for images, little-endian `f32` for generated sequences).
pub fn test_set_sha256(labels: &[u8], values: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(labels);
    hasher.update(values);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hex_bytes(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample(n: usize) -> TestPredictions {
        TestPredictions {
            dataset: "fashion-mnist".into(),
            test_sha256: test_set_sha256(b"labels", b"values"),
            classes: 10,
            predicted: (0..n).map(|i| (i * 7 % 10) as u8).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
        }
    }

    #[test]
    fn round_trip_through_a_run_directory() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(TestPredictions::read(tmp.path()).unwrap(), None);
        let p = sample(10_000);
        p.write(tmp.path()).unwrap();
        let bytes = std::fs::read(tmp.path().join(files::PREDICTIONS)).unwrap();
        assert_eq!(bytes.len(), 20_112, "80 + 2 × 10,000 + 32");
        assert_eq!(&bytes[..8], b"ACTLPRED");
        let back = TestPredictions::read(tmp.path()).unwrap().unwrap();
        assert_eq!(back, p);
        // 7i ≡ i (mod 10) exactly when 6i ≡ 0 (mod 10), i.e. when i is a multiple of 5.
        assert_eq!(
            back.correct_count(),
            (0..10_000).filter(|i| i % 5 == 0).count()
        );
        assert_eq!(back.correct().iter().filter(|&&c| c).count(), 2_000);
    }

    #[test]
    fn the_sha256_of_a_test_set_is_sha256sum_of_its_bytes() {
        // `printf 'abc' | sha256sum`
        assert_eq!(
            test_set_sha256(b"a", b"bc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn every_corruption_is_one_line_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let p = sample(100);
        p.write(tmp.path()).unwrap();
        let path = tmp.path().join(files::PREDICTIONS);
        let good = std::fs::read(&path).unwrap();
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("truncated", good[..good.len() - 1].to_vec()),
            ("extended", [good.as_slice(), b"x"].concat()),
            ("not ours", b"ACTLPREX".repeat(30)),
        ];
        let mut flipped = good.clone();
        flipped[HEADER + 3] ^= 1;
        cases.push(("a changed prediction", flipped));
        let mut version = good.clone();
        version[8] = 2;
        cases.push(("a future version", version));
        let mut count = good.clone();
        count[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        cases.push(("a huge count", count));
        for (what, bytes) in cases {
            std::fs::write(&path, &bytes).unwrap();
            let error = TestPredictions::read(tmp.path()).unwrap_err().to_string();
            assert!(
                error.contains("predictions.bin") && !error.contains('\n'),
                "{what}: {error}"
            );
        }
        // A file whose hash is right but whose values are not (a class past `classes`).
        let mut bad = sample(5);
        bad.predicted[2] = 10;
        assert!(bad.to_bytes().unwrap_err().contains("image 2"));
        let mut body = sample(5).to_bytes().unwrap();
        body[HEADER + 2] = 10;
        let n = body.len() - 32;
        let digest = Sha256::digest(&body[..n]);
        body[n..].copy_from_slice(&digest);
        let error = TestPredictions::parse(&body, &path)
            .unwrap_err()
            .to_string();
        assert!(error.contains("predicted class 10"), "{error}");
        // A directory and a FIFO-like special file are errors, not hangs.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(TestPredictions::read(tmp.path()).is_err());
    }
}
