//! The IDX reader on arbitrary bytes: raw and gzip (recognised by content), with and without a
//! known length, at MNIST's largest file size. Every input must give an array or an error.
#![no_main]

use actlab_idx::{parse_idx, read_idx_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_idx_bytes(data, 60_000 * 784);
    let _ = parse_idx(data, Some(data.len() as u64));
    let _ = parse_idx(data, None);
});
