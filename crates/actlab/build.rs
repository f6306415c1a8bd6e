//! Records what the binary is built from, for the provenance every run writes into
//! `summary.json`: the git commit (and whether tracked files had uncommitted changes) and the
//! compiler's version. Outside a git checkout (a source tarball) the commit is simply unknown.

use std::path::PathBuf;
use std::process::Command;

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let root =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../..");
    // Rebuilt when the commit, the index or any source changes (so `dirty` stays true).
    if let Some(git_dir) = output(
        "git",
        &[
            "-C",
            &root.to_string_lossy(),
            "rev-parse",
            "--absolute-git-dir",
        ],
    ) {
        for file in ["HEAD", "index", "refs"] {
            println!("cargo:rerun-if-changed={git_dir}/{file}");
        }
    }
    println!("cargo:rerun-if-changed={}", root.join("crates").display());
    let root = root.to_string_lossy();
    if let Some(commit) = output("git", &["-C", &root, "rev-parse", "HEAD"]) {
        println!("cargo:rustc-env=ACTLAB_GIT_COMMIT={commit}");
        let dirty = output(
            "git",
            &["-C", &root, "status", "--porcelain", "--untracked-files=no"],
        )
        .is_some_and(|status| !status.is_empty());
        println!("cargo:rustc-env=ACTLAB_GIT_DIRTY={dirty}");
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Some(version) = output(&rustc, &["--version"]) {
        println!("cargo:rustc-env=ACTLAB_RUSTC={version}");
    }
}
