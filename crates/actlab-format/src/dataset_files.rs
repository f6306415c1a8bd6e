//! The four IDX files of each dataset stored as IDX, with their published checksums (see the
//! parent module for what each checksum is).

use super::{FileRole, FileSpec};

pub(super) const MNIST_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "train-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        raw_sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "d53e105ee54ea40749a09fcbcd1e9432",
        raw_sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "t10k-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "9fb629c4189551a2d022fa330f9573f3",
        raw_sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "t10k-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "ec29112dd5afa0611ce80d1b7f02629c",
        raw_sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

pub(super) const FASHION_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "train-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        raw_sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "25c81989df183df01b3e8a0aad5dffbe",
        raw_sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "t10k-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "bef4ecab320f06d8554ea6380940ec79",
        raw_sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "t10k-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "bb300cfdad3c16e7a12a480ee83cd310",
        raw_sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
];

/// KMNIST's archives and their MD5s as the publishers (ROIS-DS CODH, github.com/rois-codh/kmnist)
/// distribute them; the same values torchvision checks.
pub(super) const KMNIST_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "train-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "bdb82020997e1d708af4cf47b453dcf7",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "e144d726b3acfaa3e44228e80efcd344",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "t10k-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "5c965bf0a639b31b8f53240b1b52f4d7",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "t10k-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "7320c461ea6c1c855c0b718fb2a4b134",
        raw_sha256: "",
    },
];

/// EMNIST balanced's files as they are named inside [`EMNIST_ARCHIVE`] (there gzipped). Only
/// the archive's MD5 is published.
pub(super) const EMNIST_BALANCED_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "emnist-balanced-train-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "emnist-balanced-train-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "emnist-balanced-test-images-idx3-ubyte",
        packed: "gz",
        gz_md5: "",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "emnist-balanced-test-labels-idx1-ubyte",
        packed: "gz",
        gz_md5: "",
        raw_sha256: "",
    },
];
