//! How loud a take and the room are, and what is worth a warning: a take that clips, a take too
//! quiet to finish well, a noisy room. Each warning names the level it measured.

use crate::loudness::{SILENCE_DBFS, gain_to_db};
use crate::pipeline::sound_span;

/// A take clips when any sample reaches this (dBFS): a converter at full scale has flattened it.
pub const CLIP_DBFS: f64 = -0.1;
/// A take whose peak stays under this (dBFS) is too quiet: the microphone's own noise, raised
/// 20 dB or more by the pipeline's loudness matching, would be heard.
pub const QUIET_PEAK_DBFS: f64 = -30.0;
/// A take whose speech RMS (over the span the pipeline keeps) is under this (dBFS) is too quiet
/// too: a peak or two above the line, the words far under it.
pub const QUIET_SPEECH_DBFS: f64 = -45.0;
/// Background noise over this (dBFS RMS) in the room tone is worth a warning: a fan, a window.
pub const NOISY_ROOM_DBFS: f64 = -50.0;

/// What a take measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TakeLevels {
    /// Length in seconds.
    pub seconds: f64,
    /// The highest sample of any channel, in dBFS.
    pub peak_dbfs: f64,
    /// Samples (of any channel) at or over [`CLIP_DBFS`].
    pub clipped: usize,
    /// RMS of the channels' mean over the sound the pipeline keeps (trim rule), in dBFS; `None`
    /// when there is no sound at all.
    pub speech_dbfs: Option<f64>,
}

impl TakeLevels {
    /// Measures an interleaved take of `channels` channels at `rate` Hz.
    pub fn of(samples: &[f32], channels: u16, rate: u32) -> TakeLevels {
        let mono = mono(samples, channels);
        let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        let clip = crate::loudness::db_to_gain(CLIP_DBFS) as f32;
        let speech_dbfs =
            sound_span(&mono, rate).map(|(first, last)| rms_dbfs(&mono[first..=last]));
        TakeLevels {
            seconds: mono.len() as f64 / f64::from(rate),
            peak_dbfs: gain_to_db(f64::from(peak)),
            clipped: samples.iter().filter(|s| s.abs() >= clip).count(),
            speech_dbfs,
        }
    }

    /// What is worth fixing: clipping, or too quiet (silence included), each with its level.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.clipped > 0 {
            warnings.push(format!(
                "the take clips: {} samples at {:.1} dBFS or over (peak {:.1} dBFS); \
                 turn the microphone's gain down or sit back, and record it again (r)",
                self.clipped, CLIP_DBFS, self.peak_dbfs
            ));
        }
        let speech = self.speech_dbfs.unwrap_or(f64::NEG_INFINITY);
        if self.peak_dbfs < SILENCE_DBFS {
            warnings.push(format!(
                "the take is silent (peak {}): is the microphone muted?",
                dbfs(self.peak_dbfs)
            ));
        } else if self.peak_dbfs < QUIET_PEAK_DBFS || speech < QUIET_SPEECH_DBFS {
            warnings.push(format!(
                "the take is too quiet: peak {}, speech {} RMS (aim for peaks over {QUIET_PEAK_DBFS} \
                 and speech over {QUIET_SPEECH_DBFS} dBFS); move closer or turn the gain up",
                dbfs(self.peak_dbfs),
                dbfs(speech)
            ));
        }
        warnings
    }

    /// One line for the screen: length, peak and speech level.
    pub fn summary(&self) -> String {
        let speech = self.speech_dbfs.map_or("—".into(), dbfs);
        format!(
            "{:.1} s, peak {}, speech {speech} RMS",
            self.seconds,
            dbfs(self.peak_dbfs)
        )
    }
}

/// The room tone's RMS in dBFS, and a warning when it is over [`NOISY_ROOM_DBFS`].
pub fn room_tone(samples: &[f32], channels: u16) -> (f64, Option<String>) {
    let level = rms_dbfs(&mono(samples, channels));
    let warning = (level > NOISY_ROOM_DBFS).then(|| {
        format!(
            "the room is noisy: {} RMS of background noise (quiet is under {NOISY_ROOM_DBFS} dBFS); \
             a fan, a window, a computer? Every take will carry it",
            dbfs(level)
        )
    });
    (level, warning)
}

