//! `actlab search`: the screen (`actlab_format::search`, `actlab_eval::search`), then the proxy
//! stage — every survivor trained on the proxy, successive halving on validation accuracy
//! (`actlab_format::search::proxy::plan`), through the rounds driver `compare` uses, so a
//! stopped search resumes from its run directories — then the confirmation: the finalists and
//! the baselines as a sweep file (`confirm.toml`) run by `actlab compare`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use actlab_format::activation::ActivationConfig;
use actlab_format::config::ConfigFile;
use actlab_format::search::SearchConfig;
use actlab_format::search::proxy::{self, ProxyPlan, Standing};
use actlab_format::sweep::Point;
use actlab_format::sweep::compare::CompareSection;
use actlab_format::sweep::tune::Tune;
use actlab_format::sweep::{Grid, SweepConfig};
use anyhow::Context;
use clap::Args;

use crate::flags::DataFlags;
use crate::sweep::DataOnce;
use crate::sweep::rounds::{End, Next, Round, Stage, Training, drive, failed_for_good};
use crate::sweep::tune::observe;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The search file, e.g. configs/search.toml.
    config: PathBuf,
    /// Output directory [runs/<config name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Stop after the screen: generate the candidates, set aside duplicates (by function) and
    /// what cannot work, print the funnel and write screen.json / screen.md.
    #[arg(long)]
    screen: bool,
    /// Stop after the proxy stage: the finalists (proxy.json), before the test set is read.
    #[arg(long, conflicts_with = "screen")]
    proxy_only: bool,
    /// Proxy runs at a time.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// One line per run.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    data: DataFlags,
}

/// Returns the exit status.
pub fn run(args: SearchArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(args.jobs >= 1, "--jobs must be at least 1");
    let config = SearchConfig::read(&args.config)?.validate(&args.config)?;
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
    let screen = actlab_eval::search::screen(&config, &data)?;
    drop(data);
    println!("{}", actlab_eval::output::search::markdown(&screen));
    for file in actlab_eval::output::search::write(&screen, &out)? {
        eprintln!("wrote {}", file.display());
    }
    if args.screen {
        return Ok(0);
    }
    let candidates: Vec<(String, ActivationConfig)> = screen
        .survivors
        .iter()
        .map(|s| (s.name.clone(), s.activation.clone()))
        .collect();
    anyhow::ensure!(
        !candidates.is_empty(),
        "no candidate passed the screen: nothing to train"
    );
    let points = proxy::points(&config, &candidates, &args.config)?;
    let names: Vec<String> = candidates.iter().map(|(n, _)| n.clone()).collect();
    let standings = match proxy_stage(&config, &args, &out, &points, &names)? {
        End::Done(standings) => standings,
        End::Interrupted(code) => return Ok(code),
    };
    let text = serde_json::to_string_pretty(&standings).context("proxy.json")?;
    let file = out.join("proxy.json");
    actlab_format::fsio::write_atomic(&file, text.as_bytes())
        .with_context(|| format!("writing {}", file.display()))?;
    println!("{}", finalists_markdown(&standings, &candidates));
    eprintln!("wrote {}", file.display());
    let finalists: Vec<(String, ActivationConfig)> = standings
        .iter()
        .filter(|s| s.finalist)
        .filter_map(|s| candidates.iter().find(|(n, _)| *n == s.candidate).cloned())
        .collect();
    if finalists.is_empty() {
        eprintln!(
            "search: no finalist — every candidate's proxy run failed (see {}/failed/)",
            out.join("proxy").display()
        );
        return Ok(1);
    }
    if args.proxy_only {
        eprintln!(
            "search: stopped after the proxy stage (--proxy-only): the finalists are chosen on \
             proxy validation accuracy and are not a result until confirmed"
        );
        return Ok(0);
    }
    confirm(&config, &args, out.as_path(), &finalists)
}

/// The confirmation as a sweep file (`confirm.toml`, written beside the search's files so it
/// can be read, rerun or extended like any other): the finalists, each named after its
/// candidate, and the baselines on `[confirm]`'s fresh seeds, with its tuning stage and margin.
pub fn confirmation_sweep(
    config: &SearchConfig,
    finalists: &[(String, ActivationConfig)],
) -> SweepConfig {
    let c = &config.confirm;
    let named = finalists.iter().map(|(name, activation)| match activation {
        ActivationConfig::Expr {
            f,
            params,
            learnable,
            per_unit,
            ..
        } => ActivationConfig::Expr {
            f: f.clone(),
            params: params.clone(),
            learnable: learnable.clone(),
            per_unit: *per_unit,
            name: Some(name.clone()),
        },
        other => other.clone(),
    });
    SweepConfig {
        name: Some(format!(
            "{}-confirm",
            config.name.as_deref().unwrap_or("search")
        )),
        baseline: c
            .baselines
            .first()
            .map_or("relu".into(), ActivationConfig::label),
        base: config.base.clone(),
        grid: Grid {
            activations: named.chain(c.baselines.iter().cloned()).collect(),
            seeds: c.seeds.clone(),
            hidden: None,
            lr: None,
        },
        output: config.base.output.clone(),
        tune: Some(Tune {
            lr: c.tune.lr.clone(),
            seeds: c.tune.seeds.clone(),
            epochs: c.tune.epochs,
            halving: c.tune.halving.clone(),
            near_ties: c.tune.near_ties,
        }),
        compare: Some(CompareSection {
            margin: c.margin,
            ..CompareSection::default()
        }),
    }
}

