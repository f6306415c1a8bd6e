//! Errors shared across the format crate: what can be wrong with a model description
//! ([`ModelError`]) and with a file actlab wrote ([`FileError`]).

/// What can be wrong with a model description.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A parameter has a value outside its allowed range.
    #[error("{field} = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The dotted config path, e.g. `model.activation.alpha`.
        field: String,
        /// The value found.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// A required field is missing.
    #[error("{field} is missing: {hint}")]
    MissingField {
        /// The dotted config path.
        field: String,
        /// How to fix it.
        hint: String,
    },
    /// A formula activation (`kind = "expr"`) that cannot be used: where and why (for a parse
    /// error, the message ends with the formula and a caret under the column).
    #[error("{field} = {message}")]
    Formula {
        /// The dotted config path, e.g. `model.activation.f`.
        field: String,
        /// The formula quoted, then what is wrong.
        message: String,
    },
    /// A rational activation (`kind = "rational"`) whose initial fit fails: where and why.
    #[error("{field}: {message}")]
    Rational {
        /// The dotted config path, e.g. `model.activation.init`.
        field: String,
        /// What went wrong.
        message: String,
    },
    /// A parameter's values could not be read back from the device.
    #[error("cannot read the {what} back from the device: {message}")]
    Read {
        /// Which parameter.
        what: &'static str,
        /// What the backend said.
        message: String,
    },
}

/// A file actlab wrote (into a run or sweep directory) that cannot be read back or written:
/// missing, unreadable, or not what actlab writes.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading or writing failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error (quoted in the message, so not also a `source`: printed once).
        error: std::io::Error,
    },
    /// The file is there but is not what actlab writes.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl FileError {
    /// An I/O error on `path`, for `map_err`.
    pub fn io(path: impl Into<std::path::PathBuf>) -> impl FnOnce(std::io::Error) -> FileError {
        let path = path.into();
        move |error| FileError::Io { path, error }
    }

    /// `path` holds something actlab did not write.
    pub fn corrupt(path: &std::path::Path, message: impl Into<String>) -> FileError {
        FileError::Corrupt {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
