//! Clips prepared while the session plays: a worker thread decodes, loudness-matches and
//! resamples each clip in order of first use, a little ahead of the play head, hands it to the
//! mixer through a [`Feed`], and frees what the mixer hands back. Only the clips near the play
//! head are held, and the pack stays compressed until a clip is needed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::Duration;

use crate::cue::Cue;
use crate::mix::{Feed, Mixer, slots, soonest_slots};
use crate::pack::{ClipFile, PackError, PackFiles};
use crate::resample::Resamplers;
use crate::timeline::Timeline;
use crate::units::frames;

/// How far ahead of the play head clips are prepared, in seconds.
const AHEAD_SECS: f64 = 10.0;
/// A clip not needed within this many seconds is handed back (more than [`AHEAD_SECS`], so a
/// clip just prepared is never handed straight back).
const KEEP_SECS: f64 = 15.0;
/// The longest an idle worker sleeps before it looks at the play head again. It sleeps until the
/// next clip comes within [`AHEAD_SECS`] (the play head moves in real time), or until a jump
/// wakes it ([`Supply::jumped`]), rather than waiting on the mixer's channel, so the audio thread
/// never has a waiting thread to wake (which takes a lock).
const IDLE: Duration = Duration::from_secs(1);
/// How many frames of clips a render prepares ahead, however far away they are
/// ([`soonest_slots`]), in seconds: as much as the look-ahead holds where speech is densest, so
/// the render holds no more clips at once than before, while its workers prepare the next clips
/// long before the play head (hundreds of times faster than real time) comes near them.
const AHEAD_RENDER_SECS: f64 = AHEAD_SECS;
/// How often a render's idle worker looks again: its play head runs hundreds of times faster
/// than real time.
const IDLE_RENDER: Duration = Duration::from_millis(1);

/// Prepares the clips of a session as it plays; one worker per mixer.
#[derive(Debug, Clone)]
pub struct Supply {
    files: Arc<HashMap<Cue, ClipFile>>,
    rate: u32,
    wait: bool,
    error: Arc<Mutex<Option<PackError>>>,
    failed: Arc<AtomicBool>,
    /// The newest mixer's workers, to wake at a jump.
    newest: Arc<Mutex<Option<Workers>>>,
    /// Test hook, an artificially slow decoder: sleep this long before preparing each clip.
    pub slow: Duration,
}

impl Supply {
    /// Clips of `files` at `rate`. A mixer for a render (`wait`) blocks until a due clip is
    /// ready; a live one plays on and its source holds the session until the clip is there.
    pub fn new(files: &PackFiles, rate: u32, wait: bool) -> Supply {
        Supply {
            files: Arc::new(files.files.clone()),
            rate,
            wait,
            error: Arc::default(),
            failed: Arc::default(),
            newest: Arc::default(),
            slow: Duration::ZERO,
        }
    }

    /// A mixer for `timeline` positioned at `from`, and its worker, started.
    pub fn mixer(&self, timeline: &Timeline, from: u64) -> Mixer {
        let order = slots(timeline);
        let n = order.len();
        let mut uses = vec![Vec::new(); n];
        let index: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        for e in &timeline.events {
            uses[index[e.cue.as_str()]].push((e.frame, e.end()));
        }
        let (to_mixer, incoming) = sync_channel(n + 1);
        let (returned, from_mixer) = sync_channel(2 * n + 2);
        let position = Arc::new(AtomicU64::new(from));
        // Renders prepare on two threads (the machine's cores); live playback on one.
        let shared = Arc::new(Mutex::new(Shared {
            held: vec![false; n],
            busy: vec![false; n],
            synthesized: HashMap::new(),
            from_mixer,
        }));
        let order: Arc<[Cue]> = order.into();
        let uses: Arc<[Vec<(u64, u64)>]> = uses.into();
        let mut threads = Vec::new();
        for _ in 0..if self.wait { 2 } else { 1 } {
            let worker = Worker {
                supply: self.clone(),
                order: order.clone(),
                uses: uses.clone(),
                position: position.clone(),
                to_mixer: to_mixer.clone(),
                shared: shared.clone(),
                ahead: frames(AHEAD_SECS, self.rate),
            };
            match std::thread::Builder::new()
                .name("balasana-prepare".into())
                .spawn(move || worker.run())
            {
                Ok(handle) => threads.push(handle.thread().clone()),
                Err(e) => self.fail(PackError::Worker(e.to_string())),
            }
        }
        drop(to_mixer);
        if let Ok(mut newest) = self.newest.lock() {
            *newest = Some(Workers {
                position: position.clone(),
                threads,
            });
        }
        let mut mixer = Mixer::fed(
            timeline,
            Feed {
                incoming,
                returned,
                position,
                wait: self.wait,
                keep: frames(KEEP_SECS, self.rate),
                ahead: self.ahead_render(),
            },
        );
        mixer.seek(from);
        mixer
    }

    /// Frames of clips prepared however far ahead ([`AHEAD_RENDER_SECS`]; none when live).
    fn ahead_render(&self) -> u64 {
        if self.wait {
            frames(AHEAD_RENDER_SECS, self.rate)
        } else {
            0
        }
    }

