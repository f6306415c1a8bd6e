//! `actlab plot activations`: every activation and its derivative, or a config's own.

use std::path::{Path, PathBuf};

use actlab_format::activation::ActivationConfig;
use actlab_format::config::ExperimentConfig;
use actlab_format::sweep::{SweepConfig, activation_slug};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PlotCommand {
    /// Every activation and its derivative on [-6, 6], as SVG and PNG.
    Activations {
        /// Output directory.
        #[arg(long, default_value = "runs/plots/activations")]
        out: PathBuf,
        /// Plot the activations of this config or sweep file (its formulas included) instead
        /// of the built-ins.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// With --config: built-ins to draw beside them, e.g. relu,gelu.
        #[arg(long, value_name = "A,B", requires = "config", value_delimiter = ',')]
        also: Vec<String>,
    },
}

pub fn run(what: PlotCommand) -> anyhow::Result<()> {
    let PlotCommand::Activations { out, config, also } = what;
    let activations = config
        .map(|path| activations_of(&path, &also))
        .transpose()?;
    // Only into a directory actlab made (or a new or empty one), one command at a time.
    let _lock = actlab_train::run::DirLock::acquire_output(&out)?;
    let files = match activations {
        Some(list) => actlab_eval::plot_these(&list, &out)?,
        None => actlab_eval::plot_activations(&out)?,
    };
    eprintln!("wrote {} files to {}", files.len(), out.display());
    for file in files {
        println!("{}", file.display());
    }
    Ok(())
}

/// The activations `plot activations --config FILE --also …` draws: a sweep's grid, or an
/// experiment's hidden activation, then the named built-ins; each with its run-name slug.
fn activations_of(path: &Path, also: &[String]) -> anyhow::Result<Vec<(String, ActivationConfig)>> {
    let text = actlab_format::fsio::read_text(path, actlab_format::fsio::MAX_TEXT_BYTES)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let is_sweep = text
        .parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("grid"));
    let mut list: Vec<ActivationConfig> = if is_sweep {
        SweepConfig::load(path)?.grid.activations.clone()
    } else {
        let config = ExperimentConfig::read(path)?.validate(path)?;
        vec![config.network().activation().clone()]
    };
    for name in also {
        let parsed: ActivationConfig =
            serde_json::from_value(serde_json::Value::String(name.trim().to_string()))
                .map_err(|e| anyhow::anyhow!("--also {name}: {e}"))?;
        list.push(parsed);
    }
    let mut out: Vec<(String, ActivationConfig)> = Vec::new();
    for config in list {
        let slug = activation_slug(&config);
        if !out.iter().any(|(s, _)| *s == slug) {
            out.push((slug, config));
        }
    }
    Ok(out)
}
