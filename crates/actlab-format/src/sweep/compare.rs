//! `[compare]`: how a sweep's report judges its comparisons — the margin of equivalence δ,
//! the smallest difference in test accuracy (points) that matters to this user.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// `[compare]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSection {
    /// The margin of equivalence δ, in points of test accuracy (0 < δ ≤ 100): two activations
    /// whose difference provably lies within ±δ are judged equivalent [none: no equivalence
    /// verdicts, only better / worse / undecided].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// The confirmatory family: the activations (kinds, labels or group names) whose
    /// comparisons with the baseline are corrected together, declared before the runs, so a
    /// verdict does not depend on what else is in the grid [none: every comparison with the
    /// baseline]. The other rows are judged as a second, exploratory family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Vec<String>>,
    /// How the difference tests of a family are corrected: `holm` [default], or `max_t` — a
    /// step-down many-to-one test on the maximum |t| that uses the correlation of comparisons
    /// against one baseline (less conservative than Holm when they share the baseline's noise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
}

/// How a family's difference tests are corrected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm's step-down Bonferroni.
    #[default]
    Holm,
    /// Step-down max-T over the comparisons' joint (paired) distribution.
    MaxT,
}

/// Checks a margin in accuracy points, from a sweep file or `--margin`.
pub fn check_margin(margin: f64) -> Result<f64, String> {
    if margin.is_finite() && margin > 0.0 && margin <= 100.0 {
        Ok(margin)
    } else {
        Err(format!(
            "{margin} is not a margin: expected points of accuracy, above 0 and at most 100 \
             (e.g. 0.3)"
        ))
    }
}

impl CompareSection {
    /// Checks the section.
    pub fn check(&self, path: &Path) -> Result<(), ConfigError> {
        if let Some(margin) = self.margin {
            check_margin(margin).map_err(|_| {
                ConfigError::invalid(
                    path,
                    "compare.margin",
                    margin.to_string(),
                    "points of accuracy, above 0 and at most 100 (e.g. 0.3)",
                )
            })?;
        }
        if let Some(family) = &self.family {
            let mut sorted = family.clone();
            sorted.sort();
            if family.is_empty() || sorted.windows(2).any(|w| w[0] == w[1]) {
                return Err(ConfigError::invalid(
                    path,
                    "compare.family",
                    format!("{family:?}"),
                    "at least one activation, none repeated (or leave it out: every comparison)",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::sweep::SweepConfig;

    fn load(compare: &str) -> Result<Option<f64>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let text = format!("[base.model]\npreset = \"prelu-mlp\"\n[grid]\n[compare]\n{compare}\n");
        std::fs::write(&path, text).unwrap();
        SweepConfig::load(&path)
            .map(|s| s.compare.as_ref().and_then(|c| c.margin))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_margin_is_read_and_bad_ones_name_the_field() {
        assert_eq!(load("margin = 0.3"), Ok(Some(0.3)));
        assert_eq!(load(""), Ok(None));
        for bad in [
            "margin = 0.0",
            "margin = -0.3",
            "margin = 101.0",
            "margin = nan",
        ] {
            let m = load(bad).unwrap_err();
            assert!(
                m.contains("compare.margin") && m.contains("at most 100"),
                "{bad}: {m}"
            );
        }
        let m = load("margn = 0.3").unwrap_err();
        assert!(m.contains("margn"), "{m}");
        let m = load("margin = \"0.3\"").unwrap_err();
        assert!(m.contains("margin"), "{m}");
        assert_eq!(super::check_margin(0.3), Ok(0.3));
        assert!(
            super::check_margin(f64::INFINITY)
                .unwrap_err()
                .contains("above 0")
        );
    }

    #[test]
    fn a_family_names_activations_of_the_grid_and_a_correction_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let load = |compare: &str| {
            let text = format!(
                "[base.model]\npreset = \"prelu-mlp\"\n[grid]\nactivations = [\"relu\", \"gelu\", \"tanh\"]\n[compare]\n{compare}\n"
            );
            std::fs::write(&path, text).unwrap();
            SweepConfig::load(&path).map_err(|e| e.to_string())
        };
        let sweep = load("family = [\"gelu\"]\ncorrection = \"max_t\"").unwrap();
        let compare = sweep.compare.clone().unwrap();
        assert_eq!(compare.family, Some(vec!["gelu".to_string()]));
        assert_eq!(compare.correction, Some(super::Correction::MaxT));
        for (bad, want) in [
            ("family = [\"gelu\", \"mish\"]", "mish"),
            ("family = [\"relu\"]", "other than the baseline"),
            ("family = []", "at least one"),
            ("family = [\"gelu\", \"gelu\"]", "none repeated"),
            ("correction = \"bonferroni\"", "bonferroni"),
        ] {
            let m = load(bad).unwrap_err();
            assert!(m.contains(want) && !m.contains('\n'), "{bad}: {m}");
        }
    }
}
