//! The one clip pipeline every generated pack goes through: raw speech in, a finished clip out.
//!
//! Trim the silence around the speech (one threshold), fade the ends (one shape), match the
//! loudness to −20 LUFS (EBU R128), keep the 4× oversampled true peak at or under −3 dBFS with a
//! smooth look-ahead gain curve (never by clipping), and encode to Ogg Vorbis. `packs synth`,
//! `packs import` and `tools/make_pack.py` (through `packs import`) all use it. A line spoken
//! sentence by sentence is first joined with its session's pauses ([`join`]).

mod join;

use std::collections::VecDeque;

pub use join::{Joined, Pauses, Take, join};

use crate::codec::EncodeError;
use crate::codec::ogg::VorbisStream;
use crate::loudness::{self, SILENCE_DBFS, VOICE_TARGET_LUFS};
use crate::resample::resample;

/// Sound starts and ends where the 5 ms RMS rises above this many dB under the clip's peak.
pub const TRIM_BELOW_PEAK_DB: f64 = 45.0;
/// The RMS window of the trim detector, in seconds.
const TRIM_WINDOW: f64 = 0.005;
/// Seconds of the clip's own near-silence kept before the speech (zeros where there is none).
const PAD_BEFORE: f64 = 0.060;
/// Seconds kept after the speech.
const PAD_AFTER: f64 = 0.120;
/// Length of the raised-cosine fade at each end, in seconds.
const FADE: f64 = 0.005;
/// No finished clip's true peak (4× oversampled) is above this, in dBFS.
pub const TRUE_PEAK_CEILING_DBFS: f64 = -3.0;
/// The limiter first aims this far under the ceiling: the encoder adds a little overshoot.
const LIMIT_MARGIN_DB: f64 = 0.5;
/// Oversampling factor of the true-peak measurement.
const OVERSAMPLE: u32 = 4;
/// Look-ahead and hold of the peak limiter, in seconds (its gain moves in ramps this long).
const LIMIT_WINDOW: f64 = 0.025;
/// libvorbis quality (−0.1 to 1): about 50 kbit/s for mono speech at 22–24 kHz.
pub const VORBIS_QUALITY: f32 = 0.5;

/// Why a raw clip could not be finished.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    /// Nothing above the silence floor.
    #[error("the clip is silent (peak under {SILENCE_DBFS} dBFS)")]
    Silent,
    /// The Vorbis encoder failed.
    #[error("Ogg Vorbis encoding failed: {0}")]
    Encode(String),
    /// The encoded clip kept peaking over the ceiling.
    #[error("could not keep the encoded true peak under {TRUE_PEAK_CEILING_DBFS} dBFS")]
    Peak,
}

/// A finished clip: Ogg Vorbis bytes and what they measure once decoded.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The Ogg Vorbis file.
    pub ogg: Vec<u8>,
    /// Length in seconds.
    pub seconds: f64,
    /// Integrated loudness (LUFS) of the decoded clip.
    pub lufs: f64,
    /// True peak (dBFS) of the decoded clip.
    pub true_peak_dbfs: f64,
    /// Deepest gain reduction of the peak limiter, in dB (0 when it did nothing).
    pub limited_db: f64,
}

/// What the pipeline does, for `pack.toml`'s `synthesis` note.
pub fn describe() -> String {
    format!(
        "balasana-audio pipeline: trim {TRIM_BELOW_PEAK_DB} dB under peak ({} ms RMS, {}/{} ms kept), \
         raised-cosine fade {} ms, {VOICE_TARGET_LUFS} LUFS (EBU R128), true peak <= {TRUE_PEAK_CEILING_DBFS} dBFS \
         ({OVERSAMPLE}x oversampled, {} ms look-ahead gain, no clipping), Ogg Vorbis q{VORBIS_QUALITY} mono",
        ms(TRIM_WINDOW),
        ms(PAD_BEFORE),
        ms(PAD_AFTER),
        ms(FADE),
        ms(LIMIT_WINDOW)
    )
}

fn ms(seconds: f64) -> u32 {
    (seconds * 1000.0).round() as u32
}

