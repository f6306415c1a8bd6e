//! CIFAR-10's published binary format: six batch files of 3,073-byte records (a label, then a
//! 3×32×32 image, channel-major), found in a directory or in the `cifar-10-batches-bin/`
//! the archive unpacks into, and the archive itself unpacked (only the six batch files, by
//! name: no path from the archive is ever written to).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use actlab_format::dataset::{
    CIFAR10_ARCHIVE_DIR, CIFAR10_BATCHES, CIFAR10_PER_BATCH, CIFAR10_RECORD, DatasetName,
    NUM_CLASSES,
};
use sha2::{Digest, Sha256};

use crate::error::DataError;
use crate::mnist::{LoadedFile, MnistData, Split, Values};

/// The directory holding the batch files: `dir` itself, or the archive's
/// `cifar-10-batches-bin/` inside it (whichever has the first batch; `dir` when neither).
pub fn batch_dir(dir: &Path) -> PathBuf {
    let present = |d: &Path| std::fs::symlink_metadata(d.join(CIFAR10_BATCHES[0])).is_ok();
    let nested = dir.join(CIFAR10_ARCHIVE_DIR);
    if !present(dir) && present(&nested) {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// The batch files `dir` lacks (looked for as [`batch_dir`] does).
pub fn missing_files(dir: &Path) -> Vec<String> {
    let dir = batch_dir(dir);
    CIFAR10_BATCHES
        .iter()
        .filter(|name| std::fs::symlink_metadata(dir.join(name)).is_err())
        .map(|name| name.to_string())
        .collect()
}

/// The batch file `name` in `dir` read and checked: a whole number of records, at most the
/// published 10,000, every label 0–9. Returns the images (channel-major bytes) and labels.
fn read_batch(dir: &Path, name: &'static str) -> Result<(Vec<u8>, Vec<u8>, LoadedFile), DataError> {
    let path = &dir.join(name);
    let io_error = |error| DataError::Io {
        path: path.to_path_buf(),
        error,
    };
    let invalid = |reason: String| DataError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    actlab_idx::regular_file(path).map_err(io_error)?;
    let limit = (CIFAR10_PER_BATCH * CIFAR10_RECORD) as u64;
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(invalid(format!(
            "larger than {limit} bytes ({CIFAR10_PER_BATCH} records of {CIFAR10_RECORD}): not a \
             CIFAR-10 batch"
        )));
    }
    if bytes.is_empty() || !bytes.len().is_multiple_of(CIFAR10_RECORD) {
        return Err(invalid(format!(
            "{} bytes, not a whole number of {CIFAR10_RECORD}-byte records (a label and a \
             3×32×32 image): not a CIFAR-10 binary batch (the Python or MATLAB version?)",
            bytes.len()
        )));
    }
    let records = bytes.len() / CIFAR10_RECORD;
    let mut images = Vec::with_capacity(records * (CIFAR10_RECORD - 1));
    let mut labels = Vec::with_capacity(records);
    for (i, record) in bytes.chunks_exact(CIFAR10_RECORD).enumerate() {
        let label = record[0];
        if usize::from(label) >= NUM_CLASSES {
            return Err(invalid(format!(
                "record {i} has label {label}; CIFAR-10's are 0–9"
            )));
        }
        labels.push(label);
        images.extend_from_slice(&record[1..]);
    }
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let file = LoadedFile {
        file: name,
        path: path.to_path_buf(),
        sha256,
    };
    Ok((images, labels, file))
}

/// Reads and checks CIFAR-10's six batch files in `dir` (or its `cifar-10-batches-bin/`): the
/// five training batches make the training split in order, `test_batch.bin` the test split.
pub fn load(dir: &Path) -> Result<MnistData, DataError> {
    let missing = missing_files(dir);
    if !missing.is_empty() {
        return Err(DataError::Incomplete {
            dir: dir.to_path_buf(),
            missing,
        });
    }
    let at = batch_dir(dir);
    let read: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = CIFAR10_BATCHES
            .iter()
            .map(|&name| {
                let at = &at;
                scope.spawn(move || read_batch(at, name))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DataError::Split(
                        "the CIFAR-10 reader thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let mut files = Vec::with_capacity(CIFAR10_BATCHES.len());
    let (mut train_images, mut train_labels) = (Vec::new(), Vec::new());
    let mut test = None;
    for (i, result) in read.into_iter().enumerate() {
        let (images, labels, file) = result?;
        files.push(file);
        if i + 1 == CIFAR10_BATCHES.len() {
            test = Some((images, labels));
        } else {
            train_images.extend_from_slice(&images);
            train_labels.extend_from_slice(&labels);
        }
    }
    let (test_images, test_labels) = test.unwrap_or_default();
    let features = CIFAR10_RECORD - 1;
    let split = |images, labels, file: &LoadedFile| {
        Split::of(Values::Bytes(images), features, labels).map_err(|e| DataError::Invalid {
            path: file.path.clone(),
            reason: e.to_string(),
        })
    };
    Ok(MnistData {
        name: DatasetName::Cifar10,
        dir: dir.to_path_buf(),
        train: split(train_images, train_labels, &files[0])?,
        test: split(test_images, test_labels, &files[files.len() - 1])?,
        files,
    })
}

/// Unpacks the six batch files from the archive (`.tar.gz`) at `archive` into `dest`, each
/// written atomically under its own name; other entries are skipped and no path from the
/// archive is used. An entry larger than a published batch is refused.
pub fn unpack(archive: &Path, dest: &Path) -> Result<(), DataError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |error| DataError::Io { path, error }
    };
    let file = File::open(archive).map_err(io_error(archive))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(io::BufReader::new(file)));
    let mut unpacked = Vec::new();
    for entry in tar.entries().map_err(io_error(archive))? {
        let mut entry = entry.map_err(io_error(archive))?;
        let path = entry.path().map_err(io_error(archive))?.into_owned();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| CIFAR10_BATCHES.iter().find(|b| **b == n))
        else {
            continue;
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let limit = (CIFAR10_PER_BATCH * CIFAR10_RECORD) as u64;
        if entry.size() > limit {
            return Err(DataError::Invalid {
                path: archive.to_path_buf(),
                reason: format!("{name} holds {} bytes, more than a batch", entry.size()),
            });
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .by_ref()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error(archive))?;
        let target = dest.join(name);
        actlab_format::fsio::write_atomic(&target, &bytes).map_err(io_error(&target))?;
        unpacked.push(*name);
    }
    let missing: Vec<String> = CIFAR10_BATCHES
        .iter()
        .filter(|b| !unpacked.contains(b))
        .map(|b| b.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DataError::Invalid {
            path: archive.to_path_buf(),
            reason: format!("the archive lacks {}", missing.join(", ")),
        })
    }
}
