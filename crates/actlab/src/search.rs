//! `actlab search`: printing only; the work is in `actlab_format::search` (the space and the
//! formula screen) and `actlab_eval::search` (the screen at initialisation).

use std::path::PathBuf;

use actlab_format::config::ConfigFile;
use actlab_format::search::SearchConfig;
use clap::Args;

use crate::flags::DataFlags;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The search file, e.g. configs/search.toml.
    config: PathBuf,
    /// Output directory [runs/<config name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Stop after the screen: generate the candidates, set aside duplicates (by function) and
    /// what cannot work, print the funnel and write screen.json / screen.md. (The training and
    /// confirmation stages are not built yet: this flag is required.)
    #[arg(long)]
    screen: bool,
    #[command(flatten)]
    data: DataFlags,
}

pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    let config = SearchConfig::read(&args.config)?.validate(&args.config)?;
    if !args.screen {
        anyhow::bail!(
            "actlab search: only the screen (--screen) is built so far; the proxy training, \
             halving and confirmation stages are not"
        );
    }
    let out = args.out.clone().unwrap_or_else(|| config.out_dir());
    let _lock = actlab_train::run::DirLock::acquire_output(&out)?;
    let data = args.data.load(&config.base)?;
    eprintln!(
        "{} candidates from {} unary × {} binary templates, depth ≤ {}, seed {}",
        config.budget.candidates,
        config.space.unary.len(),
        config.space.binary.len(),
        config.space.depth,
        config.budget.seed
    );
    let report = actlab_eval::search::screen(&config, &data)?;
    println!("{}", actlab_eval::output::search::markdown(&report));
    for file in actlab_eval::output::search::write(&report, &out)? {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}