    /// Tells the newest mixer's workers that the play head jumps to `to`, so they prepare the
    /// clips there now instead of when they next wake.
    pub fn jumped(&self, to: u64) {
        if let Ok(newest) = self.newest.lock()
            && let Some(workers) = newest.as_ref()
        {
            workers.position.store(to, Ordering::Relaxed);
            workers.threads.iter().for_each(Thread::unpark);
        }
    }

    /// Whether a clip could not be prepared ([`Supply::error`] says which).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// The first clip that could not be prepared.
    pub fn error(&self) -> Option<PackError> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    fn fail(&self, error: PackError) {
        if let Ok(mut e) = self.error.lock() {
            e.get_or_insert(error);
        }
        self.failed.store(true, Ordering::Relaxed);
    }

    /// The clip of `cue`, prepared now on this thread (the pause and resume tones).
    pub fn clip(&self, cue: &Cue) -> Result<Arc<[f32]>, PackError> {
        self.prepare(cue, &mut Resamplers::default())
    }

    /// Prepares the clip of `cue`: the pack's, or a synthesized chime.
    fn prepare(&self, cue: &Cue, resamplers: &mut Resamplers) -> Result<Arc<[f32]>, PackError> {
        if !self.slow.is_zero() {
            std::thread::sleep(self.slow);
        }
        match self.files.get(cue) {
            Some(file) => file.prepare(self.rate, resamplers),
            None => Ok(cue
                .chime()
                .map_or_else(|| Arc::from([]), |c| c.synthesize(self.rate))),
        }
    }
}

/// The workers of one mixer and the play head they read.
#[derive(Debug)]
struct Workers {
    position: Arc<AtomicU64>,
    threads: Vec<Thread>,
}

/// What the workers of one mixer share.
struct Shared {
    /// Slots the mixer holds (or that are on their way to it).
    held: Vec<bool>,
    /// Slots a worker is preparing.
    busy: Vec<bool>,
    /// Synthesized chimes come back again and again (breath pacing): made once, kept here.
    synthesized: HashMap<usize, Arc<[f32]>>,
    /// Clips the mixer hands back, freed here.
    from_mixer: Receiver<(usize, Arc<[f32]>)>,
}

struct Worker {
    supply: Supply,
    order: Arc<[Cue]>,
    uses: Arc<[Vec<(u64, u64)>]>,
    position: Arc<AtomicU64>,
    to_mixer: SyncSender<(usize, Arc<[f32]>)>,
    shared: Arc<Mutex<Shared>>,
    ahead: u64,
}

impl Worker {
    /// How long to sleep when the next clip is needed `frames` frames of play from now (never,
    /// for `None`).
    fn idle(&self, frames: Option<u64>) -> Duration {
        if self.supply.wait {
            return IDLE_RENDER;
        }
        frames.map_or(IDLE, |f| {
            Duration::from_secs_f64(f as f64 / f64::from(self.supply.rate)).min(IDLE)
        })
    }

    /// Prepares the next needed clip, again and again, until the mixer is gone or a clip fails.
    fn run(self) {
        let mut resamplers = Resamplers::default();
        let mut order = Vec::with_capacity(self.order.len());
        let ahead = self.supply.ahead_render();
        while !self.supply.failed() {
            let Ok(mut shared) = self.shared.lock() else {
                return;
            };
            loop {
                match shared.from_mixer.try_recv() {
                    Ok((slot, clip)) => {
                        shared.held[slot] = false;
                        drop(clip);
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            let at = self.position.load(Ordering::Relaxed);
            let soonest = (0..self.order.len())
                .filter(|&slot| !shared.held[slot] && !shared.busy[slot])
                .filter_map(|slot| {
                    let uses = &self.uses[slot];
                    let i = uses.partition_point(|&(_, end)| end <= at);
                    uses.get(i).map(|&(start, _)| (start, slot))
                })
                .min();
            let horizon = at.saturating_add(self.ahead);
            let upcoming = soonest_slots(&self.uses, at, ahead, &mut order);
            let slot = match soonest {
                Some((start, slot))
                    if start <= horizon || upcoming.iter().any(|&(_, _, s)| s == slot) =>
                {
                    slot
                }
                _ => {
                    drop(shared);
                    std::thread::park_timeout(self.idle(soonest.map(|(start, _)| start - horizon)));
                    continue;
                }
            };
            shared.busy[slot] = true;
            let kept = shared.synthesized.get(&slot).cloned();
            drop(shared);
            let cue = &self.order[slot];
            let made = match kept {
                Some(clip) => Ok(clip),
                None => self.supply.prepare(cue, &mut resamplers),
            };
            let Ok(mut shared) = self.shared.lock() else {
                return;
            };
            shared.busy[slot] = false;
            match made {
                Ok(clip) => {
                    if !self.supply.files.contains_key(cue) {
                        shared.synthesized.insert(slot, clip.clone());
                    }
                    if self.to_mixer.try_send((slot, clip)).is_err() {
                        return;
                    }
                    shared.held[slot] = true;
                }
                Err(e) => {
                    self.supply.fail(e);
                    return;
                }
            }
        }
    }
}
