//! A dataset in memory: two splits of 28×28 byte images and labels, loaded from a directory of
//! IDX files and checked (shape, label range, counts), with the statistics `data info` reports
//! and the checksums `data verify` compares.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::DataError;
use actlab_format::dataset::{
    DatasetName, FileRole, FileSpec, IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES, Storage,
};
use actlab_idx::{IdxArray, read_idx_file_within};

/// Why values and labels do not make a split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Not one example of `features` values per label.
    #[error("{values} values for {labels} labels (expected {features} per example)")]
    Shape {
        /// Values given.
        values: usize,
        /// Labels given.
        labels: usize,
        /// Values per example.
        features: usize,
    },
    /// A label that is no class.
    #[error("label {label} at index {index} is not a class (0 to {})", classes - 1)]
    NotAClass {
        /// The label.
        label: u8,
        /// Its position.
        index: usize,
        /// Classes the labels run over.
        classes: usize,
    },
}

/// One split (train or test): `len` examples of `features` values, row-major, and their
/// labels. Images are bytes (28×28, scaled when batched); MNIST-1D's sequences are floats,
/// used as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    values: Values,
    features: usize,
    labels: Vec<u8>,
    classes: usize,
}

/// How a split holds its values.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Grey levels 0–255.
    Bytes(Vec<u8>),
    /// Real values (MNIST-1D).
    Floats(Vec<f32>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Bytes(v) => v.len(),
            Values::Floats(v) => v.len(),
        }
    }
}

impl Split {
    /// Builds a split of 28×28 images, checking that `images` holds one 784-byte image per
    /// label and that every label is a class (< 10).
    pub fn new(images: Vec<u8>, labels: Vec<u8>) -> Result<Split, SplitError> {
        Split::of(Values::Bytes(images), IMAGE_PIXELS, labels)
    }

    /// Builds a split of `features` values per example, checked as [`Split::new`].
    pub fn of(values: Values, features: usize, labels: Vec<u8>) -> Result<Split, SplitError> {
        Split::with_classes(values, features, labels, NUM_CLASSES)
    }

    /// Builds a split whose labels run over `classes` classes (EMNIST balanced: 47).
    pub fn with_classes(
        values: Values,
        features: usize,
        labels: Vec<u8>,
        classes: usize,
    ) -> Result<Split, SplitError> {
        if features == 0 || values.len() != labels.len() * features {
            return Err(SplitError::Shape {
                values: values.len(),
                labels: labels.len(),
                features,
            });
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, l)| usize::from(**l) >= classes)
        {
            return Err(SplitError::NotAClass {
                label,
                index,
                classes,
            });
        }
        Ok(Split {
            values,
            features,
            labels,
            classes,
        })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split has no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per example (784 for the images, 40 for MNIST-1D).
    pub fn features(&self) -> usize {
        self.features
    }

    /// The values, example after example.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// All pixels, image after image, of an image split; empty for a split of floats.
    pub fn pixels(&self) -> &[u8] {
        match &self.values {
            Values::Bytes(v) => v,
            Values::Floats(_) => &[],
        }
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The 784 pixels of image `index`, or `None` past the end (and for a split of floats).
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let start = index.checked_mul(self.features)?;
        self.pixels().get(start..start.checked_add(self.features)?)
    }

    /// Classes the labels run over.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The SHA-256 identifying the first `count` examples (all, if fewer): their labels, then
    /// their values as stored (floats little-endian) — what `predictions.bin` records, so
    /// runs scored on other images are never compared image by image.
    pub fn sha256(&self, count: usize) -> String {
        let n = count.min(self.len());
        let labels = &self.labels[..n];
        match &self.values {
            Values::Bytes(v) => {
                actlab_format::run::predictions::test_set_sha256(labels, &v[..n * self.features])
            }
            Values::Floats(v) => {
                let bytes: Vec<u8> = v[..n * self.features]
                    .iter()
                    .flat_map(|f| f.to_le_bytes())
                    .collect();
                actlab_format::run::predictions::test_set_sha256(labels, &bytes)
            }
        }
    }

    /// How many examples each class has, one count per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// Mean and (population) standard deviation of the values as the model sees them (pixels
    /// scaled to [0, 1]; floats as they are).
    pub fn pixel_stats(&self) -> (f64, f64) {
        let floats = match &self.values {
            Values::Bytes(bytes) => return byte_stats(bytes),
            Values::Floats(v) => v,
        };
        let n = floats.len().max(1) as f64;
        let mean = floats.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = floats
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }
}

