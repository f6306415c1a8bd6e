//! What each dataset is: its four IDX files (CIFAR-10: six binary batches in one archive; EMNIST:
//! four of the many IDX files in NIST's one zip archive), their published checksums, where to
//! download them, its class names and the Debian package that carries it.
//!
//! Checksums, two kinds per file:
//! - `gz_md5`: the MD5 of the gzip archive as the publishers distribute it (Zalando's README for
//!   Fashion-MNIST; the list torchvision and every mirror use for MNIST). Downloads are checked
//!   against it.
//! - `raw_sha256`: the SHA-256 of the uncompressed IDX file, computed from archives that match
//!   `gz_md5` (the same values are pinned by many public projects). It identifies the *content*
//!   whatever the compression: Debian's `dataset-fashion-mnist` recompressed the archives (their
//!   MD5s differ) but their content matches these. Empty where it is not known: KMNIST's
//!   publishers give only the archives' MD5s, and no archive was at hand to compute it from, so
//!   its files are checked for structure and counts, and for the MD5 when downloaded.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Images are 28×28 single-channel bytes.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Classes of the ten-class datasets (all but EMNIST's balanced split, 47).
pub const NUM_CLASSES: usize = 10;
/// The most classes any dataset has (EMNIST balanced).
pub const MAX_CLASSES: usize = EMNIST_BALANCED_CLASSES.len();
/// Points in an MNIST-1D sequence (the reference's `final_seq_length`).
pub const MNIST1D_LENGTH: usize = 40;

/// The datasets actlab reads: 28×28 grey images in IDX files, CIFAR-10's 32×32 colour images in
/// its binary batches, and MNIST-1D's generated sequences; 10 classes each but EMNIST's 47.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// Handwritten digits.
    Mnist,
    /// Zalando's clothing images, MNIST's harder drop-in twin.
    #[default]
    FashionMnist,
    /// Kuzushiji-MNIST (Clanuwat et al. 2018): ten cursive Japanese hiragana, MNIST's format.
    Kmnist,
    /// MNIST-1D (Greydanus 2020): ten digit-shaped 1-D templates padded, shifted, scaled, sheared
    /// and noised into 40-point sequences; generated (no files) with the reference's defaults.
    #[serde(rename = "mnist1d")]
    Mnist1d,
    /// CIFAR-10 (Krizhevsky 2009): 32×32 colour images of ten object classes, in the published
    /// binary format (`data_batch_1..5.bin`, `test_batch.bin`).
    #[serde(rename = "cifar-10", alias = "cifar10")]
    Cifar10,
    /// EMNIST's balanced split (Cohen et al. 2017): handwritten digits and letters from NIST
    /// Special Database 19 in MNIST's format, 47 classes (the digits, the 26 capitals and the 11
    /// lower-case letters whose shapes differ from their capitals), 2,400 training and 400 test
    /// images each. NIST stores the images transposed; they are read upright.
    EmnistBalanced,
}

/// How a dataset is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Four IDX files ([`DatasetName::files`]), each raw or `.gz`.
    Idx,
    /// CIFAR-10's six binary batches ([`CIFAR10_BATCHES`]).
    CifarBinary,
    /// Generated in memory: no files.
    Generated,
}

/// CIFAR-10's batch files, the five training batches first; each holds records of
/// [`CIFAR10_RECORD`] bytes: a label (0–9), then 1,024 red, 1,024 green and 1,024 blue bytes of a
/// 32×32 image, rows top to bottom — channel-major, the order a CNN's input takes.
pub const CIFAR10_BATCHES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];
/// Bytes of one CIFAR-10 record: a label and a 3×32×32 image.
pub const CIFAR10_RECORD: usize = 1 + 3 * 32 * 32;
/// Records in each published CIFAR-10 batch file.
pub const CIFAR10_PER_BATCH: usize = 10_000;
/// The directory the published archive unpacks into.
pub const CIFAR10_ARCHIVE_DIR: &str = "cifar-10-batches-bin";
/// The published archive (`cifar-10-binary.tar.gz`, 162 MB) and its MD5 as the publishers give
/// it (www.cs.toronto.edu/~kriz/cifar.html). No SHA-256 of the batch files is published, so
/// local copies are checked for structure, counts and labels.
pub const CIFAR10_ARCHIVE: FileSpec = FileSpec {
    role: FileRole::TrainImages,
    base: "cifar-10-binary.tar",
    gz_md5: "c32a1d4ab5d03f1284b67883e8d87530",
    raw_sha256: "",
};

