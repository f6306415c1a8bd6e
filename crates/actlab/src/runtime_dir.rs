//! A private `XDG_RUNTIME_DIR` when the environment has none.
//!
//! Mesa's Vulkan drivers (lavapipe, what wgpu runs on without a GPU) probe Wayland through
//! libwayland, which prints `error: XDG_RUNTIME_DIR is invalid or not set in the environment.`
//! once per probe when the variable is unset or not an absolute path — four times per `wgpu`
//! run, on every batch job and container that has no login session. Setting a variable in a
//! running process is `unsafe` in Rust 2024 (and forbidden in this workspace), so actlab starts
//! itself again with the variable set, before doing anything else: `exec` replaces the process
//! (same pid, arguments, signals and exit code). The directory is per user, `0700`, in the
//! temporary directory — like `tmux-UID` — and reused, so nothing accumulates. Where it cannot
//! be made safely (another user owns it, it is a symlink), actlab runs on unchanged.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable libwayland (and the XDG base-directory spec) reads.
const VAR: &str = "XDG_RUNTIME_DIR";

/// Whether the value is one libwayland accepts without complaint: set and absolute.
fn usable(value: Option<&OsString>) -> bool {
    value.is_some_and(|v| Path::new(v).is_absolute())
}

/// `<tmp>/actlab-runtime-<uid>`, created `0700` if missing; `None` unless it is a real
/// directory owned by this user and closed to everyone else.
#[cfg(unix)]
fn private_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let dir = std::env::temp_dir().join(format!("actlab-runtime-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let private = meta.is_dir() && meta.uid() == uid && meta.permissions().mode() & 0o077 == 0;
    private.then_some(dir)
}

/// Starts this program again with a private `XDG_RUNTIME_DIR` when it has no usable one;
/// returns only when it did not (the variable was fine, or no private directory could be made,
/// or the exec failed — then the messages are merely noise).
pub fn ensure() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if usable(std::env::var_os(VAR).as_ref()) {
            return;
        }
        let (Some(dir), Ok(exe)) = (private_dir(), std::env::current_exe()) else {
            return;
        };
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        // `exec` only returns on failure.
        let _ = std::process::Command::new(exe)
            .args(args)
            .env(VAR, dir)
            .exec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_absolute_path_is_usable() {
        assert!(!usable(None));
        assert!(!usable(Some(&OsString::from(""))));
        assert!(!usable(Some(&OsString::from("run/user/1000"))));
        assert!(usable(Some(&OsString::from("/run/user/1000"))));
    }

    #[cfg(unix)]
    #[test]
    fn the_private_directory_is_the_users_alone() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = private_dir().expect("a private runtime directory");
        let meta = std::fs::symlink_metadata(&dir).unwrap();
        assert!(meta.is_dir());
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
        assert_eq!(meta.uid(), std::fs::metadata("/proc/self").unwrap().uid());
    }
}