fn byte_stats(bytes: &[u8]) -> (f64, f64) {
    let mut histogram = [0u64; 256];
    for &p in bytes {
        histogram[usize::from(p)] += 1;
    }
    let n = bytes.len().max(1) as f64;
    let mean = histogram
        .iter()
        .enumerate()
        .map(|(v, &c)| v as f64 / 255.0 * c as f64)
        .sum::<f64>()
        / n;
    let var = histogram
        .iter()
        .enumerate()
        .map(|(v, &c)| (v as f64 / 255.0 - mean).powi(2) * c as f64)
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

/// A loaded dataset.
#[derive(Debug, Clone)]
pub struct MnistData {
    /// Which dataset the files are meant to be.
    pub name: DatasetName,
    /// Where they were read from.
    pub dir: PathBuf,
    /// The training split (60,000 images for the real datasets).
    pub train: Split,
    /// The test split (10,000).
    pub test: Split,
    /// The files read, in role order, for checksum reports.
    pub files: Vec<LoadedFile>,
}

/// One file read: where, and the SHA-256 of its uncompressed content.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedFile {
    /// The file's base name (`train-images-idx3-ubyte`).
    pub file: &'static str,
    /// The path read (`….gz` or raw).
    pub path: PathBuf,
    /// SHA-256 (hex) of the uncompressed IDX content.
    pub sha256: String,
}

/// Whether a file's content is the published one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumStatus {
    /// SHA-256 of the uncompressed content equals the published data's.
    Ok,
    /// It differs: not the published file (modified, or another dataset).
    Mismatch,
    /// No SHA-256 of the content is published for this dataset (KMNIST): nothing to compare.
    Unpublished,
}

/// One file compared with the published checksum.
#[derive(Debug, Clone, Serialize)]
pub struct FileChecksum {
    /// The file's base name.
    pub file: &'static str,
    /// The path read.
    pub path: PathBuf,
    /// SHA-256 of its uncompressed content.
    pub sha256: String,
    /// The published data's SHA-256.
    pub expected_sha256: &'static str,
    /// Whether they agree.
    pub status: ChecksumStatus,
}

impl MnistData {
    /// Compares every file's content with the published checksums of `dataset`.
    pub fn checksums_against(&self, dataset: DatasetName) -> Vec<FileChecksum> {
        if dataset.storage() == Storage::CifarBinary && self.name == dataset {
            // No SHA-256 of CIFAR-10's batches is published (only the archive's MD5).
            return self
                .files
                .iter()
                .map(|file| FileChecksum {
                    file: file.file,
                    path: file.path.clone(),
                    sha256: file.sha256.clone(),
                    expected_sha256: "",
                    status: ChecksumStatus::Unpublished,
                })
                .collect();
        }
        dataset
            .files()
            .iter()
            .zip(&self.files)
            .map(|(spec, file)| FileChecksum {
                file: file.file,
                path: file.path.clone(),
                sha256: file.sha256.clone(),
                expected_sha256: spec.raw_sha256,
                status: if spec.raw_sha256.is_empty() {
                    ChecksumStatus::Unpublished
                } else if file.sha256 == spec.raw_sha256 {
                    ChecksumStatus::Ok
                } else {
                    ChecksumStatus::Mismatch
                },
            })
            .collect()
    }

    /// The published dataset whose training labels these are, if any.
    pub fn identify(&self) -> Option<DatasetName> {
        if self.name.storage() == Storage::CifarBinary || self.name == DatasetName::EmnistBalanced {
            // Their own format or file names: nothing else is read from CIFAR-10's batches or
            // EMNIST's files.
            return Some(self.name);
        }
        DatasetName::ALL.into_iter().find(|d| {
            self.checksums_against(*d)
                .iter()
                .any(|c| c.status == ChecksumStatus::Ok)
        })
    }
}

/// Where a file of `spec` is in `dir`: the raw file if present (no decompression), else `.gz`.
pub fn find_file(dir: &Path, spec: &FileSpec) -> Option<PathBuf> {
    // Anything at the name counts as there (a FIFO, a symlink loop, an unreadable file): reading
    // it then says what is wrong, instead of calling it missing.
    let present = |path: &PathBuf| std::fs::symlink_metadata(path).is_ok();
    let raw = dir.join(spec.base);
    if present(&raw) {
        return Some(raw);
    }
    let gz = dir.join(spec.gz_name());
    present(&gz).then_some(gz)
}

/// The files of `name` that `dir` lacks (as `base[.gz]`; CIFAR-10's batch names).
pub fn missing_files(dir: &Path, name: DatasetName) -> Vec<String> {
    if name.storage() == Storage::CifarBinary {
        return crate::cifar::missing_files(dir);
    }
    name.files()
        .iter()
        .filter(|spec| find_file(dir, spec).is_none())
        .map(|spec| format!("{}[.gz]", spec.base))
        .collect()
}

