use super::*;

#[test]
fn names_round_trip_and_files_are_in_role_order() {
    for name in DatasetName::ALL {
        assert_eq!(DatasetName::parse(name.as_str()), Some(name));
        if name.storage() != Storage::Idx {
            assert!(name.files().is_empty());
            continue;
        }
        let roles: Vec<FileRole> = name.files().iter().map(|f| f.role).collect();
        assert_eq!(
            roles,
            [
                FileRole::TrainImages,
                FileRole::TrainLabels,
                FileRole::TestImages,
                FileRole::TestLabels
            ]
        );
        for download in name.downloads() {
            assert_eq!(download.gz_md5.len(), 32, "{name}");
        }
        for file in name.files() {
            // Published per file, or only for the one archive that holds them (EMNIST).
            assert!(matches!(file.gz_md5.len(), 0 | 32), "{name}");
            // Known (64 hex digits) or not published (empty).
            assert!(matches!(file.raw_sha256.len(), 0 | 64), "{name}");
            assert_eq!(name.file(file.role), Some(file));
        }
    }
    let emnist = DatasetName::EmnistBalanced;
    assert_eq!(emnist.num_classes(), 47);
    // 2,400 training and 400 test images per class (Cohen et al. 2017, table II).
    assert_eq!(emnist.train_count(), 2_400 * 47);
    assert_eq!(emnist.test_count(), 400 * 47);
    assert_eq!(emnist.downloads()[0].gz_name(), "gzip.zip");
    assert!(emnist.transposed() && !DatasetName::Mnist.transposed());
    let mut names = emnist.class_names().to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 47, "class names are distinct");
    for name in DatasetName::ALL {
        assert!(name.num_classes() == NUM_CLASSES || name == emnist);
    }
    assert_eq!(DatasetName::parse("cifar10"), Some(DatasetName::Cifar10));
    assert_eq!(DatasetName::parse("cifar100"), None);
    assert_eq!(DatasetName::Cifar10.features(), CIFAR10_RECORD - 1);
    assert_eq!(
        DatasetName::Cifar10.train_count() + DatasetName::Cifar10.test_count(),
        CIFAR10_BATCHES.len() * CIFAR10_PER_BATCH
    );
}
