//! Sweeps: a base training config plus a grid (activations × hidden sizes × learning rates ×
//! seeds), expanded into named grid points in a fixed order and validated once: a
//! [`SweepConfig`] (the file) validates into a [`Sweep`], whose points each hold their
//! validated [`Experiment`]. An optional tuning stage (`[tune]`, [`tune`]) adds tuning runs.

pub mod compare;
pub mod seeds;
pub mod tune;

use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::config::{ConfigError, ConfigFile, Experiment, ExperimentConfig, OutputSection};
use compare::CompareSection;
use seeds::Seeds;
use tune::{Tune, TunePoint};

/// The activations a sweep compares when the grid names none: every hidden-layer kind at its
/// defaults (not identity, which makes the network linear, nor softmax, which is for outputs),
/// and Swish with a learnable β beside the fixed one.
pub fn default_activations() -> Vec<ActivationConfig> {
    use ActivationConfig as A;
    let mut list = Vec::new();
    for config in A::defaults() {
        match config {
            A::Identity | A::Softmax { .. } => {}
            A::Swish { beta, .. } => {
                list.push(config.clone());
                list.push(A::Swish {
                    beta,
                    trainable: true,
                });
            }
            _ => list.push(config),
        }
    }
    list
}

fn default_baseline() -> String {
    "relu".into()
}

/// The most runs one sweep may have (each is a run directory; more is a typo, not a plan).
pub const MAX_POINTS: usize = 100_000;

/// `[grid]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// Activations [the 13 of [`default_activations`]].
    #[serde(default = "default_activations")]
    pub activations: Vec<ActivationConfig>,
    /// Seeds [1, 2, 3, 4, 5]; every activation runs every seed (so tests can pair them). Or
    /// `{ start, step, max }`: seeds until decided (a group-sequential design).
    #[serde(default)]
    pub seeds: Seeds,
    /// Hidden-layer sizes to try [the base model's].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<Vec<usize>>>,
    /// Learning rates to try [the base optimizer's].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<Vec<f64>>,
}

/// A sweep file, as parsed: [`SweepConfig::validate`] makes it a [`Sweep`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    /// Name [the file's stem]; runs go to `runs/<name>/<point>/`.
    #[serde(default)]
    pub name: Option<String>,
    /// The activation every other is compared with [relu].
    #[serde(default = "default_baseline")]
    pub baseline: String,
    /// The training config each grid point starts from.
    pub base: ExperimentConfig,
    /// What varies.
    pub grid: Grid,
    /// Where runs go.
    #[serde(default)]
    pub output: OutputSection,
    /// A tuning stage: each activation's learning rate chosen on validation accuracy first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tune: Option<Tune>,
    /// How the report judges comparisons (`[compare] margin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<CompareSection>,
}

/// One grid point: a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Its directory name (`relu-s1`, `swish-beta1-learnable-h256-lr0.001-s3`).
    pub name: String,
    /// Its group: the name without the seed (and, in a tuned sweep, the group a rate is chosen
    /// for: activation and hidden sizes).
    pub group: String,
    /// Its training config, validated.
    pub experiment: Experiment,
}

/// A validated sweep: the file, where it was read from, and every point's validated
/// experiment (the grid's, and the tuning stage's). Reads as its [`SweepConfig`].
#[derive(Debug, Clone)]
pub struct Sweep {
    config: SweepConfig,
    path: PathBuf,
    points: Vec<Point>,
    tune_points: Vec<TunePoint>,
}

impl Deref for Sweep {
    type Target = SweepConfig;

    fn deref(&self) -> &SweepConfig {
        &self.config
    }
}

impl Sweep {
    /// Every grid point, in a fixed order: activation, then hidden sizes, then learning rate,
    /// then seed.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Every tuning run, in grid order (group, then rate, then seed); empty without `[tune]`.
    pub fn tune_points(&self) -> &[TunePoint] {
        &self.tune_points
    }

