//! The mixer as the live device's source of samples, moved by the live [`Controls`] (which the
//! play loop in `output::live` holds). The audio thread runs only [`MixSource::fill`]: it mixes,
//! and allocates nothing, frees nothing, takes no lock and does no I/O (tests/no_alloc.rs counts).

use std::sync::Arc;

use rodio::cpal::{FromSample, Sample};

use crate::mix::Mixer;
/// The controls a source is moved with; they live with the play loop that moves them.
pub use crate::output::live::controls::Controls;

/// Frames mixed per block; controls are read between blocks (10 ms at 48 kHz).
const BLOCK: usize = 480;

/// Fade lengths in seconds.
const PAUSE_FADE: f64 = 0.15;
const SEEK_FADE: f64 = 0.05;
/// Volume changes glide over this long.
const VOLUME_GLIDE: f64 = 0.05;

/// What the source does when its fade reaches silence.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pending {
    Nothing,
    /// Stop there.
    Stop,
    /// Pause, to resume at this frame.
    Pause(u64),
    /// Continue from this frame.
    Seek(u64),
}

/// The mixer as the device's source: mono frames copied to every output channel, with fades for
/// pause, resume, seek and stop, a smoothed master volume, and short tones that mark a pause and a
/// resume (played over the session, outside its timeline).
pub struct MixSource {
    mixer: Mixer,
    controls: Arc<Controls>,
    channels: u16,
    rate: u32,
    block: [f32; BLOCK],
    len: usize,
    pos: usize,
    /// Transition gain, ramping linearly from `ramp_from` to `target` over `ramp_len` frames.
    gain: f32,
    target: f32,
    ramp_from: f32,
    ramp_len: u32,
    ramp_pos: u32,
    volume: f32,
    pending: Pending,
    /// Paused at this frame; the mixer does not advance.
    paused_at: Option<u64>,
    /// The pause is a hold for a clip that is not ready, not the listener's.
    held: bool,
    /// Frames ahead that must be ready to play on: a pause fade and two blocks.
    lookahead: u64,
    stop_fade: f64,
    pause_tone: Arc<[f32]>,
    resume_tone: Arc<[f32]>,
    /// A tone being played over the session, and the next sample of it.
    tone: Option<(Arc<[f32]>, usize)>,
    ended: bool,
}

impl MixSource {
    /// Wraps a mixer for a device with `channels` channels; stopping fades out over
    /// `stop_fade` seconds. The source starts where the mixer is, paused if the controls say so.
    pub fn new(
        mixer: Mixer,
        controls: Arc<Controls>,
        channels: u16,
        rate: u32,
        stop_fade: f64,
        tones: (Arc<[f32]>, Arc<[f32]>),
    ) -> Self {
        let mut mixer = mixer;
        let lookahead = crate::units::frames(PAUSE_FADE, rate) + 2 * BLOCK as u64;
        // Paused, or held until the first clips are prepared.
        let held = !mixer.ready(lookahead);
        let paused_at = (controls.paused() || held).then(|| mixer.position());
        let volume = controls.volume();
        MixSource {
            mixer,
            controls,
            channels: channels.max(1),
            rate,
            block: [0.0; BLOCK],
            len: 0,
            pos: 0,
            gain: if paused_at.is_some() { 0.0 } else { 1.0 },
            target: 1.0,
            ramp_from: 1.0,
            ramp_len: 0,
            ramp_pos: 0,
            volume,
            pending: Pending::Nothing,
            paused_at,
            held,
            lookahead,
            stop_fade,
            pause_tone: tones.0,
            resume_tone: tones.1,
            tone: None,
            ended: false,
        }
    }

    fn fade_to(&mut self, target: f32, seconds: f64, pending: Pending) {
        self.ramp_from = self.gain;
        self.target = target;
        self.ramp_len = crate::units::frames(seconds, self.rate).max(1) as u32;
        self.ramp_pos = 0;
        self.pending = pending;
    }

    /// The transition gain for the next frame.
    fn next_gain(&mut self) -> f32 {
        if self.ramp_pos < self.ramp_len {
            self.ramp_pos += 1;
            let done = self.ramp_pos as f32 / self.ramp_len as f32;
            self.gain = self.ramp_from + (self.target - self.ramp_from) * done;
        } else {
            self.gain = self.target;
        }
        self.gain
    }