struct Read {
    array: IdxArray,
    file: LoadedFile,
}

fn read_one(dir: &Path, name: DatasetName, spec: &'static FileSpec) -> Result<Read, DataError> {
    let path = find_file(dir, spec).ok_or_else(|| DataError::Incomplete {
        dir: dir.to_path_buf(),
        missing: vec![format!("{}[.gz]", spec.base)],
    })?;
    // No file is larger than its part of the published dataset.
    let (count, per_item) = name.file_items(spec.role);
    let array =
        read_idx_file_within(&path, (count * per_item) as u64).map_err(|error| DataError::Idx {
            path: path.clone(),
            error,
        })?;
    let want_rank = match spec.role {
        FileRole::TrainImages | FileRole::TestImages => 3,
        FileRole::TrainLabels | FileRole::TestLabels => 1,
    };
    let side = IMAGE_SIDE as u32;
    let shape_ok = array.dims.len() == want_rank
        && (want_rank == 1 || (array.dims[1] == side && array.dims[2] == side));
    if !shape_ok {
        let expected = if want_rank == 1 {
            "[n] labels"
        } else {
            "[n, 28, 28] images"
        };
        return Err(DataError::Invalid {
            path,
            reason: format!("dimensions {:?}, expected {expected}", array.dims),
        });
    }
    let mut hasher = Sha256::new();
    hasher.update(array.header());
    hasher.update(&array.data);
    let sha256 = format!("{:x}", hasher.finalize());
    Ok(Read {
        array,
        file: LoadedFile {
            file: spec.base,
            path,
            sha256,
        },
    })
}

/// Turns every 28×28 image stored columns first (EMNIST) into rows first, in place.
pub fn transpose_images(pixels: &mut [u8]) {
    for image in pixels.chunks_exact_mut(IMAGE_PIXELS) {
        for row in 0..IMAGE_SIDE {
            for col in row + 1..IMAGE_SIDE {
                image.swap(row * IMAGE_SIDE + col, col * IMAGE_SIDE + row);
            }
        }
    }
}

fn split(name: DatasetName, images: Read, labels: Read) -> Result<Split, DataError> {
    let (n_images, n_labels) = (images.array.dims[0], labels.array.dims[0]);
    if n_images != n_labels {
        return Err(DataError::Invalid {
            path: labels.file.path,
            reason: format!(
                "{n_labels} labels for the {n_images} images of {}",
                images.file.path.display()
            ),
        });
    }
    let mut pixels = images.array.data;
    if name.transposed() {
        transpose_images(&mut pixels);
    }
    Split::with_classes(
        Values::Bytes(pixels),
        IMAGE_PIXELS,
        labels.array.data,
        name.num_classes(),
    )
    .map_err(|e| DataError::Invalid {
        path: labels.file.path,
        reason: e.to_string(),
    })
}

/// Reads and checks the four IDX files of `name` in `dir` (each `.gz` or raw); CIFAR-10's
/// batches are read by [`crate::cifar::load`], MNIST-1D is generated
/// ([`crate::mnist1d::dataset`]).
///
/// The two largest files are decoded on separate threads.
pub fn load_dir(dir: &Path, name: DatasetName) -> Result<MnistData, DataError> {
    match name.storage() {
        Storage::Generated => return crate::mnist1d::dataset(),
        Storage::CifarBinary => return crate::cifar::load(dir),
        Storage::Idx => {}
    }
    let [train_images, train_labels, test_images, test_labels] = name.files() else {
        return Err(DataError::Split(format!("{name} has no files to read")));
    };
    let (train_images, rest) = std::thread::scope(|scope| {
        let big = scope.spawn(|| read_one(dir, name, train_images));
        let rest = [train_labels, test_images, test_labels].map(|spec| read_one(dir, name, spec));
        let big = big
            .join()
            .unwrap_or_else(|_| Err(DataError::Split("the IDX reader thread panicked".into())));
        (big, rest)
    });
    let [train_labels, test_images, test_labels] = rest;
    let (train_images, train_labels) = (train_images?, train_labels?);
    let (test_images, test_labels) = (test_images?, test_labels?);
    let files = [&train_images, &train_labels, &test_images, &test_labels]
        .map(|r| r.file.clone())
        .to_vec();
    Ok(MnistData {
        name,
        dir: dir.to_path_buf(),
        train: split(name, train_images, train_labels)?,
        test: split(name, test_images, test_labels)?,
        files,
    })
}
