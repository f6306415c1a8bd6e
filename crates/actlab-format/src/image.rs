//! Images handed to `actlab predict`: any size of PNG, JPEG or PGM/PPM/PBM, decoded within
//! limits, converted to 8-bit grayscale, resized to 28×28 (triangle filter) and optionally
//! inverted (MNIST and Fashion-MNIST are light objects on black; a photo of ink on paper is the
//! opposite). Scaling the pixels the way training does is the caller's job.

use std::io::{BufRead, Cursor, Seek};
use std::path::{Path, PathBuf};

use image::imageops::FilterType;

use crate::dataset::IMAGE_SIDE;

/// The largest width or height decoded.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// The most memory one decode may allocate.
pub const MAX_IMAGE_BYTES: u64 = 256 << 20;

/// File extensions a directory argument picks up.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "pgm", "ppm", "pbm", "pnm"];

/// Why an image cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ImageError {
    /// The image (`(memory)` for bytes).
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// Reads an image file as 28×28 = 784 grayscale pixels, row by row.
pub fn read_image(path: &Path, invert: bool) -> Result<Vec<u8>, ImageError> {
    let error = |message: String| ImageError {
        path: path.to_path_buf(),
        message,
    };
    // A FIFO or device would block or never end: only regular files are opened.
    actlab_idx::regular_file(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => error(e.to_string()),
        _ => error(format!("cannot open: {e}")),
    })?;
    let reader = image::io::Reader::open(path).map_err(|e| error(format!("cannot open: {e}")))?;
    decode(reader, invert, path)
}

/// [`read_image`] for bytes already in memory.
pub fn decode_image(bytes: &[u8], invert: bool) -> Result<Vec<u8>, ImageError> {
    let reader = image::io::Reader::new(Cursor::new(bytes));
    decode(reader, invert, Path::new("(memory)"))
}

fn decode<R: BufRead + Seek>(
    reader: image::io::Reader<R>,
    invert: bool,
    path: &Path,
) -> Result<Vec<u8>, ImageError> {
    let error = |message: String| ImageError {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| error(format!("cannot read: {e}")))?;
    // Everything is scaled down to 28×28: a picture beyond 8192 pixels a side, or one that
    // would decode to more than 256 MB, is refused before its pixels are allocated.
    let mut limits = image::io::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_BYTES);
    reader.limits(limits);
    if reader.format().is_none() {
        return Err(error(
            "not an image this build reads (PNG, JPEG, PGM/PPM/PBM)".into(),
        ));
    }
    let image = reader
        .decode()
        .map_err(|e| error(format!("cannot decode: {e}")))?;
    if image.width() == 0 || image.height() == 0 {
        return Err(error("the image is empty".into()));
    }
    let side = IMAGE_SIDE as u32;
    let gray = image::imageops::resize(&image.to_luma8(), side, side, FilterType::Triangle);
    Ok(gray
        .pixels()
        .map(|p| if invert { 255 - p.0[0] } else { p.0[0] })
        .collect())
}
