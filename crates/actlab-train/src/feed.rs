//! Where the trainer's batches come from: the training split resident on the device — as
//! bytes on CPU backends (an index selection, then a conversion), as already-scaled f32 in
//! chunks under a GPU's buffer limit on GPU backends (wgpu has no byte storage). Host batches
//! uploaded per step remain only for `bench --pack`'s comparison.

use actlab_data::{DataError, DeviceLayout, DeviceSplit, MnistBatch, Scaling, Split};
use burn::tensor::Device;

use crate::backend::Backend;

/// Training batches: resident bytes on CPU backends, resident f32 chunks on GPU backends, or
/// host batches (benchmarks only).
#[allow(clippy::large_enum_variant)] // one per run; Burn's `Device` is what is large
pub(crate) enum TrainFeed<'a> {
    Resident(DeviceSplit),
    Host {
        split: &'a Split,
        table: [f32; 256],
        device: Device,
    },
}

impl TrainFeed<'_> {
    pub(crate) fn batch(&self, indices: &[u32]) -> Result<MnistBatch, DataError> {
        match self {
            TrainFeed::Resident(split) => split.batch(indices),
            TrainFeed::Host {
                split,
                table,
                device,
            } => split.batch_with_table(indices, table, device),
        }
    }
}

impl<'a> TrainFeed<'a> {
    /// The feed for `split` on `backend`; batches land on `device` (the autodiff device).
    pub(crate) fn new(split: &'a Split, backend: &Backend, device: &Device) -> TrainFeed<'a> {
        let layout = if backend.resident_bytes {
            DeviceLayout::Bytes
        } else {
            DeviceLayout::Float
        };
        TrainFeed::Resident(DeviceSplit::new(split, device, layout, Scaling::Unit))
    }
}
