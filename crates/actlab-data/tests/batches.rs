#![allow(clippy::unwrap_used)]
//! Batches for Burn: the host path and the device-resident layouts give the same tensors, on
//! every backend we ship.

mod common;

use actlab_data::{DeviceLayout, DeviceSplit, MnistBatch, Scaling};
use actlab_format::dataset::DatasetName;
use burn::tensor::Device;

#[allow(deprecated)]
fn devices() -> Vec<(&'static str, Device)> {
    vec![
        ("ndarray", Device::ndarray()),
        ("flex", Device::flex()),
        (
            "wgpu",
            Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        ),
    ]
}

fn values(batch: MnistBatch) -> (Vec<f32>, Vec<i64>, [usize; 2]) {
    let dims = batch.images.dims();
    let images = batch
        .images
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap();
    let targets = batch
        .targets
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap();
    (images, targets, dims)
}

#[test]
fn every_path_gives_the_same_batch_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    common::write_dataset(dir.path(), 40, 10, true);
    let data = actlab_data::load_dir(dir.path(), DatasetName::Mnist).unwrap();
    let split = data.train;
    let indices = [39u32, 0, 17, 3, 3, 8];
    let scalings = [
        Scaling::Unit,
        Scaling::Standardize {
            mean: 0.3,
            std: 0.4,
        },
    ];
    for (name, device) in devices() {
        for scaling in scalings {
            let (a, b) = scaling.affine();
            let expected: Vec<f32> = indices
                .iter()
                .flat_map(|&i| split.image(i as usize).unwrap().to_vec())
                .map(|p| a * f32::from(p) + b)
                .collect();
            let labels: Vec<i64> = indices.iter().map(|&i| i64::from(i % 10)).collect();
            let host = values(split.batch(&indices, scaling, &device).unwrap());
            assert_eq!(
                host,
                (expected.clone(), labels.clone(), [6, 784]),
                "{name} host"
            );
            // wgpu has no u8 storage (its WGSL cast kernel fails validation): bytes only on
            // the CPU backends, scaled floats everywhere.
            let layouts = if name == "wgpu" {
                vec![DeviceLayout::Float]
            } else {
                vec![DeviceLayout::Bytes, DeviceLayout::Float]
            };
            for layout in layouts {
                let resident = DeviceSplit::new(&split, &device, layout, scaling);
                let (images, targets, dims) = values(resident.batch(&indices).unwrap());
                assert_eq!(
                    (targets, dims),
                    (labels.clone(), [6, 784]),
                    "{name} {layout:?}"
                );
                let worst = images
                    .iter()
                    .zip(&expected)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0f32, f32::max);
                assert!(worst <= 1e-6, "{name} {layout:?}: off by {worst}");
            }
        }
    }
}

#[test]
fn bad_indices_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    common::write_dataset(dir.path(), 20, 10, false);
    let split = actlab_data::load_dir(dir.path(), DatasetName::Mnist)
        .unwrap()
        .train;
    // Indices whose byte offset overflows are past the end too (2^60 · 784 wraps into range).
    assert!(split.image(19).is_some() && split.image(20).is_none());
    assert!(split.image(1 << 60).is_none() && split.image(usize::MAX).is_none());
    let device = Device::flex();
    let error = split.batch(&[1, 20], Scaling::Unit, &device).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("index 20 is past the end of a split of 20"),
        "{error}"
    );
    for layout in [DeviceLayout::Bytes, DeviceLayout::Float] {
        let resident = DeviceSplit::new(&split, &device, layout, Scaling::Unit);
        assert!(resident.batch(&[21]).is_err(), "{layout:?}");
    }
}

#[test]
fn float_chunks_serve_a_batch_that_spans_them_grouped_by_chunk() {
    use actlab_data::{FLOAT_CHUNK_IMAGES, Split};
    use actlab_format::dataset::IMAGE_PIXELS;
    // Two chunks and a bit: image i has pixel p = (7i + p) mod 256 and label i mod 10.
    let n = FLOAT_CHUNK_IMAGES + 300;
    let pixels: Vec<u8> = (0..n * IMAGE_PIXELS)
        .map(|j| ((7 * (j / IMAGE_PIXELS) + j % IMAGE_PIXELS) % 256) as u8)
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let split = Split::new(pixels, labels).unwrap();
    let indices = [
        FLOAT_CHUNK_IMAGES as u32 + 5,
        3,
        FLOAT_CHUNK_IMAGES as u32,
        17,
        1,
    ];
    // Chunk 0's rows first (in the order asked), then chunk 1's.
    let grouped = [
        3u32,
        17,
        1,
        FLOAT_CHUNK_IMAGES as u32 + 5,
        FLOAT_CHUNK_IMAGES as u32,
    ];
    for (name, device) in devices() {
        let resident = DeviceSplit::new(&split, &device, DeviceLayout::Float, Scaling::Unit);
        let (images, targets, dims) = values(resident.batch(&indices).unwrap());
        assert_eq!(dims, [5, 784], "{name}");
        let host = values(split.batch(&grouped, Scaling::Unit, &device).unwrap());
        assert_eq!(targets, host.1, "{name}");
        assert_eq!(images, host.0, "{name}");
        assert!(resident.batch(&[n as u32]).is_err(), "{name}: past the end");
    }
}