    /// The first point of each group (activation and hidden sizes): what a tuning stage
    /// chooses a rate for.
    pub fn group_points(&self) -> Vec<&Point> {
        let mut seen = std::collections::BTreeSet::new();
        self.points
            .iter()
            .filter(|p| seen.insert(p.group.as_str()))
            .collect()
    }

    /// The file the sweep was read from (named in errors).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file as parsed.
    pub fn config(&self) -> &SweepConfig {
        &self.config
    }
}

/// A short file-name-safe form of an activation with its parameters.
pub fn activation_slug(activation: &ActivationConfig) -> String {
    // A formula without a name: `expr-` and a short hash of the formula and its parameters.
    if let ActivationConfig::Expr { name: None, .. } = activation {
        use sha2::{Digest, Sha256};
        let text = serde_json::to_string(activation).unwrap_or_default();
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return format!("expr-{hex}");
    }
    slug(&activation.label())
}

/// A file-name-safe form of `text`: letters and digits lowercased, `.` and `_` kept, every run
/// of anything else one `-`, none at the ends.
pub fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

impl ConfigFile for SweepConfig {
    type Valid = Sweep;
    type Error = ConfigError;

    fn name_mut(&mut self) -> &mut Option<String> {
        &mut self.name
    }

    fn validate(&self, path: &Path) -> Result<Sweep, ConfigError> {
        self.check(path)?;
        let points = self
            .raw_points()
            .into_iter()
            .map(|(name, group, config)| {
                Ok(Point {
                    name,
                    group,
                    experiment: config.validate(path)?,
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let mut sweep = Sweep {
            config: self.clone(),
            path: path.to_path_buf(),
            points,
            tune_points: Vec::new(),
        };
        sweep.tune_points = tune::points(&sweep)?;
        Ok(sweep)
    }
}

impl SweepConfig {
    /// Reads and validates a sweep file.
    pub fn load(path: &Path) -> Result<Sweep, ConfigError> {
        crate::config::load::<Self>(path)
    }

    /// The checks that need no point built: sizes, names, the tuning section.
    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        if let Some(name) = &self.name {
            crate::config::check_name(path, "name", name)?;
        }
        if self.grid.activations.is_empty() {
            return Err(invalid(
                "grid.activations",
                "[]".into(),
                "at least one activation",
            ));
        }
        let (hidden, rates) = (self.grid.hidden.as_ref(), self.grid.lr.as_ref());
        self.check_seeds(path)?;
        if hidden.is_some_and(Vec::is_empty) {
            return Err(invalid(
                "grid.hidden",
                "[]".into(),
                "at least one size (or leave it out)",
            ));
        }
        if rates.is_some_and(Vec::is_empty) {
            return Err(invalid(
                "grid.lr",
                "[]".into(),
                "at least one rate (or leave it out)",
            ));
        }
        // Counted before anything is built (a sequential max or init × data can be huge).
        let points = [
            self.grid.activations.len(),
            hidden.map_or(1, Vec::len),
            rates.map_or(1, Vec::len),
            self.grid.seeds.count().unwrap_or(usize::MAX),
        ]
        .iter()
        .try_fold(1usize, |n, &k| n.checked_mul(k))
        .filter(|&n| n <= MAX_POINTS);
        if points.is_none() {
            return Err(invalid(
                "grid",
                "activations × hidden × lr × seeds".into(),
                &format!("at most {MAX_POINTS} runs"),
            ));
        }
        if let Some(tune) = &self.tune {
            tune.check(self, path)?;
        }
        if let Some(compare) = &self.compare {
            compare.check(path)?;
            self.check_family(path)?;
        }
        let points = self.raw_points();
        let mut names: Vec<&str> = points.iter().map(|p| p.0.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(
                "grid",
                pair[0].to_string(),
                "no repeated activation, size, rate or seed",
            ));
        }
        Ok(())
    }

    /// `[grid] seeds`: a list with a seed, a valid design (one rate only), or two seed lists.
    fn check_seeds(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        let rates = self.grid.lr.as_ref();
        match &self.grid.seeds {
            Seeds::List(list) if list.is_empty() => {
                return Err(invalid("grid.seeds", "[]".into(), "at least one seed"));
            }
            Seeds::Sequential(design) => {
                design.check().map_err(|why| {
                    ConfigError::invalid(
                        path,
                        "grid.seeds",
                        format!(
                            "{{ start = {}, step = {}, max = {} }}",
                            design.start, design.step, design.max
                        ),
                        &why,
                    )
                })?;
                if rates.is_some_and(|r| r.len() > 1) {
                    return Err(invalid(
                        "grid.seeds",
                        "{ start, step, max }".into(),
                        "a list of seeds when grid.lr has several rates (sequential seeds judge \
                         each activation against the baseline at one rate; tune the rate with \
                         [tune] instead)",
                    ));
                }
            }
            Seeds::Sources(sources) => {
                for (field, list) in [
                    ("grid.seeds.init", &sources.init),
                    ("grid.seeds.data", &sources.data),
                ] {
                    let mut sorted = list.clone();
                    sorted.sort_unstable();
                    if sorted.is_empty() || sorted.windows(2).any(|w| w[0] == w[1]) {
                        return Err(invalid(
                            field,
                            format!("{list:?}"),
                            "at least one seed, none repeated",
                        ));
                    }
                }
            }
            Seeds::List(_) => {}
        }
        Ok(())
    }

    /// `[compare] family` names activations of the grid other than the baseline.
    fn check_family(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        let Some(compare) = &self.compare else {
            return Ok(());
        };
        // A declared family names activations of the grid (a typo must not shrink it).
        for entry in compare.family.iter().flatten() {
            let named = |a: &ActivationConfig| {
                a.kind() == entry || a.label() == *entry || activation_slug(a) == *entry
            };
            if !self.grid.activations.iter().any(named) || *entry == self.baseline {
                return Err(invalid(
                    "compare.family",
                    entry.clone(),
                    "an activation of grid.activations other than the baseline (its kind or \
                     label, e.g. \"gelu\")",
                ));
            }
        }
        Ok(())
    }

    /// The sweep's output directory: `[output] dir`, or `runs/<name>`.
    pub fn out_dir(&self) -> PathBuf {
        self.output
            .dir
            .clone()
            .unwrap_or_else(|| Path::new("runs").join(self.name.as_deref().unwrap_or("sweep")))
    }

    /// Every grid point as (name, group, raw config), in [`Sweep::points`]'s order.
    fn raw_points(&self) -> Vec<(String, String, ExperimentConfig)> {
        let hidden: Vec<Option<&Vec<usize>>> = match &self.grid.hidden {
            Some(list) => list.iter().map(Some).collect(),
            None => vec![None],
        };
        let rates: Vec<Option<f64>> = match &self.grid.lr {
            Some(list) => list.iter().copied().map(Some).collect(),
            None => vec![None],
        };
        let mut points = Vec::new();
        for activation in &self.grid.activations {
            for h in &hidden {
                for lr in &rates {
                    for (seed, data_seed) in self.grid.seeds.pairs() {
                        let mut config = self.base.clone();
                        config.model.activation = Some(activation.clone());
                        let mut name = activation_slug(activation);
                        if let Some(h) = h {
                            config.model.hidden = Some((*h).clone());
                            let sizes: Vec<String> = h.iter().map(ToString::to_string).collect();
                            name.push_str(&format!("-h{}", sizes.join("x")));
                        }
                        if let Some(lr) = lr {
                            config.train.optimizer.set_lr(*lr);
                            name.push_str(&format!("-lr{lr}"));
                        }
                        config.train.seed = seed;
                        config.train.data_seed = data_seed;
                        let group = name.clone();
                        name.push_str(&format!("-s{seed}"));
                        if let Some(data) = data_seed {
                            name.push_str(&format!("-d{data}"));
                        }
                        config.name = Some(name.clone());
                        config.output.dir = None;
                        config.output.tensorboard &= self.output.tensorboard;
                        points.push((name, group, config));
                    }
                }
            }
        }
        points
    }
}

#[cfg(test)]
mod tests;
