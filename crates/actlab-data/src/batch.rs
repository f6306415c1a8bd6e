//! From bytes to Burn tensors, the two ways the trainer and evaluation take batches:
//!
//! - **Host batches** ([`Split::batch`]): the split stays in host memory as bytes; each batch is
//!   gathered, scaled through a 256-entry table and uploaded as one `[batch, 784]` f32 tensor
//!   (evaluation, and `bench --pack`'s comparison).
//! - **Device-resident** ([`DeviceSplit`]): the whole split is uploaded once, and a batch is an
//!   index selection on the device. CPU backends keep the pixels as `u8` and convert per batch;
//!   GPUs cap single buffers (wgpu refused the 188 MB f32 training split) and have no `u8`
//!   storage, so they hold scaled `f32` in chunks under the cap.

use burn::tensor::{DType, Device, Int, Tensor, TensorCreationOptions, TensorData};

use crate::error::DataError;
use crate::mnist::{Split, Values};

/// How pixels become floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
    /// `p / 255`, in [0, 1] (the article's preprocessing).
    Unit,
    /// `(p / 255 − mean) / std`, with the training split's statistics.
    Standardize {
        /// Mean of the [0, 1] pixels.
        mean: f32,
        /// Their standard deviation.
        std: f32,
    },
}

impl Scaling {
    /// `(a, b)` such that the float pixel is `a · p + b`.
    pub fn affine(self) -> (f32, f32) {
        match self {
            Scaling::Unit => (1.0 / 255.0, 0.0),
            Scaling::Standardize { mean, std } => (1.0 / (255.0 * std), -mean / std),
        }
    }

    /// The float value of every byte.
    pub fn table(self) -> [f32; 256] {
        let (a, b) = self.affine();
        std::array::from_fn(|p| a * p as f32 + b)
    }
}

/// A batch ready for the model.
///
/// # Shapes
/// - `images`: `[batch, 784]`, f32
/// - `targets`: `[batch]`, class indices
#[derive(Debug, Clone)]
pub struct MnistBatch {
    /// The images, flattened.
    pub images: Tensor<2>,
    /// The labels.
    pub targets: Tensor<1, Int>,
}

fn check_indices(indices: &[u32], len: usize) -> Result<(), DataError> {
    match indices.iter().find(|&&i| i as usize >= len) {
        Some(bad) => Err(DataError::Split(format!(
            "index {bad} is past the end of a split of {len} images"
        ))),
        None => Ok(()),
    }
}

fn upload(pixels: Vec<f32>, labels: Vec<i64>, features: usize, device: &Device) -> MnistBatch {
    let n = labels.len();
    MnistBatch {
        images: Tensor::from_data(TensorData::new(pixels, [n, features]), device),
        targets: Tensor::from_data(TensorData::new(labels, [n]), device),
    }
}

impl Split {
    /// The images and labels at `indices`, scaled and uploaded to `device` (the host path).
    pub fn batch(
        &self,
        indices: &[u32],
        scaling: Scaling,
        device: &Device,
    ) -> Result<MnistBatch, DataError> {
        self.batch_with_table(indices, &scaling.table(), device)
    }

    /// [`Split::batch`] with a precomputed [`Scaling::table`] (saves 256 multiplications a call).
    pub fn batch_with_table(
        &self,
        indices: &[u32],
        table: &[f32; 256],
        device: &Device,
    ) -> Result<MnistBatch, DataError> {
        check_indices(indices, self.len())?;
        let f = self.features();
        let mut pixels = Vec::with_capacity(indices.len() * f);
        let mut labels = Vec::with_capacity(indices.len());
        let rows = indices
            .iter()
            .map(|&i| i as usize * f..(i as usize + 1) * f);
        match self.values() {
            Values::Bytes(all) => {
                for row in rows {
                    pixels.extend(all[row].iter().map(|&p| table[usize::from(p)]));
                }
            }
            // Floats are what the model sees already (MNIST-1D is standardised).
            Values::Floats(all) => rows.for_each(|row| pixels.extend_from_slice(&all[row])),
        }
        labels.extend(
            indices
                .iter()
                .map(|&i| i64::from(self.labels()[i as usize])),
        );
        Ok(upload(pixels, labels, f, device))
    }
}

/// How a [`DeviceSplit`] stores pixels on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceLayout {
    /// One `u8` integer per pixel: `[n, 784]`, converted per batch. ndarray and flex only:
    /// wgpu has no `u8` storage (its cast kernel fails WGSL validation).
    Bytes,
    /// Already-scaled `f32` pixels, in chunks of at most [`FLOAT_CHUNK_IMAGES`] images (GPUs
    /// cap one buffer: Fashion-MNIST's 60,000 images are 188 MB as f32). A batch is one
    /// selection per chunk it touches and a concatenation — no conversion, no host pixels.
    /// Rows come grouped by chunk (the targets in the same order), which changes only the
    /// order of a batch's sums.
    Float,
}

