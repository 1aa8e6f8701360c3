//! The mixer: a timeline and its clips turned into samples, counted frame by frame.
//!
//! Every event starts at exactly its frame; nothing here sleeps or reads a clock. The same
//! [`Mixer`] feeds the live device (through [`MixSource`], a rodio `Source`) and the WAV renderer,
//! so both produce the very same samples. `next()` does no allocation, lock or I/O.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use rodio::Source;

use crate::pack::Clips;
use crate::timeline::{Layer, Timeline};

/// Why a mixer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MixError {
    /// The timeline uses a cue that has no clip.
    #[error("no clip for cue {0:?}")]
    MissingClip(String),
    /// Timeline and clips disagree on the rate.
    #[error("timeline at {timeline} Hz but clips at {clips} Hz")]
    RateMismatch {
        /// The timeline's rate.
        timeline: u32,
        /// The clips' rate.
        clips: u32,
    },
}

#[derive(Debug, Clone)]
struct Scheduled {
    frame: u64,
    clip: Arc<[f32]>,
    gain: f32,
}

#[derive(Debug, Clone)]
struct Voice {
    clip: Arc<[f32]>,
    /// Next sample of the clip to play.
    pos: usize,
    gain: f32,
}

/// An ambience bed: looped under the whole session, faded in and out at its ends and ducked
/// under every voice event.
#[derive(Debug, Clone)]
struct Bed {
    samples: Arc<[f32]>,
    gain: f32,
    /// Voice events as (start, end) frames, sorted.
    voices: Arc<[(u64, u64)]>,
    /// Linear gain under speech (from [`DUCK_DB`]).
    floor: f32,
    /// Ramp lengths in frames.
    attack: u64,
    release: u64,
    fade_in: u64,
    fade_out: u64,
}

/// How far the bed drops under speech, and how fast (seconds).
const DUCK_DB: f64 = -10.0;
const DUCK_ATTACK: f64 = 0.3;
const DUCK_RELEASE: f64 = 0.8;
const BED_FADE_IN: f64 = 3.0;
const BED_FADE_OUT: f64 = 4.0;

impl Bed {
    /// The bed's gain at `frame` of a session `end` frames long: edge fades times ducking.
    fn gain_at(&self, frame: u64, end: u64) -> f32 {
        let ramp = |x: u64, len: u64| {
            if len == 0 {
                1.0
            } else {
                (x as f32 / len as f32).min(1.0)
            }
        };
        let edges = ramp(frame, self.fade_in).min(ramp(end.saturating_sub(frame), self.fade_out));
        // How much speech is near: 1 inside a voice, ramping to 0 over the attack before it and
        // the release after it.
        let i = self.voices.partition_point(|&(start, _)| start <= frame);
        let before = i.checked_sub(1).map_or(0.0, |j| {
            let (_, stop) = self.voices[j];
            if frame < stop {
                1.0
            } else {
                1.0 - ramp(frame - stop, self.release)
            }
        });
        let after = self
            .voices
            .get(i)
            .map_or(0.0, |&(start, _)| 1.0 - ramp(start - frame, self.attack));
        let duck = before.max(after);
        self.gain * edges * (1.0 - duck * (1.0 - self.floor))
    }
}

/// Mixes a timeline's events into mono frames, for any range of frames.
#[derive(Debug, Clone)]
pub struct Mixer {
    schedule: Arc<[Scheduled]>,
    /// Index of the first event not yet started.
    next: usize,
    active: Vec<Voice>,
    frame: u64,
    end: u64,
    bed: Option<Bed>,
}

impl Mixer {
    /// Prepares a mixer positioned at frame 0.
    pub fn new(timeline: &Timeline, clips: &Clips) -> Result<Mixer, MixError> {
        if timeline.rate != clips.rate {
            return Err(MixError::RateMismatch {
                timeline: timeline.rate,
                clips: clips.rate,
            });
        }
        let schedule: Vec<Scheduled> = timeline
            .events
            .iter()
            .map(|e| {
                let clip = clips
                    .by_cue
                    .get(&e.cue)
                    .cloned()
                    .ok_or_else(|| MixError::MissingClip(e.cue.to_string()))?;
                Ok(Scheduled {
                    frame: e.frame,
                    clip,
                    gain: e.gain,
                })
            })
            .collect::<Result<_, MixError>>()?;
        let most_at_once = max_overlap(&schedule);
        let mut mixer = Mixer {
            schedule: schedule.into(),
            next: 0,
            active: Vec::with_capacity(most_at_once),
            frame: 0,
            end: timeline.duration,
            bed: None,
        };
        mixer.seek(0);
        Ok(mixer)
    }