/// Runs the whole pipeline on raw mono speech; `serial` fixes the Ogg stream serial number so the
/// same input gives the same bytes.
pub fn finish(raw: &[f32], rate: u32, serial: i32) -> Result<Finished, FinishError> {
    let trimmed = fade(trim(raw, rate).ok_or(FinishError::Silent)?, rate);
    // Encoding moves loudness and peak a little: correct the aims until the decoded clip is on
    // target (within 0.1 LU) and under the ceiling, or six tries are made.
    let mut aim = TRUE_PEAK_CEILING_DBFS - LIMIT_MARGIN_DB;
    let mut target = VOICE_TARGET_LUFS;
    let mut best = None;
    for _ in 0..6 {
        let (samples, limited_db) = level(&trimmed, rate, aim, target);
        let ogg = encode_vorbis(&samples, rate, serial)?;
        let decoded = crate::decode::decode(ogg.clone()).map_err(FinishError::Encode)?;
        let peak = true_peak_dbfs(&decoded.samples, rate);
        let lufs = decoded.level.lufs.unwrap_or(f64::NEG_INFINITY);
        if peak > TRUE_PEAK_CEILING_DBFS {
            aim -= peak - TRUE_PEAK_CEILING_DBFS + 0.1;
            continue;
        }
        let off = lufs - VOICE_TARGET_LUFS;
        // Gating can make a short clip's loudness jump with the gain: keep the closest try.
        if best
            .as_ref()
            .is_none_or(|b: &Finished| off.abs() < (b.lufs - VOICE_TARGET_LUFS).abs())
        {
            best = Some(Finished {
                ogg,
                seconds: decoded.seconds(),
                lufs,
                true_peak_dbfs: peak,
                limited_db,
            });
        }
        if off.abs() <= 0.1 {
            break;
        }
        target -= off;
    }
    best.ok_or(FinishError::Peak)
}

/// The first and last samples of sound: where the 5 ms RMS is above [`TRIM_BELOW_PEAK_DB`] under
/// the peak (and the peak above the silence floor). `None` for a silent clip.
pub fn sound_span(samples: &[f32], rate: u32) -> Option<(usize, usize)> {
    let threshold = threshold(samples, TRIM_BELOW_PEAK_DB)?;
    let power = power(samples, rate);
    let first = power.iter().position(|&p| p > threshold)?;
    let last = power.iter().rposition(|&p| p > threshold)?;
    Some((first, last))
}

/// The power `below_peak_db` under the clip's peak; `None` when the peak is under the silence
/// floor.
fn threshold(samples: &[f32], below_peak_db: f64) -> Option<f64> {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if samples.is_empty() || loudness::gain_to_db(f64::from(peak)) < SILENCE_DBFS {
        return None;
    }
    Some((f64::from(peak) * loudness::db_to_gain(-below_peak_db)).powi(2))
}

/// The mean power over [`TRIM_WINDOW`] around each sample.
fn power(samples: &[f32], rate: u32) -> Vec<f64> {
    let half = ((TRIM_WINDOW * f64::from(rate)).round() as usize / 2).max(1);
    let mut sums = Vec::with_capacity(samples.len() + 1);
    sums.push(0.0f64);
    for s in samples {
        sums.push(sums.last().copied().unwrap_or(0.0) + f64::from(*s) * f64::from(*s));
    }
    (0..samples.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(samples.len()));
            (sums[b] - sums[a]) / (b - a) as f64
        })
        .collect()
}

/// The sound with exactly [`PAD_BEFORE`] before and [`PAD_AFTER`] after it: the clip's own
/// near-silence where there is some, zeros where the clip is shorter.
fn trim(raw: &[f32], rate: u32) -> Option<Vec<f32>> {
    let (first, last) = sound_span(raw, rate)?;
    let before = (PAD_BEFORE * f64::from(rate)).round() as usize;
    let after = (PAD_AFTER * f64::from(rate)).round() as usize;
    let start = first.saturating_sub(before);
    let end = (last + 1 + after).min(raw.len());
    let mut out = vec![0.0; before - (first - start)];
    out.extend_from_slice(&raw[start..end]);
    out.resize(out.len() + (last + 1 + after - end), 0.0);
    Some(out)
}

/// A raised-cosine fade in and out over [`FADE`] (it only touches the kept near-silence).
fn fade(mut x: Vec<f32>, rate: u32) -> Vec<f32> {
    let n = ((FADE * f64::from(rate)).round() as usize).min(x.len() / 2);
    let len = x.len();
    for i in 0..n {
        let g = if n > 1 {
            0.5 - 0.5 * (std::f64::consts::PI * i as f64 / (n - 1) as f64).cos()
        } else {
            0.0
        } as f32;
        x[i] *= g;
        x[len - 1 - i] *= g;
    }
    x
}

