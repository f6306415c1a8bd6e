//! Where a dataset comes from, tried in order and each attempt reported:
//! the directory named in the config → `datasets/<name>/` in the project → the system install
//! (`/usr/share/datasets/<name>/`, Debian's `dataset-fashion-mnist`) → an HTTPS download from the
//! canonical mirrors into `datasets/<name>/` → `apt-get download` of the Debian package, unpacked
//! into `datasets/<name>/` without root → an error listing everything tried.
//!
//! The library reads no environment: the caller (the CLI) fills [`Sources`].

use std::path::{Path, PathBuf};

use actlab_format::dataset::DatasetName;
use serde::Serialize;

use crate::attempt::{Attempt, AttemptOutcome, FetchProgress, SourceKind};
use crate::error::DataError;
use crate::mnist::missing_files;
use crate::{apt, download};

/// The places to look, and whether fetching is allowed.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `[data] dir` from the config, tried first.
    pub config_dir: Option<PathBuf>,
    /// The project's dataset cache; the dataset lives in `<datasets_root>/<name>/`, and fetches
    /// land there.
    pub datasets_root: PathBuf,
    /// System directories holding `<name>/` (default `/usr/share/datasets`).
    pub system_roots: Vec<PathBuf>,
    /// Mirror base URLs to download from; `None` uses the dataset's canonical mirrors.
    pub mirrors: Option<Vec<String>>,
    /// Whether the HTTPS download may be tried.
    pub download: bool,
    /// The Debian-archive fallback, if allowed.
    pub apt: Option<apt::AptTools>,
}

impl Sources {
    /// The standard chain with the project cache at `datasets_root`.
    pub fn standard(datasets_root: impl Into<PathBuf>) -> Sources {
        Sources {
            config_dir: None,
            datasets_root: datasets_root.into(),
            system_roots: vec![PathBuf::from("/usr/share/datasets")],
            mirrors: None,
            download: true,
            apt: Some(apt::AptTools::default()),
        }
    }

    /// No network and no package manager: local directories only.
    pub fn offline(mut self) -> Sources {
        self.download = false;
        self.apt = None;
        self
    }

    /// `<datasets_root>/<name>`.
    pub fn project_dir(&self, name: DatasetName) -> PathBuf {
        self.datasets_root.join(name.as_str())
    }
}

/// Where the dataset was found.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    /// The dataset.
    pub dataset: DatasetName,
    /// The directory holding its four files.
    pub dir: PathBuf,
    /// Which source provided it.
    pub source: SourceKind,
    /// Every source tried, in order (the last one found it).
    pub attempts: Vec<Attempt>,
}

struct Search<'a> {
    attempts: Vec<Attempt>,
    progress: &'a mut dyn FetchProgress,
}

impl<'a> Search<'a> {
    fn new(progress: &'a mut dyn FetchProgress) -> Self {
        Search {
            attempts: Vec::new(),
            progress,
        }
    }

    fn record(&mut self, source: SourceKind, location: &Path, outcome: AttemptOutcome) {
        self.record_str(source, location.display().to_string(), outcome);
    }

    fn record_str(&mut self, source: SourceKind, location: String, outcome: AttemptOutcome) {
        let attempt = Attempt {
            source,
            location,
            outcome,
        };
        self.progress.attempt(&attempt);
        self.attempts.push(attempt);
    }

    /// Records whether `dir` holds all four files; true if it does.
    fn check_dir(&mut self, source: SourceKind, dir: &Path, name: DatasetName) -> bool {
        if !dir.is_dir() {
            self.record(
                source,
                dir,
                AttemptOutcome::Missing("no such directory".into()),
            );
            return false;
        }
        let missing = missing_files(dir, name);
        if missing.is_empty() {
            self.record(source, dir, AttemptOutcome::Found);
            true
        } else {
            let why = format!("lacks {}", missing.join(", "));
            self.record(source, dir, AttemptOutcome::Missing(why));
            false
        }
    }

    fn found(self, name: DatasetName, dir: PathBuf, source: SourceKind) -> Located {
        Located {
            dataset: name,
            dir,
            source,
            attempts: self.attempts,
        }
    }
}

