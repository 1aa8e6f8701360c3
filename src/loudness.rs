//! Loudness: EBU R128 measurement of clips and the gains that match them to a target.
//!
//! Packs recorded at different levels sound alike because every clip is measured at load and
//! gained to one target, with its peak kept under a ceiling so the mix never clips.

use ebur128::{EbuR128, Mode};

/// Integrated loudness every voice clip is matched to.
pub const VOICE_TARGET_LUFS: f64 = -20.0;
/// Integrated loudness a pack's own chimes are matched to: that of the synthesized step chime,
/// so chimes stay well below the voice whichever pack supplies them.
pub const CHIME_TARGET_LUFS: f64 = -35.0;
/// Integrated loudness an ambience bed is matched to: a quiet bed, 18 LU under the voice before
/// it is ducked further under speech.
pub const AMBIENCE_TARGET_LUFS: f64 = -38.0;
/// No matched clip may peak above this (dBFS): voice plus chime then stays below full scale.
pub const PEAK_CEILING_DBFS: f64 = -1.0;
/// Below this a clip counts as silent (dBFS peak).
pub const SILENCE_DBFS: f64 = -60.0;

/// The loudness and peak of one mono clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// Integrated loudness in LUFS; `None` for silence.
    pub lufs: Option<f64>,
    /// Sample peak in dBFS (−∞ for digital silence).
    pub peak_dbfs: f64,
}

/// Decibels to a linear amplitude factor.
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A linear amplitude to decibels (−∞ for 0).
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.log10()
}

/// Measures a mono clip. Clips shorter than one 400 ms gating block are measured as if looped,
/// which is how loud they sound.
pub fn measure(samples: &[f32], rate: u32) -> Level {
    let peak = samples.iter().fold(0.0f32, |m, &s| m.max(s.abs()));
    let peak_dbfs = gain_to_db(f64::from(peak));
    if samples.is_empty() || peak_dbfs < SILENCE_DBFS {
        return Level {
            lufs: None,
            peak_dbfs,
        };
    }
    let lufs = EbuR128::new(1, rate, Mode::I).ok().and_then(|mut meter| {
        let block = (rate as usize * 2) / 5;
        let mut fed = 0;
        while fed < block.max(samples.len()) {
            meter.add_frames_f32(samples).ok()?;
            fed += samples.len();
        }
        meter.loudness_global().ok().filter(|l| l.is_finite())
    });
    Level { lufs, peak_dbfs }
}

/// The linear gain that brings a clip to `target` LUFS without its peak passing the ceiling;
/// 1 for silence.
pub fn matching_gain(level: Level, target: f64) -> f32 {
    let Some(lufs) = level.lufs else { return 1.0 };
    let wanted = target - lufs;
    let allowed = PEAK_CEILING_DBFS - level.peak_dbfs;
    db_to_gain(wanted.min(allowed)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chime::Chime;

    fn sine(amplitude: f32, rate: u32, seconds: f64) -> Vec<f32> {
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| amplitude * (std::f32::consts::TAU * 1000.0 * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn full_scale_1k_sine_is_minus_3_lufs() {
        let l = measure(&sine(1.0, 48_000, 2.0), 48_000);
        assert!((l.lufs.unwrap() + 3.01).abs() < 0.1, "{l:?}");
        assert!(l.peak_dbfs.abs() < 0.01);
    }

    #[test]
    fn matched_clips_land_on_target_whatever_their_level() {
        for amp in [0.01, 0.1, 0.5] {
            for seconds in [0.25, 3.0] {
                let s = sine(amp, 22_050, seconds);
                let g = matching_gain(measure(&s, 22_050), VOICE_TARGET_LUFS);
                let matched: Vec<f32> = s.iter().map(|x| x * g).collect();
                let l = measure(&matched, 22_050).lufs.unwrap();
                assert!(
                    (l - VOICE_TARGET_LUFS).abs() < 0.5,
                    "amp {amp} len {seconds}: {l}"
                );
            }
        }
    }

    #[test]
    fn peak_ceiling_wins_over_loudness() {
        // A click train: very peaky, quiet on average.
        let mut s = vec![0.0f32; 48_000];
        for i in (0..s.len()).step_by(4800) {
            s[i] = 0.5;
        }
        let g = matching_gain(measure(&s, 48_000), VOICE_TARGET_LUFS);
        assert!((gain_to_db(f64::from(0.5 * g)) - PEAK_CEILING_DBFS).abs() < 0.01);
    }

    #[test]
    fn silence_is_left_alone() {
        assert_eq!(measure(&[0.0; 1000], 8000).lufs, None);
        assert_eq!(matching_gain(measure(&[0.0; 1000], 8000), -20.0), 1.0);
    }

    #[test]
    fn synthesized_step_chime_sets_the_chime_target() {
        let l = measure(&Chime::Step.synthesize(48_000), 48_000)
            .lufs
            .unwrap();
        assert!((l - CHIME_TARGET_LUFS).abs() < 1.0, "{l}");
    }
}
