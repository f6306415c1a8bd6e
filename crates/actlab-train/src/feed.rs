//! Where the trainer's batches come from: the training split resident on the device as bytes
//! (CPU backends: an index selection is cheapest), or host batches uploaded per step (GPU
//! backends: wgpu has no byte storage, and on lavapipe the host path measured 2.6× faster).

use actlab_data::{DataError, DeviceLayout, DeviceSplit, MnistBatch, Scaling, Split};
use burn::tensor::Device;

use crate::backend::Backend;

/// Training batches: resident bytes on CPU backends, host batches elsewhere.
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
        if backend.resident_bytes {
            TrainFeed::Resident(DeviceSplit::new(
                split,
                device,
                DeviceLayout::Bytes,
                Scaling::Unit,
            ))
        } else {
            TrainFeed::Host {
                split,
                table: Scaling::Unit.table(),
                device: device.clone(),
            }
        }
    }
}