/// Finds `name`, fetching it into the project cache when no local copy exists.
///
/// Only the presence of the four files is checked here; [`crate::load_dir`] validates them.
pub fn locate(
    name: DatasetName,
    sources: &Sources,
    progress: &mut dyn FetchProgress,
) -> Result<Located, DataError> {
    if name.generated() {
        return Ok(generated(name));
    }
    let mut search = Search::new(progress);
    if let Some(dir) = &sources.config_dir
        && search.check_dir(SourceKind::Config, dir, name)
    {
        return Ok(search.found(name, dir.clone(), SourceKind::Config));
    }
    let project = sources.project_dir(name);
    if search.check_dir(SourceKind::Project, &project, name) {
        return Ok(search.found(name, project, SourceKind::Project));
    }
    for root in &sources.system_roots {
        let dir = root.join(name.as_str());
        if search.check_dir(SourceKind::System, &dir, name) {
            return Ok(search.found(name, dir, SourceKind::System));
        }
    }
    fetch_into(name, sources, search)
}

/// Downloads (or unpacks from the Debian package) `name` into the project cache, whatever is
/// already present elsewhere. Files already in the cache with the published checksum are kept.
pub fn fetch(
    name: DatasetName,
    sources: &Sources,
    progress: &mut dyn FetchProgress,
) -> Result<Located, DataError> {
    if name.generated() {
        return Ok(generated(name));
    }
    fetch_into(name, sources, Search::new(progress))
}

/// A generated dataset is "found" without looking: [`crate::load_dir`] generates it.
fn generated(name: DatasetName) -> Located {
    Located {
        dataset: name,
        dir: PathBuf::from("(generated)"),
        source: SourceKind::Generated,
        attempts: Vec::new(),
    }
}

/// Tries the download, then the Debian package, into the project cache.
fn fetch_into(
    name: DatasetName,
    sources: &Sources,
    mut search: Search<'_>,
) -> Result<Located, DataError> {
    let project = sources.project_dir(name);
    let dest = project.as_path();
    let canonical: Vec<String> = name.mirrors().iter().map(|m| m.to_string()).collect();
    let mirrors = sources.mirrors.as_ref().unwrap_or(&canonical);
    let mirror_list = mirrors.join(", ");
    if !sources.download {
        search.record_str(
            SourceKind::Download,
            mirror_list,
            AttemptOutcome::Skipped("offline".into()),
        );
    } else {
        match download::download_dataset(name, dest, mirrors, search.progress) {
            Ok(()) => {
                search.record_str(SourceKind::Download, mirror_list, AttemptOutcome::Found);
                return Ok(search.found(name, project, SourceKind::Download));
            }
            Err(error) => {
                search.record_str(
                    SourceKind::Download,
                    mirror_list,
                    AttemptOutcome::Failed(error.to_string()),
                );
            }
        }
    }
    let package = name.debian_package();
    match (&sources.apt, package) {
        (None, _) => {
            let what = package.unwrap_or("apt-get download");
            let why = "not allowed (offline)".to_string();
            search.record_str(SourceKind::Apt, what.into(), AttemptOutcome::Skipped(why));
        }
        (Some(_), None) => {
            let why = format!("Debian has no package for {name}");
            search.record_str(
                SourceKind::Apt,
                "apt-get download".into(),
                AttemptOutcome::Skipped(why),
            );
        }
        (Some(tools), Some(package)) => {
            let outcome = match apt::fetch_package(tools, package, name, dest) {
                Ok(()) => AttemptOutcome::Found,
                Err(apt::AptError::Unavailable(why)) => AttemptOutcome::Skipped(why),
                Err(apt::AptError::Failed(why)) => AttemptOutcome::Failed(why),
            };
            let found = outcome == AttemptOutcome::Found;
            let location = format!("apt-get download {package}");
            search.record_str(SourceKind::Apt, location, outcome);
            if found {
                return Ok(search.found(name, project, SourceKind::Apt));
            }
        }
    }
    Err(DataError::NotFound {
        dataset: name.as_str(),
        attempts: search.attempts,
    })
}
