//! `actlab search`: the screen (`actlab_format::search`, `actlab_eval::search`), then the proxy
//! stage — every survivor trained on the proxy, successive halving on validation accuracy
//! (`actlab_format::search::proxy::plan`), through the rounds driver `compare` uses, so a
//! stopped search resumes from its run directories — then the confirmation: the finalists and
//! the baselines as a sweep file (`confirm.toml`) run by `actlab compare`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use actlab_eval::search::report::{ProxyRow, Rung};
use actlab_format::activation::ActivationConfig;
use actlab_format::config::ConfigFile;
use actlab_format::search::SearchConfig;
use actlab_format::search::proxy::{self, ProxyPlan, Standing};
use actlab_format::shard::Shard;
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
use crate::sweep::units::PackChoice;

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
    /// Runs at a time (the proxy stage's and the confirmation's).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Train only the i-th of N deterministic slices of the proxy stage and of the
    /// confirmation (a job array); a shard trains its slice, then the idle runs of others. When
    /// every shard has finished, run `actlab search` once more without it: it trains nothing
    /// and writes the reports. `auto`: the slice from the scheduler's environment.
    #[arg(long, value_name = "i/N|auto", value_parser = crate::flags::parse_shard)]
    shard: Option<Shard>,
    /// Train proxy runs (which differ only in activation) and the confirmation's as packed
    /// networks of at most K runs each (`auto`: all eligible runs on GPU backends, none on CPU
    /// backends).
    #[arg(long, value_name = "K|auto")]
    pack: Option<PackChoice>,
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
    // One search at a time on a directory, or on a shard of it: shards run side by side, each
    // run directory locked by its trainer.
    let _lock = match args.shard {
        None => actlab_train::run::DirLock::acquire_output(&out)?,
        Some(s) => {
            actlab_train::run::DirLock::claim_output(&out)?;
            actlab_train::run::DirLock::acquire(
                &out.join("shards")
                    .join(format!("{}-of-{}", s.index, s.count)),
            )?
        }
    };
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
    let references = proxy::reference_points(&config, &args.config)?;
    let names: Vec<String> = candidates.iter().map(|(n, _)| n.clone()).collect();
    let standings = match proxy_stage(&config, &args, &out, &points, &references, &names)? {
        End::Done(standings) => standings,
        End::Interrupted(code) => {
            eprintln!(
                "interrupted: unfinished proxy runs are checkpointed; run the same command again \
                 to continue"
            );
            return Ok(code);
        }
    };
    let text = serde_json::to_string_pretty(&standings).context("proxy.json")?;
    let file = out.join("proxy.json");
    actlab_format::fsio::write_atomic(&file, text.as_bytes())
        .with_context(|| format!("writing {}", file.display()))?;
    eprintln!("wrote {}", file.display());
    let (rows, references) = proxy_rows(&config, &out, &standings, &candidates);
    let rungs = actlab_eval::search::report::rung_counts(&proxy::rungs(&config), &standings);
    println!(
        "## The proxy stage\n\n{}",
        actlab_eval::output::search::proxy_table(&rungs, &rows, &references)
    );
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
    let report = |confirmation| {
        search_report(
            &config,
            &out,
            (screen.clone(), rungs.clone()),
            (rows.clone(), references.clone()),
            &candidates,
            confirmation,
        )
    };
    if args.proxy_only {
        if args.shard.is_none() {
            report(None)?;
        }
        eprintln!(
            "search: stopped after the proxy stage (--proxy-only): the finalists are chosen on \
             proxy validation accuracy and are not a result until confirmed"
        );
        return Ok(0);
    }
    let code = confirm(&config, &args, out.as_path(), &finalists)?;
    if code != 0 || args.shard.is_some() {
        // A shard leaves the reports to a last `actlab search` without --shard.
        return Ok(code);
    }
    let results = out.join("confirm/report/results.json");
    report(Some(results.as_path()))?;
    Ok(0)
}

/// The proxy's rows: the top 20 candidates, and every finalist however many, with their
/// scores at every rung read from the run directories; and the baselines' references.
fn proxy_rows(
    config: &SearchConfig,
    out: &std::path::Path,
    standings: &[Standing],
    candidates: &[(String, ActivationConfig)],
) -> (Vec<ProxyRow>, Vec<ProxyRow>) {
    let dir = out.join("proxy");
    let mut seen = |name: &str| observe(&dir.join(name));
    let activation = |name: &str| candidates.iter().find(|(n, _)| n == name).map(|(_, a)| a);
    let rows = standings
        .iter()
        .take(20.max(config.budget.finalists))
        .map(|s| ProxyRow {
            name: s.candidate.clone(),
            formula: activation(&s.candidate).map_or(String::new(), ActivationConfig::label),
            swish: activation(&s.candidate).and_then(actlab_format::search::shape::swish_fit),
            scores: proxy::rung_scores(config, &s.candidate, &mut seen),
            finalist: s.finalist,
            failed: s.failed,
        })
        .collect();
    let references = config
        .confirm
        .baselines
        .iter()
        .map(|a| {
            let slug = actlab_format::sweep::activation_slug(a);
            ProxyRow {
                scores: proxy::rung_scores(config, &slug, &mut seen),
                name: slug,
                formula: a.label(),
                swish: None,
                finalist: false,
                failed: false,
            }
        })
        .collect();
    (rows, references)
}

