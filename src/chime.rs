//! Soft bell chimes, synthesized once at start into plain sample buffers.
//!
//! Each chime is one or more strikes of a small bell: a few inharmonic partials with a gentle
//! raised-cosine attack and an exponential decay, ending in a short fade to exact silence, so no
//! chime ever clicks. They sit well below the voice (peaks around −20 dBFS against a voice at
//! −20 LUFS with peaks near −3 dBFS).

use std::f64::consts::TAU;
use std::sync::Arc;

/// The chimes of a session; each is a distinct sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chime {
    /// Session start: a low, long bowl.
    Start,
    /// A new step begins.
    Step,
    /// Breath pacing: breathe in (high, light).
    Inhale,
    /// Breath pacing: breathe out (lower, light).
    Exhale,
    /// Breath pacing: hold the breath (a soft, muted middle note).
    Hold,
    /// The interval bell in the hold (`--bell`): a deep, slow bowl, unlike every other chime.
    Bell,
    /// End of a hold: two rising strikes.
    HoldEnd,
    /// End of the session: three descending strikes.
    End,
    /// Live playback paused: two soft falling notes.
    Pause,
    /// Live playback resumed: two soft rising notes.
    Resume,
}

impl Chime {
    /// Every chime, in a fixed order.
    pub const ALL: [Chime; 10] = [
        Chime::Start,
        Chime::Step,
        Chime::Inhale,
        Chime::Exhale,
        Chime::Hold,
        Chime::Bell,
        Chime::HoldEnd,
        Chime::End,
        Chime::Pause,
        Chime::Resume,
    ];

    /// The chime's name: what a pack's `[chimes]` table calls it (`start`, `hold-end`, …); its cue
    /// id is this with the `chime-` prefix ([`crate::cue::Cue`]'s `From<Chime>`).
    pub fn key(self) -> &'static str {
        match self {
            Chime::Start => "start",
            Chime::Step => "step",
            Chime::Inhale => "inhale",
            Chime::Exhale => "exhale",
            Chime::Hold => "hold",
            Chime::Bell => "bell",
            Chime::HoldEnd => "hold-end",
            Chime::End => "end",
            Chime::Pause => "pause",
            Chime::Resume => "resume",
        }
    }

    /// (seconds after the chime starts, fundamental in Hz, amplitude) of each strike, and the
    /// chime's total length in seconds.
    fn design(self) -> (&'static [(f64, f64, f64)], f64) {
        match self {
            Chime::Start => (&[(0.0, 220.0, 1.0)], 6.0),
            Chime::Step => (&[(0.0, 440.0, 0.8)], 3.0),
            Chime::Inhale => (&[(0.0, 659.26, 0.45)], 2.0),
            Chime::Exhale => (&[(0.0, 392.0, 0.45)], 2.5),
            Chime::Hold => (&[(0.0, 523.25, 0.3)], 1.5),
            Chime::Bell => (&[(0.0, 174.61, 0.9)], 8.0),
            Chime::HoldEnd => (&[(0.0, 440.0, 0.8), (0.35, 554.37, 0.8)], 4.0),
            Chime::End => (
                &[(0.0, 659.26, 0.8), (0.5, 554.37, 0.8), (1.0, 440.0, 0.9)],
                7.0,
            ),
            Chime::Pause => (&[(0.0, 523.25, 0.5), (0.18, 392.0, 0.5)], 1.5),
            Chime::Resume => (&[(0.0, 392.0, 0.5), (0.18, 523.25, 0.5)], 1.5),
        }
    }

    /// The length of [`Chime::synthesize`] at `rate`, in frames, without synthesizing.
    pub fn frames(self, rate: u32) -> u64 {
        crate::units::frames(self.design().1, rate)
    }

    /// Renders this chime as mono samples at `rate`, into the one buffer it is shared in.
    pub fn synthesize(self, rate: u32) -> Arc<[f32]> {
        let (strikes, seconds) = self.design();
        let rate_f = f64::from(rate);
        let len = self.frames(rate) as usize;
        // Each strike is computed in f64 and summed here in f32, the precision it plays at, in
        // place in the shared buffer (an f64 buffer and a copy tripled the memory of the longest
        // chime at the end of a session).
        let mut shared: Arc<[f32]> = std::iter::repeat_n(0.0f32, len).collect();
        let out = Arc::get_mut(&mut shared).expect("a new buffer has one owner");
        // Longer chimes ring longer: decays scale with the chime's length.
        let decay_scale = seconds / 4.0;
        for &(offset, fundamental, amplitude) in strikes {
            strike(out, rate_f, offset, fundamental, amplitude, decay_scale);
        }
        // A short raised-cosine fade to exact zero at the very end.
        let fade = ((0.05 * rate_f) as usize).min(len);
        for i in 0..fade {
            let x = i as f64 / fade as f64;
            out[len - 1 - i] *= (0.5 - 0.5 * (std::f64::consts::PI * x).cos()) as f32;
        }
        // Overlapping strikes add up: scale so the loudest point is the design's loudest strike.
        let loudest = strikes.iter().map(|s| s.2).fold(0.0, f64::max);
        let peak = out.iter().fold(0.0f64, |m, &s| m.max(f64::from(s).abs()));
        let scale = if peak > 0.0 {
            PEAK * loudest / peak
        } else {
            0.0
        };
        out.iter_mut()
            .for_each(|s| *s = (f64::from(*s) * scale) as f32);
        shared
    }
}

