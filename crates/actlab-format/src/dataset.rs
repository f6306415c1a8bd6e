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
    packed: "gz",
    gz_md5: "c32a1d4ab5d03f1284b67883e8d87530",
    raw_sha256: "",
};

/// NIST's archive of every EMNIST split as gzipped IDX files (`gzip.zip`, 562 MB) and its MD5,
/// the value torchvision checks; the balanced split's four files are extracted from its `gzip/`
/// folder. No checksum of the individual files is published.
pub const EMNIST_ARCHIVE: FileSpec = FileSpec {
    role: FileRole::TrainImages,
    base: "gzip",
    packed: "zip",
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
    /// The extension of the published compressed form: `gz`, `zip` for EMNIST's archive.
    pub packed: &'static str,
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
    /// The name of the published compressed file: `train-images-idx3-ubyte.gz`, `gzip.zip`
    /// for EMNIST's archive.
    pub fn gz_name(&self) -> String {
        format!("{}.{}", self.base, self.packed)
    }
}

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

#[path = "dataset_files.rs"]
mod files;
use files::{EMNIST_BALANCED_FILES, FASHION_FILES, KMNIST_FILES, MNIST_FILES};

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

    /// How many items a file of `role` holds at most and the bytes of each: images of
    /// [`IMAGE_PIXELS`] bytes or one-byte labels, as many as the split has.
    pub fn file_items(self, role: FileRole) -> (usize, usize) {
        match role {
            FileRole::TrainImages => (self.train_count(), IMAGE_PIXELS),
            FileRole::TestImages => (self.test_count(), IMAGE_PIXELS),
            FileRole::TrainLabels => (self.train_count(), 1),
            FileRole::TestLabels => (self.test_count(), 1),
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
#[path = "dataset_tests.rs"]
mod tests;
