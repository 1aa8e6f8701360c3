//! Loudness spread of a voice pack's clips before and after matching at load.
//!
//! `cargo run --release --example loudness_spread -- heart joe slt`

use balasana_audio::loudness::measure;
use balasana_audio::pack::{Location, Pack};
use balasana_audio::script::{EMBEDDED, EMBEDDED_NAME, Script};

fn main() {
    let script = Script::parse(EMBEDDED, EMBEDDED_NAME).expect("built-in script");
    for name in std::env::args().skip(1) {
        let started = std::time::Instant::now();
        let pack = match Location::find(Some(&name), std::path::Path::new("."))
            .and_then(|l| Pack::load(l, &script, None))
        {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        let loaded = started.elapsed();
        let clips = pack.prepare(48_000);
        let prepared = started.elapsed();
        let spread = |lufs: Vec<f64>| {
            let lo = lufs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = lufs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            format!("{lo:.2} to {hi:.2} LUFS (spread {:.2} LU)", hi - lo)
        };
        let before = script
            .lines()
            .filter_map(|l| pack.clips[&l.cue].level.lufs)
            .collect();
        let after = script
            .lines()
            .filter_map(|l| measure(&clips.by_cue[&l.cue], 48_000).lufs)
            .collect();
        println!("{name}: before {}", spread(before));
        println!("{name}: after  {}", spread(after));
        println!(
            "{name}: load (decode + measure) {:.0} ms, prepare (match + resample) {:.0} ms",
            loaded.as_secs_f64() * 1e3,
            (prepared - loaded).as_secs_f64() * 1e3
        );
    }
}
