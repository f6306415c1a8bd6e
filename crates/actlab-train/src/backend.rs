//! The one place that knows what each backend is: `[backend]` → a [`Backend`], a Burn
//! [`Device`] with the facts about it that the trainer and eval need (how to feed batches,
//! whether shapes must stay fixed).
//!
//! Burn 0.22 puts the backend in the device, so choosing one at run time is a `match` here and
//! nothing else in actlab is generic over it or matches on backend names. Training uses
//! [`Device::autodiff`] of [`Backend::device`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use burn::tensor::{Device, DeviceKind};

use actlab_format::config::{BackendName, BackendSection, DeviceSpec};

/// Why a backend cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The binary was built without the backend.
    #[error(
        "backend \"{name}\" is not compiled into this binary: rebuild with `--features {feature}` \
         (e.g. `cargo run --release --features {feature} -- …`)"
    )]
    NotCompiled {
        /// The backend.
        name: &'static str,
        /// The cargo feature of the `actlab` crate that enables it.
        feature: &'static str,
    },
    /// The device form does not exist for this backend.
    #[error("backend.device = \"{device}\" is not a {name} device: expected {expected}")]
    UnsupportedDevice {
        /// The backend.
        name: &'static str,
        /// The device asked for.
        device: DeviceSpec,
        /// What this backend accepts.
        expected: &'static str,
    },
    /// wgpu found no adapter (no GPU driver, no software Vulkan).
    #[error(
        "no wgpu adapter for device \"{device}\": {message}. Install a GPU driver, or Mesa's \
         software Vulkan for a CPU adapter (`apt-get install mesa-vulkan-drivers`), or use \
         backend \"flex\""
    )]
    NoAdapter {
        /// The device asked for.
        device: DeviceSpec,
        /// What wgpu said.
        message: String,
    },
    /// The CUDA runtime could not bring the device up.
    #[error("CUDA device \"{device}\" is unavailable: {message}")]
    CudaUnavailable {
        /// The device asked for.
        device: DeviceSpec,
        /// What went wrong.
        message: String,
    },
}

/// The backends this binary was built with (`cuda` only with the cargo feature).
pub fn compiled_backends() -> Vec<BackendName> {
    BackendName::ALL
        .into_iter()
        .filter(|name| *name != BackendName::Cuda || cfg!(feature = "cuda"))
        .collect()
}

/// Whether `name` is a GPU backend (kernels compiled per tensor shape, batches uploaded from
/// the host), for callers that decide before building a device.
pub fn is_gpu(name: BackendName) -> bool {
    matches!(name, BackendName::Wgpu | BackendName::Cuda)
}

/// A device ready to use, and what actlab needs to know about its backend.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The Burn device (without autodiff).
    pub device: Device,
    /// Which backend.
    pub name: BackendName,
    /// Keep the training split resident on the device as bytes and convert each selected batch
    /// (the CPU backends); otherwise resident as already-scaled f32 in chunks under the
    /// adapter's buffer limit (GPU backends: wgpu has no byte storage). See `crate::feed`.
    pub resident_bytes: bool,
    /// The backend compiles kernels per tensor shape (GPU backends): keep every batch the same
    /// shape, padding the last evaluation batch.
    pub fixed_shapes: bool,
}

impl Backend {
    /// The evaluation batch: the training batch (padded) where shapes must stay fixed, else
    /// 1000 images. Returns (batch, pad).
    pub fn eval_batch(&self, train_batch: usize) -> (usize, bool) {
        if self.fixed_shapes {
            (train_batch, true)
        } else {
            (1000, false)
        }
    }
}

/// The device `[backend]` names (without autodiff), with its backend's facts.
///
/// A wgpu device is initialised here, so a machine without an adapter gets
/// [`BackendError::NoAdapter`] instead of a panic on the first tensor. Devices are cached per
/// process: wgpu can initialise each selector once.
pub fn device(section: &BackendSection) -> Result<Backend, BackendError> {
    let gpu = is_gpu(section.name);
    Ok(Backend {
        device: bare_device(section)?,
        name: section.name,
        resident_bytes: !gpu,
        fixed_shapes: gpu,
    })
}

fn bare_device(section: &BackendSection) -> Result<Device, BackendError> {
    let name = section.name.as_str();
    let cpu_only = |device: Device| match section.device {
        DeviceSpec::Default | DeviceSpec::Cpu => Ok(device),
        other => Err(BackendError::UnsupportedDevice {
            name,
            device: other,
            expected: "\"default\" or \"cpu\" (a CPU backend has one device)",
        }),
    };
    match section.name {
        BackendName::Flex => cpu_only(Device::flex()),
        #[allow(deprecated)] // Burn 0.22 deprecates ndarray for flex; we still offer both.
        BackendName::Ndarray => cpu_only(Device::ndarray()),
        BackendName::Wgpu => wgpu(section.device),
        BackendName::Cuda => cuda(section.device),
    }
}

