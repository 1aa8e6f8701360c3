//! A clip that is not ready when due is never a glitch: with an artificially slow decoder, the
//! live source holds the session (silence, clock held) with fades, then plays every clip whole,
//! exactly as the render has it.

use std::sync::Arc;
use std::time::Duration;

use balasana_audio::mix::Mixer;
use balasana_audio::output::feeder::Supply;
use balasana_audio::output::source::{Controls, MixSource};
use balasana_audio::pack::{Pack, PackFiles};
use balasana_audio::script::Script;
use balasana_audio::timeline::Timeline;

use crate::common::session::{RATE, tones};

/// The first eight events of the built-in session at its defaults (about half a minute).
fn session() -> (Script, Timeline, PackFiles) {
    let (script, mut t, files) = crate::common::session::session(90.0);
    t.events.truncate(8);
    t.duration = t.events.iter().map(|e| e.end()).max().unwrap() + u64::from(RATE);
    t.holds.clear();
    t.steps.retain(|s| s.frame < t.duration);
    (script, t, files)
}

/// Every sample of a source, pulled a block at a time as a device would (but ten times faster
/// than real time), with the frame the controls reported after each block.
fn play(mut src: MixSource, controls: &Controls) -> (Vec<f32>, Vec<u64>) {
    let (mut out, mut frames) = (Vec::new(), Vec::new());
    loop {
        let mut block = [0.0f32; 480];
        let n = src.fill(&mut block);
        out.extend_from_slice(&block[..n]);
        frames.push(controls.frame());
        if n < 480 {
            return (out, frames);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_slow_decoder_holds_the_session_and_nothing_is_cut() {
    let (script, t, files) = session();
    // The render: every clip at hand.
    let pack = Pack::load(files.location.clone(), &script, None).unwrap();
    let clips = pack.prepare(RATE);
    let mut render = vec![0.0f32; t.duration as usize];
    assert_eq!(
        Mixer::new(&t, &clips).unwrap().fill(&mut render),
        render.len()
    );

    // Live, each clip taking 150 ms to prepare and nothing prepared before the start.
    let mut supply = Supply::new(&files, RATE, false);
    supply.slow = Duration::from_millis(150);
    let controls = Arc::new(Controls::default());
    let src = MixSource::new(supply.mixer(&t, 0), controls.clone(), 1, RATE, 0.4, tones());
    let (live, frames) = play(src, &controls);
    assert!(!supply.failed());

    // It waited: more samples than the session, the clock held meanwhile, and going back only
    // to where a hold's fade began (0.15 s and a block at most), where it then resumes.
    assert!(
        live.len() > render.len() + RATE as usize / 2,
        "{} vs {}",
        live.len(),
        render.len()
    );
    let fade = 7200 + 480;
    assert!(
        frames.windows(2).all(|w| w[1] + fade >= w[0]),
        "clock went back"
    );
    let held = frames.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(held > 10, "held {held} blocks");

    // No click: no step between samples larger than the render's own largest.
    let step = |x: &[f32]| {
        x.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    };
    assert!(
        step(&live) <= step(&render) + 1e-6,
        "{} vs {}",
        step(&live),
        step(&render)
    );

    // Every clip played whole at full gain: each event's samples appear in the live output
    // exactly as in the render (found by their first 200 samples after the onset).
    for e in &t.events {
        let start = e.frame as usize;
        let onset = start + render[start..].iter().position(|s| s.abs() > 1e-3).unwrap();
        let want = &render[onset..(onset + 200).min(render.len())];
        let found = live
            .windows(want.len())
            .any(|w| w.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(found, "{} at frame {} is missing or faded", e.cue, e.frame);
    }
    // And nothing was lost: the sound's energy is the render's (the fades touch only silence
    // and chime tails).
    let energy = |x: &[f32]| x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>();
    let ratio = energy(&live) / energy(&render);
    assert!((0.97..=1.0001).contains(&ratio), "energy ratio {ratio}");
}
