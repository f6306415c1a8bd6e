//! Reading config files: the error type every config reader shares, strict TOML parsing that
//! names the file and the dotted field, and one generic [`load`] for experiment, sweep and
//! diagnose files (raw form → validated form, as ripgrep's `LowArgs` → `HiArgs`).

use std::path::{Path, PathBuf};

use crate::error::ModelError;

/// What can be wrong with a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config could not be written.
    #[error("cannot write config {path}")]
    Write {
        /// The destination.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a field has the wrong name, type or value.
    #[error("{path}: {field}: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The dotted field path (`model.activation`), or `(top level)`.
        field: String,
        /// What the parser said, with the line it points at.
        message: String,
    },
    /// A field parsed but its value is not allowed.
    #[error("{path}: {field} = {value} is invalid: expected {expected}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The dotted field path.
        field: String,
        /// The value found.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The `[model]` section does not describe a valid model.
    #[error("{path}: {error}")]
    Model {
        /// The config file.
        path: PathBuf,
        /// What is wrong with the model.
        error: ModelError,
    },
}

impl ConfigError {
    /// `path: field = value is invalid: expected …`.
    pub fn invalid(
        path: &Path,
        field: &str,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            value: value.into(),
            expected: expected.into(),
        }
    }
}

/// Checks a `name` that becomes a directory under `runs/`: one plain path component — not
/// empty, not `.` or `..`, no separator — so no config can write outside `runs/<name>`.
pub fn check_name(path: &Path, field: &str, name: &str) -> Result<(), ConfigError> {
    let plain =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    if plain {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            path,
            field,
            format!("{name:?}"),
            "a plain name (not empty, not \".\" or \"..\", no path separators)",
        ))
    }
}

/// A run's or sweep's default name: the config file's stem.
pub fn name_from_path(path: &Path) -> Option<String> {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
}

/// Parses TOML text into `T`, strictly: a syntax error, an unknown field or a wrong value is a
/// [`ConfigError::Parse`] naming `path` and the dotted field (`train.epochs`).
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    // One line: what is wrong, then where (toml's own rendering adds a multi-line snippet).
    let parse_error = |field: String, error: toml::de::Error| {
        let message = error.message().trim_end().replace('\n', " ");
        let place =
            error
                .span()
                .and_then(|span| text.get(..span.start))
                .map_or(String::new(), |before| {
                    let line = before.matches('\n').count() + 1;
                    let start = before.rfind('\n').map_or(0, |i| i + 1);
                    let column = before[start..].chars().count() + 1;
                    format!(" (line {line}, column {column})")
                });
        ConfigError::Parse {
            path: path.to_path_buf(),
            field,
            message: format!("{message}{place}"),
        }
    };
    let deserializer =
        toml::Deserializer::parse(text).map_err(|e| parse_error("(syntax)".into(), e))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." {
            "(top level)".to_string()
        } else {
            field
        };
        parse_error(field, e.into_inner())
    })
}

/// The most a config file may hold: real ones are a few kilobytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads the TOML file `path` into `T` (see [`parse_toml`]); a path that is not a regular file,
/// or a file over [`MAX_CONFIG_BYTES`], is a [`ConfigError::Read`].
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text =
        crate::fsio::read_text(path, MAX_CONFIG_BYTES).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    parse_toml(&text, path)
}

/// A config file: parsed strictly into its raw form (`Self`), then validated once into the form
/// the rest of actlab requires ([`ConfigFile::Valid`]). Command-line overrides go in between.
pub trait ConfigFile: serde::de::DeserializeOwned {
    /// The validated form.
    type Valid;
    /// What validation can report (a [`ConfigError`] or a richer error of the caller's crate).
    type Error: From<ConfigError>;

    /// The file's `name`, to default to the file's stem.
    fn name_mut(&mut self) -> &mut Option<String>;

    /// Checks every value; `path` is only used in messages.
    fn validate(&self, path: &Path) -> Result<Self::Valid, Self::Error>;

    /// Reads and parses `path` (not yet validated); `name` defaults to the file's stem.
    fn read(path: &Path) -> Result<Self, ConfigError> {
        Self::named(read_toml(path)?, path)
    }

    /// Parses `text` as the file `path` would be read (not yet validated): a file about to be
    /// written is checked exactly as it will be loaded.
    fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        Self::named(parse_toml(text, path)?, path)
    }

    /// `raw` with its `name` defaulted to `path`'s stem.
    fn named(mut raw: Self, path: &Path) -> Result<Self, ConfigError> {
        let name = raw.name_mut();
        if name.is_none() {
            *name = name_from_path(path);
        }
        Ok(raw)
    }
}

/// Reads, parses and validates the config file `path`.
pub fn load<T: ConfigFile>(path: &Path) -> Result<T::Valid, T::Error> {
    T::read(path)?.validate(path)
}
