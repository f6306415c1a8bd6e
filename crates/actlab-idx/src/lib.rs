//! The IDX format (LeCun's MNIST files): a strict reader for unsigned-byte arrays, raw or gzipped.
//!
//! A crate of its own, with no Burn in its dependencies, so that a fuzzer builds it in seconds
//! (`fuzz/`); `actlab-data` re-exports it as `actlab_data::idx`.
//!
//! ```text
//! [0x00, 0x00, dtype, rank]  [rank × u32 big-endian dimensions]  [product(dims) elements]
//! ```
//!
//! Nothing in a file can make the reader panic or allocate more than the data actually present
//! (and never more than [`MAX_IDX_BYTES`]): the header is checked before the body is read, and
//! the body buffer grows only as bytes arrive when the header's size cannot be confirmed first.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

/// The largest body the reader accepts: 1 GiB (MNIST's training images are 47 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// The IDX element type code for unsigned bytes, the only one MNIST-like datasets use.
pub const DTYPE_U8: u8 = 0x08;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first (`[n, 28, 28]` for images, `[n]` for labels).
    pub dims: Vec<u32>,
    /// The elements in row-major order.
    pub data: Vec<u8>,
}

impl IdxArray {
    /// The header this array serialises with (the canonical one: magic, dtype u8, rank, dims).
    pub fn header(&self) -> Vec<u8> {
        let mut header = vec![0, 0, DTYPE_U8, self.dims.len() as u8];
        for dim in &self.dims {
            header.extend_from_slice(&dim.to_be_bytes());
        }
        header
    }

    /// The whole file as bytes (header + data), e.g. for writing fixtures.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.header();
        bytes.extend_from_slice(&self.data);
        bytes
    }
}

fn dtype_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown",
    }
}

/// Reads an IDX array from `reader`.
///
/// `available` is an upper bound on the body bytes the reader can yield, when known (a raw
/// file's length minus the header, or a bound derived from a compressed size): a header
/// promising more is reported as truncated before anything is allocated.
pub fn parse_idx<R: Read>(reader: R, available: Option<u64>) -> Result<IdxArray, IdxError> {
    parse_idx_within(reader, available, MAX_IDX_BYTES)
}

/// [`parse_idx`] for a body of at most `cap` bytes: a header promising more is
/// [`IdxError::TooLarge`] before anything is read or allocated (a gzip bomb stops there).
pub fn parse_idx_within<R: Read>(
    mut reader: R,
    available: Option<u64>,
    cap: u64,
) -> Result<IdxArray, IdxError> {
    let cap = cap.min(MAX_IDX_BYTES);
    let mut prefix = [0u8; 4];
    read_header_part(&mut reader, &mut prefix, 0)?;
    if prefix[0] != 0 || prefix[1] != 0 {
        return Err(IdxError::BadMagic {
            found: [prefix[0], prefix[1]],
        });
    }
    if prefix[2] != DTYPE_U8 {
        return Err(IdxError::UnsupportedDtype {
            code: prefix[2],
            name: dtype_name(prefix[2]),
        });
    }
    let rank = prefix[3];
    if !(1..=4).contains(&rank) {
        return Err(IdxError::BadRank(rank));
    }
    let mut dim_bytes = vec![0u8; 4 * usize::from(rank)];
    read_header_part(&mut reader, &mut dim_bytes, prefix.len())?;
    let dims: Vec<u32> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let expected: u128 = dims.iter().map(|&d| u128::from(d)).product();
    if expected > u128::from(cap) {
        return Err(IdxError::TooLarge {
            dims,
            bytes: expected,
            cap,
        });
    }
    let expected = expected as u64;
    // Header + body may still not fit what the caller knows is available.
    let available_body = available.map(|a| a.saturating_sub(4 + 4 * u64::from(rank)));
    if let Some(found) = available_body.filter(|&found| found < expected) {
        return Err(IdxError::Truncated { expected, found });
    }
    let capacity = available_body.map_or(expected.min(1 << 20), |a| expected.min(a));
    let mut data = Vec::with_capacity(capacity as usize);
    let read = (&mut reader).take(expected).read_to_end(&mut data)?;
    if (read as u64) < expected {
        return Err(IdxError::Truncated {
            expected,
            found: read as u64,
        });
    }
    let mut extra = [0u8; 1];
    if reader.read(&mut extra)? != 0 {
        return Err(IdxError::TrailingData { expected });
    }
    Ok(IdxArray { dims, data })
}

fn read_header_part<R: Read>(
    reader: &mut R,
    buf: &mut [u8],
    before: usize,
) -> Result<(), IdxError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(IdxError::TruncatedHeader {
                    found: before + filled,
                });
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// What is wrong with one IDX stream.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// Reading failed (including a corrupt gzip stream). The cause is quoted in the message,
    /// so it is not also a `source` (a chain would print it twice).
    #[error("cannot read: {0}")]
    Io(io::Error),
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
        /// [`MAX_IDX_BYTES`].
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