    /// Adds an ambience bed (mono, at the timeline's rate) at linear `gain`, looped under the
    /// session and ducked under the timeline's voice events.
    pub fn with_bed(mut self, samples: Arc<[f32]>, gain: f32, timeline: &Timeline) -> Mixer {
        let frames = |s: f64| (s * f64::from(timeline.rate)) as u64;
        let voices: Vec<(u64, u64)> = timeline
            .events
            .iter()
            .filter(|e| e.layer == Layer::Voice)
            .map(|e| (e.frame, e.end()))
            .collect();
        self.bed = (!samples.is_empty()).then(|| Bed {
            samples,
            gain,
            voices: voices.into(),
            floor: crate::loudness::db_to_gain(DUCK_DB) as f32,
            attack: frames(DUCK_ATTACK),
            release: frames(DUCK_RELEASE),
            fade_in: frames(BED_FADE_IN),
            // A session with a tail fades the bed out over all of it.
            fade_out: frames(BED_FADE_OUT).max(timeline.tail),
        });
        self
    }

    /// Total length in frames.
    pub fn len(&self) -> u64 {
        self.end
    }

    /// Whether the session has no frames at all.
    pub fn is_empty(&self) -> bool {
        self.end == 0
    }

    /// The next frame `fill` will produce.
    pub fn position(&self) -> u64 {
        self.frame
    }

    /// Moves to `frame`: events already under way there continue mid-clip.
    pub fn seek(&mut self, frame: u64) {
        let frame = frame.min(self.end);
        self.frame = frame;
        self.active.clear();
        self.next = self.schedule.partition_point(|s| s.frame < frame);
        for s in &self.schedule[..self.next] {
            let pos = (frame - s.frame) as usize;
            if pos < s.clip.len() {
                self.active.push(Voice {
                    clip: s.clip.clone(),
                    pos,
                    gain: s.gain,
                });
            }
        }
    }

    /// Writes the next mono frames into `out`; returns how many were written (fewer than
    /// `out.len()` only at the end of the session).
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        let n = (self.end - self.frame).min(out.len() as u64) as usize;
        let out = &mut out[..n];
        out.fill(0.0);
        let mut done = 0;
        while done < n {
            // Start every event due at this frame.
            while let Some(s) = self.schedule.get(self.next) {
                if s.frame > self.frame {
                    break;
                }
                self.active.push(Voice {
                    clip: s.clip.clone(),
                    pos: (self.frame - s.frame) as usize,
                    gain: s.gain,
                });
                self.next += 1;
            }
            // Mix until the next event starts or the block ends.
            let until_next = self
                .schedule
                .get(self.next)
                .map_or(u64::MAX, |s| s.frame - self.frame);
            let span = until_next.min((n - done) as u64) as usize;
            let segment = &mut out[done..done + span];
            for voice in &mut self.active {
                let rest = &voice.clip[voice.pos.min(voice.clip.len())..];
                let take = rest.len().min(span);
                for (o, &s) in segment.iter_mut().zip(&rest[..take]) {
                    *o += s * voice.gain;
                }
                voice.pos += span;
            }
            self.active.retain(|v| v.pos < v.clip.len());
            done += span;
            self.frame += span as u64;
        }
        if let Some(bed) = &self.bed {
            let first = self.frame - n as u64;
            let len = bed.samples.len() as u64;
            for (i, o) in out.iter_mut().enumerate() {
                let f = first + i as u64;
                *o += bed.samples[(f % len) as usize] * bed.gain_at(f, self.end);
            }
        }
        n
    }
}

