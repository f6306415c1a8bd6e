//! Flag groups that several subcommands share (ripgrep's shared argument pieces): where
//! datasets may come from ([`DataFlags`]), how a training command runs ([`TrainFlags`]), and
//! `--shard` ([`parse_shard`]).

use actlab_data::{MnistData, Sources};
use actlab_format::config::ExperimentConfig;
use actlab_format::shard::Shard;
use actlab_train::TrainOptions;
use clap::Args;

use crate::progress::CliProgress;

/// Where `datasets/<name>/` lives: the current directory's `datasets/`.
pub const DATASETS_ROOT: &str = "datasets";

/// `--shard i/N`, or `auto`: the slice the scheduler assigned, from this process's environment
/// (`compare`, `search`).
pub fn parse_shard(text: &str) -> Result<Shard, actlab_format::shard::ShardError> {
    if text.trim() == "auto" {
        Shard::from_env(|name| std::env::var(name).ok())
    } else {
        text.parse()
    }
}

/// `--offline`.
#[derive(Debug, Clone, Copy, Args)]
pub struct DataFlags {
    /// Use local dataset copies only (no download, no apt-get).
    #[arg(long)]
    pub offline: bool,
}

impl DataFlags {
    /// The sources to look in, in their fixed order (`--offline`: local ones only).
    pub fn sources(&self) -> Sources {
        let sources = Sources::standard(DATASETS_ROOT);
        if self.offline {
            sources.offline()
        } else {
            sources
        }
    }

    /// Finds (or fetches) and loads the dataset `config` names, saying what it tries.
    pub fn load(&self, config: &ExperimentConfig) -> anyhow::Result<MnistData> {
        eprintln!("dataset {}:", config.data.dataset);
        let data = actlab_train::load_data(config, self.sources(), &mut CliProgress::default())?;
        Ok(data)
    }
}

/// `--quiet`, `--offline`, `--pause-after`: how `train` and `train-pack` run.
#[derive(Debug, Args)]
pub struct TrainFlags {
    /// One line per epoch, no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub data: DataFlags,
    /// Stop with a checkpoint after this epoch (exit status 0); `--resume` continues exactly
    /// as if training had not stopped (a pack's members: with all of them, or some). What
    /// `compare`'s successive halving uses.
    #[arg(long, value_name = "EPOCH")]
    pub pause_after: Option<usize>,
}

impl TrainFlags {
    /// The options a training command passes the trainer.
    pub fn options(&self) -> TrainOptions {
        TrainOptions {
            build: crate::about::build_info(),
            pause_after: self.pause_after,
            ..TrainOptions::default()
        }
    }
}
