//! What each fuzz input goes through, shared by the fuzz targets (`fuzz/fuzz_targets/`) and the
//! corpus replay in `tests/suite/fuzz_regressions.rs`, so CI replays every committed input through
//! exactly the fuzzed code paths with a plain `cargo test`.
//!
//! Each function returns for any input the code handles, errors included, and panics only on a
//! bug: a crash, an overflow, or a broken promise checked here (one-line errors with positions
//! inside the text, sorted events, resampled lengths).

use balasana_audio::chime::Chime;
use balasana_audio::decode::decode;
use balasana_audio::loudness::{VOICE_TARGET_LUFS, matching_gain};
use balasana_audio::pack::{Manifest, PackError};
use balasana_audio::resample::resample;
use balasana_audio::script::{Range3, Script};
use balasana_audio::timeline::{self, ClipLengths, Options};

/// Bytes at the start of a script input that choose the options and clip lengths; the rest is
/// the script's text.
pub const KNOBS: usize = 8;

/// The 1-based line and column of an error must point into (or just past) the text.
fn assert_position(text: &str, line: usize, column: usize, message: &str) {
    let lines = text.split('\n').count();
    assert!(
        line >= 1 && line <= lines,
        "line {line} of {lines}: {message}"
    );
    assert!(column >= 1, "column {column}: {message}");
}

/// A script (after [`KNOBS`] option bytes) parsed, validated and sequenced with options inside
/// the script's own allowed ranges and made-up clip lengths.
pub fn script_timeline(data: &[u8]) {
    if data.len() < KNOBS {
        return;
    }
    let (knobs, text) = data.split_at(KNOBS);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let script = match Script::parse(text, "fuzz.toml") {
        Ok(script) => script,
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message:?}");
            assert_position(text, e.line, e.column, &message);
            return;
        }
    };
    let pick = |range: &Range3, knob: u8| {
        let [lo, hi] = range.allowed;
        lo + (hi - lo) * f64::from(knob) / 255.0
    };
    let l = &script.limits;
    let mut options = Options::defaults(&script);
    options.hold = pick(&l.hold, knobs[0]);
    options.sets = pick(&l.sets, knobs[1]).round().clamp(0.0, 1000.0) as u32;
    options.rest = pick(&l.rest, knobs[2]);
    options.breath.inhale = pick(&l.inhale, knobs[3]);
    options.breath.exhale = pick(&l.exhale, knobs[4]);
    options.chimes = knobs[5] & 1 == 0;
    if knobs[5] & 2 != 0 {
        options.lead_in = 0.0;
    }
    // Breath holds, the guidance level and the bell from the upper bits of knob 5.
    if knobs[5] & 4 != 0 {
        options.breath.hold = pick(&l.breath_hold, knobs[2]);
        options.breath.rest = pick(&l.breath_hold, knobs[3]);
    }
    if let Some(level) = script.guidance.get(usize::from(knobs[5] >> 5)) {
        options.guidance = level.name.clone();
    }
    if knobs[5] & 8 != 0 {
        options.bell = Some(pick(&l.bell, knobs[0]).max(l.bell.allowed[0]));
    }
    let rate = [8_000, 22_050, 44_100, 48_000][usize::from(knobs[6] & 3)];
    // Clip lengths from 1 frame to about 12 s, different for each cue; knob 7's high bit drops
    // one cue, to reach the missing-clip error.
    let mut clips: ClipLengths = script
        .lines()
        .map(|line| line.cue.clone())
        .chain(Chime::ALL.iter().map(|&c| c.into()))
        .enumerate()
        .map(|(i, cue)| {
            let k = (usize::from(knobs[7] & 0x7f) + i * 37) % 256;
            (cue, 1 + (k as u64 * u64::from(rate)) / 20)
        })
        .collect();
    if knobs[7] & 0x80 != 0
        && let Some(first) = script.lines().next()
    {
        clips.remove(&first.cue);
    }
    if let Ok(timeline) = timeline::build(&script, &options, &clips, rate) {
        assert!(timeline.events.windows(2).all(|w| w[0].frame <= w[1].frame));
        assert!(timeline.events.iter().all(|e| e.end() <= timeline.duration));
    }
}

/// A `pack.toml` text parsed into a [`Manifest`].
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Manifest::parse(text, "pack.toml") {
        Ok(_) => {}
        Err(PackError::Manifest {
            line,
            column,
            message,
            ..
        }) => {
            assert!(!message.contains('\n'), "{message:?}");
            assert_position(text, line, column, &message);
        }
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

/// Rate every clip is resampled to in the fuzzed path (the render rate).
const RATE: u32 = 48_000;

/// Arbitrary bytes decoded as a clip, measured, matched and resampled to 48 kHz, as a pack's
/// clips are prepared.
pub fn clip(data: &[u8]) {
    let Ok(clip) = decode(data.to_vec()) else {
        return;
    };
    let gain = matching_gain(clip.level, VOICE_TARGET_LUFS);
    assert!(
        gain.is_finite() && gain > 0.0,
        "gain {gain} for {:?}",
        clip.level
    );
    let out = resample(&clip.samples, clip.rate, RATE);
    let want = (clip.samples.len() as u64 * u64::from(RATE)).div_ceil(u64::from(clip.rate));
    assert_eq!(out.len() as u64, want);
}