impl From<io::Error> for IdxError {
    fn from(error: io::Error) -> Self {
        IdxError::Io(error)
    }
}

/// `Ok` when `path` is a regular file (symlinks followed): a FIFO would block a reader, a device
/// such as `/dev/zero` would never end, a directory is no file. Every reader of a file a user
/// names checks this first (here, actlab-train's `read_text`, `predict`'s images).
pub fn regular_file(path: &Path) -> io::Result<()> {
    if std::fs::metadata(path)?.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a directory, FIFO or device)",
        ))
    }
}

/// Reads an IDX file, raw or gzip-compressed (recognised by its content, not its name).
pub fn read_idx_file(path: &Path) -> Result<IdxArray, IdxError> {
    read_idx_file_within(path, MAX_IDX_BYTES)
}

/// [`read_idx_file`] for a body of at most `cap` bytes (see [`parse_idx_within`]). Only regular
/// files are opened: a FIFO or device would block or never end.
pub fn read_idx_file_within(path: &Path, cap: u64) -> Result<IdxArray, IdxError> {
    regular_file(path)?;
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    parse_raw_or_gzip(BufReader::with_capacity(1 << 16, file), len, cap)
}

/// [`read_idx_file_within`] for bytes in memory: raw or gzip, recognised by content.
pub fn read_idx_bytes(bytes: &[u8], cap: u64) -> Result<IdxArray, IdxError> {
    parse_raw_or_gzip(bytes, bytes.len() as u64, cap)
}

/// `len` bytes from `reader`, gzip when they start with its magic number.
fn parse_raw_or_gzip<R: BufRead>(mut reader: R, len: u64, cap: u64) -> Result<IdxArray, IdxError> {
    let head = reader.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // Deflate expands at most ~1032×: a header promising more than that cannot be honest.
        let bound = len.saturating_mul(1032);
        parse_idx_within(MultiGzDecoder::new(reader), Some(bound), cap)
    } else {
        parse_idx_within(reader, Some(len), cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dims: &[u32], body: &[u8]) -> Vec<u8> {
        let array = IdxArray {
            dims: dims.to_vec(),
            data: body.to_vec(),
        };
        array.to_bytes()
    }

    #[test]
    fn reads_a_valid_array_and_round_trips() {
        let bytes = file(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let array = parse_idx(&bytes[..], Some(bytes.len() as u64)).unwrap();
        assert_eq!(array.dims, [2, 3]);
        assert_eq!(array.data, [1, 2, 3, 4, 5, 6]);
        assert_eq!(array.to_bytes(), bytes);
    }

    #[test]
    fn every_malformed_header_is_a_typed_error() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "truncated header"),
            (vec![0, 0, 8], "truncated header"),
            (vec![1, 0, 8, 1, 0, 0, 0, 1, 7], "magic"),
            (vec![0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "f32"),
            (vec![0, 0, 8, 0], "0 dimensions"),
            (vec![0, 0, 8, 5], "5 dimensions"),
            (vec![0, 0, 8, 2, 0, 0, 0, 1], "truncated header"),
        ];
        for (bytes, want) in cases {
            let error = parse_idx(&bytes[..], None).unwrap_err().to_string();
            assert!(error.contains(want), "{bytes:?}: {error}");
        }
    }

    #[test]
    fn body_size_is_checked_both_ways() {
        let short = file(&[4], &[1, 2, 3]);
        // With the file length known, the same answer comes before any allocation.
        for known in [None, Some(short.len() as u64)] {
            let error = parse_idx(&short[..], known).unwrap_err();
            assert!(
                matches!(
                    error,
                    IdxError::Truncated {
                        expected: 4,
                        found: 3
                    }
                ),
                "{known:?}: {error}"
            );
        }
        let long = file(&[2], &[1, 2, 3]);
        let error = parse_idx(&long[..], None).unwrap_err();
        assert!(
            matches!(error, IdxError::TrailingData { expected: 2 }),
            "{error}"
        );
    }

    #[test]
    fn a_hostile_header_is_refused_without_allocating() {
        let bytes = file(&[1 << 31, 28, 28], &[]);
        let error = parse_idx(&bytes[..], None).unwrap_err();
        assert!(matches!(error, IdxError::TooLarge { .. }), "{error}");
        // Under the cap but far beyond the stream: read as it arrives, reported as truncated.
        let bytes = file(&[1 << 20, 28, 28], &[0; 10]);
        let error = parse_idx(&bytes[..], None).unwrap_err();
        assert!(
            matches!(error, IdxError::Truncated { found: 10, .. }),
            "{error}"
        );
    }
}
