//! Fuzz target: see `harness::clip`.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)] // each target uses one entry point of the shared harness
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::clip(data));
