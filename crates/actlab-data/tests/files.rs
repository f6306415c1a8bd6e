#![allow(clippy::unwrap_used)]
//! Loading datasets from directories of IDX files the tests write: valid ones (raw and gzip)
//! and every way a file can be broken.

mod common;

use actlab_data::{DataError, Located, Silent, SourceKind, Sources};
use actlab_format::dataset::DatasetName;
use actlab_idx::IdxArray;
use actlab_idx::IdxError;
use common::{FILES, images, labels, write, write_dataset};

#[test]
fn loads_raw_and_gzipped_files_alike() {
    for gz in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), 30, 10, gz);
        let data = actlab_data::load_dir(dir.path(), DatasetName::FashionMnist).unwrap();
        assert_eq!((data.train.len(), data.test.len()), (30, 10));
        assert_eq!(data.train.class_counts(), [3; 10]);
        assert_eq!(data.train.image(1).unwrap(), &images(30).data[784..1568]);
        assert_eq!(data.test.labels(), labels(10).data.as_slice());
        // Tiny fixtures are not the published data.
        assert!(data.identify().is_none());
        let (mean, std) = data.train.pixel_stats();
        let pixels: Vec<f64> = images(30)
            .data
            .iter()
            .map(|&p| f64::from(p) / 255.0)
            .collect();
        let m = pixels.iter().sum::<f64>() / pixels.len() as f64;
        let s = (pixels.iter().map(|p| (p - m).powi(2)).sum::<f64>() / pixels.len() as f64).sqrt();
        assert!((mean - m).abs() < 1e-12 && (std - s).abs() < 1e-12);
    }
}

fn broken(file: usize, bytes: Vec<u8>, gz: bool) -> DataError {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path(), 20, 10, false);
    std::fs::remove_file(dir.path().join(FILES[file])).unwrap();
    write(dir.path(), FILES[file], &bytes, gz);
    actlab_data::load_dir(dir.path(), DatasetName::Mnist).unwrap_err()
}

fn idx_error(error: DataError) -> IdxError {
    match error {
        DataError::Idx { error, .. } => error,
        other => panic!("expected an IDX error, got {other}"),
    }
}

#[test]
fn every_corruption_is_a_one_line_error_naming_the_file() {
    let mut wrong_magic = images(20).to_bytes();
    wrong_magic[0] = 0x12;
    let mut f32_type = labels(20).to_bytes();
    f32_type[2] = 0x0D;
    let truncated = images(20).to_bytes()[..5000].to_vec();
    let mut trailing = labels(20).to_bytes();
    trailing.extend_from_slice(b"garbage");
    let mut hostile = vec![0, 0, 8, 3];
    for dim in [1u32 << 31, 28, 28] {
        hostile.extend_from_slice(&dim.to_be_bytes());
    }
    let mut bad_label = labels(20);
    bad_label.data[7] = 10;
    let wrong_shape = IdxArray {
        dims: vec![20, 32, 32],
        data: vec![0; 20 * 1024],
    };
    let cases: Vec<(usize, Vec<u8>, &str)> = vec![
        (0, wrong_magic, "bad magic number"),
        (1, f32_type, "unsupported IDX element type 0x0d (f32)"),
        (
            0,
            truncated,
            "truncated: the header declares 15680 data bytes, the file has 4984",
        ),
        (1, trailing, "trailing garbage"),
        // The test images file may hold at most the published 10,000 images.
        (2, hostile, "more than the 7840000-byte limit"),
        (
            1,
            bad_label.to_bytes(),
            "label 10 at index 7 is not a class",
        ),
        (
            0,
            wrong_shape.to_bytes(),
            "dimensions [20, 32, 32], expected [n, 28, 28] images",
        ),
        (1, labels(19).to_bytes(), "19 labels for the 20 images"),
        (3, vec![], "truncated header"),
    ];
    for gz in [false, true] {
        for (file, bytes, want) in &cases {
            let message = broken(*file, bytes.clone(), gz).to_string();
            assert!(
                message.contains(want),
                "gz={gz}: {message:?} lacks {want:?}"
            );
            assert!(
                message.contains(FILES[*file]),
                "{message:?} does not name the file"
            );
            assert_eq!(message.lines().count(), 1, "{message:?}");
        }
    }
}

#[test]
fn typed_errors_carry_the_numbers() {
    let truncated = images(20).to_bytes()[..1000].to_vec();
    match idx_error(broken(0, truncated, true)) {
        IdxError::Truncated { expected, found } => assert_eq!((expected, found), (15680, 984)),
        other => panic!("{other}"),
    }
    let mut hostile = vec![0, 0, 8, 1];
    hostile.extend_from_slice(&u32::MAX.to_be_bytes());
    // 4 GiB of labels claimed by an 8-byte file: refused by the cap, nothing allocated.
    assert!(matches!(
        idx_error(broken(1, hostile, false)),
        IdxError::TooLarge { .. }
    ));
    // A gzip bomb: 10,001 test images of zeros (7.8 MB) in a few kilobytes. The published test
    // file has 10,000: refused from the header, before a byte is inflated.
    let bomb = actlab_idx::IdxArray {
        dims: vec![10_001, 28, 28],
        data: vec![0; 10_001 * 784],
    };
    match idx_error(broken(2, bomb.to_bytes(), true)) {
        IdxError::TooLarge { cap, .. } => assert_eq!(cap, 10_000 * 784),
        other => panic!("{other}"),
    }
    let not_gzip = [0x1f, 0x8b, 1, 2, 3].to_vec();
    assert!(matches!(
        idx_error(broken(1, not_gzip, false)),
        IdxError::Io(_)
    ));
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path(), 20, 10, true);
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let message = actlab_data::load_dir(dir.path(), DatasetName::Mnist)
        .unwrap_err()
        .to_string();
    assert!(
        message.ends_with("missing t10k-labels-idx1-ubyte[.gz]"),
        "{message}"
    );
}

