//! One command at a time on a directory: an exclusive lock on `.actlab.lock` inside it, held
//! for as long as the command works there and released by the operating system when the
//! process exits or dies. The file stays: it also marks the directory as actlab's (a directory
//! with files but no marker, checkpoint or summary is someone else's — `RunStatus::NotARun`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use actlab_format::run::files::LOCK;

use crate::error::TrainError;

/// A held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    dir: PathBuf,
}

impl DirLock {
    /// Creates `dir` if needed and takes its lock. Another process holding it is
    /// [`TrainError::Busy`], naming its pid.
    pub fn acquire(dir: &Path) -> Result<DirLock, TrainError> {
        std::fs::create_dir_all(dir).map_err(TrainError::io(dir))?;
        let path = dir.join(LOCK);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(TrainError::io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(TrainError::Busy {
                    dir: dir.to_path_buf(),
                    pid: pid.trim().to_string(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(TrainError::io(&path)(e)),
        }
        // Who holds it, for the message another command prints.
        let pid = std::process::id().to_string();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(TrainError::io(&path))?;
        Ok(DirLock {
            _file: file,
            dir: dir.to_path_buf(),
        })
    }

    /// Whether another process (or another lock in this one) holds `dir`'s lock now. Creates
    /// nothing: a directory without a lock file is not held.
    pub fn is_held(dir: &Path) -> bool {
        let Ok(file) = OpenOptions::new().read(true).open(dir.join(LOCK)) else {
            return false;
        };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let first = DirLock::acquire(&dir).unwrap();
        assert_eq!(first.dir(), dir);
        // A second open file description of the same file, as another process would have.
        let error = DirLock::acquire(&dir).unwrap_err();
        let pid = std::process::id().to_string();
        assert!(
            matches!(&error, TrainError::Busy { pid: p, .. } if *p == pid),
            "{error}"
        );
        assert!(error.to_string().contains("in use by process"), "{error}");
        assert!(DirLock::is_held(&dir));
        drop(first);
        assert!(!DirLock::is_held(&dir));
        assert!(!DirLock::is_held(&tmp.path().join("nothing")));
        DirLock::acquire(&dir).unwrap();
    }
}
