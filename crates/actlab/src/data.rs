//! `actlab data …`: find, fetch and check datasets. Printing only; the work is in `actlab-data`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use actlab_data::{ChecksumStatus, Located, MnistData, Sources, Split};
use actlab_format::dataset::DatasetName;
use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::json;

use crate::flags::{DATASETS_ROOT, DataFlags};
use crate::progress::CliProgress;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Find (or fetch) a dataset and describe it: source, counts, class balance, pixel
    /// statistics, checksum status. Without a dataset: every dataset actlab knows, what it is
    /// and where it comes from (nothing is looked for).
    Info {
        /// `mnist`, `fashion-mnist` or `kmnist` [all of them, described].
        #[arg(value_parser = parse_dataset)]
        dataset: Option<DatasetName>,
        /// A directory to try first (as `[data] dir` in a config).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[command(flatten)]
        data: DataFlags,
        /// Download from this base URL instead of the canonical mirrors (repeatable).
        #[arg(long = "mirror", value_name = "URL")]
        mirrors: Vec<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Download the dataset into datasets/<name>/ (falling back to Debian's package).
    Fetch {
        /// `mnist`, `fashion-mnist` or `kmnist`.
        #[arg(value_parser = parse_dataset)]
        dataset: DatasetName,
        /// Download from this base URL instead of the canonical mirrors (repeatable).
        #[arg(long = "mirror", value_name = "URL")]
        mirrors: Vec<String>,
        /// Do not fall back to `apt-get download`.
        #[arg(long)]
        no_apt: bool,
    },
    /// Measure decoding and one epoch of batching, host path vs device-resident, per backend.
    Bench {
        /// `mnist`, `fashion-mnist` or `kmnist`.
        #[arg(value_parser = parse_dataset)]
        dataset: DatasetName,
        /// Batch size.
        #[arg(long, default_value_t = 64)]
        batch: usize,
        /// Also measure wgpu (lavapipe on a machine without a GPU: slow to warm up).
        #[arg(long)]
        wgpu: bool,
    },
    /// Check a directory of IDX files: structure, counts, labels, and the published checksums.
    Verify {
        /// The directory holding the four files (`.gz` or raw).
        dir: PathBuf,
        /// The dataset the files should be [identified by their checksums].
        #[arg(long, value_parser = parse_dataset)]
        dataset: Option<DatasetName>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

fn parse_dataset(name: &str) -> Result<DatasetName, String> {
    DatasetName::parse(name).ok_or_else(|| {
        let known: Vec<&str> = DatasetName::ALL.iter().map(|d| d.as_str()).collect();
        format!(
            "unknown dataset {name:?}; expected one of: {}",
            known.join(", ")
        )
    })
}

/// `base` with a directory to try first and other mirrors.
fn sources(mut sources: Sources, dir: Option<PathBuf>, mirrors: Vec<String>) -> Sources {
    sources.config_dir = dir;
    if !mirrors.is_empty() {
        sources.mirrors = Some(mirrors);
    }
    sources
}

pub fn run(command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::Info {
            dataset,
            dir,
            data,
            mirrors,
            json,
        } => {
            let Some(dataset) = dataset else {
                anyhow::ensure!(
                    dir.is_none() && mirrors.is_empty(),
                    "--dir and --mirror need a dataset (actlab data info <name> --dir DIR)"
                );
                return catalogue(json);
            };
            eprintln!("looking for {dataset}:");
            let sources = sources(data.sources(), dir, mirrors);
            let located = actlab_data::locate(dataset, &sources, &mut CliProgress::default())?;
            let start = Instant::now();
            let data = actlab_data::load_dir(&located.dir, dataset)?;
            let seconds = start.elapsed().as_secs_f64();
            info(&located, &data, seconds, json)
        }
        DataCommand::Fetch {
            dataset,
            mirrors,
            no_apt,
        } => {
            if dataset.generated() {
                eprintln!(
                    "{dataset} is generated (Greydanus 2020's defaults, seed 42): nothing to fetch"
                );
                return Ok(());
            }
            let mut sources = sources(Sources::standard(DATASETS_ROOT), None, mirrors);
            if no_apt {
                sources.apt = None;
            }
            eprintln!(
                "fetching {dataset} into {}:",
                sources.project_dir(dataset).display()
            );
            let located = actlab_data::fetch(dataset, &sources, &mut CliProgress::default())?;
            let data = actlab_data::load_dir(&located.dir, dataset)?;
            let bad = mismatches(&data, dataset);
            if bad > 0 {
                bail!(
                    "{}: {bad} of 4 files differ from the published {dataset}",
                    located.dir.display()
                );
            }
            println!("{}", located.dir.display());
            let published = dataset.content_checksums_published();
            eprintln!(
                "{dataset}: {} + {} images in {} ({}), {}",
                data.train.len(),
                data.test.len(),
                located.dir.display(),
                located.source,
                if published {
                    "checksums ok"
                } else {
                    "structure and counts ok (no content checksums are published)"
                }
            );
            Ok(())
        }
        DataCommand::Verify { dir, dataset, json } => verify(&dir, dataset, json),
        DataCommand::Bench {
            dataset,
            batch,
            wgpu,
        } => bench(dataset, batch, wgpu),
    }
}

/// `data info` without a dataset: each one's shape, classes, counts and sources.
fn catalogue(json: bool) -> anyhow::Result<()> {
    let rows: Vec<serde_json::Value> = DatasetName::ALL
        .iter()
        .map(|&d| {
            json!({
                "dataset": d,
                "image_shape": &d.input_shape()[1..],
                "channels": d.input_shape()[0],
                "generated": d.generated(),
                "classes": d.class_names(),
                "train_count": d.train_count(),
                "test_count": d.test_count(),
                "mirrors": d.mirrors(),
                "debian_package": d.debian_package(),
                "content_sha256_published": d.content_checksums_published(),
            })
        })
        .collect();
    if json {
        let text = serde_json::to_string_pretty(&rows).context("serialising the catalogue")?;
        println!("{text}");
        return Ok(());
    }
    for d in DatasetName::ALL {
        println!(
            "{d}: {}, {} classes ({}), {} train + {} test",
            d.shape_words(),
            d.class_names().len(),
            d.class_names().join(" "),
            d.train_count(),
            d.test_count()
        );
        if d.generated() {
            println!("  from: generated in memory, no files (Greydanus 2020's defaults, seed 42)");
            continue;
        }
        let mut from = vec!["[data] dir".to_string(), format!("{DATASETS_ROOT}/{d}/")];
        from.push(match d.debian_package() {
            Some(package) => format!("/usr/share/datasets/{d}/ (Debian's {package})"),
            None => format!("/usr/share/datasets/{d}/"),
        });
        from.extend(d.mirrors().iter().map(|m| m.to_string()));
        println!("  from: {}", from.join(", "));
    }
    Ok(())
}

fn mismatches(data: &MnistData, dataset: DatasetName) -> usize {
    data.checksums_against(dataset)
        .iter()
        .filter(|c| c.status == ChecksumStatus::Mismatch)
        .count()
}

fn balance(split: &Split) -> Vec<usize> {
    split.class_counts()
}

fn info(located: &Located, data: &MnistData, seconds: f64, json: bool) -> anyhow::Result<()> {
    let dataset = located.dataset;
    let (mean, std) = data.train.pixel_stats();
    let checksums = data.checksums_against(dataset);
    let all_ok = checksums
        .iter()
        .all(|c| c.status != ChecksumStatus::Mismatch);
    let published = checksums
        .iter()
        .all(|c| c.status != ChecksumStatus::Unpublished);
    if json {
        let value = json!({
            "dataset": dataset,
            "source": located.source,
            "dir": located.dir,
            "train_count": data.train.len(),
            "test_count": data.test.len(),
            "image_shape": &dataset.input_shape()[1..],
            "classes": dataset.class_names(),
            "class_balance": { "train": balance(&data.train), "test": balance(&data.test) },
            "pixel_mean": mean,
            "pixel_std": std,
            "checksum_status": match (all_ok, published) {
                (false, _) => "mismatch",
                (true, true) => "ok",
                (true, false) => "unpublished",
            },
            "checksums": checksums,
            "attempts": located.attempts,
            "load_seconds": seconds,
        });
        let text = serde_json::to_string_pretty(&value).context("serialising the report")?;
        println!("{text}");
        return Ok(());
    }
    if dataset.generated() {
        println!("{dataset}: generated");
    } else {
        println!("{dataset}: {} ({})", located.dir.display(), located.source);
    }
    println!(
        "  examples: {} train, {} test, {}, {} classes (read in {seconds:.2} s)",
        data.train.len(),
        data.test.len(),
        dataset.shape_words(),
        dataset.num_classes()
    );
    println!("  class balance (train / test):");
    let (train, test) = (data.train.class_counts(), data.test.class_counts());
    for (i, name) in dataset.class_names().iter().enumerate() {
        println!("    {i} {name:<12} {:>6} / {:>5}", train[i], test[i]);
    }
    if dataset.generated() {
        println!("  values (train, as the model sees them): mean {mean:.4}, std {std:.4}");
    } else {
        println!("  pixels (train, scaled to [0, 1]): mean {mean:.4}, std {std:.4}");
    }
    for c in &checksums {
        let status = match c.status {
            ChecksumStatus::Ok => "ok",
            ChecksumStatus::Mismatch => "MISMATCH",
            ChecksumStatus::Unpublished => "not published (structure and counts checked)",
        };
        println!("  checksum {:<24} {status}", c.file);
    }
    if !all_ok {
        eprintln!(
            "warning: some files differ from the published {dataset} (SHA-256 of the uncompressed content)"
        );
    }
    Ok(())
}

fn verify(dir: &Path, dataset: Option<DatasetName>, json: bool) -> anyhow::Result<()> {
    if let Some(generated) = dataset.filter(|d| d.generated()) {
        bail!(
            "{generated} is generated, not read from files: there is nothing in a directory to verify"
        );
    }
    // The IDX datasets but EMNIST share MNIST's file names, so any of their specs finds the
    // files; a directory of CIFAR-10 batches or of EMNIST's files is read as that dataset.
    let complete = |name| actlab_data::mnist::missing_files(dir, name).is_empty();
    let read_as = dataset.unwrap_or(if complete(DatasetName::Cifar10) {
        DatasetName::Cifar10
    } else if complete(DatasetName::EmnistBalanced) {
        DatasetName::EmnistBalanced
    } else {
        DatasetName::default()
    });
    let data = actlab_data::load_dir(dir, read_as)?;
    let identified = dataset.or_else(|| data.identify());
    let checksums = identified.map(|d| data.checksums_against(d));
    let bad = identified.map_or(0, |d| mismatches(&data, d));
    if json {
        let value = json!({
            "dir": dir,
            "dataset": identified,
            "train_count": data.train.len(),
            "test_count": data.test.len(),
            "class_balance": { "train": balance(&data.train), "test": balance(&data.test) },
            "checksums": checksums,
            "files": data.files,
            "valid": bad == 0,
        });
        let text = serde_json::to_string_pretty(&value).context("serialising the report")?;
        println!("{text}");
    } else {
        println!(
            "{}: valid {}, {} train + {} test images, labels 0–{}",
            dir.display(),
            if read_as == DatasetName::Cifar10 {
                "CIFAR-10 binary batches"
            } else {
                "IDX"
            },
            data.train.len(),
            data.test.len(),
            read_as.num_classes() - 1
        );
        let unpublished = checksums
            .iter()
            .flatten()
            .any(|c| c.status == ChecksumStatus::Unpublished);
        match identified {
            Some(d) if unpublished => println!(
                "  {d} publishes no checksums of its content: structure and counts checked only"
            ),
            Some(d) if bad == 0 => println!("  all 4 files match the published {d}"),
            Some(_) => {}
            None => println!(
                "  checksums match no published dataset (not MNIST or Fashion-MNIST as published; \
                 KMNIST publishes none: pass --dataset kmnist)"
            ),
        }
    }
    if let Some(d) = identified
        && bad > 0
    {
        bail!(
            "{}: {bad} of 4 files differ from the published {d}",
            dir.display()
        );
    }
    Ok(())
}

/// One epoch of batches (the training part of the default split, shuffled), each reduced to a
/// scalar read back so that lazy backends really compute it.
fn bench(dataset: DatasetName, batch: usize, wgpu: bool) -> anyhow::Result<()> {
    use actlab_data::{DeviceLayout, DeviceSplit, Scaling};
    use actlab_format::config::{BackendName, BackendSection, DeviceSpec};
    use actlab_format::dataset::Holdout;
    anyhow::ensure!(batch > 0, "--batch must be at least 1");
    let located = actlab_data::locate(
        dataset,
        &Sources::standard(DATASETS_ROOT),
        &mut CliProgress::default(),
    )?;
    let start = Instant::now();
    let data = actlab_data::load_dir(&located.dir, dataset)?;
    println!(
        "decode + check {dataset} (4 files): {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let split = actlab_data::train_validation(data.train.len(), 5_000, Holdout::Last, 42)?;
    let order = actlab_data::epoch_order(&split.train, 42, 0);
    let batches: Vec<&[u32]> = order.chunks_exact(batch).collect();
    let mut backends = vec![BackendName::Flex, BackendName::Ndarray];
    if wgpu {
        backends.push(BackendName::Wgpu);
    }
    let mut devices = Vec::new();
    for name in backends {
        let section = BackendSection {
            name,
            device: DeviceSpec::Default,
        };
        devices.push((name, actlab_train::device(&section)?));
    }
    let table = Scaling::Unit.table();
    println!("one epoch = {} batches of {batch}", batches.len());
    for (name, backend) in devices {
        let device = &backend.device;
        let start = Instant::now();
        for ix in &batches {
            let b = data.train.batch_with_table(ix, &table, device)?;
            b.images
                .sum()
                .try_into_scalar::<f32>()
                .context("reading a batch back")?;
        }
        println!(
            "  {name:<8} host path      {:.3} s/epoch",
            start.elapsed().as_secs_f64()
        );
        let layouts = if backend.resident_bytes {
            vec![DeviceLayout::Bytes, DeviceLayout::Float]
        } else {
            vec![DeviceLayout::Float]
        };
        for layout in layouts {
            let start = Instant::now();
            let resident = DeviceSplit::new(&data.train, device, layout, Scaling::Unit);
            let upload = start.elapsed().as_secs_f64();
            let start = Instant::now();
            for ix in &batches {
                let b = resident.batch(ix)?;
                b.images
                    .sum()
                    .try_into_scalar::<f32>()
                    .context("reading a batch back")?;
            }
            let secs = start.elapsed().as_secs_f64();
            println!("  {name:<8} resident {layout:?}: {secs:.3} s/epoch (+ {upload:.3} s upload)");
        }
    }
    Ok(())
}
