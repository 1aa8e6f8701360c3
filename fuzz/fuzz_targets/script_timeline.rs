//! Fuzz target: see `harness::script_timeline`.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)] // each target uses one entry point of the shared harness
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::script_timeline(data));
