//! `actlab new sweep FILE`: a commented sweep file to start from — the activations to compare
//! (built-in names or formulas in x), the seeds, the fair protocol's rates and a margin — checked
//! as `compare` would check it, and never written over an existing file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use actlab_format::activation::{ActivationConfig, activation_kinds};
use actlab_format::config::ConfigFile;
use actlab_format::sweep::SweepConfig;
use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// A sweep file comparing activations with a baseline, commented section by section.
    #[command(
        after_help = "Examples:\n  actlab new sweep my-sweep.toml\n  actlab new sweep \
                            mine.toml --activations \"relu,gelu,x*tanh(softplus(x))\" --seeds 10"
    )]
    Sweep {
        /// The file to write (it must not exist).
        file: PathBuf,
        /// Activations to compare, comma-separated: built-in names (relu, gelu, swish, …) or
        /// formulas in x (`x*sigmoid(1.5*x)`; commas inside parentheses are the formula's).
        #[arg(long, default_value = "relu,leaky_relu,silu,gelu")]
        activations: String,
        /// Seeds per activation (1, 2, …, N).
        #[arg(long, default_value_t = 5)]
        seeds: u64,
        /// The activation the others are judged against (a built-in among --activations).
        #[arg(long, default_value = "relu")]
        baseline: String,
    },
}

/// Splits at the commas outside parentheses, trimming each piece.
fn split_top_level(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut current) = (0i32, String::new());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out
}

/// A built-in's name as the grid writes it, or a formula as an `expr` table; checked.
fn activation_entry(text: &str, index: usize) -> anyhow::Result<String> {
    anyhow::ensure!(
        !text.is_empty(),
        "--activations: entry {} is empty",
        index + 1
    );
    if activation_kinds().contains(&text) {
        return Ok(format!("{text:?}"));
    }
    let activation = ActivationConfig::Expr {
        f: text.to_string(),
        params: BTreeMap::new(),
        learnable: Vec::new(),
        per_unit: false,
        name: None,
    };
    activation
        .validate(&format!("--activations[{}]", index + 1))
        .map_err(|e| {
            anyhow::anyhow!(
                "{e} (not a built-in either: {})",
                activation_kinds().join(", ")
            )
        })?;
    Ok(format!("{{ kind = \"expr\", f = {text:?} }}"))
}

/// The file's text.
fn sweep_text(activations: &[String], seeds: u64, baseline: &str, file: &Path) -> String {
    let seeds: Vec<String> = (1..=seeds).map(|s| s.to_string()).collect();
    format!(
        "# A comparison of activations: each one below trains the same model on the same data,\n\
         # seeds and budget, at its own best learning rate (chosen on validation images, never\n\
         # on the test set), and is judged against the baseline: better, worse, equivalent\n\
         # within the margin, or undecided (more seeds needed).\n\
         #\n\
         #   actlab compare {file} --jobs 2\n\
         #\n\
         # then open runs/<this file's name>/report/report.html.\n\n\
         baseline = {baseline:?}       # the activation every other is judged against\n\n\
         [base.model]\n\
         preset = \"prelu-mlp\"      # one hidden layer of 128 units; \"lenet5\" for a CNN\n\
         activation = \"relu\"       # replaced by each of the grid's\n\n\
         [base.data]\n\
         dataset = \"fashion-mnist\" # found or fetched by actlab; also mnist, kmnist, mnist1d, cifar-10\n\
         validation_size = 5000    # training images held out to choose the rates on\n\n\
         [base.train]\n\
         epochs = 10\n\
         batch_size = 64\n\
         optimizer = {{ kind = \"adam\", lr = 1e-3 }}  # lr: replaced by each activation's tuned rate\n\n\
         [grid]\n\
         # Built-in names, or formulas in x: {{ kind = \"expr\", f = \"x*sigmoid(c*x)\", params = {{ c = 1.0 }}, learnable = [\"c\"] }}\n\
         activations = [{}]\n\
         seeds = [{}]              # or {{ start = 5, step = 5, max = 40 }}: more seeds only while undecided\n\n\
         [tune]                    # the fair protocol: each activation's own best rate\n\
         lr = [3e-4, 1e-3, 3e-3]\n\
         seeds = [1001, 1002]      # the tuning runs' own seeds, never the grid's\n\n\
         [compare]\n\
         margin = 0.3              # points of test accuracy: within ±0.3 of the baseline is \"equivalent\"\n",
        activations.join(", "),
        seeds.join(", "),
        file = file.display(),
    )
}

/// The sweep file `new sweep` writes for `activations` (comma-separated, commas inside
/// parentheses kept) and how many activations it holds, checked as `compare` checks a file.
pub(crate) fn sweep_file(
    activations: &str,
    seeds: u64,
    baseline: &str,
    file: &Path,
) -> anyhow::Result<(String, usize)> {
    anyhow::ensure!(
        (2..=1000).contains(&seeds),
        "--seeds must be 2 to 1000 (a paired comparison needs two)"
    );
    let names = split_top_level(activations);
    let entries = names
        .iter()
        .enumerate()
        .map(|(i, a)| activation_entry(a, i))
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(
        names.iter().any(|n| n == baseline) && activation_kinds().contains(&baseline),
        "--baseline {baseline:?} is not a built-in among --activations ({})",
        names.join(", ")
    );
    let text = sweep_text(&entries, seeds, baseline, file);
    SweepConfig::parse(&text, file)?.validate(file)?;
    Ok((text, entries.len()))
}

pub fn run(what: NewCommand) -> anyhow::Result<()> {
    let NewCommand::Sweep {
        file,
        activations,
        seeds,
        baseline,
    } = what;
    let (text, count) = sweep_file(&activations, seeds, &baseline, &file)?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{} exists: an existing file is never written over (choose another name)",
                file.display()
            ),
            _ => anyhow::anyhow!("writing {}: {e}", file.display()),
        })?;
    out.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", file.display()))?;
    eprintln!(
        "wrote {}: {} activations × {seeds} seeds against {baseline}\nnext: actlab compare {} \
         --jobs 2",
        file.display(),
        count,
        file.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_inside_parentheses_belong_to_the_formula() {
        assert_eq!(
            split_top_level("relu, max(x, 0.1*x) ,gelu"),
            ["relu", "max(x, 0.1*x)", "gelu"]
        );
        assert_eq!(split_top_level("relu"), ["relu"]);
    }
}
