//! This process's provenance (see `actlab_format::provenance`): the host (CPU model, the SIMD
//! features detected at run time, caches, cores, the threads used, OS), the device's adapter and
//! the data's checksums, collected for a run's `summary.json`.

use actlab_data::MnistData;

use actlab_format::provenance::{Adapter, BuildInfo, Provenance};

use crate::backend::Backend;
use crate::run::BURN_VERSION;

/// The SIMD features checked, in a fixed order: what `gemm`, `pulp` and `macerator` (Burn's
/// CPU kernels) choose code paths by.
#[cfg(target_arch = "x86_64")]
pub fn cpu_features() -> Vec<String> {
    let mut found = Vec::new();
    macro_rules! check {
        ($($feature:tt),*) => {
            $(if std::arch::is_x86_feature_detected!($feature) {
                found.push($feature.to_string());
            })*
        };
    }
    check!(
        "sse2",
        "sse4.1",
        "sse4.2",
        "avx",
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512bw",
        "avx512vl",
        "avx512dq",
        "avx512vnni",
        "avx512bf16",
        "avx512fp16"
    );
    found
}

/// The SIMD features checked, in a fixed order.
#[cfg(target_arch = "aarch64")]
pub fn cpu_features() -> Vec<String> {
    let mut found = Vec::new();
    macro_rules! check {
        ($($feature:tt),*) => {
            $(if std::arch::is_aarch64_feature_detected!($feature) {
                found.push($feature.to_string());
            })*
        };
    }
    check!("neon", "fp16", "dotprod", "sve", "sve2", "i8mm", "bf16");
    found
}

/// No SIMD feature detection on this architecture.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn cpu_features() -> Vec<String> {
    Vec::new()
}

/// The data and unified caches of CPU 0, by level: `L1d 32K 8-way`, `L2 512K 8-way`, ….
pub fn cpu_caches() -> Vec<String> {
    let root = std::path::Path::new("/sys/devices/system/cpu/cpu0/cache");
    let read = |dir: &std::path::Path, name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map(|s| s.trim().to_string())
            .ok()
    };
    let mut caches: Vec<(String, String)> = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_index = entry.file_name().to_string_lossy().starts_with("index");
        let (Some(level), Some(kind), Some(size)) =
            (read(&dir, "level"), read(&dir, "type"), read(&dir, "size"))
        else {
            continue;
        };
        if !is_index || kind == "Instruction" {
            continue;
        }
        let ways = read(&dir, "ways_of_associativity").unwrap_or_else(|| "?".into());
        let name = if kind == "Data" {
            format!("L{level}d")
        } else {
            format!("L{level}")
        };
        caches.push((name.clone(), format!("{name} {size} {ways}-way")));
    }
    caches.sort();
    caches.into_iter().map(|(_, text)| text).collect()
}

/// `/proc/cpuinfo`'s first `model name` (x86) or `Model` (ARM boards).
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| matches!(key.trim(), "model name" | "Model"))
        .map(|(_, value)| value.trim().to_string())
}

/// The OS family, with `/etc/os-release`'s `PRETTY_NAME` and the kernel release where they exist.
pub fn os() -> String {
    let mut parts = vec![std::env::consts::OS.to_string()];
    if let Ok(release) = std::fs::read_to_string("/etc/os-release")
        && let Some(name) = release
            .lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
    {
        parts.push(name.trim_matches('"').to_string());
    }
    if let Ok(kernel) = std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        parts.push(format!("kernel {}", kernel.trim()));
    }
    parts.join(", ")
}

/// The threads Burn's CPU backends compute on: the size rayon gives its global pool —
/// `RAYON_NUM_THREADS` when it is a positive number, else the logical cores. (Computed here the
/// way rayon does: a direct rayon dependency would change the features Burn is built with.)
pub fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The adapter behind a GPU backend's device; `None` on CPU backends.
pub fn adapter(backend: &Backend) -> Option<Adapter> {
    if !crate::backend::is_gpu(backend.name) {
        return None;
    }
    let identity = backend.device.identity()?;
    Some(Adapter {
        name: identity.name,
        kind: if identity.physical.is_some() {
            "gpu"
        } else {
            "software"
        }
        .to_string(),
        target: identity.fingerprint,
    })
}

/// This process's provenance for a run on `backend` over `data`.
pub fn collect(build: &BuildInfo, backend: &Backend, device: &str, data: &MnistData) -> Provenance {
    Provenance {
        build: build.clone(),
        burn_version: BURN_VERSION.to_string(),
        backend: backend.name.to_string(),
        device: device.to_string(),
        adapter: adapter(backend),
        cpu_model: cpu_model(),
        arch: std::env::consts::ARCH.to_string(),
        cpu_features: cpu_features(),
        cpu_caches: cpu_caches(),
        logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        threads: threads(),
        os: os(),
        dataset: data.name.to_string(),
        dataset_sha256: data
            .files
            .iter()
            .map(|f| (f.file.to_string(), f.sha256.clone()))
            .collect(),
    }
}
