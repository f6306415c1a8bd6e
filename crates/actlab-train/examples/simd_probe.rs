//! Which tensor operations give bit-different results at different SIMD levels of one CPU.
//!
//! Prints a SHA-256 of each operation's output on fixed inputs (flex backend, f32). Run it
//! natively and under `qemu-x86_64 -cpu Nehalem` (SSE4.2 only) or `-cpu Haswell` (AVX2, FMA),
//! then diff the two listings: the operations whose hashes differ are the ones whose kernels
//! are chosen by run-time CPU features.
//!
//! ```sh
//! cargo build --release --example simd_probe
//! target/release/examples/simd_probe > native.txt
//! qemu-x86_64 -cpu Nehalem target/release/examples/simd_probe > sse.txt; diff native.txt sse.txt
//! ```

use burn::tensor::activation::{log_softmax, relu, softmax};
use burn::tensor::{Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

fn values(n: usize, seed: u64) -> Vec<f32> {
    // A fixed LCG: the same inputs on every machine.
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn hash<const D: usize>(name: &str, tensor: Tensor<D>) {
    let data: Vec<f32> = tensor.into_data().iter::<f32>().collect();
    let mut sha = Sha256::new();
    for v in &data {
        sha.update(v.to_bits().to_le_bytes());
    }
    let digest = format!("{:x}", sha.finalize());
    println!("{name:<28} {}", &digest[..16]);
}

fn main() {
    let device = Device::flex();
    let t = |rows: usize, cols: usize, seed: u64| {
        Tensor::<2>::from_data(
            TensorData::new(values(rows * cols, seed), [rows, cols]),
            &device,
        )
    };
    let (x, w, g) = (t(64, 784, 1), t(784, 128, 2), t(64, 128, 3));
    let b = Tensor::<1>::from_data(TensorData::new(values(128, 4), [128]), &device);
    hash("matmul 64x784 * 784x128", x.clone().matmul(w.clone()));
    hash(
        "matmul x^T * g (grad W)",
        x.clone().transpose().matmul(g.clone()),
    );
    hash(
        "matmul g * w^T (grad x)",
        g.clone().matmul(w.clone().transpose()),
    );
    // Everything else on inputs of its own, so a difference is the operation's, not the matmul's.
    let z = t(64, 128, 5).mul_scalar(30.0);
    hash("add bias (broadcast)", z.clone() + b.unsqueeze());
    hash("relu", relu(z.clone()));
    hash("exp", z.clone().div_scalar(30.0).exp());
    hash("log", z.clone().abs().add_scalar(1.0).log());
    hash("sqrt", z.clone().abs().sqrt());
    hash("mul", z.clone() * g.clone());
    hash("div", g.clone() / z.clone().abs().add_scalar(1.0));
    hash("sum dim 0 (grad b)", g.clone().sum_dim(0));
    hash("sum dim 1", z.clone().sum_dim(1));
    hash("sum all", z.clone().sum().unsqueeze::<2>());
    hash("mean dim 1", z.clone().mean_dim(1));
    hash("max dim 1", z.clone().max_dim(1));
    hash("softmax dim 1", softmax(z.clone().div_scalar(30.0), 1));
    hash(
        "log_softmax dim 1",
        log_softmax(z.clone().div_scalar(30.0), 1),
    );
    hash("powf 2", z.clone().powf_scalar(2.0));
    hash("tanh", z.clone().div_scalar(30.0).tanh());
    hash(
        "sigmoid",
        burn::tensor::activation::sigmoid(z.div_scalar(30.0)),
    );
    // The matmul at other shapes: the evaluation batch, the output layer, a tiny one.
    hash("matmul 1000x784 * 784x128", t(1000, 784, 6).matmul(w));
    hash("matmul 64x128 * 128x10", g.matmul(t(128, 10, 7)));
    hash("matmul 8x16 * 16x4 (tiny)", t(8, 16, 8).matmul(t(16, 4, 9)));
}
