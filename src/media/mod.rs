//! The media controls: a live session as an MPRIS player on the D-Bus session bus, so headset
//! buttons, media keys, the desktop's media panel and lock screen, and `playerctl` reach it.
//!
//! It runs on a thread of its own ([`bus`]), which answers clients' calls ([`player`], on the
//! object [`interfaces`] declares, with the values [`value`] marshals), sends the requests the
//! keys send into the play loop's one channel, and reads the state the loop reports through
//! atomics ([`Shared`]); the session's steps are its tracks ([`tracks`], pure and tested without
//! a bus). The loop never waits for it: it stores the state and, only when what the controls
//! announce changed, rings a doorbell that never blocks. No session bus, or one that never
//! answers, holds only that thread, which is left behind at exit.

mod bus;
mod interfaces;
mod player;
mod tracks;
mod value;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::Instant;

use crate::output::live::{Request, Status};
use tracks::Playback;
pub use tracks::Tracks;

/// The media controls of one live session. Dropping it closes the doorbell, which ends its
/// thread at once (unless the thread is stuck on the bus).
#[derive(Debug)]
pub struct MediaControls {
    tracks: Arc<Tracks>,
    shared: Arc<Shared>,
    /// The play loop's end of a socket pair, never blocking: a byte written wakes the media
    /// thread, which sleeps in `poll` on the other end and the bus.
    doorbell: Option<UnixStream>,
}

impl MediaControls {
    /// Offers the session's `tracks` to the session bus, on a thread of its own; what a client
    /// asks for goes into `requests`. Returns at once: the bus is reached, or not, meanwhile,
    /// and without a bus nothing is printed and nothing is tried again.
    pub fn start(tracks: Tracks, requests: Sender<Request>) -> MediaControls {
        let tracks = Arc::new(tracks);
        let shared = Arc::new(Shared::default());
        let player = player::Mpris::new(tracks.clone(), shared.clone(), requests);
        // Without a socket pair or a thread the keys work as they were, and nothing rings.
        let doorbell = UnixStream::pair()
            .and_then(|(ring, hear)| {
                ring.set_nonblocking(true)?;
                hear.set_nonblocking(true)?;
                // Never joined: a bus that does not answer holds this thread, not the session
                // or its exit.
                std::thread::Builder::new()
                    .name("media-controls".into())
                    .spawn(move || bus::serve(player, hear))?;
                Ok(ring)
            })
            .ok();
        MediaControls {
            tracks,
            shared,
            doorbell,
        }
    }

    /// Tells the controls how playback stands; never waits. The media thread is woken only
    /// when what it announces changed (another step, status or volume, or a jump back), not as
    /// time passes.
    pub fn show(&self, status: &Status) {
        let before = self.tracks.view(&self.shared.playback());
        self.shared.report(status);
        let after = self.tracks.view(&self.shared.playback());
        if self.tracks.jumped_back(&before, &after) {
            self.shared.jumps_back.fetch_add(1, Ordering::Relaxed);
        }
        if self.tracks.announces(&before, &after) {
            self.ring();
        }
    }

    /// Tells the controls the session is over; never waits.
    pub fn end(&self) {
        self.shared.end();
        self.ring();
    }

    /// Wakes the media thread to announce what changed. A ring already waiting is enough (a
    /// full socket refuses the byte at once): the thread reads the latest state when it wakes.
    fn ring(&self) {
        if let Some(mut doorbell) = self.doorbell.as_ref() {
            let _ = doorbell.write(&[1]);
        }
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
    /// Jumps back inside a track so far (counted by [`MediaControls::show`], which sees every
    /// report; the media thread sees only the state when it wakes).
    jumps_back: AtomicU64,
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
            jumps_back: AtomicU64::new(0),
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
            jumps_back: self.jumps_back.load(Ordering::Relaxed),
        }
    }
}