/// Overall peak level of a full-amplitude strike: about −20 dBFS.
const PEAK: f64 = 0.1;

/// Bell partials: (frequency ratio to the fundamental, relative amplitude, decay time in s).
const PARTIALS: [(f64, f64, f64); 4] = [
    (1.0, 1.0, 1.6),
    (2.0, 0.35, 0.9),
    (2.76, 0.2, 0.6),
    (5.4, 0.06, 0.3),
];

/// Adds one bell strike into `out`; partial decay times are multiplied by `decay_scale`.
fn strike(
    out: &mut [f32],
    rate: f64,
    offset: f64,
    fundamental: f64,
    amplitude: f64,
    decay_scale: f64,
) {
    let start = (offset * rate).round() as usize;
    let attack = 0.012 * rate;
    let norm: f64 = PARTIALS.iter().map(|p| p.1).sum();
    // Each partial as a rotating phasor and a decaying envelope, stepped by one multiplication a
    // sample instead of a sin and an exp (the same values to within 1e-10 over a chime). Held as
    // arrays, one lane a partial, so the four step together (the compiler vectorizes them).
    // A partial above the Nyquist frequency stays silent (amplitude 0).
    let mut amp = [0.0f64; PARTIALS.len()];
    let (mut cos, mut sin, mut fall) = (
        [1.0; PARTIALS.len()],
        [0.0; PARTIALS.len()],
        [1.0; PARTIALS.len()],
    );
    let (mut re, mut im) = ([1.0f64; PARTIALS.len()], [0.0f64; PARTIALS.len()]);
    for (k, &(ratio, a, decay)) in PARTIALS.iter().enumerate() {
        if fundamental * ratio < rate / 2.0 {
            let w = TAU * fundamental * ratio / rate;
            amp[k] = a * amplitude / norm;
            (cos[k], sin[k]) = (w.cos(), w.sin());
            fall[k] = (-1.0 / (rate * decay * decay_scale)).exp();
        }
    }
    let attack_end = (attack.ceil() as usize).min(out.len().saturating_sub(start));
    for (n, sample) in out.iter_mut().skip(start).enumerate() {
        let mut s = 0.0;
        for k in 0..PARTIALS.len() {
            s += amp[k] * im[k];
            (re[k], im[k]) = (
                re[k] * cos[k] - im[k] * sin[k],
                re[k] * sin[k] + im[k] * cos[k],
            );
            amp[k] *= fall[k];
        }
        if n < attack_end {
            s *= 0.5 - 0.5 * (std::f64::consts::PI * n as f64 / attack).cos();
        }
        *sample += s as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn chimes_are_soft_click_free_and_end_in_silence() {
        for chime in Chime::ALL {
            let s = chime.synthesize(48_000);
            let peak = s.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
            assert!(peak > 0.02 && peak <= 0.11, "{chime:?} peak {peak}");
            // Gentle attack: the first millisecond stays far below the peak.
            let first_ms = s[..48].iter().fold(0.0f32, |m, &x| m.max(x.abs()));
            assert!(first_ms < peak * 0.1, "{chime:?} attack {first_ms}");
            // No jump between neighbouring samples larger than a smooth wave allows.
            let max_step = s
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max);
            assert!(max_step < peak * 0.4, "{chime:?} step {max_step}");
            assert_eq!(*s.last().unwrap(), 0.0, "{chime:?} ends in silence");
            // Decays: the last tenth is much quieter than the first.
            let tenth = s.len() / 10;
            assert!(
                rms(&s[s.len() - tenth..]) < rms(&s[..tenth]) * 0.2,
                "{chime:?}"
            );
        }
    }

    #[test]
    fn chimes_are_distinct() {
        let all: Vec<_> = Chime::ALL.iter().map(|c| c.synthesize(8_000)).collect();
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j]);
                assert_ne!(Chime::ALL[i].key(), Chime::ALL[j].key());
            }
        }
        assert_eq!(Chime::HoldEnd.key(), "hold-end");
    }
}
