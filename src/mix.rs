//! The mixer: a timeline and its clips turned into samples, counted frame by frame.
//!
//! Every event starts at exactly its frame; nothing here sleeps or reads a clock. The same
//! [`Mixer`] feeds the live device (through [`MixSource`], a rodio `Source`) and the WAV renderer,
//! so both produce the very same samples. `next()` does no allocation, lock or I/O.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rodio::Source;

use crate::pack::Clips;
use crate::timeline::Timeline;

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

/// Mixes a timeline's events into mono frames, for any range of frames.
#[derive(Debug, Clone)]
pub struct Mixer {
    schedule: Arc<[Scheduled]>,
    /// Index of the first event not yet started.
    next: usize,
    active: Vec<Voice>,
    frame: u64,
    end: u64,
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
                    .ok_or_else(|| MixError::MissingClip(e.cue.clone()))?;
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
        };
        mixer.seek(0);
        Ok(mixer)
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

/// Shared between the audio thread and the rest of the program, read at block boundaries.
#[derive(Debug, Default)]
pub struct Controls {
    /// Frames produced so far (the mixer position).
    pub frame: AtomicU64,
    /// Set to ask for a fade-out and stop.
    pub stop: AtomicBool,
    /// Set by the source once it has produced its last sample.
    pub finished: AtomicBool,
}

/// Frames mixed per block; controls are read between blocks (~10 ms at 48 kHz).
const BLOCK: usize = 480;

/// The mixer as a rodio `Source`: mono frames copied to every output channel, with a short
/// fade-out when asked to stop.
pub struct MixSource {
    mixer: Mixer,
    controls: Arc<Controls>,
    channels: u16,
    rate: u32,
    block: [f32; BLOCK],
    len: usize,
    pos: usize,
    channel: u16,
    /// Frames of fade left once stopping; `None` while playing normally.
    fade_left: Option<u32>,
    fade_len: u32,
}

impl MixSource {
    /// Wraps a mixer for a device with `channels` channels; stopping fades out over `fade_secs`.
    pub fn new(
        mixer: Mixer,
        controls: Arc<Controls>,
        channels: u16,
        rate: u32,
        fade_secs: f64,
    ) -> Self {
        let fade_len = ((fade_secs * f64::from(rate)) as u32).max(1);
        MixSource {
            mixer,
            controls,
            channels: channels.max(1),
            rate,
            block: [0.0; BLOCK],
            len: 0,
            pos: 0,
            channel: 0,
            fade_left: None,
            fade_len,
        }
    }

    /// Mixes the next block; false at the end.
    fn refill(&mut self) -> bool {
        if self.fade_left.is_none() && self.controls.stop.load(Ordering::Relaxed) {
            self.fade_left = Some(self.fade_len);
        }
        if self.fade_left == Some(0) {
            return false;
        }
        self.len = self.mixer.fill(&mut self.block);
        if let Some(left) = self.fade_left.as_mut() {
            for (i, s) in self.block[..self.len].iter_mut().enumerate() {
                *left = left.saturating_sub(1);
                *s *= *left as f32 / self.fade_len as f32;
                if *left == 0 {
                    self.len = i + 1;
                    break;
                }
            }
        }
        self.pos = 0;
        self.controls
            .frame
            .store(self.mixer.position(), Ordering::Relaxed);
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
        Some(std::time::Duration::from_secs_f64(
            self.mixer.len() as f64 / f64::from(self.rate),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Event, Layer};
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
        }
    }

    fn clips() -> Clips {
        let mut by_cue: HashMap<String, Arc<[f32]>> = HashMap::new();
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

    #[test]
    fn source_duplicates_channels_and_fades_on_stop() {
        let c = clips();
        let t = timeline(vec![(0, "a")], &c);
        let controls = Arc::new(Controls::default());
        let src = MixSource::new(Mixer::new(&t, &c).unwrap(), controls.clone(), 2, 100, 0.05);
        let all: Vec<f32> = src.collect();
        assert_eq!(all.len(), 20);
        assert!(all.iter().all(|&s| s == 1.0));
        assert!(controls.finished.load(Ordering::Acquire));

        let controls = Arc::new(Controls::default());
        controls.stop.store(true, Ordering::Relaxed);
        let src = MixSource::new(Mixer::new(&t, &c).unwrap(), controls, 1, 100, 0.05);
        let faded: Vec<f32> = src.collect();
        assert_eq!(faded, vec![0.8, 0.6, 0.4, 0.2, 0.0]);
    }
}
