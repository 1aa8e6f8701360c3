//! The mixer: a timeline and its clips turned into samples, counted frame by frame.
//!
//! Every event starts at exactly its frame; nothing here sleeps or reads a clock. The same
//! [`Mixer`] feeds the live device (through `output::source::MixSource`) and the WAV renderer, so
//! both produce the very same samples. Clips are held in slots, one per cue: either all given at
//! the start ([`Mixer::new`]) or handed in while playing by a preparation worker through a
//! [`Feed`], which also takes back the clips no longer near. `fill` allocates nothing, frees
//! nothing and takes no lock; only a feed that waits (renders) blocks on its channel.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use crate::cue::Cue;
use crate::timeline::{Layer, Timeline};

/// Clips ready to mix: mono, at one output rate, shared without copying (what
/// [`Mixer::new`] takes when every clip is given at the start).
#[derive(Debug, Clone)]
pub struct Clips {
    /// Samples per second.
    pub rate: u32,
    /// Samples by cue id, chimes included.
    pub by_cue: HashMap<Cue, Arc<[f32]>>,
}

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

#[derive(Debug, Clone, Copy)]
struct Scheduled {
    frame: u64,
    slot: usize,
    len: u64,
    gain: f32,
}

#[derive(Debug, Clone, Copy)]
struct Voice {
    slot: usize,
    /// Next sample of the clip to play.
    pos: usize,
    len: usize,
    gain: f32,
}

/// How prepared clips reach a mixer while it plays, and go back when no longer near.
#[derive(Debug)]
pub struct Feed {
    /// Prepared clips by slot (see [`slots`]).
    pub incoming: Receiver<(usize, Arc<[f32]>)>,
    /// Clips handed back by slot, to be freed off the audio thread.
    pub returned: SyncSender<(usize, Arc<[f32]>)>,
    /// The mixer's position, published for the worker after every block and seek.
    pub position: Arc<AtomicU64>,
    /// Block until a due clip arrives (renders); else play on without it (live, where the
    /// source holds the session before a clip that is not [`Mixer::ready`]).
    pub wait: bool,
    /// A clip whose next use starts more than this many frames ahead is handed back...
    pub keep: u64,
    /// ...unless it is among the [`soonest_slots`] within this many frames of clips (renders,
    /// whose workers prepare that far ahead whatever the distance; 0 for none).
    pub ahead: u64,
}

/// The slots whose next use (under way at `at`, or after it) comes soonest, in order of that use,
/// while the lengths of those uses add up to at most `frames`: the clips a render prepares and
/// keeps ahead of its play head however far away they are, so its workers never wait for the
/// play head to come near. `uses` are each slot's (start, end) frames, sorted; `order` is
/// scratch space (reserved for every slot, it never grows). Returns (start, end, slot) triples.
pub fn soonest_slots<'a>(
    uses: &[Vec<(u64, u64)>],
    at: u64,
    frames: u64,
    order: &'a mut Vec<(u64, u64, usize)>,
) -> &'a [(u64, u64, usize)] {
    order.clear();
    if frames == 0 {
        return order;
    }
    order.extend(uses.iter().enumerate().filter_map(|(slot, uses)| {
        let i = uses.partition_point(|&(_, end)| end <= at);
        uses.get(i).map(|&(start, end)| (start, end, slot))
    }));
    order.sort_unstable();
    let mut lengths = 0;
    let within = order
        .iter()
        .take_while(|&&(start, end, _)| {
            lengths += end - start;
            lengths <= frames
        })
        .count();
    order.truncate(within);
    order
}

