//! actlab's data: MNIST and Fashion-MNIST, offline-first and validated.
//!
//! - [`idx`]: a strict IDX reader (raw or gzip) that never panics and never allocates what a
//!   header merely claims.
//! - [`spec`]: the datasets, their files, published checksums, mirrors and class names.
//! - [`source`]: where a dataset is found or fetched, in a fixed, reported order.
//! - [`mnist`]: a dataset in memory, checked, with statistics and checksum status.
//! - [`split`]: the seeded train/validation split and per-epoch shuffles.
//! - [`batch`]: items, batches and device-resident splits for Burn.

pub mod apt;
pub mod batch;
pub mod download;
pub mod error;
/// The strict IDX reader (the `actlab-idx` crate).
pub use actlab_idx as idx;
pub mod mnist;
pub mod source;
pub use actlab_format::dataset as spec;
pub mod split;

pub use batch::{
    DeviceLayout, DeviceSplit, FLOAT_CHUNK_IMAGES, MnistBatch, MnistBatcher, MnistItem, Scaling,
    SplitDataset,
};
pub use error::{DataError, DownloadError, IdxError};
pub use mnist::{ChecksumStatus, FileChecksum, LoadedFile, MnistData, Split, load_dir};
pub use source::{Attempt, Located, Outcome, Progress, Silent, SourceKind, Sources, fetch, locate};
pub use spec::{DatasetName, FileRole, FileSpec, IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES};
pub use split::{Holdout, TrainValidation, epoch_order, train_validation};
