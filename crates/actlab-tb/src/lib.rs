//! TensorBoard event files: what `tensorboard --logdir` (and W&B, which reads the same files)
//! shows. A file is a sequence of TFRecords ([`record`]), each a protobuf [`proto::Event`].
//!
//! [`EventFile`] appends to a directory's event file and knows which `(step, tag)` records it
//! already holds, so a caller can write "everything up to now" after every epoch and a resumed
//! run adds only what is missing: its steps stay strictly increasing and equal to an
//! uninterrupted run's. The builders make the events actlab writes: scalars, and the hparams
//! plugin's experiment and session records.

pub mod proto;
pub mod record;

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use prost::Message;
use proto::{
    Event, Experiment, HParamsPluginData, PluginData, SessionEndInfo, SessionStartInfo, Summary,
    SummaryMetadata, SummaryValue, TensorProto, TensorShapeDim, TensorShapeProto, Value,
    event::What, hparams_plugin_data::Data, summary_value::Kind,
};

/// What every event file's name starts with (TensorBoard reads files whose name contains
/// `tfevents`).
pub const PREFIX: &str = "events.out.tfevents.";
/// The hparams plugin's tags.
pub const EXPERIMENT_TAG: &str = "_hparams_/experiment";
/// A session's hyperparameters.
pub const SESSION_START_TAG: &str = "_hparams_/session_start_info";
/// A session's end.
pub const SESSION_END_TAG: &str = "_hparams_/session_end_info";

/// Why an event file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TbError {
    /// The file system said no.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A record that passed its checksum is not an `Event`.
    #[error("{}: not a TensorBoard event file: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TbError + '_ {
    move |source| TbError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The events of the file at `path`, up to a torn tail (which a writer killed mid-record
/// leaves, and which TensorBoard also stops at).
pub fn read(path: &Path) -> Result<Vec<Event>, TbError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    decode(path, &bytes).map(|(events, _)| events)
}

