#![allow(clippy::unwrap_used)]
//! The real Fashion-MNIST, where it is installed (CI installs Debian's dataset-fashion-mnist).

mod common;

use std::path::Path;

use actlab_data::ChecksumStatus;
use actlab_format::dataset::DatasetName;

#[test]
fn real_fashion_mnist_has_the_published_counts_balance_and_checksums() {
    let dir = Path::new("/usr/share/datasets/fashion-mnist");
    if !dir.is_dir() {
        common::skip(
            "real_fashion_mnist_has_the_published_counts_balance_and_checksums",
            &format!(
                "{} is absent (apt-get install dataset-fashion-mnist)",
                dir.display()
            ),
        );
        return;
    }
    let data = actlab_data::load_dir(dir, DatasetName::FashionMnist).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    assert_eq!(data.train.class_counts(), [6_000; 10]);
    assert_eq!(data.test.class_counts(), [1_000; 10]);
    let (mean, std) = data.train.pixel_stats();
    assert!(
        (mean - 0.2860).abs() < 1e-4 && (std - 0.3530).abs() < 1e-4,
        "{mean} {std}"
    );
    for c in data.checksums_against(DatasetName::FashionMnist) {
        assert_eq!(c.status, ChecksumStatus::Ok, "{}", c.file);
    }
    assert_eq!(data.identify(), Some(DatasetName::FashionMnist));
}
