//! Bounded reads and atomic writes: the two ways actlab touches a file it did not open itself.

use std::io::Write;
use std::path::Path;

/// The most a config, `summary.json` or `metrics.csv` may hold (far more than any real one).
pub const MAX_TEXT_BYTES: u64 = 16 << 20;

/// Reads a text file of at most `limit` bytes. A path that is not a regular file (a FIFO, a
/// device such as `/dev/zero`, a directory) and a file over the limit are errors — never a read
/// that blocks or grows without bound.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    actlab_idx::regular_file(path)?;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("larger than {} MB", limit >> 20),
        ));
    }
    Ok(text)
}

/// Reads a binary file of at most `limit` bytes, with [`read_text`]'s refusals (not a regular
/// file, over the limit).
pub fn read_bytes(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    actlab_idx::regular_file(path)?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, synced, then renamed
/// over `path`. A crash leaves either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // 0o666 less the umask, as any file the user creates (tempfile's default is 0o600).
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