/// Loudness to `target` LUFS with the true peak at most `aim` dBFS. Loudness matching and
/// peak limiting pull against each other a little, so they alternate until the limited clip
/// measures the target. Returns the samples and the limiter's deepest reduction in dB.
fn level(x: &[f32], rate: u32, aim: f64, target: f64) -> (Vec<f32>, f64) {
    let ceiling = loudness::db_to_gain(aim) as f32;
    let mut x = x.to_vec();
    let mut gain = vec![1.0f32; x.len()];
    for _ in 0..8 {
        let y: Vec<f32> = x.iter().zip(&gain).map(|(s, g)| s * g).collect();
        let Some(lufs) = loudness::measure(&y, rate).lufs else {
            break;
        };
        if (lufs - target).abs() < 0.02 {
            break;
        }
        let up = loudness::db_to_gain(target - lufs) as f32;
        x.iter_mut().for_each(|s| *s *= up);
        gain = peak_gain(&x, rate, ceiling);
    }
    let mut y: Vec<f32> = x.iter().zip(&gain).map(|(s, g)| s * g).collect();
    // Safety net only: should the smoothed gain leave anything over the aim, lower the clip.
    let peak = loudness::db_to_gain(true_peak_dbfs(&y, rate));
    if peak > f64::from(ceiling) {
        let g = (f64::from(ceiling) / peak * 0.999) as f32;
        y.iter_mut().for_each(|s| *s *= g);
    }
    let deepest = gain.iter().fold(1.0f32, |m, g| m.min(*g));
    let limited = if deepest < 1.0 {
        -loudness::gain_to_db(f64::from(deepest))
    } else {
        0.0
    };
    (y, limited)
}

/// The true peak of each sample: the largest magnitude of its [`OVERSAMPLE`]× oversampled values.
fn peak_envelope(x: &[f32], rate: u32) -> Vec<f32> {
    let up = resample(x, rate, rate * OVERSAMPLE);
    let factor = OVERSAMPLE as usize;
    (0..x.len())
        .map(|i| {
            up.get(i * factor..((i + 1) * factor).min(up.len()))
                .unwrap_or(&[])
                .iter()
                .fold(x[i].abs(), |m, s| m.max(s.abs()))
        })
        .collect()
}

/// The true peak of a clip in dBFS.
pub fn true_peak_dbfs(x: &[f32], rate: u32) -> f64 {
    if x.is_empty() {
        return f64::NEG_INFINITY;
    }
    let peak = peak_envelope(x, rate).into_iter().fold(0.0f32, f32::max);
    loudness::gain_to_db(f64::from(peak))
}

/// A smooth gain curve that keeps the true peak of `x · gain` at or under `ceiling`: the gain
/// each sample needs, min-filtered over ±[`LIMIT_WINDOW`], then smoothed by two moving averages
/// whose half-widths add up to that window, so the curve never rises above what any sample needs.
fn peak_gain(x: &[f32], rate: u32, ceiling: f32) -> Vec<f32> {
    let need: Vec<f32> = peak_envelope(x, rate)
        .into_iter()
        .map(|e| (ceiling / e.max(1e-12)).min(1.0))
        .collect();
    if need.iter().all(|&g| g >= 1.0) {
        return vec![1.0; x.len()];
    }
    let h = ((LIMIT_WINDOW * f64::from(rate)).round() as usize).max(2);
    let smoothed = boxcar(&boxcar(&sliding_min(&need, h), h / 2), h / 2);
    smoothed.into_iter().map(|g| g.min(1.0)).collect()
}

/// The minimum over `[i − h, i + h]` for each `i` (edges held), in linear time.
fn sliding_min(x: &[f32], h: usize) -> Vec<f32> {
    let at = |i: isize| x[i.clamp(0, x.len() as isize - 1) as usize];
    let mut window: VecDeque<(isize, f32)> = VecDeque::new();
    let mut out = Vec::with_capacity(x.len());
    let h = h as isize;
    for j in -h..x.len() as isize + h {
        let v = at(j);
        while window.back().is_some_and(|&(_, b)| b >= v) {
            window.pop_back();
        }
        window.push_back((j, v));
        let centre = j - h;
        if centre >= 0 {
            while window.front().is_some_and(|&(k, _)| k < centre - h) {
                window.pop_front();
            }
            out.push(window.front().map_or(v, |&(_, m)| m));
        }
    }
    out
}

/// The mean over `[i − h, i + h]` for each `i` (edges held).
fn boxcar(x: &[f32], h: usize) -> Vec<f32> {
    let n = x.len() as isize;
    let at = |i: isize| f64::from(x[i.clamp(0, n - 1) as usize]);
    let h = h as isize;
    let mut sum: f64 = (-h..=h).map(at).sum();
    let width = (2 * h + 1) as f64;
    let mut out = Vec::with_capacity(x.len());
    for i in 0..n {
        out.push((sum / width) as f32);
        sum += at(i + h + 1) - at(i - h);
    }
    out
}

