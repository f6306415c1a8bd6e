//! The four kinds of config file, for the book's checks: the smallest valid file of each, and
//! parsing + validating text as one of them exactly as the commands do.

use std::path::Path;

use actlab_format::config::{ConfigError, ConfigFile, ExperimentConfig};
use actlab_format::diagnose::DiagnoseConfig;
use actlab_format::search::SearchConfig;
use actlab_format::sweep::SweepConfig;

/// The smallest valid file of `kind`.
pub fn minimal(kind: &str) -> &'static str {
    match kind {
        "experiment" => "[model]\npreset = \"prelu-mlp\"\n",
        "sweep" => {
            "[base.model]\npreset = \"prelu-mlp\"\n[grid]\nactivations = [\"relu\", \"tanh\"]\n"
        }
        "search" => {
            "[base.model]\npreset = \"prelu-mlp\"\n\
             [space]\nunary = [\"x\", \"sin(x)\"]\nbinary = [\"a + b\"]\n\
             [budget]\ncandidates = 10\nproxy = { epochs = 1, seeds = [7001] }\n\
             halving = { keep = 0.5, rounds = 1 }\nfinalists = 1\n\
             [confirm]\nbaselines = [\"relu\"]\nseeds = [1, 2]\ntune = { lr = [1e-3] }\n"
        }
        "diagnose" => "[base.model]\npreset = \"prelu-mlp\"\n[diagnose]\n",
        other => panic!("no config kind {other:?}: experiment, sweep, search or diagnose"),
    }
}

/// What parsing or validating said, as one line.
fn line(error: &ConfigError) -> String {
    error.to_string()
}

/// The file name errors name: the kind, so `name` defaults alike on both sides of a comparison.
fn path(kind: &str) -> std::path::PathBuf {
    Path::new(kind).with_extension("toml")
}

/// What the checks do with a file of one kind, written once per kind by [`ops`].
struct Ops {
    /// Parses (strictly) and validates.
    check: fn(&str, &Path) -> Result<(), String>,
    /// Parses only.
    parse: fn(&str, &Path) -> Result<(), String>,
    /// Whether two texts parse to the same file.
    same: fn(&str, &str, &Path) -> Result<bool, String>,
}

/// [`Ops`] for the config type `T`.
fn ops<T: ConfigFile<Error = ConfigError> + PartialEq>() -> Ops {
    Ops {
        check: |text, path| {
            let raw = T::parse(text, path).map_err(|e| line(&e))?;
            raw.validate(path).map(drop).map_err(|e| line(&e))
        },
        parse: |text, path| T::parse(text, path).map(drop).map_err(|e| line(&e)),
        same: |a, b, path| {
            let a = T::parse(a, path).map_err(|e| line(&e))?;
            let b = T::parse(b, path).map_err(|e| line(&e))?;
            Ok(a == b)
        },
    }
}

/// The config type a kind names.
fn kind_ops(kind: &str) -> Result<Ops, String> {
    match kind {
        "experiment" => Ok(ops::<ExperimentConfig>()),
        "sweep" => Ok(ops::<SweepConfig>()),
        "search" => Ok(ops::<SearchConfig>()),
        "diagnose" => Ok(ops::<DiagnoseConfig>()),
        other => Err(format!("no config kind {other:?}")),
    }
}

/// Parses and validates `text` as a whole file of `kind`.
pub fn check(kind: &str, text: &str) -> Result<(), String> {
    (kind_ops(kind)?.check)(text, &path(kind))
}

/// Parses `text` as a file of `kind` without validating it: the error, if any, as one line.
pub fn parse_only(kind: &str, text: &str) -> Result<(), String> {
    (kind_ops(kind)?.parse)(text, &path(kind))
}

/// Whether `a` and `b` parse to the same file of `kind` (both must parse).
pub fn same(kind: &str, a: &str, b: &str) -> Result<bool, String> {
    (kind_ops(kind)?.same)(a, b, &path(kind))
}

/// `fragment` merged over the smallest file of `kind` (under the table `under`, when given),
/// parsed and validated.
pub fn check_part(kind: &str, fragment: &str, under: Option<&str>) -> Result<(), String> {
    let part: toml::Table = fragment.parse().map_err(|e| format!("not TOML: {e}"))?;
    let mut file: toml::Table = minimal(kind).parse().expect("the minimal files are TOML");
    let target = match under {
        Some(section) => table_at(&mut file, section),
        None => &mut file,
    };
    merge(target, part);
    check(kind, &toml::to_string(&file).map_err(|e| e.to_string())?)
}

/// Merges `part` into `into`: tables key by key, anything else replaced.
pub fn merge(into: &mut toml::Table, part: toml::Table) {
    for (key, value) in part {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge(old, new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// The table at the dotted `section` of `file` (`.` is the file itself), made when missing; a
/// key ending in `[]` (`model.blocks[]`) is an array of tables, and the table its first.
pub fn table_at<'a>(file: &'a mut toml::Table, section: &str) -> &'a mut toml::Table {
    if section == "." {
        return file;
    }
    let mut table = file;
    for key in section.split('.') {
        let (key, array) = match key.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (key, false),
        };
        let empty = || toml::Value::Table(toml::Table::new());
        let mut entry = table.entry(key.to_string()).or_insert_with(|| {
            if array {
                toml::Value::Array(vec![empty()])
            } else {
                empty()
            }
        });
        if let toml::Value::Array(items) = entry {
            entry = items
                .first_mut()
                .unwrap_or_else(|| panic!("{section}: {key} is empty"));
        }
        table = match entry {
            toml::Value::Table(t) => t,
            other => panic!("{section}: {key} is {other}, not a table"),
        };
    }
    table
}
