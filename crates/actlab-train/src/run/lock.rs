//! One command at a time on a directory: an exclusive lock on `.actlab.lock` inside it, held
//! for as long as the command works there and released by the operating system when the
//! process exits or dies. The file stays: it also marks the directory as actlab's (a directory
//! with files but no marker, checkpoint or summary is someone else's — `RunStatus::NotARun`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
                return Err(TrainError::Busy {
                    dir: dir.to_path_buf(),
                    pid: holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(TrainError::io(&path)(e)),
        }
        // Who holds it, for the message another command prints: one write of a fixed width at
        // the start, never truncated first, so a reader sees the old owner or the new one and
        // never an empty file (a reader checks that the process is alive).
        let pid = format!("{:<width$}\n", std::process::id(), width = PID_WIDTH - 1);
        file.write_all_at(pid.as_bytes(), 0)
            .and_then(|()| file.set_len(PID_WIDTH as u64))
            .map_err(TrainError::io(&path))?;
        Ok(DirLock {
            _file: file,
            dir: dir.to_path_buf(),
        })
    }

    /// [`DirLock::acquire`] for a directory of outputs (a report, plots): one that is new,
    /// empty, or made by actlab before (it holds the [`LOCK`] marker). A directory with other
    /// things and no marker is someone else's: [`TrainError::NotOurs`], and nothing is written.
    pub fn acquire_output(dir: &Path) -> Result<DirLock, TrainError> {
        check_ours(dir)?;
        DirLock::acquire(dir)
    }

    /// Marks `dir` as actlab's after [`DirLock::acquire_output`]'s check, without holding its
    /// lock: for processes that share a directory, each holding a lock of its own inside it (a
    /// search's shards lock `shards/<i>-of-<N>`).
    pub fn claim_output(dir: &Path) -> Result<(), TrainError> {
        check_ours(dir)?;
        std::fs::create_dir_all(dir).map_err(TrainError::io(dir))?;
        let path = dir.join(LOCK);
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map(drop)
            .map_err(TrainError::io(&path))
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

/// New, empty, or holding the [`LOCK`] marker: else [`TrainError::NotOurs`].
fn check_ours(dir: &Path) -> Result<(), TrainError> {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut names = entries.flatten().map(|e| e.file_name());
        let mut any = false;
        let marked = names.any(|name| {
            any = true;
            name == LOCK
        });
        if any && !marked {
            return Err(TrainError::NotOurs {
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The width of the pid record: a 64-bit number, padded with spaces, and a newline.
const PID_WIDTH: usize = 21;

/// The process that holds the lock of `file`, if it has written its pid and is alive: read
/// again once after a moment when it has not (it takes the lock, then writes).
fn holder(file: &mut File) -> Option<u32> {
    let read = |file: &mut File| {
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let pid: u32 = text.trim().parse().ok()?;
        let alive =
            Path::new("/proc").join(pid.to_string()).exists() || !Path::new("/proc/self").exists();
        alive.then_some(pid)
    };
    read(file).or_else(|| {
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::io::Seek::rewind(file);
        read(file)
    })
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
        let pid = std::process::id();
        assert!(
            matches!(&error, TrainError::Busy { pid: Some(p), .. } if *p == pid),
            "{error}"
        );
        assert!(
            error.to_string().contains(&format!("process {pid} (")),
            "{error}"
        );
        assert!(error.to_string().contains("in use by process"), "{error}");
        assert!(DirLock::is_held(&dir));
        drop(first);
        assert!(!DirLock::is_held(&dir));
        assert!(!DirLock::is_held(&tmp.path().join("nothing")));
        DirLock::acquire(&dir).unwrap();
    }

    /// The owner's record is read as a live process or not at all: an empty file (a holder
    /// that has not written yet), garbage, or a pid of no process says "another process",
    /// never a blank.
    #[test]
    fn an_unwritten_or_dead_owner_is_not_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        for record in ["", "   \n", "not a pid", "4294967294"] {
            let path = dir.join(LOCK);
            std::fs::write(&path, record).unwrap();
            // Hold it as another command would, without writing (as between lock and write).
            let held = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap();
            held.try_lock().unwrap();
            let error = DirLock::acquire(&dir).unwrap_err();
            assert!(
                matches!(&error, TrainError::Busy { pid: None, .. }),
                "{record:?}: {error}"
            );
            let message = error.to_string();
            assert!(
                message.contains("in use by another process (another actlab command)"),
                "{message}"
            );
            assert!(!message.contains("  "), "{message}");
            drop(held);
        }
        // A shorter pid over a longer one leaves no digits of the old behind.
        std::fs::write(dir.join(LOCK), "123456789012345678\n").unwrap();
        let lock = DirLock::acquire(&dir).unwrap();
        let text = std::fs::read_to_string(dir.join(LOCK)).unwrap();
        assert_eq!(text.trim().parse::<u32>().unwrap(), std::process::id());
        drop(lock);
    }
}