    /// Turns requests into fades, at a block boundary.
    fn read_controls(&mut self) {
        let c = &self.controls;
        let seek = c.take_seek();
        if c.stopping() {
            if self.pending != Pending::Stop {
                let fade = if self.paused_at.is_some() {
                    SEEK_FADE
                } else {
                    self.stop_fade
                };
                self.fade_to(0.0, fade, Pending::Stop);
            }
            return;
        }
        if let Some(at) = self.paused_at.as_mut() {
            if let Some(seek) = seek {
                *at = seek;
            }
            let at = *at;
            if c.paused() {
                self.held = false;
            } else if self.mixer.ready_at(at, self.lookahead) {
                self.paused_at = None;
                self.mixer.seek(at);
                if !self.held {
                    self.tone = Some((self.resume_tone.clone(), 0));
                    self.fade_to(1.0, PAUSE_FADE, Pending::Nothing);
                } else if self.mixer.sounding() {
                    self.fade_to(1.0, PAUSE_FADE, Pending::Nothing);
                } else {
                    // Held where nothing sounds (the start, a seek, a gap): no fade is needed,
                    // and none touches the onset of the clip that was waited for.
                    self.fade_to(1.0, 0.0, Pending::Nothing);
                }
                self.held = false;
            } else {
                // Resumed, but a clip is not ready: wait for it, silently.
                self.held = true;
            }
            return;
        }
        if let Some(seek) = seek {
            self.fade_to(0.0, SEEK_FADE, Pending::Seek(seek));
        } else if c.paused() && !matches!(self.pending, Pending::Pause(_)) {
            let at = match self.pending {
                Pending::Seek(to) => to,
                _ => self.mixer.position(),
            };
            self.tone = Some((self.pause_tone.clone(), 0));
            self.fade_to(0.0, PAUSE_FADE, Pending::Pause(at));
        } else if self.pending == Pending::Nothing && !self.mixer.ready(self.lookahead) {
            // A clip due within the fade is not prepared yet: fade out and hold the clock here,
            // as a pause does, and go on where the fade began once it is ready.
            self.held = true;
            self.fade_to(0.0, PAUSE_FADE, Pending::Pause(self.mixer.position()));
        }
    }

    /// Mixes the next block; false at the end.
    fn refill(&mut self) -> bool {
        if self.ended {
            return false;
        }
        self.read_controls();
        let wanted_volume = self.controls.volume();
        let glide = (1.0 / (VOLUME_GLIDE * f64::from(self.rate))) as f32;
        self.len = if self.paused_at.is_some() {
            self.block.fill(0.0);
            BLOCK
        } else {
            self.mixer.fill(&mut self.block)
        };
        let mut cut = None;
        let steady = self.pending == Pending::Nothing
            && self.ramp_pos >= self.ramp_len
            && self.volume == wanted_volume;
        if steady {
            // Nothing is changing (almost always): one gain for the whole block.
            self.gain = self.target;
            let gain = self.gain * self.volume;
            if gain != 1.0 {
                self.block[..self.len].iter_mut().for_each(|s| *s *= gain);
            }
        } else {
            for i in 0..self.len {
                let gain = self.next_gain();
                self.volume += (wanted_volume - self.volume).clamp(-glide, glide);
                self.block[i] *= gain * self.volume;
                if self.gain == 0.0 && self.pending != Pending::Nothing && self.paused_at.is_none()
                {
                    cut = Some(i + 1);
                    break;
                }
            }
        }
        if let Some(n) = cut {
            self.len = n;
            match std::mem::replace(&mut self.pending, Pending::Nothing) {
                Pending::Stop => self.ended = true,
                Pending::Pause(at) => self.paused_at = Some(at),
                Pending::Seek(to) => {
                    self.mixer.seek(to);
                    if self.mixer.ready(self.lookahead) {
                        self.fade_to(1.0, SEEK_FADE, Pending::Nothing);
                    } else {
                        // The clips there are not prepared yet: hold, silent, until they are.
                        self.paused_at = Some(to);
                        self.held = true;
                    }
                }
                Pending::Nothing => {}
            }
        } else if self.pending == Pending::Stop && self.paused_at.is_some() && self.gain == 0.0 {
            self.ended = true;
        }
        if let Some((tone, at)) = self.tone.as_mut() {
            if self.len == 0 {
                self.block.fill(0.0);
                self.len = BLOCK;
            }
            let take = (tone.len() - *at).min(self.len);
            for (o, t) in self.block[..take].iter_mut().zip(&tone[*at..*at + take]) {
                *o += t * self.volume;
            }
            *at += take;
            if *at >= tone.len() {
                self.tone = None;
            }
        }
        self.pos = 0;
        let frame = self.paused_at.unwrap_or(self.mixer.position());
        self.controls.made_block(frame);
        self.len > 0
    }

