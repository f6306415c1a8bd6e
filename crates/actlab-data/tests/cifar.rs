#![allow(clippy::unwrap_used)]
//! CIFAR-10's binary batches, read from small files the tests write in the published format
//! (3,073-byte records: a label, then the red, green and blue 32×32 planes), found as the
//! archive unpacks them, refused when broken, and the archive itself unpacked safely.

use std::io::Write;
use std::path::Path;

use actlab_data::{DataError, Scaling, Silent, SourceKind, Sources};
use actlab_format::dataset::{CIFAR10_BATCHES, CIFAR10_RECORD, DatasetName};
use sha2::{Digest, Sha256};

/// Record `i` of batch `b`: label `(b + i) % 10`, pixel `p` = `(7·i + 3·b + p) % 256`.
fn record(b: usize, i: usize) -> Vec<u8> {
    let mut r = vec![((b + i) % 10) as u8];
    r.extend((0..CIFAR10_RECORD - 1).map(|p| ((7 * i + 3 * b + p) % 256) as u8));
    r
}

fn batch(b: usize, records: usize) -> Vec<u8> {
    (0..records).flat_map(|i| record(b, i)).collect()
}

/// Six batches: `per` records in each training batch, `test` in the test batch.
fn write_cifar(dir: &Path, per: usize, test: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for (b, name) in CIFAR10_BATCHES.iter().enumerate() {
        let n = if b == 5 { test } else { per };
        std::fs::write(dir.join(name), batch(b, n)).unwrap();
    }
}

#[test]
fn batches_load_in_order_with_labels_images_and_classes() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), 4, 3);
    let data = actlab_data::load_dir(dir.path(), DatasetName::Cifar10).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (20, 3));
    assert_eq!(data.train.features(), 3 * 32 * 32);
    // Training image 6 is record 2 of data_batch_2.bin, its bytes after the label.
    assert_eq!(data.train.image(6).unwrap(), &record(1, 2)[1..]);
    assert_eq!(data.test.image(2).unwrap(), &record(5, 2)[1..]);
    let train_labels: Vec<u8> = (0..5)
        .flat_map(|b| (0..4).map(move |i| ((b + i) % 10) as u8))
        .collect();
    assert_eq!(data.train.labels(), train_labels.as_slice());
    assert_eq!(data.test.labels(), &[5, 6, 7]);
    // The files read, each with the SHA-256 of its bytes; none is published to compare with.
    assert_eq!(data.files.len(), 6);
    let bytes = std::fs::read(dir.path().join("test_batch.bin")).unwrap();
    assert_eq!(data.files[5].file, "test_batch.bin");
    assert_eq!(
        data.files[5].sha256,
        format!("{:x}", Sha256::digest(&bytes))
    );
    assert_eq!(data.identify(), Some(DatasetName::Cifar10));
    let checks = data.checksums_against(DatasetName::Cifar10);
    assert_eq!(checks.len(), 6);
    assert!(
        checks
            .iter()
            .all(|c| c.status == actlab_data::ChecksumStatus::Unpublished)
    );
    assert_eq!(DatasetName::Cifar10.class_names()[3], "cat");
    // A batch for the model: the record's bytes in order (channel-major), scaled to [0, 1].
    let device = burn::tensor::Device::flex();
    let b = data.train.batch(&[6], Scaling::Unit, &device).unwrap();
    assert_eq!(b.images.dims(), [1, 3072]);
    let values: Vec<f32> = b.images.into_data().try_to_vec().unwrap();
    let bytes = &record(1, 2)[1..];
    assert_eq!(values.len(), bytes.len());
    let worst = values
        .iter()
        .zip(bytes)
        .map(|(&v, &p)| (f64::from(v) - f64::from(p) / 255.0).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-6, "largest difference from byte/255: {worst}");
}

