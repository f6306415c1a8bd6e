//! `actlab search`'s file (`SEARCH.toml`): the proxy task candidates train on (`[base]`), the
//! space of formulas (`[space]`, [`space`]), the budget (`[budget]`) and the confirmation
//! (`[confirm]`). Candidates are generated as `kind = "expr"` formulas ([`space::generate`])
//! and screened before any training ([`screen`]): de-duplicated by function, and rejected when
//! they cannot work (not finite, constant, linear).

pub mod proxy;
pub mod screen;
pub mod shape;
pub mod space;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::config::{ConfigError, ConfigFile, ExperimentConfig};
use crate::sweep::seeds::Seeds;
use crate::sweep::tune::{Halving, NearTies};

/// The most candidates one search may generate (the screen holds one fingerprint each).
pub const MAX_CANDIDATES: usize = 1_000_000;
/// The most operand templates in `[space] unary` or `binary`.
pub const MAX_TEMPLATES: usize = 200;
/// The deepest composition of core units.
pub const MAX_DEPTH: usize = 3;

/// `[space]`: formulas are core units `b(u1(x), u2(x))` — `b` from `binary` (over `a` and `b`),
/// `u1`, `u2` from `unary` (over `x`) — composed up to `depth` deep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpaceSection {
    /// Unary templates over `x`; any other name in one (`b` in `"b*x"`) is a constant.
    pub unary: Vec<String>,
    /// Binary templates over `a` and `b`, each using both.
    pub binary: Vec<String>,
    /// Core units composed up to this depth [1]: at depth k, `u1`'s argument is a depth-(k−1)
    /// formula.
    #[serde(default = "one")]
    pub depth: usize,
    /// Constants of the unary templates become learnable parameters (initial value 1) [true];
    /// false: fixed at 1.
    #[serde(default = "yes")]
    pub learnable_constants: bool,
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

/// `[budget] proxy`: the short training each candidate gets first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    /// Epochs of the first round (later rounds train survivors longer).
    pub epochs: usize,
    /// Training images used [all].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_limit: Option<usize>,
    /// Seeds of the search's runs; none may be a confirmation seed.
    pub seeds: Vec<u64>,
}

/// `[budget] halving`: successive halving over the proxy-trained candidates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchHalving {
    /// Fraction promoted each round, in (0, 1).
    pub keep: f64,
    /// Rounds after the first screen (each doubles the epochs).
    pub rounds: usize,
}

/// `[budget]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Candidates generated, before de-duplication.
    pub candidates: usize,
    /// Seed of the generator [0]: the same file generates the same candidates.
    #[serde(default)]
    pub seed: u64,
    /// The proxy training.
    pub proxy: Proxy,
    /// Successive halving.
    pub halving: SearchHalving,
    /// Candidates that go on to confirmation.
    pub finalists: usize,
}

/// `[confirm] tune`: the fair protocol's rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTune {
    /// Candidate learning rates.
    pub lr: Vec<f64>,
    /// Tuning seeds [2001, 2002]; disjoint from every other seed of the search.
    #[serde(default = "default_tune_seeds")]
    pub seeds: Vec<u64>,
    /// Epochs per tuning run [`base.train.epochs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Successive halving of the rates [none].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halving: Option<Halving>,
    /// Near-tied rates [best].
    #[serde(default)]
    pub near_ties: NearTies,
}

fn default_tune_seeds() -> Vec<u64> {
    vec![2001, 2002]
}

/// `[confirm]`: finalists and baselines through the fair protocol on fresh seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// The activations the finalists are compared with; the first is the baseline of the
    /// verdicts.
    pub baselines: Vec<ActivationConfig>,
    /// Seeds: a list, or `{ start, step, max }` (seeds until decided).
    pub seeds: Seeds,
    /// The tuning stage.
    pub tune: ConfirmTune,
    /// The margin of equivalence in points [none].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
}

/// A search file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Name [the file's stem]; output in `runs/<name>/`.
    #[serde(default)]
    pub name: Option<String>,
    /// The task: candidates train on it (shortened by `[budget] proxy`), finalists are
    /// confirmed on it.
    pub base: ExperimentConfig,
    /// The formulas.
    pub space: SpaceSection,
    /// How much to train.
    pub budget: Budget,
    /// The confirmation.
    pub confirm: Confirm,
}

impl ConfigFile for SearchConfig {
    type Valid = SearchConfig;
    type Error = ConfigError;

    fn name_mut(&mut self) -> &mut Option<String> {
        &mut self.name
    }

    fn validate(&self, path: &Path) -> Result<SearchConfig, ConfigError> {
        self.check(path)?;
        Ok(self.clone())
    }
}

impl SearchConfig {
    /// Reads and validates a search file.
    pub fn load(path: &Path) -> Result<SearchConfig, ConfigError> {
        crate::config::load::<Self>(path)
    }

    /// `runs/<name>`.
    pub fn out_dir(&self) -> PathBuf {
        Path::new("runs").join(self.name.as_deref().unwrap_or("search"))
    }