/// The most events sounding at once, so the active list never reallocates.
fn max_overlap(schedule: &[Scheduled]) -> usize {
    let mut edges: Vec<(u64, i32)> = schedule
        .iter()
        .flat_map(|s| [(s.frame, 1), (s.frame + s.clip.len() as u64, -1)])
        .collect();
    edges.sort_unstable();
    let mut now = 0i32;
    let mut most = 0i32;
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most.max(1) as usize
}

/// No seek pending.
const NO_SEEK: u64 = u64::MAX;

/// Shared between the audio thread and the rest of the program: requests go in, the position
/// comes out. Read at block boundaries; no locks.
#[derive(Debug)]
pub struct Controls {
    /// The timeline frame being played (where a paused session will resume).
    frame: AtomicU64,
    /// Set by the source once it has produced its last sample.
    finished: AtomicBool,
    /// Blocks produced so far, paused or not: proof the device is taking samples.
    blocks: AtomicU64,
    stop: AtomicBool,
    paused: AtomicBool,
    seek: AtomicU64,
    /// Master volume, the bits of an `f32` linear gain.
    volume: AtomicU32,
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            frame: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            blocks: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            seek: AtomicU64::new(NO_SEEK),
            volume: AtomicU32::new(1.0f32.to_bits()),
        }
    }
}

impl Controls {
    /// The timeline frame being played.
    pub fn frame(&self) -> u64 {
        self.frame.load(Ordering::Relaxed)
    }

    /// Whether the source has played its last sample.
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Blocks produced so far; it stops growing when the device stops taking samples.
    pub fn blocks(&self) -> u64 {
        self.blocks.load(Ordering::Relaxed)
    }

    /// Whether the end was asked for.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Asks for a fade-out and the end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Asks to pause (fade out, then silence) or to resume (fade in where it paused).
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether a pause is asked for.
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Asks to continue from `frame` (a short fade out and in around the jump).
    pub fn seek(&self, frame: u64) {
        self.seek.store(frame, Ordering::Relaxed);
    }

    /// Sets the master volume (linear gain); changes are smoothed.
    pub fn set_volume(&self, gain: f32) {
        self.volume.store(gain.to_bits(), Ordering::Relaxed);
    }

    /// The master volume asked for.
    pub fn volume(&self) -> f32 {
        f32::from_bits(self.volume.load(Ordering::Relaxed))
    }
}

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