#[test]
fn the_unpacked_archive_directory_is_found_and_located() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("datasets/cifar-10");
    write_cifar(&project.join("cifar-10-batches-bin"), 2, 2);
    let data = actlab_data::load_dir(&project, DatasetName::Cifar10).unwrap();
    assert_eq!(data.train.len(), 10);
    let sources = Sources {
        system_roots: Vec::new(),
        ..Sources::standard(root.path().join("datasets"))
    }
    .offline();
    let located = actlab_data::locate(DatasetName::Cifar10, &sources, &mut Silent).unwrap();
    assert_eq!(located.source, SourceKind::Project);
    // Without it, offline: one error that says how to provide it.
    std::fs::remove_dir_all(&project).unwrap();
    let error = actlab_data::locate(DatasetName::Cifar10, &sources, &mut Silent)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cifar-10-binary.tar.gz") && error.contains("datasets/cifar-10/"),
        "{error}"
    );
}

#[test]
fn broken_batches_are_one_line_errors_naming_the_file() {
    let case = |change: &dyn Fn(&Path)| -> String {
        let dir = tempfile::tempdir().unwrap();
        write_cifar(dir.path(), 2, 2);
        change(dir.path());
        let error = actlab_data::load_dir(dir.path(), DatasetName::Cifar10).unwrap_err();
        let text = error.to_string();
        assert_eq!(text.lines().count(), 1, "{text}");
        text
    };
    let bad_label = case(&|d| {
        let mut bytes = batch(2, 2);
        bytes[CIFAR10_RECORD] = 10; // record 1's label
        std::fs::write(d.join("data_batch_3.bin"), bytes).unwrap();
    });
    assert!(
        bad_label.contains("data_batch_3.bin") && bad_label.contains("record 1 has label 10"),
        "{bad_label}"
    );
    let cut = case(&|d| std::fs::write(d.join("test_batch.bin"), &batch(5, 2)[..5000]).unwrap());
    assert!(
        cut.contains("test_batch.bin") && cut.contains("5000 bytes"),
        "{cut}"
    );
    let missing = case(&|d| std::fs::remove_file(d.join("data_batch_5.bin")).unwrap());
    assert!(missing.contains("missing data_batch_5.bin"), "{missing}");
    let directory = case(&|d| {
        std::fs::remove_file(d.join("data_batch_4.bin")).unwrap();
        std::fs::create_dir(d.join("data_batch_4.bin")).unwrap();
    });
    assert!(
        directory.contains("data_batch_4.bin") && directory.contains("not a regular file"),
        "{directory}"
    );
    let empty = case(&|d| std::fs::write(d.join("data_batch_1.bin"), b"").unwrap());
    assert!(empty.contains("0 bytes"), "{empty}");
}

/// A `.tar.gz` of `entries` (path, bytes).
fn archive(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let file = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

#[test]
fn the_archive_unpacks_only_the_six_batches_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cifar-10-binary.tar.gz");
    let mut entries: Vec<(&str, Vec<u8>)> = vec![
        (
            "cifar-10-batches-bin/batches.meta.txt",
            b"airplane\n".to_vec(),
        ),
        ("cifar-10-batches-bin/readme.html", b"<html>".to_vec()),
    ];
    let names: Vec<String> = CIFAR10_BATCHES
        .iter()
        .map(|n| format!("cifar-10-batches-bin/{n}"))
        .collect();
    for (b, name) in names.iter().enumerate() {
        entries.push((name.as_str(), batch(b, 3)));
    }
    archive(&path, &entries);
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    actlab_data::cifar::unpack(&path, &dest).unwrap();
    let mut written: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = CIFAR10_BATCHES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(written, expected);
    let data = actlab_data::load_dir(&dest, DatasetName::Cifar10).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (15, 3));

    // An archive without every batch is refused, naming what it lacks.
    let partial = dir.path().join("partial.tar.gz");
    archive(&partial, &entries[..4]);
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let error = actlab_data::cifar::unpack(&partial, &other).unwrap_err();
    assert!(
        matches!(&error, DataError::Invalid { reason, .. } if reason.contains("lacks data_batch_3.bin")),
        "{error}"
    );
    // Not an archive at all: one line naming the file.
    std::fs::write(&partial, b"not gzip").unwrap();
    let error = actlab_data::cifar::unpack(&partial, &other)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("partial.tar.gz") && error.lines().count() == 1,
        "{error}"
    );
}
