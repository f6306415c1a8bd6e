//! `[backend]`: which Burn backend and which of its devices. Names only; turning them into a
//! device is `actlab_train::backend`'s job.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The Burn backends a config can name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendName {
    /// Burn's pure-Rust CPU backend (the default).
    #[default]
    Flex,
    /// The ndarray CPU backend (deprecated by Burn 0.22 in favour of flex, still supported).
    Ndarray,
    /// GPUs through wgpu (Vulkan, Metal, DX12; Mesa's lavapipe on a machine without one).
    Wgpu,
    /// NVIDIA GPUs through CUDA (cargo feature `cuda`).
    Cuda,
}

impl BackendName {
    /// Every backend a config can name, in config order.
    pub const ALL: [BackendName; 4] = [Self::Flex, Self::Ndarray, Self::Wgpu, Self::Cuda];

    /// The config spelling (`flex`, `ndarray`, `wgpu`, `cuda`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }
}

impl fmt::Display for BackendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for BackendName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|name| name.as_str() == s)
            .ok_or_else(|| {
                format!("unknown backend {s:?}; expected one of: flex, ndarray, wgpu, cuda")
            })
    }
}

/// Which device of the backend: `default`, `cpu`, `discrete:N`, `integrated:N`, or `N`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeviceSpec {
    /// The backend's default device.
    #[default]
    Default,
    /// A CPU device (wgpu: the software adapter).
    Cpu,
    /// The N-th discrete GPU.
    Discrete(usize),
    /// The N-th integrated GPU.
    Integrated(usize),
    /// Device N (CUDA ordinal).
    Index(usize),
}

const DEVICE_FORMS: &str = "\"default\", \"cpu\", \"discrete:N\", \"integrated:N\" or \"N\"";

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let index = |n: &str| {
            n.parse::<usize>()
                .map_err(|_| format!("unknown device \"{s}\", expected {DEVICE_FORMS}"))
        };
        match s {
            "default" => Ok(Self::Default),
            "cpu" => Ok(Self::Cpu),
            _ => {
                if let Some(n) = s.strip_prefix("discrete:") {
                    index(n).map(Self::Discrete)
                } else if let Some(n) = s.strip_prefix("integrated:") {
                    index(n).map(Self::Integrated)
                } else {
                    index(s).map(Self::Index)
                }
            }
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::Cpu => f.write_str("cpu"),
            Self::Discrete(n) => write!(f, "discrete:{n}"),
            Self::Integrated(n) => write!(f, "integrated:{n}"),
            Self::Index(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for DeviceSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `[backend]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendSection {
    /// `flex` | `ndarray` | `wgpu` | `cuda` [flex].
    #[serde(default)]
    pub name: BackendName,
    /// [default]
    #[serde(default)]
    pub device: DeviceSpec,
}