/// Writes `search.json`, `search.md`, `search.html` and `plots/` into `out`: the screen and
/// the rungs, the proxy's rows and references ([`proxy_rows`]), and the confirmation read from
/// `results` (compare's `results.json`) when it has run.
fn search_report(
    config: &SearchConfig,
    out: &std::path::Path,
    (screen, rungs): (actlab_eval::search::ScreenReport, Vec<Rung>),
    (rows, references): (Vec<ProxyRow>, Vec<ProxyRow>),
    candidates: &[(String, ActivationConfig)],
    results: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use actlab_eval::search::report::{SearchReport, read_confirmation};
    let finalists: Vec<ProxyRow> = rows.iter().filter(|r| r.finalist).cloned().collect();
    let confirmation = results
        .map(|file| read_confirmation(file, &finalists, &references))
        .transpose()?;
    let report = SearchReport::new(
        config.name.clone().unwrap_or_else(|| "search".into()),
        screen,
        rungs,
        rows,
        references,
        confirmation,
    );
    // The shapes next to ReLU, Swish (β = 1: SiLU) and GELU, and any other baseline.
    let mut shapes: Vec<(String, ActivationConfig)> = candidates
        .iter()
        .filter(|(n, _)| finalists.iter().any(|f| f.name == *n))
        .cloned()
        .collect();
    let named = [
        ActivationConfig::Relu,
        ActivationConfig::Silu,
        ActivationConfig::Gelu { approximate: false },
    ];
    for a in named.iter().chain(&config.confirm.baselines) {
        let slug = actlab_format::sweep::activation_slug(a);
        if !shapes.iter().any(|(s, _)| *s == slug) {
            shapes.push((slug, a.clone()));
        }
    }
    println!("{}", actlab_eval::output::search::summary(&report));
    for file in actlab_eval::output::search::write_report(&report, &shapes, out)? {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
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
    if let Some(shard) = args.shard {
        command
            .arg("--shard")
            .arg(format!("{}/{}", shard.index, shard.count));
    }
    if let Some(pack) = args.pack {
        command.arg("--pack").arg(pack.to_string());
    }
    if args.data.offline {
        command.arg("--offline");
    }
    let code = run_forwarding_signals(&mut command)?;
    if code == 0 && args.shard.is_none() {
        eprintln!(
            "search: the confirmed comparison is {}",
            out.join("confirm/report/report.md").display()
        );
    }
    Ok(code)
}

/// Runs the child `compare` in its own process group and forwards Ctrl-C or SIGTERM to it once
/// (it checkpoints its runs and exits): a terminal's Ctrl-C and a scheduler's SIGTERM to this
/// process alone (Kubernetes signals PID 1) stop the confirmation alike. Returns its exit
/// status.
fn run_forwarding_signals(command: &mut std::process::Command) -> anyhow::Result<u8> {
    use std::os::unix::process::CommandExt;
    use std::sync::atomic::Ordering;
    let stop = crate::signals::stop_flag()?;
    let mut child = command
        .process_group(0)
        .spawn()
        .context("running actlab compare")?;
    let mut forwarded = false;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for actlab compare")? {
            break status;
        }
        if stop.load(Ordering::SeqCst) && !forwarded {
            forwarded = true;
            crate::signals::interrupt(&child);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// Trains the proxy stage in `out/proxy/` until the plan has its finalists, then the baselines
/// to the last rung as references.
fn proxy_stage(
    config: &SearchConfig,
    args: &SearchArgs,
    out: &std::path::Path,
    points: &[Point],
    references: &[Point],
    names: &[String],
) -> anyhow::Result<End<Vec<Standing>>> {
    let dir = out.join("proxy");
    let by_name: BTreeMap<&str, &Point> = points
        .iter()
        .chain(references)
        .map(|p| (p.name.as_str(), p))
        .collect();
    let training = Training {
        jobs: args.jobs,
        pack: args.pack,
        quiet: args.quiet,
    };
    let all: Vec<Point> = points.iter().chain(references).cloned().collect();
    let mine: BTreeSet<String> = match args.shard {
        Some(s) => s.select(&all).into_iter().map(|p| p.name).collect(),
        None => all.iter().map(|p| p.name.clone()).collect(),
    };
    let stage = Stage {
        label: "search",
        needed_for: "the candidates cannot be ranked",
        dir: &dir,
        mine,
        backend: config.base.backend.name,
        training: &training,
        set_aside_failures: true,
    };
    let last = proxy::rungs(config).last().copied().unwrap_or(1);
    let mut data = DataOnce::new(args.data, &config.base);
    let round = |names: Vec<String>, epoch: usize, what: String| {
        Next::Train(Round {
            points: names
                .iter()
                .filter_map(|n| by_name.get(n.as_str()).map(|p| (*p).clone()))
                .collect(),
            pause: Some(epoch),
            what,
        })
    };
    drive(&stage, &mut data, || {
        let failed = |name: &str| failed_for_good(&dir, name);
        let mut seen = |name: &str| observe(&dir.join(name));
        match proxy::plan(config, names, &mut seen, &failed) {
            ProxyPlan::Train { epoch, points } => Ok(round(
                points,
                epoch,
                format!("to epoch {epoch} on the proxy, then halving"),
            )),
            ProxyPlan::Done(standings) => {
                let missing = proxy::references_missing(config, references, &mut seen, &failed);
                if missing.is_empty() {
                    Ok(Next::Done(standings))
                } else {
                    Ok(round(
                        missing,
                        last,
                        format!("to epoch {last} on the proxy: the baselines, as references"),
                    ))
                }
            }
        }
    })
}