/// Writes `confirm.toml` and runs `actlab compare` on it into `out/confirm/` (the fair
/// protocol, the verdicts, sequential seeds if `[confirm] seeds` asks): the first time the
/// test set is read. Returns compare's exit status.
fn confirm(
    config: &SearchConfig,
    args: &SearchArgs,
    out: &std::path::Path,
    finalists: &[(String, ActivationConfig)],
) -> anyhow::Result<u8> {
    let sweep = confirmation_sweep(config, finalists);
    let file = out.join("confirm.toml");
    let text = toml::to_string(&sweep).context("writing the confirmation sweep")?;
    actlab_format::fsio::write_atomic(&file, text.as_bytes())
        .with_context(|| format!("writing {}", file.display()))?;
    // Checked as any sweep file is, before anything trains.
    SweepConfig::load(&file)?;
    eprintln!(
        "search: confirming {} finalist(s) against {} baseline(s): actlab compare {}",
        finalists.len(),
        config.confirm.baselines.len(),
        file.display()
    );
    let exe = std::env::current_exe().context("finding the actlab binary")?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("compare")
        .arg(&file)
        .arg("--out")
        .arg(out.join("confirm"))
        .arg("--jobs")
        .arg(args.jobs.to_string());
    if args.quiet {
        command.arg("--quiet");
    }
    if args.data.offline {
        command.arg("--offline");
    }
    let status = command.status().context("running actlab compare")?;
    let code = status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1));
    if code == 0 {
        eprintln!(
            "search: the confirmed comparison is {}",
            out.join("confirm/report/report.md").display()
        );
    }
    Ok(code)
}

/// Trains the proxy stage in `out/proxy/` until the plan has its finalists.
fn proxy_stage(
    config: &SearchConfig,
    args: &SearchArgs,
    out: &std::path::Path,
    points: &[Point],
    names: &[String],
) -> anyhow::Result<End<Vec<Standing>>> {
    let dir = out.join("proxy");
    let by_name: BTreeMap<&str, &Point> = points.iter().map(|p| (p.name.as_str(), p)).collect();
    let training = Training {
        jobs: args.jobs,
        pack: None,
        quiet: args.quiet,
    };
    let stage = Stage {
        label: "search",
        needed_for: "the candidates cannot be ranked",
        dir: &dir,
        mine: points
            .iter()
            .map(|p| p.name.clone())
            .collect::<BTreeSet<_>>(),
        backend: config.base.backend.name,
        training: &training,
        set_aside_failures: true,
    };
    let mut data = DataOnce::new(args.data, &config.base);
    drive(&stage, &mut data, || {
        let failed = |name: &str| failed_for_good(&dir, name);
        match proxy::plan(config, names, &mut |name| observe(&dir.join(name)), &failed) {
            ProxyPlan::Train { epoch, points } => Ok(Next::Train(Round {
                points: points
                    .iter()
                    .filter_map(|n| by_name.get(n.as_str()).map(|p| (*p).clone()))
                    .collect(),
                pause: Some(epoch),
                what: format!("to epoch {epoch} on the proxy, then halving"),
            })),
            ProxyPlan::Done(standings) => Ok(Next::Done(standings)),
        }
    })
}

/// The proxy stage's outcome: every candidate that reached the last rung, finalists first.
fn finalists_markdown(
    standings: &[Standing],
    candidates: &[(String, actlab_format::activation::ActivationConfig)],
) -> String {
    let formula = |name: &str| {
        candidates
            .iter()
            .find(|(n, _)| n == name)
            .map_or(String::new(), |(_, a)| a.label().replace('|', "\\|"))
    };
    let mut md = String::from(
        "## The proxy stage\n\n| candidate | formula | validation % (proxy) | at epoch | finalist |\n\
         |---|---|---|---|---|\n",
    );
    for s in standings.iter().take(20) {
        md.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            s.candidate,
            formula(&s.candidate),
            if s.failed {
                "failed".to_string()
            } else {
                format!("{:.2}", 100.0 * s.val_accuracy)
            },
            s.epoch,
            if s.finalist { "**yes**" } else { "" }
        ));
    }
    md
}