/// NIST's archive of every EMNIST split as gzipped IDX files (`gzip.zip`, 562 MB) and its MD5,
/// the value torchvision checks; the balanced split's four files are extracted from its `gzip/`
/// folder. No checksum of the individual files is published.
pub const EMNIST_ARCHIVE: FileSpec = FileSpec {
    role: FileRole::TrainImages,
    base: "gzip",
    gz_md5: "58c8d27c78d21e728a6bc7b3cc06412e",
    raw_sha256: "",
};
/// The folder of [`EMNIST_ARCHIVE`] that holds the `.gz` files.
pub const EMNIST_ARCHIVE_DIR: &str = "gzip";

/// One of the four files of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// Which file this is.
    pub role: FileRole,
    /// The file name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub base: &'static str,
    /// MD5 of the published `.gz` archive (hex).
    pub gz_md5: &'static str,
    /// SHA-256 of the uncompressed IDX file (hex).
    pub raw_sha256: &'static str,
}

/// The role of a file in a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileRole {
    /// Training images, `[60000, 28, 28]`.
    TrainImages,
    /// Training labels, `[60000]`.
    TrainLabels,
    /// Test images, `[10000, 28, 28]`.
    TestImages,
    /// Test labels, `[10000]`.
    TestLabels,
}

impl FileSpec {
    /// The name of the downloaded archive: `train-images-idx3-ubyte.gz`, `gzip.zip` for EMNIST's.
    pub fn gz_name(&self) -> String {
        if *self == EMNIST_ARCHIVE {
            return format!("{}.zip", self.base);
        }
        format!("{}.gz", self.base)
    }
}

const MNIST_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "train-images-idx3-ubyte",
        gz_md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        raw_sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        gz_md5: "d53e105ee54ea40749a09fcbcd1e9432",
        raw_sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "t10k-images-idx3-ubyte",
        gz_md5: "9fb629c4189551a2d022fa330f9573f3",
        raw_sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "t10k-labels-idx1-ubyte",
        gz_md5: "ec29112dd5afa0611ce80d1b7f02629c",
        raw_sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

const FASHION_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "train-images-idx3-ubyte",
        gz_md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        raw_sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        gz_md5: "25c81989df183df01b3e8a0aad5dffbe",
        raw_sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "t10k-images-idx3-ubyte",
        gz_md5: "bef4ecab320f06d8554ea6380940ec79",
        raw_sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "t10k-labels-idx1-ubyte",
        gz_md5: "bb300cfdad3c16e7a12a480ee83cd310",
        raw_sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
];

/// KMNIST's archives and their MD5s as the publishers (ROIS-DS CODH, github.com/rois-codh/kmnist)
/// distribute them; the same values torchvision checks.
const KMNIST_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "train-images-idx3-ubyte",
        gz_md5: "bdb82020997e1d708af4cf47b453dcf7",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "train-labels-idx1-ubyte",
        gz_md5: "e144d726b3acfaa3e44228e80efcd344",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "t10k-images-idx3-ubyte",
        gz_md5: "5c965bf0a639b31b8f53240b1b52f4d7",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "t10k-labels-idx1-ubyte",
        gz_md5: "7320c461ea6c1c855c0b718fb2a4b134",
        raw_sha256: "",
    },
];

