//! Typed errors of the data crate. Every message is one line and names the file or URL.

use std::io;
use std::path::PathBuf;

use crate::source::Attempt;

/// What is wrong with one IDX stream.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// Reading failed (including a corrupt gzip stream).
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
    /// The stream ends inside the header.
    #[error("truncated header: the file ends after {found} bytes")]
    TruncatedHeader {
        /// Bytes present.
        found: usize,
    },
    /// The first two bytes are not zero.
    #[error("not an IDX file: bad magic number (starts with {found:02x?}, expected [00, 00])")]
    BadMagic {
        /// The first two bytes.
        found: [u8; 2],
    },
    /// An element type other than unsigned bytes.
    #[error(
        "unsupported IDX element type 0x{code:02x} ({name}); only unsigned bytes (0x08) are supported"
    )]
    UnsupportedDtype {
        /// The type code.
        code: u8,
        /// Its name, when it is a known IDX type.
        name: &'static str,
    },
    /// A rank outside 1..=4.
    #[error("IDX header declares {0} dimensions; expected 1 to 4")]
    BadRank(u8),
    /// The header describes more data than the reader will hold.
    #[error(
        "IDX header dimensions {dims:?} describe {bytes} bytes, more than the {cap}-byte limit"
    )]
    TooLarge {
        /// The dimensions read.
        dims: Vec<u32>,
        /// Their product.
        bytes: u128,
        /// [`crate::idx::MAX_IDX_BYTES`].
        cap: u64,
    },
    /// Fewer data bytes than the header declares.
    #[error("truncated: the header declares {expected} data bytes, the file has {found}")]
    Truncated {
        /// Bytes declared.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// More data bytes than the header declares.
    #[error("trailing garbage after the {expected} data bytes the header declares")]
    TrailingData {
        /// Bytes declared.
        expected: u64,
    },
}

/// What went wrong finding, fetching, reading or checking a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file is not valid IDX.
    #[error("{}: {source}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// Why.
        source: IdxError,
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
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
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
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}
