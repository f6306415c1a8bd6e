//! Where a result came from: the build (actlab version, git commit, rustc, Burn), the device
//! (backend, device, for a GPU backend the adapter and whether it is a software one), the host
//! (CPU model, the SIMD features detected at run time, cores, the threads used, OS) and the
//! data (SHA-256 of every dataset file). Recorded in `summary.json` as `provenance`; `report`
//! summarises it and `actlab reproduce` compares it. The values are collected by
//! `actlab_train::provenance::collect`.
//!
//! Two runs of one config are expected to be bit-identical when their
//! [`Provenance::determinism_key`]s are equal (see the book's "Reproducibility and provenance"
//! chapter for what is and is not).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the binary was built from, filled in by the program that links this crate (the CLI's
/// build script knows its git commit and compiler; a library user may leave them out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// actlab's version.
    pub version: String,
    /// The git commit built, when known.
    pub git_commit: Option<String>,
    /// Whether the working tree had uncommitted changes to tracked files when built.
    pub git_dirty: Option<bool>,
    /// `rustc --version` of the compiler, when known.
    pub rustc: Option<String>,
}

impl Default for BuildInfo {
    fn default() -> Self {
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: None,
            git_dirty: None,
            rustc: None,
        }
    }
}

/// The device a GPU backend runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adapter {
    /// The device as it names itself (`llvmpipe (LLVM 19.1.7, 256 bits)`, `NVIDIA H100 PCIe`).
    pub name: String,
    /// `gpu` (a card on a bus) or `software` (a CPU rasterizer such as lavapipe/llvmpipe or
    /// SwiftShader: no card behind it).
    pub kind: String,
    /// What its kernels are compiled for (wgpu: `spirv_<vendor>_<device>` ids). Burn 0.22 does
    /// not expose the driver version; for Mesa the name carries the LLVM version.
    pub target: String,
}

impl Adapter {
    /// Whether this is a CPU rasterizer rather than a GPU.
    pub fn is_software(&self) -> bool {
        self.kind == "software"
    }
}

/// `summary.json`'s `provenance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The build.
    pub build: BuildInfo,
    /// Burn's version.
    pub burn_version: String,
    /// The backend (`flex`, `ndarray`, `wgpu`, `cuda`).
    pub backend: String,
    /// The device spec (`default`, `cpu`, `discrete:0`).
    pub device: String,
    /// The GPU backend's adapter (none on CPU backends).
    pub adapter: Option<Adapter>,
    /// The CPU model (`/proc/cpuinfo`'s `model name`), when known.
    pub cpu_model: Option<String>,
    /// The CPU architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// SIMD features detected at run time (the ones math libraries dispatch on).
    pub cpu_features: Vec<String>,
    /// The data caches (`L1d 32K 8-way`, `L2 512K 8-way`, …) of the first CPU, from Linux's
    /// `/sys/devices/system/cpu/cpu0/cache`: Burn's CPU matrix multiply (the `gemm` crate) sizes
    /// its blocks from them, and the blocking changes the summation order — an L1d of 48K
    /// 12-way gives other bits than 32K 8-way (measured: see docs/book/src/reproducibility.md). Empty where unknown
    /// or in summaries written before it was recorded.
    #[serde(default)]
    pub cpu_caches: Vec<String>,
    /// Logical cores.
    pub logical_cores: usize,
    /// Threads of the pool the CPU backends compute on (`RAYON_NUM_THREADS`, else the cores).
    pub threads: usize,
    /// The operating system (`linux`, with the distribution and kernel when known).
    pub os: String,
    /// The dataset.
    pub dataset: String,
    /// SHA-256 of each dataset file's uncompressed content, by file name.
    pub dataset_sha256: BTreeMap<String, String>,
}

impl Provenance {
    /// What a run's numbers may depend on, as `(field, value)` pairs: the code (version,
    /// commit, Burn), the backend and adapter, the instruction set (architecture and SIMD
    /// features: Burn's CPU kernels pick code paths by them), the cache geometry (the matrix
    /// multiply's blocking follows it), the thread count and the data. The CPU's model name,
    /// core count and OS are left out: they do not change results.
    pub fn determinism_key(&self) -> Vec<(&'static str, String)> {
        let commit = match (&self.build.git_commit, self.build.git_dirty) {
            (Some(commit), Some(true)) => format!("{commit} (dirty)"),
            (Some(commit), _) => commit.clone(),
            (None, _) => "unknown".into(),
        };
        vec![
            ("actlab", self.build.version.clone()),
            ("commit", commit),
            ("burn", self.burn_version.clone()),
            ("backend", format!("{} ({})", self.backend, self.device)),
            (
                "adapter",
                self.adapter
                    .as_ref()
                    .map_or("none".into(), |a| format!("{} [{}]", a.name, a.kind)),
            ),
            ("arch", self.arch.clone()),
            ("cpu features", self.cpu_features.join(" ")),
            ("caches", self.cpu_caches.join(", ")),
            ("threads", self.threads.to_string()),
            (
                "data",
                format!(
                    "{} {}",
                    self.dataset,
                    self.dataset_sha256
                        .values()
                        .map(|s| s.get(..12).unwrap_or(s))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
        ]
    }

    /// The fields of [`Provenance::determinism_key`] that differ from `other`'s: `(field,
    /// this, other)`.
    pub fn differences(&self, other: &Provenance) -> Vec<(&'static str, String, String)> {
        self.determinism_key()
            .into_iter()
            .zip(other.determinism_key())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((field, a), (_, b))| (field, a, b))
            .collect()
    }

    /// One line: the backend, adapter or CPU, SIMD level and threads.
    pub fn short(&self) -> String {
        let on = match &self.adapter {
            Some(adapter) => format!("{} [{}]", adapter.name, adapter.kind),
            None => self.cpu_model.clone().unwrap_or_else(|| self.arch.clone()),
        };
        let simd = self
            .cpu_features
            .iter()
            .rev()
            .find(|f| f.starts_with("avx") || f.starts_with("sve") || *f == "neon")
            .cloned()
            .unwrap_or_else(|| "no avx".into());
        format!(
            "{} on {on}, {simd}, {} threads, actlab {}{}, Burn {}",
            self.backend,
            self.threads,
            self.build.version,
            self.build
                .git_commit
                .as_ref()
                .map_or(String::new(), |c| format!(" {}", c.get(..10).unwrap_or(c))),
            self.burn_version
        )
    }
}
