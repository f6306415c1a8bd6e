//! Skipped tests, counted: shared by the test binaries of several crates (`#[path]`).

use std::io::Write;

/// Records that the calling test ran none of its assertions, and why: printed, and appended to
/// the file `$ACTLAB_SKIP_LOG` names (scripts/test.sh counts its lines as skipped, not passed).
pub fn skip(test: &str, reason: &str) {
    println!("skipped: {reason}");
    if let Some(path) = std::env::var_os("ACTLAB_SKIP_LOG") {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{test}: {reason}");
        }
    }
}