/// The cues of a timeline in order of first use: slot `i` of a mixer holds clip `slots()[i]`.
pub fn slots(timeline: &Timeline) -> Vec<Cue> {
    let mut seen = HashMap::new();
    let mut order = Vec::new();
    for e in &timeline.events {
        seen.entry(e.cue.as_str()).or_insert_with(|| {
            order.push(e.cue.clone());
            order.len() - 1
        });
    }
    order
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
#[derive(Debug)]
pub struct Mixer {
    schedule: Arc<[Scheduled]>,
    /// Index of the first event not yet started.
    next: usize,
    active: Vec<Voice>,
    frame: u64,
    end: u64,
    bed: Option<Bed>,
    /// The clip of each slot, when held.
    clips: Vec<Option<Arc<[f32]>>>,
    /// Each slot's uses as (start, end) frames, sorted.
    uses: Vec<Vec<(u64, u64)>>,
    feed: Option<Feed>,
    /// Clips waiting to go back when the feed's channel was full.
    returning: Vec<(usize, Arc<[f32]>)>,
    /// Scratch space for [`soonest_slots`], reserved for every slot.
    soonest: Vec<(u64, u64, usize)>,
}

impl Mixer {
    /// Prepares a mixer positioned at frame 0, with every clip at hand.
    pub fn new(timeline: &Timeline, clips: &Clips) -> Result<Mixer, MixError> {
        if timeline.rate != clips.rate {
            return Err(MixError::RateMismatch {
                timeline: timeline.rate,
                clips: clips.rate,
            });
        }
        let held = slots(timeline)
            .iter()
            .map(|cue| {
                clips
                    .by_cue
                    .get(cue)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| MixError::MissingClip(cue.to_string()))
            })
            .collect::<Result<Vec<_>, MixError>>()?;
        let lens: Vec<u64> = held.iter().flatten().map(|c| c.len() as u64).collect();
        Ok(Mixer::build(timeline, held, |slot, _| lens[slot], None))
    }

    /// A mixer positioned at frame 0 whose clips arrive through `feed` while it plays, each as
    /// long as the timeline says.
    pub fn fed(timeline: &Timeline, feed: Feed) -> Mixer {
        let n = slots(timeline).len();
        Mixer::build(timeline, vec![None; n], |_, duration| duration, Some(feed))
    }

    fn build(
        timeline: &Timeline,
        clips: Vec<Option<Arc<[f32]>>>,
        len: impl Fn(usize, u64) -> u64,
        feed: Option<Feed>,
    ) -> Mixer {
        let order = slots(timeline);
        let index: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let schedule: Vec<Scheduled> = timeline
            .events
            .iter()
            .map(|e| {
                let slot = index[e.cue.as_str()];
                Scheduled {
                    frame: e.frame,
                    slot,
                    len: len(slot, e.duration),
                    gain: e.gain,
                }
            })
            .collect();
        let mut uses = vec![Vec::new(); order.len()];
        for s in &schedule {
            uses[s.slot].push((s.frame, s.frame + s.len));
        }
        let most_at_once = max_overlap(&schedule);
        let mut mixer = Mixer {
            schedule: schedule.into(),
            next: 0,
            active: Vec::with_capacity(most_at_once),
            frame: 0,
            end: timeline.duration,
            bed: None,
            clips,
            returning: Vec::with_capacity(2 * uses.len()),
            soonest: Vec::with_capacity(uses.len()),
            uses,
            feed,
        };
        mixer.seek(0);
        mixer
    }

    /// Adds an ambience bed (mono, at the timeline's rate) at linear `gain`, looped under the
    /// session and ducked under the timeline's voice events.
    pub fn with_bed(mut self, samples: Arc<[f32]>, gain: f32, timeline: &Timeline) -> Mixer {
        let frames = |s: f64| crate::units::frames(s, timeline.rate);
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
            let pos = frame - s.frame;
            if pos < s.len {
                self.active.push(Voice {
                    slot: s.slot,
                    pos: pos as usize,
                    len: s.len as usize,
                    gain: s.gain,
                });
            }
        }
        self.publish();
    }

    /// Whether every clip sounding in the next `frames` frames is at hand (always, without a
    /// feed). Takes in the clips that have arrived.
    pub fn ready(&mut self, frames: u64) -> bool {
        self.receive();
        let until = self.frame.saturating_add(frames);
        self.active.iter().all(|v| self.clips[v.slot].is_some())
            && self.schedule[self.next..]
                .iter()
                .take_while(|s| s.frame < until)
                .all(|s| self.clips[s.slot].is_some())
    }

    /// Whether anything sounds at the current frame (a clip under way, or the bed).
    pub fn sounding(&self) -> bool {
        !self.active.is_empty() || self.bed.is_some()
    }

    /// Whether every clip sounding in `frames` frames from `frame` is at hand.
    pub fn ready_at(&mut self, frame: u64, frames: u64) -> bool {
        self.receive();
        let until = frame.saturating_add(frames);
        let due = self.schedule.partition_point(|s| s.frame < until);
        self.schedule[..due]
            .iter()
            .all(|s| s.frame + s.len <= frame || self.clips[s.slot].is_some())
    }

    /// Blocks until [`Mixer::ready`] for `frames`, or the feed has nothing more to give.
    pub fn wait_ready(&mut self, frames: u64) {
        while !self.ready(frames) {
            let Some(Ok((slot, clip))) = self.feed.as_ref().map(|f| f.incoming.recv()) else {
                return;
            };
            self.take(slot, clip);
        }
    }

    /// Writes the next mono frames into `out`; returns how many were written (fewer than
    /// `out.len()` only at the end of the session).
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        self.receive();
        let n = (self.end - self.frame).min(out.len() as u64) as usize;
        let out = &mut out[..n];
        out.fill(0.0);
        let mut done = 0;
        while done < n {
            // Start every event due at this frame.
            while let Some(&s) = self.schedule.get(self.next) {
                if s.frame > self.frame {
                    break;
                }
                self.arrive(s.slot);
                self.active.push(Voice {
                    slot: s.slot,
                    pos: (self.frame - s.frame) as usize,
                    len: s.len as usize,
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
                if let Some(clip) = &self.clips[voice.slot] {
                    let rest = &clip[voice.pos.min(clip.len())..];
                    let take = rest.len().min(span);
                    for (o, &s) in segment.iter_mut().zip(&rest[..take]) {
                        *o += s * voice.gain;
                    }
                }
                voice.pos += span;
            }
            self.active.retain(|v| v.pos < v.len);
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
        self.release();
        self.publish();
        n
    }

    /// Takes in every clip that has arrived, without waiting.
    fn receive(&mut self) {
        while let Some(Ok((slot, clip))) = self.feed.as_ref().map(|f| f.incoming.try_recv()) {
            self.take(slot, clip);
        }
    }

    /// Holds `clip` in `slot`; a clip it replaces goes back.
    fn take(&mut self, slot: usize, clip: Arc<[f32]>) {
        if let Some(old) = self.clips.get_mut(slot).and_then(|c| c.replace(clip)) {
            self.give_back(slot, old);
        }
    }

    /// With a feed that waits: blocks until the clip of `slot` is here (or the feed is gone).
    fn arrive(&mut self, slot: usize) {
        while self.clips[slot].is_none() {
            let Some(Ok((s, clip))) = self
                .feed
                .as_ref()
                .filter(|f| f.wait)
                .map(|f| f.incoming.recv())
            else {
                return;
            };
            self.take(s, clip);
        }
    }

    /// Hands back every held clip that is not sounding and not needed within the feed's `keep`.
    fn release(&mut self) {
        let Some((keep, ahead)) = self.feed.as_ref().map(|f| (f.keep, f.ahead)) else {
            return;
        };
        while let Some(clip) = self.returning.pop() {
            if let Some(Err(TrySendError::Full(clip))) =
                self.feed.as_ref().map(|f| f.returned.try_send(clip))
            {
                self.returning.push(clip);
                break;
            }
        }
        let mut soonest = std::mem::take(&mut self.soonest);
        let kept = soonest_slots(&self.uses, self.frame, ahead, &mut soonest);
        for slot in 0..self.clips.len() {
            if self.clips[slot].is_none()
                || self.active.iter().any(|v| v.slot == slot)
                || kept.iter().any(|&(_, _, s)| s == slot)
            {
                continue;
            }
            let uses = &self.uses[slot];
            let i = uses.partition_point(|&(_, end)| end <= self.frame);
            let near = uses
                .get(i)
                .is_some_and(|&(start, _)| start <= self.frame.saturating_add(keep));
            if !near && let Some(clip) = self.clips[slot].take() {
                self.give_back(slot, clip);
            }
        }
        self.soonest = soonest;
    }

    /// Sends a clip back to be freed off this thread; if the channel is full it waits in
    /// `returning` (reserved for every slot twice over, so it never grows) for the next block.
    fn give_back(&mut self, slot: usize, clip: Arc<[f32]>) {
        if let Some(feed) = &self.feed {
            match feed.returned.try_send((slot, clip)) {
                Ok(()) => {}
                Err(TrySendError::Full(clip) | TrySendError::Disconnected(clip)) => {
                    if self.returning.len() < self.returning.capacity() {
                        self.returning.push(clip);
                    }
                }
            }
        }
    }

    /// Tells the feed where the mixer is.
    fn publish(&self) {
        if let Some(feed) = &self.feed {
            feed.position.store(self.frame, Ordering::Relaxed);
        }
    }
}

/// The most events sounding at once, so the active list never reallocates.
fn max_overlap(schedule: &[Scheduled]) -> usize {
    let mut edges: Vec<(u64, i32)> = schedule
        .iter()
        .flat_map(|s| [(s.frame, 1), (s.frame + s.len, -1)])
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::timeline::Event;
    use std::collections::HashMap;

    /// A timeline of voice events at their frames, each as long as its clip.
    pub(crate) fn timeline(events: Vec<(u64, &str)>, clips: &Clips) -> Timeline {
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
            labels: Default::default(),
        }
    }

    pub(crate) fn clips() -> Clips {
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
    fn soonest_slots_take_the_next_uses_in_order_while_their_lengths_fit() {
        // Slot 0 used at 100..140 and 500..540, slot 1 at 300..400, slot 2 at 50..60.
        let uses = vec![
            vec![(100, 140), (500, 540)],
            vec![(300, 400)],
            vec![(50, 60)],
        ];
        let mut order = Vec::with_capacity(3);
        let slots = |at, frames, order: &mut Vec<_>| -> Vec<usize> {
            soonest_slots(&uses, at, frames, order)
                .iter()
                .map(|&(_, _, slot)| slot)
                .collect()
        };
        assert_eq!(slots(0, 50, &mut order), [2, 0]);
        assert_eq!(slots(0, 49, &mut order), [2]);
        assert_eq!(slots(0, 150, &mut order), [2, 0, 1]);
        // A use under way counts; a finished one gives way to the slot's next use.
        assert_eq!(slots(55, 50, &mut order), [2, 0]);
        assert_eq!(slots(150, 1_000, &mut order), [1, 0]);
        assert_eq!(slots(0, 0, &mut order), Vec::<usize>::new());
        assert_eq!(order.capacity(), 3, "the scratch space never grows");
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