/// EMNIST balanced's files as they are named inside [`EMNIST_ARCHIVE`] (there gzipped). Only
/// the archive's MD5 is published.
const EMNIST_BALANCED_FILES: [FileSpec; 4] = [
    FileSpec {
        role: FileRole::TrainImages,
        base: "emnist-balanced-train-images-idx3-ubyte",
        gz_md5: "",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TrainLabels,
        base: "emnist-balanced-train-labels-idx1-ubyte",
        gz_md5: "",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestImages,
        base: "emnist-balanced-test-images-idx3-ubyte",
        gz_md5: "",
        raw_sha256: "",
    },
    FileSpec {
        role: FileRole::TestLabels,
        base: "emnist-balanced-test-labels-idx1-ubyte",
        gz_md5: "",
        raw_sha256: "",
    },
];

/// EMNIST balanced's classes in label order (its `emnist-balanced-mapping.txt`): the digits,
/// the capitals, then the lower-case letters kept apart from their capitals.
const EMNIST_BALANCED_CLASSES: [&str; 47] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F", "G", "H", "I",
    "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "a", "b",
    "d", "e", "f", "g", "h", "n", "q", "r", "t",
];

/// KMNIST's classes: the hiragana in the romanisation its publishers use.
const KMNIST_CLASSES: [&str; NUM_CLASSES] =
    ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"];

const FASHION_CLASSES: [&str; NUM_CLASSES] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

const CIFAR10_CLASSES: [&str; NUM_CLASSES] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

const DIGITS: [&str; NUM_CLASSES] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

impl DatasetName {
    /// Every dataset, in a fixed order.
    pub const ALL: [DatasetName; 6] = [
        DatasetName::Mnist,
        DatasetName::FashionMnist,
        DatasetName::Kmnist,
        DatasetName::EmnistBalanced,
        DatasetName::Mnist1d,
        DatasetName::Cifar10,
    ];

