//! The Debian-archive fallback: `apt-get download <package>` into a temporary directory (no root
//! needed), `dpkg-deb -x` to unpack it there, and the dataset's files copied atomically into the
//! project cache. Works wherever apt's package lists reach a Debian or Ubuntu mirror, even when
//! the dataset mirrors themselves are unreachable.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::mnist::find_file;
use actlab_format::dataset::DatasetName;

/// The programs the fallback runs (replaceable, e.g. by a test's stand-ins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptTools {
    /// `apt-get`.
    pub apt_get: PathBuf,
    /// `dpkg-deb`.
    pub dpkg_deb: PathBuf,
}

impl Default for AptTools {
    fn default() -> Self {
        AptTools {
            apt_get: PathBuf::from("apt-get"),
            dpkg_deb: PathBuf::from("dpkg-deb"),
        }
    }
}

/// Why the fallback did not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AptError {
    /// Not applicable here (no apt-get / dpkg-deb on this system).
    Unavailable(String),
    /// Tried and failed.
    Failed(String),
}

fn run(program: &Path, args: &[&OsStr], cwd: &Path) -> Result<(), AptError> {
    let shown = program.display().to_string();
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => AptError::Unavailable(format!("{shown} not found")),
            _ => AptError::Failed(format!("cannot run {shown}: {e}")),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message");
    Err(AptError::Failed(format!(
        "{shown} {} exited with {}: {}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        output.status,
        last.trim()
    )))
}

fn failed(what: &str, path: &Path, e: impl std::fmt::Display) -> AptError {
    AptError::Failed(format!("{what} {}: {e}", path.display()))
}

/// Downloads and unpacks `package`, then copies `name`'s four files (found under
/// `usr/share/datasets/<name>/` in the package) into `dest`.
pub fn fetch_package(
    tools: &AptTools,
    package: &str,
    name: DatasetName,
    dest: &Path,
) -> Result<(), AptError> {
    fs::create_dir_all(dest).map_err(|e| failed("cannot create", dest, e))?;
    // Work next to `dest`, so the final renames stay on one file system.
    let work = tempfile::Builder::new()
        .prefix(".apt-")
        .tempdir_in(dest)
        .map_err(|e| failed("cannot create a temporary directory in", dest, e))?;
    run(
        &tools.apt_get,
        &[OsStr::new("download"), OsStr::new(package)],
        work.path(),
    )?;
    let deb = fs::read_dir(work.path())
        .map_err(|e| failed("cannot list", work.path(), e))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension() == Some(OsStr::new("deb")))
        .ok_or_else(|| AptError::Failed(format!("apt-get download {package} left no .deb")))?;
    let root = work.path().join("root");
    run(
        &tools.dpkg_deb,
        &[OsStr::new("-x"), deb.as_os_str(), root.as_os_str()],
        work.path(),
    )?;
    let unpacked = root.join("usr/share/datasets").join(name.as_str());
    for spec in name.files() {
        let source = find_file(&unpacked, spec).ok_or_else(|| {
            AptError::Failed(format!(
                "package {package} has no {}[.gz] under usr/share/datasets/{name}",
                spec.base
            ))
        })?;
        let file_name = source.file_name().unwrap_or(OsStr::new(spec.base));
        let target = dest.join(file_name);
        let temp = tempfile::Builder::new()
            .prefix(".apt-copy-")
            .tempfile_in(dest)
            .map_err(|e| failed("cannot create a temporary file in", dest, e))?;
        fs::copy(&source, temp.path()).map_err(|e| failed("cannot copy", &source, e))?;
        temp.persist(&target)
            .map_err(|e| failed("cannot write", &target, e.error))?;
    }
    Ok(())
}