fn sources(root: &std::path::Path) -> Sources {
    let mut sources = Sources::standard(root.join("datasets")).offline();
    sources.system_roots = vec![root.join("system")];
    sources
}

fn locate(sources: &Sources) -> Result<Located, DataError> {
    actlab_data::locate(DatasetName::FashionMnist, sources, &mut Silent)
}

#[test]
fn sources_are_tried_in_order_and_reported() {
    let root = tempfile::tempdir().unwrap();
    let mut sources = sources(root.path());
    sources.config_dir = Some(root.path().join("mine"));
    // Nothing anywhere: the error lists every source and how to fix it.
    let error = locate(&sources).unwrap_err();
    let DataError::NotFound { attempts, .. } = &error else {
        panic!("{error}")
    };
    let kinds: Vec<SourceKind> = attempts.iter().map(|a| a.source).collect();
    use SourceKind::*;
    assert_eq!(kinds, [Config, Project, System, Download, Apt]);
    let message = error.to_string();
    assert!(message.contains("skipped (offline)"), "{message}");
    assert!(
        message.contains("apt-get install dataset-fashion-mnist"),
        "{message}"
    );

    // The system install is found; an incomplete project copy is reported and passed over.
    write_dataset(&root.path().join("system/fashion-mnist"), 20, 10, true);
    write(
        &root.path().join("datasets/fashion-mnist"),
        FILES[0],
        &images(20).to_bytes(),
        true,
    );
    let found = locate(&sources).unwrap();
    assert_eq!(found.source, System);
    assert!(
        found.attempts[1]
            .to_string()
            .contains("lacks train-labels-idx1-ubyte[.gz]")
    );

    // The project copy wins over the system once complete; the config dir over both.
    write_dataset(&root.path().join("datasets/fashion-mnist"), 20, 10, false);
    assert_eq!(locate(&sources).unwrap().source, Project);
    write_dataset(&root.path().join("mine"), 20, 10, false);
    let found = locate(&sources).unwrap();
    assert_eq!((found.source, found.attempts.len()), (Config, 1));
    assert_eq!(found.dir, root.path().join("mine"));
}

/// A FIFO, a symlink loop or a directory where a file should be is named with what is wrong,
/// not reported missing (and a FIFO is never waited on).
#[test]
fn odd_files_say_what_they_are() {
    type Make = fn(&std::path::Path);
    let cases: [(&str, Make); 3] = [
        ("not a regular file", |path| {
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(path)
                    .status()
                    .unwrap()
                    .success()
            );
        }),
        ("symbolic links", |path| {
            std::os::unix::fs::symlink(path, path).unwrap();
        }),
        ("not a regular file", |path| {
            std::fs::create_dir(path).unwrap()
        }),
    ];
    for (want, make) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), 20, 10, false);
        let path = dir.path().join(FILES[1]);
        std::fs::remove_file(&path).unwrap();
        make(&path);
        let message = actlab_data::load_dir(dir.path(), DatasetName::Mnist)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(FILES[1]) && message.contains(want),
            "{want}: {message}"
        );
    }
}

/// KMNIST is MNIST's format with its own class names; its publishers give no SHA-256 of the
/// content, so its checksums say so instead of claiming a match or a mismatch.
#[test]
fn kmnist_loads_with_its_classes_and_no_published_content_checksums() {
    use actlab_data::ChecksumStatus;
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path(), 30, 10, true);
    let data = actlab_data::load_dir(dir.path(), DatasetName::Kmnist).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (30, 10));
    let checksums = data.checksums_against(DatasetName::Kmnist);
    assert_eq!(checksums.len(), 4);
    assert!(
        checksums
            .iter()
            .all(|c| c.status == ChecksumStatus::Unpublished && c.expected_sha256.is_empty())
    );
    assert!(data.identify().is_none(), "nothing identifies as KMNIST");
    assert_eq!(DatasetName::parse("kmnist"), Some(DatasetName::Kmnist));
    assert_eq!(DatasetName::Kmnist.class_names()[3], "tsu");
    let spec = DatasetName::Kmnist
        .file(actlab_format::dataset::FileRole::TrainImages)
        .unwrap();
    assert_eq!(spec.gz_md5, "bdb82020997e1d708af4cf47b453dcf7");
    assert_eq!(
        DatasetName::Kmnist.mirrors(),
        ["https://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    );
}