/// Encodes mono samples as Ogg Vorbis at [`VORBIS_QUALITY`] with the stream serial `serial`,
/// through the same encoder as Ogg renders ([`VorbisStream`]), with no tags.
pub fn encode_vorbis(samples: &[f32], rate: u32, serial: i32) -> Result<Vec<u8>, FinishError> {
    let fail = |e: EncodeError| FinishError::Encode(e.to_string());
    // VorbisStream takes oggenc's scale (−1…10); 0.5 × 10 / 10 is exactly 0.5 again.
    let mut stream =
        VorbisStream::with_serial(Vec::new(), rate, 1, VORBIS_QUALITY * 10.0, &[], serial)
            .map_err(fail)?;
    stream.write_planar(&[samples]).map_err(fail)?;
    stream.finish().map_err(fail)
}

/// A stream serial number from a cue id (FNV-1a), so each clip's bytes are reproducible.
pub fn serial_for(cue: &str) -> i32 {
    let hash = cue.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    (hash & 0x7fff_ffff) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Speech-like test signal: a 0.8 s tone burst with one sharp peak, between silences.
    fn speechy(rate: u32, lead: f64, tail: f64, amplitude: f32) -> Vec<f32> {
        let n = |s: f64| (s * f64::from(rate)) as usize;
        let mut x = vec![0.0f32; n(lead)];
        x.extend((0..n(0.8)).map(|i| {
            let t = i as f32 / rate as f32;
            amplitude
                * (std::f32::consts::TAU * 220.0 * t).sin()
                * (1.0 + 2.0 * (t * 40.0).sin().powi(40))
        }));
        x.extend(vec![0.0f32; n(tail)]);
        x
    }

    #[test]
    fn trim_keeps_exactly_the_pads_around_the_sound() {
        let rate = 22_050;
        let out = trim(&speechy(rate, 1.0, 2.0, 0.3), rate).unwrap();
        let expected =
            (0.06 * 22_050.0f64).round() + (0.8 * 22_050.0f64) + (0.12 * 22_050.0f64).round();
        assert!(
            (out.len() as f64 - expected).abs() <= 2.0 * 56.0,
            "{} vs {expected}",
            out.len()
        );
        // Sound sitting at the very start still gets its lead pad (of zeros).
        let out = trim(&speechy(rate, 0.0, 0.0, 0.3), rate).unwrap();
        assert!(out[..1300].iter().all(|s| *s == 0.0));
        assert!(trim(&[0.0; 1000], rate).is_none());
    }

    #[test]
    fn fade_is_a_raised_cosine_at_both_ends() {
        let x = fade(vec![1.0; 4800], 48_000);
        assert_eq!((x[0], x[4799]), (0.0, 0.0));
        assert!((x[120] - 0.5).abs() < 0.02, "{}", x[120]);
        assert_eq!(x[240], 1.0);
    }

    #[test]
    fn finished_clips_sit_on_target_under_the_ceiling_whatever_the_input_level() {
        for amplitude in [0.01, 0.3, 0.99] {
            let rate = 24_000;
            let done = finish(&speechy(rate, 0.5, 0.5, amplitude), rate, 7).unwrap();
            assert!(
                (done.lufs - VOICE_TARGET_LUFS).abs() < 0.5,
                "{amplitude}: {done:?}"
            );
            assert!(
                done.true_peak_dbfs <= TRUE_PEAK_CEILING_DBFS,
                "{amplitude}: {done:?}"
            );
            assert!(
                (done.seconds - 0.98).abs() < 0.02,
                "{amplitude}: {}",
                done.seconds
            );
            // The same input gives the same bytes.
            let again = finish(&speechy(rate, 0.5, 0.5, amplitude), rate, 7).unwrap();
            assert_eq!(done.ogg, again.ogg);
        }
    }

    #[test]
    fn peak_gain_dips_only_around_the_peaks() {
        let rate = 16_000;
        let mut x = vec![0.1f32; 16_000];
        x[8000] = 1.0;
        let g = peak_gain(&x, rate, 0.5);
        assert!(g[8000] <= 0.5 + 1e-3, "{}", g[8000]);
        assert_eq!(g[0], 1.0);
        assert_eq!(g[15_999], 1.0);
        let limited: Vec<f32> = x.iter().zip(&g).map(|(a, b)| a * b).collect();
        assert!(limited.iter().all(|s| s.abs() <= 0.5 + 1e-3));
    }

    #[test]
    fn sliding_min_and_boxcar_hold_the_edges() {
        assert_eq!(
            sliding_min(&[3.0, 1.0, 4.0, 1.5, 5.0, 9.0], 1),
            [1.0, 1.0, 1.0, 1.5, 1.5, 5.0]
        );
        assert_eq!(boxcar(&[3.0, 3.0, 6.0], 1), [3.0, 4.0, 5.0]);
    }

    #[test]
    fn silence_is_refused() {
        assert!(matches!(
            finish(&[0.0; 24_000], 24_000, 1),
            Err(FinishError::Silent)
        ));
    }
}
