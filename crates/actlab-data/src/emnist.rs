//! EMNIST's archive: NIST publishes every split in one zip (`gzip.zip`) of gzipped IDX files;
//! the balanced split's four are extracted from its `gzip/` folder into the dataset directory,
//! where they are read like MNIST's (images turned upright, see [`crate::mnist::transpose_images`]).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use actlab_format::dataset::{DatasetName, EMNIST_ARCHIVE_DIR, FileSpec};

use crate::error::DataError;

/// Header bytes of an IDX file with three dimensions.
const IDX3_HEADER: usize = 16;

/// The most bytes the gzip of `spec` can take: its IDX content stored uncompressed, plus
/// gzip's framing (a deflate stream never grows by more than 5 bytes per 16 KiB block).
fn entry_limit(name: DatasetName, spec: &FileSpec) -> u64 {
    let (count, per_item) = name.file_items(spec.role);
    let raw = (count * per_item + IDX3_HEADER) as u64;
    raw + raw / 1024 + 4096
}

/// Extracts `name`'s four `.gz` files from the zip at `archive` into `dest`, each written
/// atomically under its own name; no other entry is read and no path from the archive is used.
/// An entry larger than its file can be, or one that is missing, is refused.
pub fn unpack(archive: &Path, dest: &Path, name: DatasetName) -> Result<(), DataError> {
    let invalid = |reason: String| DataError::Invalid {
        path: archive.to_path_buf(),
        reason,
    };
    let file = File::open(archive).map_err(|error| DataError::Io {
        path: archive.to_path_buf(),
        error,
    })?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
        .map_err(|e| invalid(format!("not a readable zip archive: {e}")))?;
    for spec in name.files() {
        let entry_name = format!("{EMNIST_ARCHIVE_DIR}/{}", spec.gz_name());
        let mut entry = match zip.by_name(&entry_name) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(invalid(format!("the archive lacks {entry_name}")));
            }
            Err(e) => return Err(invalid(format!("{entry_name}: {e}"))),
        };
        let limit = entry_limit(name, spec);
        if entry.size() > limit {
            return Err(invalid(format!(
                "{entry_name} unpacks to {} bytes, more than its {limit}-byte bound",
                entry.size()
            )));
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .by_ref()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("{entry_name}: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(invalid(format!("{entry_name} is larger than its bound")));
        }
        let target = dest.join(spec.gz_name());
        actlab_format::fsio::write_atomic(&target, &bytes).map_err(|error| DataError::Io {
            path: target.clone(),
            error,
        })?;
    }
    Ok(())
}
