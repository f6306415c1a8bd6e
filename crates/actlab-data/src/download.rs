//! HTTPS downloads of the published `.gz` files, checked against the publishers' MD5s.
//!
//! Each file streams into a temporary file in the destination directory while its MD5 is
//! computed; only a complete file with the published checksum is renamed into place, so an
//! interrupted or corrupted download leaves nothing half-written behind.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::time::Duration;

use md5::{Digest, Md5};

use crate::attempt::FetchProgress;
use crate::error::{DataError, DownloadError};
use actlab_format::dataset::{CIFAR10_ARCHIVE, DatasetName, EMNIST_ARCHIVE, FileSpec, Storage};

/// No published archive is near this size (the largest is EMNIST's, 562 MB): a server sending
/// more is refused rather than allowed to fill the disk.
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .user_agent(concat!("actlab/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The MD5 (hex) of a file's bytes.
pub fn file_md5(path: &Path) -> io::Result<String> {
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut hasher = Md5::new();
    io::copy(&mut reader, &mut HashWriter(&mut hasher))?;
    Ok(format!("{:x}", hasher.finalize()))
}

struct HashWriter<'a>(&'a mut Md5);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Downloads the four archives of `name` into `dest`, each from the first mirror that delivers
/// it intact (CIFAR-10 and EMNIST: their one archive, then unpacks the files beside it). Archives
/// already in `dest` with the published MD5 are kept.
pub fn download_dataset(
    name: DatasetName,
    dest: &Path,
    mirrors: &[String],
    progress: &mut dyn FetchProgress,
) -> Result<(), DataError> {
    fs::create_dir_all(dest).map_err(|error| DataError::Io {
        path: dest.to_path_buf(),
        error,
    })?;
    if mirrors.is_empty() {
        return Err(DataError::Split("no download mirror configured".into()));
    }
    let agent = agent();
    for spec in name.downloads() {
        let target = dest.join(spec.gz_name());
        if file_md5(&target).is_ok_and(|md5| md5 == spec.gz_md5) {
            continue;
        }
        let mut last_error = None;
        for mirror in mirrors {
            let url = format!("{}/{}", mirror.trim_end_matches('/'), spec.gz_name());
            let result = download_file(&agent, &url, spec, dest, progress);
            progress.download_end();
            match result {
                Ok(()) => {
                    last_error = None;
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        if let Some(error) = last_error {
            return Err(error.into());
        }
    }
    if name.storage() == Storage::CifarBinary {
        crate::cifar::unpack(&dest.join(CIFAR10_ARCHIVE.gz_name()), dest)?;
    } else if name == DatasetName::EmnistBalanced {
        let archive = dest.join(EMNIST_ARCHIVE.gz_name());
        crate::emnist::unpack(&archive, dest, name)?;
        // The other splits' 0.5 GB are not used: only the four files extracted stay.
        fs::remove_file(&archive).map_err(|error| DataError::Io {
            path: archive,
            error,
        })?;
    }
    Ok(())
}

/// Downloads one archive from `url` into `dest/<name>.gz`, atomically.
pub fn download_file(
    agent: &ureq::Agent,
    url: &str,
    spec: &FileSpec,
    dest: &Path,
    progress: &mut dyn FetchProgress,
) -> Result<(), DownloadError> {
    let transport = |e: &dyn std::fmt::Display| DownloadError::Transport {
        url: url.to_string(),
        message: e.to_string(),
    };
    let mut response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(status) => DownloadError::Status {
            url: url.to_string(),
            status,
        },
        other => transport(&other),
    })?;
    let expected = response.body().content_length();
    progress.download_start(url, expected);
    let io_error = |error| DownloadError::Io {
        path: dest.to_path_buf(),
        error,
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".download-")
        .suffix(".tmp")
        .tempfile_in(dest)
        .map_err(io_error)?;
    let mut hasher = Md5::new();
    let mut reader = response.body_mut().as_reader().take(MAX_DOWNLOAD_BYTES + 1);
    let mut buf = vec![0u8; 1 << 16];
    let mut got: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A connection closed before Content-Length bytes arrived: the reader reports an
            // error, the length check below names it as a truncated download.
            Err(_) if expected.is_some_and(|expected| got < expected) => break,
            Err(e) => return Err(transport(&e)),
        };
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n]).map_err(io_error)?;
        got += n as u64;
        progress.download_bytes(n as u64);
    }
    if got > MAX_DOWNLOAD_BYTES {
        return Err(transport(&format_args!(
            "more than {MAX_DOWNLOAD_BYTES} bytes; no published archive is that large"
        )));
    }
    if let Some(expected) = expected
        && got != expected
    {
        return Err(DownloadError::Truncated {
            url: url.to_string(),
            expected,
            got,
        });
    }
    let found = format!("{:x}", hasher.finalize());
    if found != spec.gz_md5 {
        return Err(DownloadError::Checksum {
            url: url.to_string(),
            expected: spec.gz_md5.to_string(),
            found,
        });
    }
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(dest.join(spec.gz_name()))
        .map_err(|e| io_error(e.error))?;
    Ok(())
}