    /// Fills a device buffer of interleaved samples (`channels` a frame) with the next frames;
    /// returns how many samples came from the session. After its last frame the rest is silence
    /// and the controls say finished.
    pub fn fill<T: Sample + FromSample<f32>>(&mut self, out: &mut [T]) -> usize {
        let channels = usize::from(self.channels);
        let mut written = 0;
        for frame in out.chunks_exact_mut(channels) {
            if self.pos == self.len && !self.refill() {
                self.controls.set_finished();
                break;
            }
            frame.fill(T::from_sample_(self.block[self.pos]));
            self.pos += 1;
            written += channels;
        }
        out[written..].fill(T::EQUILIBRIUM);
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mix::Clips;
    use crate::mix::tests::{clips, timeline};
    use crate::timeline::Timeline;
    use std::collections::HashMap;

    fn tones() -> (Arc<[f32]>, Arc<[f32]>) {
        (vec![0.25; 3].into(), vec![0.5; 2].into())
    }

    /// The next `n` samples, fewer at the end of the session.
    fn pull(src: &mut MixSource, n: usize) -> Vec<f32> {
        let mut out = vec![f32::NAN; n];
        let written = src.fill(&mut out);
        assert!(out[written..].iter().all(|&s| s == 0.0));
        out.truncate(written);
        out
    }

    /// Every sample to the end, pulled in odd-sized buffers.
    fn drain(mut src: MixSource) -> Vec<f32> {
        let mut all = Vec::new();
        loop {
            let got = pull(&mut src, 14);
            all.extend_from_slice(&got);
            if got.len() < 14 {
                return all;
            }
        }
    }

    #[test]
    fn source_duplicates_channels_and_fades_on_stop() {
        let c = clips();
        let t = timeline(vec![(0, "a")], &c);
        let controls = Arc::new(Controls::default());
        let src = MixSource::new(
            Mixer::new(&t, &c).unwrap(),
            controls.clone(),
            2,
            100,
            0.05,
            tones(),
        );
        let all = drain(src);
        assert_eq!(all.len(), 20);
        assert!(all.iter().all(|&s| s == 1.0));
        assert!(controls.finished());

        let controls = Arc::new(Controls::default());
        controls.stop();
        let src = MixSource::new(Mixer::new(&t, &c).unwrap(), controls, 1, 100, 0.05, tones());
        let faded = drain(src);
        let want = [0.8, 0.6, 0.4, 0.2, 0.0];
        assert_eq!(faded.len(), want.len());
        assert!(
            faded.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6),
            "{faded:?}"
        );
    }

    /// A long steady clip, so every sample shows the gain applied to it.
    fn steady() -> (Timeline, Clips) {
        let mut by_cue: HashMap<crate::cue::Cue, Arc<[f32]>> = HashMap::new();
        by_cue.insert(
            "long".into(),
            (0..2000)
                .map(|i| i as f32 / 2000.0)
                .collect::<Vec<_>>()
                .into(),
        );
        let c = Clips { rate: 1000, by_cue };
        (timeline(vec![(0, "long")], &c), c)
    }

    /// A mono source at 1000 Hz over [`steady`], and its controls.
    fn steady_source() -> (MixSource, Arc<Controls>) {
        let (t, c) = steady();
        let controls = Arc::new(Controls::default());
        let mixer = Mixer::new(&t, &c).unwrap();
        let src = MixSource::new(mixer, controls.clone(), 1, 1000, 0.4, tones());
        (src, controls)
    }

    #[test]
    fn pause_fades_out_plays_a_tone_and_resumes_exactly_where_it_paused() {
        let (mut src, controls) = steady_source();
        let played = pull(&mut src, 480);
        assert_eq!(played[479], 479.0 / 2000.0);
        controls.set_paused(true);
        let fade = pull(&mut src, 150);
        // The pause tone sounds over the first samples of the fade.
        assert!((fade[0] - (480.0 / 2000.0 * (149.0 / 150.0) + 0.25)).abs() < 1e-5);
        // The fade reaches silence after 0.15 s, and silence follows.
        assert!(fade[149].abs() < 1e-6, "{}", fade[149]);
        let quiet = pull(&mut src, 2000);
        assert!(quiet.iter().all(|&s| s == 0.0));
        assert_eq!(controls.frame(), 480);
        controls.set_paused(false);
        // Within one block the resume tone starts, and the session fades in from frame 480.
        let resumed = pull(&mut src, 1000);
        let at = resumed.iter().position(|&s| s != 0.0).unwrap();
        assert!(at < BLOCK, "{at}");
        assert!((resumed[at] - (0.5 + 480.0 / 2000.0 / 150.0)).abs() < 1e-5);
        let faded_in = at + 149;
        assert!(
            (resumed[faded_in] - 629.0 / 2000.0).abs() < 1e-6,
            "{}",
            resumed[faded_in]
        );
        assert!((resumed[at + 400] - 880.0 / 2000.0).abs() < 1e-6);
    }

    #[test]
    fn seek_jumps_with_a_short_fade_and_volume_glides() {
        let (mut src, controls) = steady_source();
        pull(&mut src, 480);
        controls.seek(1000);
        let around = pull(&mut src, 480 + 50);
        // 50 frames of fade out, then 50 of fade in from frame 1000.
        assert!(around[49].abs() < 1e-6);
        assert!(
            (around[99] - 1049.0 / 2000.0).abs() < 1e-6,
            "{}",
            around[99]
        );
        controls.set_volume(0.5);
        let rest = drain(src);
        let last = *rest.last().unwrap();
        assert!((last - 0.5 * 1999.0 / 2000.0).abs() < 1e-6, "{last}");
    }
}