/// The highest sample magnitude of `samples`, in dBFS (−∞ for none).
pub fn peak_dbfs(samples: &[f32]) -> f64 {
    gain_to_db(f64::from(
        samples.iter().fold(0.0f32, |m, s| m.max(s.abs())),
    ))
}

/// The mean of the channels of interleaved `samples`.
fn mono(samples: &[f32], channels: u16) -> Vec<f32> {
    let channels = usize::from(channels.max(1));
    samples
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect()
}

/// RMS in dBFS (−∞ for silence or no samples).
fn rms_dbfs(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let power = samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64;
    10.0 * power.log10()
}

/// A level as people read it: `-12.3 dBFS`, or `-inf dBFS`.
pub fn dbfs(level: f64) -> String {
    if level.is_finite() {
        format!("{level:.1} dBFS")
    } else {
        "-inf dBFS".into()
    }
}

/// A level meter `width` characters wide from −60 to 0 dBFS.
pub fn meter(level: f64, width: usize) -> String {
    let filled = (((level - SILENCE_DBFS) / -SILENCE_DBFS).clamp(0.0, 1.0) * width as f64).round();
    let filled = filled as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `seconds` of a 220 Hz sine at `amplitude`, in `channels` identical channels.
    pub(crate) fn tone(amplitude: f32, rate: u32, channels: u16, seconds: f64) -> Vec<f32> {
        (0..(seconds * f64::from(rate)) as usize)
            .flat_map(|i| {
                let s = amplitude * (std::f32::consts::TAU * 220.0 * i as f32 / rate as f32).sin();
                std::iter::repeat_n(s, usize::from(channels))
            })
            .collect()
    }

    #[test]
    fn a_good_take_has_no_warning_and_says_its_levels() {
        let take = TakeLevels::of(&tone(0.5, 48_000, 2, 2.0), 2, 48_000);
        assert!((take.seconds - 2.0).abs() < 1e-9);
        assert!((take.peak_dbfs - -6.02).abs() < 0.01, "{take:?}");
        // A sine's RMS is 3 dB under its peak.
        assert!((take.speech_dbfs.unwrap() - -9.03).abs() < 0.05, "{take:?}");
        assert_eq!(take.warnings(), Vec::<String>::new());
        assert_eq!(
            take.summary(),
            "2.0 s, peak -6.0 dBFS, speech -9.0 dBFS RMS"
        );
    }

    #[test]
    fn clipping_and_quiet_takes_are_named_with_their_level() {
        let mut loud = tone(0.5, 48_000, 1, 1.0);
        loud[100..103].fill(1.0);
        let warnings = TakeLevels::of(&loud, 1, 48_000).warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("3 samples at -0.1 dBFS or over (peak 0.0 dBFS)"),
            "{warnings:?}"
        );
        let quiet = TakeLevels::of(&tone(0.02, 48_000, 1, 1.0), 1, 48_000).warnings();
        assert!(quiet[0].contains("too quiet: peak -34.0 dBFS"), "{quiet:?}");
        let silent = TakeLevels::of(&[0.0; 4800], 1, 48_000).warnings();
        assert!(silent[0].contains("silent (peak -inf dBFS)"), "{silent:?}");
        // A click over the line with the words far under it is still too quiet.
        let mut words = tone(0.004, 48_000, 1, 2.0);
        words[1000] = 0.05;
        let sparse = TakeLevels::of(&words, 1, 48_000);
        let warnings = sparse.warnings();
        assert!(
            warnings[0].contains("peak -26.0 dBFS, speech -51.0 dBFS RMS"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_room_tone_warns_above_minus_50() {
        let (quiet, none) = room_tone(&tone(0.001, 48_000, 2, 3.0), 2);
        assert!((quiet - -63.0).abs() < 0.1 && none.is_none(), "{quiet}");
        let (noisy, warning) = room_tone(&tone(0.01, 48_000, 2, 3.0), 2);
        assert!((noisy - -43.0).abs() < 0.1, "{noisy}");
        assert!(warning.unwrap().contains("-43.0 dBFS RMS"));
    }

    #[test]
    fn the_meter_fills_from_minus_60_to_0() {
        assert_eq!(meter(f64::NEG_INFINITY, 4), "░░░░");
        assert_eq!(meter(-30.0, 4), "██░░");
        assert_eq!(meter(3.0, 4), "████");
    }
}