    /// The name used in configs, on the command line and as the directory name.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Kmnist => "kmnist",
            DatasetName::Mnist1d => "mnist1d",
            DatasetName::Cifar10 => "cifar-10",
            DatasetName::EmnistBalanced => "emnist-balanced",
        }
    }

    /// Parses a dataset's name (`cifar10` too, for `cifar-10`).
    pub fn parse(name: &str) -> Option<DatasetName> {
        if name == "cifar10" {
            return Some(DatasetName::Cifar10);
        }
        DatasetName::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// How the dataset is stored.
    pub fn storage(self) -> Storage {
        match self {
            DatasetName::Mnist1d => Storage::Generated,
            DatasetName::Cifar10 => Storage::CifarBinary,
            _ => Storage::Idx,
        }
    }

    /// The four IDX files, train images first; none for CIFAR-10 ([`CIFAR10_BATCHES`]) or a
    /// generated dataset.
    pub fn files(self) -> &'static [FileSpec] {
        match self {
            DatasetName::Mnist => &MNIST_FILES,
            DatasetName::FashionMnist => &FASHION_FILES,
            DatasetName::Kmnist => &KMNIST_FILES,
            DatasetName::EmnistBalanced => &EMNIST_BALANCED_FILES,
            DatasetName::Mnist1d | DatasetName::Cifar10 => &[],
        }
    }

    /// What a download fetches, each checked against its published MD5: the four IDX archives,
    /// or CIFAR-10's and EMNIST's one archive (unpacked afterwards); nothing for a generated
    /// dataset.
    pub fn downloads(self) -> &'static [FileSpec] {
        match (self, self.storage()) {
            (_, Storage::CifarBinary) => std::slice::from_ref(&CIFAR10_ARCHIVE),
            (DatasetName::EmnistBalanced, _) => std::slice::from_ref(&EMNIST_ARCHIVE),
            (_, Storage::Idx | Storage::Generated) => self.files(),
        }
    }

    /// Whether the IDX files store each image transposed (EMNIST: columns first), so reading
    /// turns them upright.
    pub fn transposed(self) -> bool {
        self == DatasetName::EmnistBalanced
    }

    /// How many classes the labels run over.
    pub fn num_classes(self) -> usize {
        self.class_names().len()
    }

    /// Whether a SHA-256 of every file's content is published (checked on load).
    pub fn content_checksums_published(self) -> bool {
        self.storage() == Storage::Idx && self.files().iter().all(|f| !f.raw_sha256.is_empty())
    }

    /// The file with the given role (none for a generated dataset).
    pub fn file(self, role: FileRole) -> Option<&'static FileSpec> {
        self.files().iter().find(|f| f.role == role)
    }

    /// Whether the dataset is generated rather than read from files (MNIST-1D).
    pub fn generated(self) -> bool {
        self.storage() == Storage::Generated
    }

    /// `[channels, height, width]` of one example: `[1, 28, 28]` images, MNIST-1D's
    /// `[1, 1, 40]` sequences.
    pub fn input_shape(self) -> [usize; 3] {
        match self {
            DatasetName::Mnist1d => [1, 1, MNIST1D_LENGTH],
            DatasetName::Cifar10 => [3, 32, 32],
            _ => [1, IMAGE_SIDE, IMAGE_SIDE],
        }
    }

    /// Features of one example (the product of [`DatasetName::input_shape`]).
    pub fn features(self) -> usize {
        self.input_shape().iter().product()
    }

    /// The shape in words, for messages: "28×28 images", "40-point sequences".
    pub fn shape_words(self) -> String {
        match self.input_shape() {
            [1, 1, w] => format!("{w}-point sequences"),
            [1, h, w] => format!("{h}×{w} grey images"),
            [3, h, w] => format!("{h}×{w} colour images"),
            [c, h, w] => format!("{c}×{h}×{w} images"),
        }
    }

    /// Human names of the classes in label order (digits for MNIST).
    pub fn class_names(self) -> &'static [&'static str] {
        match self {
            DatasetName::EmnistBalanced => &EMNIST_BALANCED_CLASSES,
            DatasetName::Mnist => &DIGITS,
            DatasetName::FashionMnist => &FASHION_CLASSES,
            DatasetName::Kmnist => &KMNIST_CLASSES,
            DatasetName::Mnist1d => &DIGITS,
            DatasetName::Cifar10 => &CIFAR10_CLASSES,
        }
    }

    /// HTTPS mirrors holding the published `.gz` files, tried in order.
    pub fn mirrors(self) -> &'static [&'static str] {
        match self {
            DatasetName::Mnist => &[
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
            ],
            DatasetName::FashionMnist => &[
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            ],
            DatasetName::Kmnist => &["https://codh.rois.ac.jp/kmnist/dataset/kmnist/"],
            DatasetName::Cifar10 => &["https://www.cs.toronto.edu/~kriz/"],
            DatasetName::EmnistBalanced => &["https://biometrics.nist.gov/cs_links/EMNIST/"],
            DatasetName::Mnist1d => &[],
        }
    }

    /// The Debian/Ubuntu package that carries the dataset, if there is one.
    pub fn debian_package(self) -> Option<&'static str> {
        match self {
            DatasetName::Mnist => None,
            DatasetName::FashionMnist => Some("dataset-fashion-mnist"),
            DatasetName::Kmnist
            | DatasetName::EmnistBalanced
            | DatasetName::Mnist1d
            | DatasetName::Cifar10 => None,
        }
    }

    /// Examples in the training split.
    pub fn train_count(self) -> usize {
        match self {
            DatasetName::Mnist1d => 4_000,
            DatasetName::Cifar10 => 5 * CIFAR10_PER_BATCH,
            DatasetName::EmnistBalanced => 112_800,
            _ => 60_000,
        }
    }

    /// Examples in the test split.
    pub fn test_count(self) -> usize {
        match self {
            DatasetName::Mnist1d => 1_000,
            DatasetName::Cifar10 => CIFAR10_PER_BATCH,
            DatasetName::EmnistBalanced => 18_800,
            _ => 10_000,
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which training images are held out for validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holdout {
    /// The last `size` images of the training file (the default; what Keras' `validation_split`
    /// does).
    #[default]
    Last,
    /// `size` images drawn at random with the run's seed.
    Random,
}

#[cfg(test)]
mod tests {
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
        assert_eq!(MAX_CLASSES, 47);
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
}
