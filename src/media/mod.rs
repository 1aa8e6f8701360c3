//! The media controls: a live session as an MPRIS player on the D-Bus session bus, so headset
//! buttons, media keys, the desktop's media panel and lock screen, and `playerctl` reach it.
//!
//! It runs on a thread of its own ([`bus`]), which sends the requests the keys send into the
//! play loop's one channel ([`player`]) and reads the state the loop reports through atomics
//! ([`Shared`]); the session's steps are its tracks ([`tracks`], pure and tested without a
//! bus). The loop never waits for it: it stores the state and rings a doorbell that never
//! blocks. No session bus, or one that never answers, holds only that thread, which is left
//! behind at exit.

mod bus;
mod player;
mod tracks;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::Instant;

use crate::output::live::{Request, Status};
use tracks::Playback;
pub use tracks::Tracks;

/// The media controls of one live session. Dropping it ends its thread once the thread next
/// looks (at once, unless it is stuck on the bus).
#[derive(Debug)]
pub struct MediaControls {
    shared: Arc<Shared>,
    doorbell: async_channel::Sender<()>,
}

impl MediaControls {
    /// Offers the session's `tracks` to the session bus, on a thread of its own; what a client
    /// asks for goes into `requests`. Returns at once: the bus is reached, or not, meanwhile,
    /// and without a bus nothing is printed and nothing is tried again.
    pub fn start(tracks: Tracks, requests: Sender<Request>) -> MediaControls {
        let shared = Arc::new(Shared::default());
        let (doorbell, rung) = async_channel::bounded(1);
        let player = player::Mpris::new(Arc::new(tracks), shared.clone(), requests);
        // Never joined: a bus that does not answer holds this thread, not the session or its
        // exit. A thread that cannot be started leaves the keys as they were.
        let _ = std::thread::Builder::new()
            .name("media-controls".into())
            .spawn(move || bus::serve(player, rung));
        MediaControls { shared, doorbell }
    }

    /// Tells the controls how playback stands; never waits.
    pub fn show(&self, status: &Status) {
        self.shared.report(status);
        self.ring();
    }

    /// Tells the controls the session is over; never waits.
    pub fn end(&self) {
        self.shared.end();
        self.ring();
    }

    /// Wakes the media thread to announce what changed. A ring already waiting is enough: the
    /// thread reads the latest state when it wakes.
    fn ring(&self) {
        let _ = self.doorbell.try_send(());
    }
}

/// The play loop's latest state, in atomics: the loop writes it, the media thread reads it, and
/// neither waits for the other.
#[derive(Debug)]
struct Shared {
    /// When the controls started: report times are counted from it.
    epoch: Instant,
    frame: AtomicU64,
    /// Microseconds after `epoch` when `frame` was reported.
    reported_at: AtomicU64,
    paused: AtomicBool,
    ended: AtomicBool,
    /// The bits of the `f64` volume in dB.
    volume_db: AtomicU64,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            epoch: Instant::now(),
            frame: AtomicU64::new(0),
            reported_at: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            volume_db: AtomicU64::new(0f64.to_bits()),
        }
    }
}

impl Shared {
    /// Stores what the loop reports, and when.
    fn report(&self, status: &Status) {
        let now = self.epoch.elapsed().as_micros();
        self.frame.store(status.frame, Ordering::Relaxed);
        self.reported_at
            .store(u64::try_from(now).unwrap_or(u64::MAX), Ordering::Relaxed);
        self.paused.store(status.paused, Ordering::Relaxed);
        self.volume_db
            .store(status.volume_db.to_bits(), Ordering::Relaxed);
    }

    /// Marks the session over.
    fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    /// The state last reported, with its age.
    fn playback(&self) -> Playback {
        let reported = std::time::Duration::from_micros(self.reported_at.load(Ordering::Relaxed));
        Playback {
            frame: self.frame.load(Ordering::Relaxed),
            age: self.epoch.elapsed().saturating_sub(reported),
            paused: self.paused.load(Ordering::Relaxed),
            ended: self.ended.load(Ordering::Relaxed),
            volume_db: f64::from_bits(self.volume_db.load(Ordering::Relaxed)),
        }
    }
}