    /// Every value in range, every template a formula, the seeds disjoint.
    pub fn check(&self, path: &Path) -> Result<(), ConfigError> {
        if let Some(name) = &self.name {
            crate::config::check_name(path, "name", name)?;
        }
        self.check_space(path)?;
        self.check_budget(path)?;
        self.check_confirm(path)?;
        self.base.validate(path)?;
        for (i, baseline) in self.confirm.baselines.iter().enumerate() {
            baseline
                .validate(&format!("confirm.baselines[{i}]"))
                .map_err(|error| ConfigError::Model {
                    path: path.to_path_buf(),
                    error,
                })?;
        }
        Ok(())
    }

    fn check_space(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        let s = &self.space;
        for (field, list) in [("space.unary", &s.unary), ("space.binary", &s.binary)] {
            if list.is_empty() || list.len() > MAX_TEMPLATES {
                return Err(invalid(
                    field,
                    format!("{} templates", list.len()),
                    &format!("1 to {MAX_TEMPLATES} templates"),
                ));
            }
        }
        for (i, t) in s.unary.iter().enumerate() {
            space::Unary::parse(t)
                .map_err(|e| invalid(&format!("space.unary[{i}]"), format!("{t:?}"), &e))?;
        }
        for (i, t) in s.binary.iter().enumerate() {
            space::Binary::parse(t)
                .map_err(|e| invalid(&format!("space.binary[{i}]"), format!("{t:?}"), &e))?;
        }
        if !(1..=MAX_DEPTH).contains(&s.depth) {
            return Err(invalid(
                "space.depth",
                s.depth.to_string(),
                &format!("1 to {MAX_DEPTH}"),
            ));
        }
        Ok(())
    }

    fn check_budget(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        let b = &self.budget;
        if !(1..=MAX_CANDIDATES).contains(&b.candidates) {
            return Err(invalid(
                "budget.candidates",
                b.candidates.to_string(),
                &format!("1 to {MAX_CANDIDATES}"),
            ));
        }
        if b.proxy.epochs == 0 || b.proxy.epochs > 1000 {
            return Err(invalid(
                "budget.proxy.epochs",
                b.proxy.epochs.to_string(),
                "1 to 1000 epochs",
            ));
        }
        if self.base.data.validation_size == 0 {
            return Err(invalid(
                "base.data.validation_size",
                "0".into(),
                "validation images: the search ranks candidates on validation accuracy (the \
                 test set is the confirmation's)",
            ));
        }
        if b.proxy.seeds.is_empty() {
            return Err(invalid(
                "budget.proxy.seeds",
                "[]".into(),
                "at least one seed",
            ));
        }
        if let Some(limit) = b.proxy.train_limit
            && limit < self.base.train.batch_size
        {
            return Err(invalid(
                "budget.proxy.train_limit",
                limit.to_string(),
                "at least one batch of images",
            ));
        }
        if !(b.halving.keep > 0.0 && b.halving.keep < 1.0) {
            return Err(invalid(
                "budget.halving.keep",
                b.halving.keep.to_string(),
                "a fraction in (0, 1)",
            ));
        }
        if b.halving.rounds > 10 {
            return Err(invalid(
                "budget.halving.rounds",
                b.halving.rounds.to_string(),
                "0 to 10 rounds",
            ));
        }
        if b.finalists == 0 || b.finalists > b.candidates {
            return Err(invalid(
                "budget.finalists",
                b.finalists.to_string(),
                "1 to budget.candidates",
            ));
        }
        Ok(())
    }

    fn check_confirm(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        let c = &self.confirm;
        if c.baselines.is_empty() {
            return Err(invalid(
                "confirm.baselines",
                "[]".into(),
                "at least one baseline (the first is the verdicts' baseline)",
            ));
        }
        if c.tune.lr.is_empty() || c.tune.lr.iter().any(|lr| !(lr.is_finite() && *lr > 0.0)) {
            return Err(invalid(
                "confirm.tune.lr",
                format!("{:?}", c.tune.lr),
                "one or more positive rates",
            ));
        }
        if c.tune.seeds.is_empty() {
            return Err(invalid(
                "confirm.tune.seeds",
                "[]".into(),
                "at least one seed",
            ));
        }
        // The bound compare checks: a margin it would refuse must not wait for the confirmation.
        if let Some(m) = c.margin
            && crate::sweep::compare::check_margin(m).is_err()
        {
            return Err(invalid(
                "confirm.margin",
                m.to_string(),
                "points of accuracy, above 0 and at most 100 (e.g. 0.3)",
            ));
        }
        // The search chooses on its own seeds; the confirmation's are fresh.
        let b = &self.budget;
        let confirm: Vec<u64> = c
            .seeds
            .values()
            .into_iter()
            .chain(c.tune.seeds.clone())
            .collect();
        if let Some(seed) = b.proxy.seeds.iter().find(|s| confirm.contains(s)) {
            return Err(invalid(
                "budget.proxy.seeds",
                seed.to_string(),
                "seeds the confirmation does not use (its own must be fresh)",
            ));
        }
        if let Some(seed) = c.tune.seeds.iter().find(|s| c.seeds.values().contains(s)) {
            return Err(invalid(
                "confirm.tune.seeds",
                seed.to_string(),
                "seeds that are not confirm.seeds (the final runs' seeds stay unseen)",
            ));
        }
        Ok(())
    }
}
