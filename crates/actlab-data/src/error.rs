//! Typed errors of the data crate. Every message is one line and names the file or URL.

use std::io;
use std::path::PathBuf;

use crate::attempt::Attempt;

/// What is wrong with one IDX stream (defined by the `actlab-idx` crate).
use actlab_idx::IdxError;

/// What went wrong finding, fetching, reading or checking a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file is not valid IDX.
    #[error("{}: {error}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// Why (quoted in the message, so not also a `source`: printed once).
        error: IdxError,
    },
    /// A file is valid IDX but not what the dataset needs (shape, labels, counts).
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A directory lacks some of the four files.
    #[error("{}: missing {}", dir.display(), missing.join(", "))]
    Incomplete {
        /// The directory.
        dir: PathBuf,
        /// The missing files (`name[.gz]`).
        missing: Vec<String>,
    },
    /// Every source was tried and none has the dataset.
    #[error("{}", not_found_message(dataset, attempts))]
    NotFound {
        /// The dataset's name.
        dataset: &'static str,
        /// What was tried, in order.
        attempts: Vec<Attempt>,
    },
    /// A download failed.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// A local file operation failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why (quoted in the message, so not also a `source`: printed once).
        error: io::Error,
    },
    /// A split or batch request that does not fit the data.
    #[error("{0}")]
    Split(String),
}

fn not_found_message(dataset: &str, attempts: &[Attempt]) -> String {
    let mut message = format!("cannot find or fetch {dataset}; tried:");
    for attempt in attempts {
        message.push_str(&format!("\n  - {attempt}"));
    }
    if dataset == "cifar-10" {
        message.push_str(
            "\nfix: on a machine with network, download cifar-10-binary.tar.gz (the binary \
             version) from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and put \
             data_batch_1..5.bin and test_batch.bin (or the cifar-10-batches-bin/ directory) in \
             datasets/cifar-10/ or in the directory named by [data] dir; with HTTPS access, \
             `actlab data fetch cifar-10` does this",
        );
        return message;
    }
    if dataset == "emnist-balanced" {
        message.push_str(
            "\nfix: on a machine with network, download gzip.zip from \
             https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip (562 MB), take the four \
             gzip/emnist-balanced-*-ubyte.gz files from it and put them in \
             datasets/emnist-balanced/ or in the directory named by [data] dir; with HTTPS \
             access, `actlab data fetch emnist-balanced` does this",
        );
        return message;
    }
    message.push_str(&format!(
        "\nfix: put the four IDX files (.gz or raw) in datasets/{dataset}/ or in the directory \
         named by [data] dir, allow HTTPS access to a mirror and run `actlab data fetch {dataset}`"
    ));
    if dataset == "fashion-mnist" {
        message.push_str(", or install Debian's package: apt-get install dataset-fashion-mnist");
    }
    message
}

/// Why one download did not produce a verified file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server answered with an error status.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// Connecting, TLS or the transfer failed.
    #[error("{url}: {message}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport's message.
        message: String,
    },
    /// The body ended before the announced length.
    #[error("{url}: truncated download: {got} of {expected} bytes")]
    Truncated {
        /// The URL.
        url: String,
        /// Announced length.
        expected: u64,
        /// Received bytes.
        got: u64,
    },
    /// The bytes do not have the published checksum.
    #[error("{url}: checksum mismatch: MD5 {found}, published {expected}")]
    Checksum {
        /// The URL.
        url: String,
        /// The published MD5.
        expected: String,
        /// The MD5 of what arrived.
        found: String,
    },
    /// Writing the download failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why (quoted in the message, so not also a `source`: printed once).
        error: io::Error,
    },
}
