#![allow(clippy::unwrap_used)]
//! EMNIST balanced from files the test writes: NIST's zip (here a small one in the same layout)
//! unpacks to the four `.gz` files by name, they load with 47 classes and upright images, and a
//! broken archive or a label past the classes is refused with one line.

mod common;

use std::io::Write;
use std::path::Path;

use actlab_data::DataError;
use actlab_format::dataset::DatasetName;
use actlab_idx::IdxArray;
use common::gzip;

const EMNIST: DatasetName = DatasetName::EmnistBalanced;

/// Image `i` upright has one bright pixel at row `i % 28`, column `(3 * i + 1) % 28`; stored the
/// way NIST stores it: transposed (columns first).
fn stored_images(n: u32) -> IdxArray {
    let mut data = vec![0u8; n as usize * 784];
    for i in 0..n as usize {
        let (row, col) = (i % 28, (3 * i + 1) % 28);
        data[i * 784 + col * 28 + row] = 255;
    }
    IdxArray {
        dims: vec![n, 28, 28],
        data,
    }
}

/// `n` labels cycling through all 47 classes.
fn labels(n: u32) -> IdxArray {
    IdxArray {
        dims: vec![n],
        data: (0..n).map(|i| (i % 47) as u8).collect(),
    }
}

/// A zip in NIST's layout: the balanced split's four `.gz` files under `gzip/`, beside another
/// split's file and an entry whose path leaves the directory.
fn write_archive(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn balanced_entries(train: u32, test: u32) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "gzip/emnist-digits-train-images-idx3-ubyte.gz",
            gzip(&stored_images(2).to_bytes()),
        ),
        ("../escape.gz", b"not used".to_vec()),
        (
            "gzip/emnist-balanced-train-images-idx3-ubyte.gz",
            gzip(&stored_images(train).to_bytes()),
        ),
        (
            "gzip/emnist-balanced-train-labels-idx1-ubyte.gz",
            gzip(&labels(train).to_bytes()),
        ),
        (
            "gzip/emnist-balanced-test-images-idx3-ubyte.gz",
            gzip(&stored_images(test).to_bytes()),
        ),
        (
            "gzip/emnist-balanced-test-labels-idx1-ubyte.gz",
            gzip(&labels(test).to_bytes()),
        ),
    ]
}

#[test]
fn the_archive_unpacks_to_four_files_that_load_upright_with_47_classes() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("gzip.zip");
    write_archive(&archive, &balanced_entries(94, 47));
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    actlab_data::emnist::unpack(&archive, &dest, EMNIST).unwrap();
    let mut written: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "emnist-balanced-test-images-idx3-ubyte.gz",
            "emnist-balanced-test-labels-idx1-ubyte.gz",
            "emnist-balanced-train-images-idx3-ubyte.gz",
            "emnist-balanced-train-labels-idx1-ubyte.gz",
        ]
    );
    assert!(!dir.path().join("escape.gz").exists());

    let data = actlab_data::load_dir(&dest, EMNIST).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (94, 47));
    assert_eq!(data.train.classes(), 47);
    assert_eq!(data.train.class_counts(), vec![2; 47]);
    assert_eq!(data.test.class_counts(), vec![1; 47]);
    assert_eq!(data.train.labels()[46], 46);
    for i in [0usize, 5, 29, 93] {
        let image = data.train.image(i).unwrap();
        let (row, col) = (i % 28, (3 * i + 1) % 28);
        let bright: Vec<usize> = (0..784).filter(|&p| image[p] == 255).collect();
        assert_eq!(bright, [row * 28 + col], "image {i} is read upright");
    }
    // Its file names are its own; no content checksum is published.
    assert_eq!(data.identify(), Some(EMNIST));
    assert!(
        data.checksums_against(EMNIST)
            .iter()
            .all(|c| c.status == actlab_data::ChecksumStatus::Unpublished)
    );
    assert_eq!(EMNIST.class_names()[36], "a");
    assert_eq!(EMNIST.class_names()[46], "t");
}

#[test]
fn a_label_past_46_or_a_broken_archive_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // Label 47 in the training labels.
    let mut entries = balanced_entries(47, 47);
    let mut bad = labels(47);
    bad.data[10] = 47;
    entries[3].1 = gzip(&bad.to_bytes());
    let archive = dir.path().join("gzip.zip");
    write_archive(&archive, &entries);
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    actlab_data::emnist::unpack(&archive, &dest, EMNIST).unwrap();
    let error = actlab_data::load_dir(&dest, EMNIST)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("label 47 at index 10 is not a class (0 to 46)")
            && error.contains("emnist-balanced-train-labels-idx1-ubyte.gz"),
        "{error}"
    );
    // The files carry EMNIST's names: asked for MNIST, the directory lacks MNIST's four.
    let error = actlab_data::load_dir(&dest, DatasetName::Mnist).unwrap_err();
    assert!(matches!(error, DataError::Incomplete { .. }), "{error}");

    // An archive without the test labels names the entry it lacks.
    let partial = dir.path().join("partial.zip");
    write_archive(&partial, &entries[..5]);
    let error = actlab_data::emnist::unpack(&partial, &dest, EMNIST)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("lacks gzip/emnist-balanced-test-labels-idx1-ubyte.gz"),
        "{error}"
    );
    // Not a zip: one line naming the file.
    std::fs::write(&partial, b"PK not really").unwrap();
    let error = actlab_data::emnist::unpack(&partial, &dest, EMNIST)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("partial.zip") && error.contains("not a readable zip archive"),
        "{error}"
    );
    assert_eq!(error.lines().count(), 1, "{error}");
}

#[test]
fn transposing_turns_columns_first_into_rows_first() {
    // Two images; the second is pixel p = 28 * r + c ↦ value (r + 2c) % 256 stored columns
    // first, so upright it reads (r + 2c) at 28 * r + c.
    let mut pixels = vec![0u8; 2 * 784];
    for r in 0..28 {
        for c in 0..28 {
            pixels[784 + 28 * c + r] = (r + 2 * c) as u8;
        }
    }
    pixels[28 * 3 + 5] = 9; // first image: (row 5, col 3) stored
    actlab_data::mnist::transpose_images(&mut pixels);
    assert_eq!(pixels[28 * 5 + 3], 9);
    assert_eq!(pixels[28 * 3 + 5], 0);
    for r in 0..28 {
        for c in 0..28 {
            assert_eq!(pixels[784 + 28 * r + c], (r + 2 * c) as u8);
        }
    }
}

/// The offline message says where to get the archive and which files to take from it.
#[test]
fn the_offline_message_says_how_to_provide_emnist() {
    let dir = tempfile::tempdir().unwrap();
    let sources = actlab_data::Sources::standard(dir.path().join("datasets")).offline();
    let error = actlab_data::fetch(EMNIST, &sources, &mut actlab_data::Silent)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("biometrics.nist.gov/cs_links/EMNIST/gzip.zip")
            && error.contains("gzip/emnist-balanced-*-ubyte.gz"),
        "{error}"
    );
}
