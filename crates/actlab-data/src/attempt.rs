//! What finding a dataset reports: each source tried ([`Attempt`], with its [`SourceKind`] and
//! [`AttemptOutcome`]) and the [`FetchProgress`] a caller watches it through. The vocabulary
//! that `source`, `download`, `apt` and the errors share (it imports none of them).

use std::fmt;

use serde::Serialize;

/// The kinds of source, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `[data] dir` in the config.
    Config,
    /// `datasets/<name>/` in the project.
    Project,
    /// A system install (`/usr/share/datasets/<name>/`).
    System,
    /// Downloaded from a mirror.
    Download,
    /// Unpacked from the Debian package.
    Apt,
    /// Generated in memory (MNIST-1D): nothing to find.
    Generated,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Config => "config dir",
            SourceKind::Project => "project cache",
            SourceKind::System => "system install",
            SourceKind::Download => "download",
            SourceKind::Apt => "Debian package",
            SourceKind::Generated => "generated",
        })
    }
}

/// What came of trying one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The dataset is there (or was fetched there).
    Found,
    /// The place exists but lacks files, or does not exist.
    Missing(String),
    /// Not tried (not allowed, not applicable, tool absent).
    Skipped(String),
    /// Tried and failed.
    Failed(String),
}

/// One source tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// Which kind of source.
    pub source: SourceKind,
    /// The directory or URL.
    pub location: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: AttemptOutcome,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.source, self.location)?;
        match &self.outcome {
            AttemptOutcome::Found => f.write_str("found"),
            AttemptOutcome::Missing(why) => write!(f, "missing ({why})"),
            AttemptOutcome::Skipped(why) => write!(f, "skipped ({why})"),
            AttemptOutcome::Failed(why) => write!(f, "failed ({why})"),
        }
    }
}

/// Receives progress as sources are tried and files downloaded. Every method defaults to
/// nothing, so a caller implements only what it shows.
pub trait FetchProgress {
    /// A source was tried.
    fn attempt(&mut self, _attempt: &Attempt) {}
    /// A download starts (`total` from Content-Length when the server sends it).
    fn download_start(&mut self, _url: &str, _total: Option<u64>) {}
    /// `bytes` more arrived.
    fn download_bytes(&mut self, _bytes: u64) {}
    /// The download ended (successfully or not).
    fn download_end(&mut self) {}
}

/// A [`FetchProgress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl FetchProgress for Silent {}