/// Images per chunk of [`DeviceLayout::Float`]: 16,384 × 784 × 4 bytes = 51 MB, under the
/// 64 MB that every wgpu adapter allows for one storage buffer.
pub const FLOAT_CHUNK_IMAGES: usize = 16_384;

/// A whole split resident on a device; batches are index selections there.
#[derive(Debug, Clone)]
pub struct DeviceSplit {
    images: Tensor<2, Int>,
    /// [`DeviceLayout::Float`]'s chunks (`images` is then empty).
    chunks: Vec<Tensor<2>>,
    labels: Tensor<1, Int>,
    layout: DeviceLayout,
    scale: (f32, f32),
    len: usize,
}

impl DeviceSplit {
    /// Uploads `split` to `device` in `layout` (a split of floats is always
    /// [`DeviceLayout::Float`]).
    pub fn new(split: &Split, device: &Device, layout: DeviceLayout, scaling: Scaling) -> Self {
        let n = split.len();
        let f = split.features();
        let layout = match split.values() {
            Values::Floats(_) => DeviceLayout::Float,
            Values::Bytes(_) => layout,
        };
        let images = match layout {
            DeviceLayout::Bytes => {
                let data = TensorData::new(split.pixels().to_vec(), [n, f]);
                let options = TensorCreationOptions::new(device.clone()).with_dtype(DType::U8);
                Tensor::<2, Int>::from_data(data, options)
            }
            DeviceLayout::Float => Tensor::<2, Int>::empty([0, f], device),
        };
        let labels: Vec<i64> = split.labels().iter().map(|&l| i64::from(l)).collect();
        let chunks = match layout {
            DeviceLayout::Float => {
                // One chunk converted at a time: the host never holds the whole split as f32.
                let table = scaling.table();
                let upload = |values: Vec<f32>| {
                    let rows = values.len() / f;
                    Tensor::<2>::from_data(TensorData::new(values, [rows, f]), device)
                };
                let chunk = FLOAT_CHUNK_IMAGES * f;
                match split.values() {
                    Values::Bytes(bytes) => bytes
                        .chunks(chunk)
                        .map(|part| upload(part.iter().map(|&p| table[usize::from(p)]).collect()))
                        .collect(),
                    Values::Floats(values) => values
                        .chunks(chunk)
                        .map(|part| upload(part.to_vec()))
                        .collect(),
                }
            }
            DeviceLayout::Bytes => Vec::new(),
        };
        DeviceSplit {
            images,
            chunks,
            labels: Tensor::from_data(TensorData::new(labels, [n]), device),
            layout,
            scale: scaling.affine(),
            len: n,
        }
    }

    /// Images on the device.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The batch at `indices` (uploaded as one small integer tensor per chunk it touches).
    pub fn batch(&self, indices: &[u32]) -> Result<MnistBatch, DataError> {
        check_indices(indices, self.len)?;
        if self.layout == DeviceLayout::Float {
            return Ok(self.float_batch(indices));
        }
        let ids: Vec<i64> = indices.iter().map(|&i| i64::from(i)).collect();
        let device = self.labels.device();
        let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [indices.len()]), &device);
        Ok(self.batch_from_device(ids))
    }

    /// [`DeviceLayout::Float`]: one selection per chunk, rows grouped by chunk.
    fn float_batch(&self, indices: &[u32]) -> MnistBatch {
        let device = self.labels.device();
        let upload = |ids: Vec<i64>| {
            let n = ids.len();
            Tensor::<1, Int>::from_data(TensorData::new(ids, [n]), &device)
        };
        let mut grouped: Vec<i64> = Vec::with_capacity(indices.len());
        let mut parts = Vec::new();
        for (c, chunk) in self.chunks.iter().enumerate() {
            let start = (c * FLOAT_CHUNK_IMAGES) as u32;
            let end = start + chunk.dims()[0] as u32;
            let local: Vec<i64> = indices
                .iter()
                .filter(|&&i| (start..end).contains(&i))
                .map(|&i| i64::from(i - start))
                .collect();
            if local.is_empty() {
                continue;
            }
            grouped.extend(local.iter().map(|&l| l + i64::from(start)));
            parts.push(chunk.clone().select(0, upload(local)));
        }
        let images = if parts.len() == 1 {
            parts.remove(0)
        } else {
            Tensor::cat(parts, 0)
        };
        MnistBatch {
            images,
            targets: self.labels.clone().select(0, upload(grouped)),
        }
    }

    /// The batch at `indices`, already a tensor on the device (e.g. a slice of an epoch's
    /// permutation uploaded once).
    fn batch_from_device(&self, indices: Tensor<1, Int>) -> MnistBatch {
        let bytes = self.images.clone().select(0, indices.clone());
        let (a, b) = self.scale;
        let mut images = bytes.float().mul_scalar(a);
        if b != 0.0 {
            images = images.add_scalar(b);
        }
        MnistBatch {
            images,
            targets: self.labels.clone().select(0, indices),
        }
    }
}