fn decode(path: &Path, bytes: &[u8]) -> Result<(Vec<Event>, usize), TbError> {
    let (records, valid) = record::decode(bytes);
    let events = records
        .into_iter()
        .map(|data| {
            Event::decode(data).map_err(|e| TbError::Corrupt {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((events, valid))
}

/// The event files in `dir`, sorted by name (TensorBoard's order: the time in the name).
pub fn event_files(dir: &Path) -> Result<Vec<PathBuf>, TbError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(PREFIX))
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// A directory's event file, open for appending.
#[derive(Debug)]
pub struct EventFile {
    path: PathBuf,
    file: File,
    written: HashSet<(i64, String)>,
}

impl EventFile {
    /// Opens the newest event file in `dir` (creating `dir`, and a file
    /// `events.out.tfevents.<seconds>.<host>` that starts with the file-version event, when
    /// there is none), cutting a torn last record. Every event file in `dir` counts for
    /// [`EventFile::has`].
    pub fn open(dir: &Path) -> Result<EventFile, TbError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let files = event_files(dir)?;
        let mut written = HashSet::new();
        for path in &files {
            let bytes = std::fs::read(path).map_err(io(path))?;
            let (events, valid) = decode(path, &bytes)?;
            written.extend(events.iter().filter_map(key));
            if Some(path) == files.last() && valid < bytes.len() {
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(io(path))?;
                file.set_len(valid as u64).map_err(io(path))?;
            }
        }
        if let Some(path) = files.last() {
            let file = OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(io(path))?;
            return Ok(EventFile {
                path: path.clone(),
                file,
                written,
            });
        }
        let now = now();
        let path = dir.join(format!("{PREFIX}{}.{}", now as u64, host()));
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut opened = EventFile {
            path,
            file,
            written,
        };
        opened.append(&Event {
            wall_time: now,
            step: 0,
            what: Some(What::FileVersion("brain.Event:2".into())),
        })?;
        Ok(opened)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a summary event at `step` whose first value has `tag` is already in a file.
    pub fn has(&self, step: i64, tag: &str) -> bool {
        self.written.contains(&(step, tag.to_string()))
    }

    /// Appends `event` unless an event with its step and first tag is already written.
    pub fn append(&mut self, event: &Event) -> Result<(), TbError> {
        let key = key(event);
        if key.as_ref().is_some_and(|k| self.written.contains(k)) {
            return Ok(());
        }
        let bytes = record::encode(&event.encode_to_vec());
        self.file.write_all(&bytes).map_err(io(&self.path))?;
        self.file.flush().map_err(io(&self.path))?;
        self.written.extend(key);
        Ok(())
    }
}

/// An event's identity for [`EventFile::has`]: its step and its summary's first tag.
fn key(event: &Event) -> Option<(i64, String)> {
    match &event.what {
        Some(What::Summary(summary)) => summary
            .value
            .first()
            .map(|value| (event.step, value.tag.clone())),
        _ => None,
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// This machine's name, as event file names carry it (characters outside `[A-Za-z0-9._-]`
/// dropped; `localhost` when unknown).
pub fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

/// A summary event of scalars at `step` (one record: all of an epoch's values, so an epoch is
/// in the file whole or not at all).
pub fn scalars(step: i64, values: &[(String, f64)]) -> Event {
    summary(
        step,
        values
            .iter()
            .map(|(tag, v)| SummaryValue {
                tag: tag.clone(),
                metadata: None,
                value: Some(Kind::SimpleValue(*v as f32)),
            })
            .collect(),
    )
}

fn summary(step: i64, value: Vec<SummaryValue>) -> Event {
    Event {
        wall_time: now(),
        step,
        what: Some(What::Summary(Summary { value })),
    }
}

/// An hparams plugin record: the plugin data as metadata, an empty float tensor as the value
/// (what TensorBoard's own `hparams.summary` writes).
fn hparams_event(tag: &str, data: Data) -> Event {
    let content = HParamsPluginData {
        version: 0,
        data: Some(data),
    }
    .encode_to_vec();
    let empty = TensorProto {
        dtype: 1,
        tensor_shape: Some(TensorShapeProto {
            dim: vec![TensorShapeDim { size: 0 }],
        }),
    };
    summary(
        0,
        vec![SummaryValue {
            tag: tag.into(),
            metadata: Some(SummaryMetadata {
                plugin_data: Some(PluginData {
                    plugin_name: "hparams".into(),
                    content,
                }),
            }),
            value: Some(Kind::Tensor(empty)),
        }],
    )
}

/// The hparams experiment: which hyperparameters and metrics the HParams dashboard shows.
pub fn experiment(experiment: Experiment) -> Event {
    hparams_event(EXPERIMENT_TAG, Data::Experiment(experiment))
}

/// A session's hyperparameter values (`group`: sessions that differ only in seed).
pub fn session_start(hparams: BTreeMap<String, Value>, group: &str) -> Event {
    hparams_event(
        SESSION_START_TAG,
        Data::SessionStartInfo(SessionStartInfo {
            hparams,
            group_name: group.into(),
            start_time_secs: now(),
        }),
    )
}

/// A session's end (`status`: [`proto::STATUS_SUCCESS`] or [`proto::STATUS_FAILURE`]).
pub fn session_end(status: i32) -> Event {
    hparams_event(
        SESSION_END_TAG,
        Data::SessionEndInfo(SessionEndInfo {
            status,
            end_time_secs: now(),
        }),
    )
}

/// A string hyperparameter value.
pub fn string(value: impl Into<String>) -> Value {
    Value {
        kind: Some(prost_types::value::Kind::StringValue(value.into())),
    }
}

/// A number hyperparameter value.
pub fn number(value: f64) -> Value {
    Value {
        kind: Some(prost_types::value::Kind::NumberValue(value)),
    }
}

/// Writes `events` as the whole file `dir/name` (atomically: a temporary file renamed into
/// place, so several writers of the same content — shards of one sweep — never tear it).
pub fn write_whole(dir: &Path, name: &str, events: &[Event]) -> Result<PathBuf, TbError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut bytes = record::encode(
        &Event {
            wall_time: now(),
            step: 0,
            what: Some(What::FileVersion("brain.Event:2".into())),
        }
        .encode_to_vec(),
    );
    for event in events {
        bytes.extend(record::encode(&event.encode_to_vec()));
    }
    let path = dir.join(name);
    let tmp = dir.join(format!(".tmp-{name}-{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(&path)(e)
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests;
