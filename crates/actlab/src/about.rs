//! What this binary is: the build it came from (for every run's provenance) and the backends
//! compiled into it (for `--backend`'s help).

/// What this binary was built from (`build.rs`), for every run's provenance.
pub fn build_info() -> actlab_format::provenance::BuildInfo {
    actlab_format::provenance::BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("ACTLAB_GIT_COMMIT").map(str::to_string),
        git_dirty: option_env!("ACTLAB_GIT_DIRTY").map(|d| d == "true"),
        rustc: option_env!("ACTLAB_RUSTC").map(str::to_string),
    }
}

/// `--backend`'s help: the backends this binary was built with.
pub fn backend_help(what: &str) -> String {
    let names: Vec<String> = actlab_train::compiled_backends()
        .iter()
        .map(ToString::to_string)
        .collect();
    format!(
        "Backend, one of those built in: {} ({what}; cuda needs `--features cuda`)",
        names.join(" | ")
    )
}
