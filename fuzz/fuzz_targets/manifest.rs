//! Fuzz target: see `harness::manifest`.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)] // each target uses one entry point of the shared harness
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::manifest(data));