static WGPU_DEVICES: Mutex<Option<HashMap<String, Device>>> = Mutex::new(None);

fn wgpu(spec: DeviceSpec) -> Result<Device, BackendError> {
    let kind = match spec {
        DeviceSpec::Default => DeviceKind::DefaultDevice,
        DeviceSpec::Cpu => DeviceKind::Cpu,
        DeviceSpec::Discrete(i) => DeviceKind::DiscreteGpu(i),
        DeviceSpec::Integrated(i) => DeviceKind::IntegratedGpu(i),
        DeviceSpec::Index(_) => {
            return Err(BackendError::UnsupportedDevice {
                name: "wgpu",
                device: spec,
                expected: "\"default\", \"cpu\", \"discrete:N\" or \"integrated:N\"",
            });
        }
    };
    let mut cache = WGPU_DEVICES.lock().unwrap_or_else(PoisonError::into_inner);
    let cache = cache.get_or_insert_with(HashMap::new);
    let key = spec.to_string();
    if let Some(device) = cache.get(&key) {
        return Ok(device.clone());
    }
    let device = match Device::wgpu_options().device_kind(kind.clone()).init() {
        Ok(device) => device,
        // Initialised earlier in this process through `Device::wgpu` (tests, other tools): the
        // lazy device reaches that runtime.
        Err(burn::tensor::wgpu::WgpuInitError::Registration { .. }) => Device::wgpu(kind),
        Err(error) => {
            return Err(BackendError::NoAdapter {
                device: spec,
                message: error.to_string(),
            });
        }
    };
    cache.insert(key, device.clone());
    Ok(device)
}

#[cfg(feature = "cuda")]
fn cuda(spec: DeviceSpec) -> Result<Device, BackendError> {
    let device = match spec {
        DeviceSpec::Default => Device::cuda(burn::tensor::DeviceIndex::Default),
        DeviceSpec::Index(i) | DeviceSpec::Discrete(i) => Device::cuda(i),
        other => {
            return Err(BackendError::UnsupportedDevice {
                name: "cuda",
                device: other,
                expected: "\"default\", \"N\" or \"discrete:N\"",
            });
        }
    };
    // CUDA initialises lazily and panics when there is no driver or device: probe once here.
    let probe = device.clone();
    let result = std::panic::catch_unwind(move || {
        burn::tensor::Tensor::<1>::from_floats([1.0], &probe)
            .into_data()
            .to_vec::<f32>()
            .is_ok()
    });
    match result {
        Ok(true) => Ok(device),
        Ok(false) => Err(BackendError::CudaUnavailable {
            device: spec,
            message: "a test tensor did not read back".into(),
        }),
        Err(panic) => Err(BackendError::CudaUnavailable {
            device: spec,
            message: panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "the CUDA runtime failed to start".into()),
        }),
    }
}

#[cfg(not(feature = "cuda"))]
fn cuda(_spec: DeviceSpec) -> Result<Device, BackendError> {
    Err(BackendError::NotCompiled {
        name: "cuda",
        feature: "cuda",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_backends_reject_gpu_device_forms() {
        for name in [BackendName::Flex, BackendName::Ndarray] {
            let section = BackendSection {
                name,
                device: DeviceSpec::Discrete(0),
            };
            let error = device(&section).unwrap_err().to_string();
            assert!(
                error.contains("discrete:0") && error.contains("cpu"),
                "{error}"
            );
            let ok = BackendSection {
                name,
                device: DeviceSpec::Cpu,
            };
            assert!(device(&ok).is_ok());
        }
    }

    #[test]
    fn wgpu_rejects_a_bare_index() {
        let section = BackendSection {
            name: BackendName::Wgpu,
            device: DeviceSpec::Index(0),
        };
        let error = device(&section).unwrap_err().to_string();
        assert!(error.contains("discrete:N"), "{error}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_names_the_feature() {
        let section = BackendSection {
            name: BackendName::Cuda,
            device: DeviceSpec::Default,
        };
        let error = device(&section).unwrap_err().to_string();
        assert!(error.contains("--features cuda"), "{error}");
        assert!(!compiled_backends().contains(&BackendName::Cuda));
    }
}
