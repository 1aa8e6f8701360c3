//! Replays every committed fuzz input — the minimised seed corpus (`fuzz/corpus/<target>/`) and
//! every crash the fuzzers found (`fuzz/regressions/<target>/`) — through the same code paths as
//! the fuzz targets (`fuzz/harness.rs`), so a plain `cargo test` guards them without nightly.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::Path;

/// Runs every file of the target's corpus and regressions through `run`; returns how many.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            eprintln!("replaying {}", file.display());
            run(&bytes);
            count += 1;
        }
    }
    count
}

#[test]
fn script_timeline_inputs_replay() {
    assert!(replay("script_timeline", harness::script_timeline) >= 8);
}

#[test]
fn manifest_inputs_replay() {
    assert!(replay("manifest", harness::manifest) >= 3);
}

#[test]
fn clip_inputs_replay() {
    assert!(replay("clip", harness::clip) >= 8);
}
