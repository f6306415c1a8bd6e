//! actlab's data: MNIST, Fashion-MNIST, KMNIST, EMNIST, CIFAR-10 and MNIST-1D, offline-first and
//! validated. The datasets' facts
//! (files, checksums, mirrors, class names) are `actlab_format::dataset`; the IDX reader is
//! the `actlab-idx` crate.
//!
//! - [`attempt`]: what finding a dataset reports (sources tried, download progress).
//! - [`source`]: where a dataset is found or fetched, in a fixed, reported order ([`download`],
//!   [`apt`]).
//! - [`mnist`]: a dataset in memory, checked, with statistics and checksum status.
//! - [`split`]: the seeded train/validation split and per-epoch shuffles.
//! - [`batch`]: batches for Burn, from the host or from a device-resident split.
//! - [`mnist1d`]: MNIST-1D, generated (NumPy's legacy generator reproduced draw for draw).
//! - [`cifar`]: CIFAR-10's binary batches, read and checked, and its archive unpacked.
//! - [`emnist`]: EMNIST balanced's four files extracted from NIST's zip archive.

pub mod apt;
pub mod attempt;
pub mod batch;
pub mod cifar;
pub mod download;
pub mod emnist;
pub mod error;
pub mod mnist;
pub mod mnist1d;
pub mod source;
pub mod split;

pub use attempt::{Attempt, AttemptOutcome, FetchProgress, Silent, SourceKind};
pub use batch::{DeviceLayout, DeviceSplit, FLOAT_CHUNK_IMAGES, MnistBatch, Scaling};
pub use error::{DataError, DownloadError};
pub use mnist::{
    ChecksumStatus, FileChecksum, LoadedFile, MnistData, Split, SplitError, Values, load_dir,
};
pub use source::{Located, Sources, fetch, locate};
pub use split::{TrainValidation, epoch_order, train_validation};
