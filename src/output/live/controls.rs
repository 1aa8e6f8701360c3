//! The controls live playback moves its source with: shared between the audio thread and the
//! play loop, atomics only (no lock), read by the source at block boundaries.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

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

    /// The source's side: the frame a seek asked for, if one is pending (taken, so it is
    /// answered once).
    pub(crate) fn take_seek(&self) -> Option<u64> {
        let seek = self.seek.swap(NO_SEEK, Ordering::Relaxed);
        (seek != NO_SEEK).then_some(seek)
    }

    /// The source's side: one more block made, with the timeline frame now being played.
    pub(crate) fn made_block(&self, frame: u64) {
        self.frame.store(frame, Ordering::Relaxed);
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }

    /// The source's side: its last sample has been produced.
    pub(crate) fn set_finished(&self) {
        self.finished.store(true, Ordering::Release);
    }
}