/// The mixer as a rodio `Source`: mono frames copied to every output channel, with fades for
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
    channel: u16,
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
        let paused_at = controls.paused().then(|| mixer.position());
        let volume = controls.volume();
        MixSource {
            mixer,
            controls,
            channels: channels.max(1),
            rate,
            block: [0.0; BLOCK],
            len: 0,
            pos: 0,
            channel: 0,
            gain: if paused_at.is_some() { 0.0 } else { 1.0 },
            target: 1.0,
            ramp_from: 1.0,
            ramp_len: 0,
            ramp_pos: 0,
            volume,
            pending: Pending::Nothing,
            paused_at,
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
        self.ramp_len = (seconds * f64::from(self.rate)).max(1.0) as u32;
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
        let seek = c.seek.swap(NO_SEEK, Ordering::Relaxed);
        if c.stop.load(Ordering::Relaxed) {
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
            if seek != NO_SEEK {
                *at = seek;
            }
            if !c.paused() {
                let at = *at;
                self.paused_at = None;
                self.mixer.seek(at);
                self.tone = Some((self.resume_tone.clone(), 0));
                self.fade_to(1.0, PAUSE_FADE, Pending::Nothing);
            }
            return;
        }
        if seek != NO_SEEK {
            self.fade_to(0.0, SEEK_FADE, Pending::Seek(seek));
        } else if c.paused() && !matches!(self.pending, Pending::Pause(_)) {
            let at = match self.pending {
                Pending::Seek(to) => to,
                _ => self.mixer.position(),
            };
            self.tone = Some((self.pause_tone.clone(), 0));
            self.fade_to(0.0, PAUSE_FADE, Pending::Pause(at));
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
        for i in 0..self.len {
            let gain = self.next_gain();
            self.volume += (wanted_volume - self.volume).clamp(-glide, glide);
            self.block[i] *= gain * self.volume;
            if self.gain == 0.0 && self.pending != Pending::Nothing && self.paused_at.is_none() {
                cut = Some(i + 1);
                break;
            }
        }
        if let Some(n) = cut {
            self.len = n;
            match std::mem::replace(&mut self.pending, Pending::Nothing) {
                Pending::Stop => self.ended = true,
                Pending::Pause(at) => self.paused_at = Some(at),
                Pending::Seek(to) => {
                    self.mixer.seek(to);
                    self.fade_to(1.0, SEEK_FADE, Pending::Nothing);
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
        self.controls.frame.store(frame, Ordering::Relaxed);
        self.controls.blocks.fetch_add(1, Ordering::Relaxed);
        self.len > 0
    }
}

impl Iterator for MixSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.pos == self.len && !self.refill() {
            self.controls.finished.store(true, Ordering::Release);
            return None;
        }
        let sample = self.block[self.pos];
        self.channel += 1;
        if self.channel == self.channels {
            self.channel = 0;
            self.pos += 1;
        }
        Some(sample)
    }
}

impl Source for MixSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        rodio::ChannelCount::new(self.channels).unwrap_or(rodio::ChannelCount::MIN)
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        rodio::SampleRate::new(self.rate).unwrap_or(rodio::SampleRate::MIN)
    }

    fn total_duration(&self) -> Option<std::time::Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Event;
    use std::collections::HashMap;

    fn timeline(events: Vec<(u64, &str)>, clips: &Clips) -> Timeline {
        let events: Vec<Event> = events
            .into_iter()
            .map(|(frame, cue)| Event {
                frame,
                layer: Layer::Voice,
                cue: cue.into(),
                text: None,
                duration: clips.by_cue[cue].len() as u64,
                set: None,
                step: "s".into(),
                gain: 1.0,
            })
            .collect();
        let duration = events.iter().map(Event::end).max().unwrap();
        Timeline {
            rate: clips.rate,
            sets: 1,
            events,
            holds: vec![],
            steps: vec![],
            duration,
            tail: 0,
        }
    }

    fn clips() -> Clips {
        let mut by_cue: HashMap<crate::cue::Cue, Arc<[f32]>> = HashMap::new();
        by_cue.insert("a".into(), vec![1.0; 10].into());
        by_cue.insert("b".into(), vec![0.5; 4].into());
        Clips { rate: 100, by_cue }
    }

    #[test]
    fn events_start_at_their_exact_frame_and_sum() {
        let c = clips();
        let t = timeline(vec![(3, "a"), (5, "b"), (20, "b")], &c);
        let mut m = Mixer::new(&t, &c).unwrap();
        let mut out = vec![9.0; 30];
        assert_eq!(m.fill(&mut out), 24);
        let mut want = [0.0f32; 24];
        want[3..13].iter_mut().for_each(|w| *w += 1.0);
        want[5..9].iter_mut().for_each(|w| *w += 0.5);
        want[20..24].iter_mut().for_each(|w| *w += 0.5);
        assert_eq!(&out[..24], &want[..]);
    }

    #[test]
    fn any_block_size_and_seek_give_the_same_samples() {
        let c = clips();
        let t = timeline(vec![(0, "b"), (3, "a"), (7, "b"), (9, "a")], &c);
        let mut whole = vec![0.0; 19];
        Mixer::new(&t, &c).unwrap().fill(&mut whole);
        for block in 1..7 {
            let mut m = Mixer::new(&t, &c).unwrap();
            let mut got = Vec::new();
            let mut buf = vec![0.0; block];
            loop {
                let n = m.fill(&mut buf);
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, whole, "block {block}");
        }
        for start in 0..19 {
            let mut m = Mixer::new(&t, &c).unwrap();
            m.seek(start);
            let mut rest = vec![0.0; 19 - start as usize];
            m.fill(&mut rest);
            assert_eq!(rest, whole[start as usize..], "seek {start}");
        }
    }

    fn tones() -> (Arc<[f32]>, Arc<[f32]>) {
        (vec![0.25; 3].into(), vec![0.5; 2].into())
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
        let all: Vec<f32> = src.collect();
        assert_eq!(all.len(), 20);
        assert!(all.iter().all(|&s| s == 1.0));
        assert!(controls.finished());

        let controls = Arc::new(Controls::default());
        controls.stop();
        let src = MixSource::new(Mixer::new(&t, &c).unwrap(), controls, 1, 100, 0.05, tones());
        let faded: Vec<f32> = src.collect();
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
        let played: Vec<f32> = src.by_ref().take(480).collect();
        assert_eq!(played[479], 479.0 / 2000.0);
        controls.set_paused(true);
        let fade: Vec<f32> = src.by_ref().take(150).collect();
        // The pause tone sounds over the first samples of the fade.
        assert!((fade[0] - (480.0 / 2000.0 * (149.0 / 150.0) + 0.25)).abs() < 1e-5);
        // The fade reaches silence after 0.15 s, and silence follows.
        assert!(fade[149].abs() < 1e-6, "{}", fade[149]);
        let quiet: Vec<f32> = src.by_ref().take(2000).collect();
        assert!(quiet.iter().all(|&s| s == 0.0));
        assert_eq!(controls.frame(), 480);
        controls.set_paused(false);
        // Within one block the resume tone starts, and the session fades in from frame 480.
        let resumed: Vec<f32> = src.by_ref().take(1000).collect();
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
        let _ = src.by_ref().take(480).count();
        controls.seek(1000);
        let around: Vec<f32> = src.by_ref().take(480 + 50).collect();
        // 50 frames of fade out, then 50 of fade in from frame 1000.
        assert!(around[49].abs() < 1e-6);
        assert!(
            (around[99] - 1049.0 / 2000.0).abs() < 1e-6,
            "{}",
            around[99]
        );
        controls.set_volume(0.5);
        let rest: Vec<f32> = src.collect();
        let last = *rest.last().unwrap();
        assert!((last - 0.5 * 1999.0 / 2000.0).abs() < 1e-6, "{last}");
    }

    #[test]
    fn bed_loops_fades_and_ducks_under_voice() {
        let c = clips();
        // Voice "a" (10 frames) at 50; the session is 60 frames long.
        let t = timeline(vec![(50, "a")], &c);
        let bed: Arc<[f32]> = vec![1.0, 0.5].into();
        let mut m = Mixer::new(&t, &c).unwrap().with_bed(bed, 0.5, &t);
        let mut out = vec![0.0; 60];
        m.fill(&mut out);
        // At 100 Hz: fade in over 300 frames, attack 30, release 80, fade out 400 frames.
        let b = m.bed.clone().unwrap();
        let floor = crate::loudness::db_to_gain(DUCK_DB) as f32;
        assert!((b.gain_at(55, 60) - 0.5 * (5.0 / 400.0) * floor).abs() < 1e-6);
        assert!(
            b.gain_at(10, 60) < b.gain_at(20, 60) + 1e-6,
            "fade in rises"
        );
        // Before the attack window the bed is free; inside it, it is going down.
        assert!((b.gain_at(15, 60) - 0.5 * (15.0 / 300.0)).abs() < 1e-6);
        // (Here the fade-out toward the end at 60 is the smaller edge: 25 of 400 frames.)
        let halfway = 0.5 * (25.0 / 400.0) * (1.0 - 0.5 * (1.0 - floor));
        assert!((b.gain_at(35, 60) - halfway).abs() < 1e-6);
        // The loop: frame 20 reads sample 0, frame 21 sample 1.
        assert!((out[20] - b.gain_at(20, 60)).abs() < 1e-6);
        assert!((out[21] - 0.5 * b.gain_at(21, 60)).abs() < 1e-6);
        // Seeking gives the same bed samples.
        let mut again = Mixer::new(&t, &c)
            .unwrap()
            .with_bed(vec![1.0, 0.5].into(), 0.5, &t);
        again.seek(21);
        let mut rest = vec![0.0; 39];
        again.fill(&mut rest);
        assert_eq!(rest, out[21..]);
    }
}
