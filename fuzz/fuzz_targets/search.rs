//! `actlab_format::invariants::search_config` on arbitrary bytes (see that function for what must hold).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| actlab_format::invariants::search_config(data));
