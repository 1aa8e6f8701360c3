//! Live playback: the mixer as the one source of the default output device's stream, with
//! keys, signals, and recovery when the device goes away.
//!
//! The device is opened first so clips can be prepared at its own rate and channel count; its
//! stream then takes our samples without converting them, and every event lands on its exact
//! frame. The play loop ([`Player`]) reaches the device through the small [`Device`] trait and
//! the time through [`Clock`]. [`AlsaDevice`] is the real one: ALSA's default device, written in
//! blocking 125 ms periods as `aplay` writes, each mixed by [`MixSource::fill`]. [`CpalDevice`]
//! (cpal, the device layer rodio plays through, its callback fed a whole device buffer at a time)
//! takes over when ALSA's cannot be opened, or when asked (`BALASANA_AUDIO_OUTPUT=cpal`); it
//! wakes twice as often for the same periods (docs/decisions.md, issue 23). A mock device and
//! clock, driven by hand as kira's `backend/mock.rs` drives its renderer, unit-test stalls,
//! device loss and reopening, and every key request, without a sound server.
//!
//! [`MixSource::fill`]: crate::output::source::MixSource::fill

mod alsa;
mod clock;
pub(crate) mod controls;
mod cpal;
#[cfg(test)]
mod mock;
mod player;
mod signals;

use std::time::Duration;

use crate::output::source::MixSource;

pub use alsa::AlsaDevice;
pub use clock::{Clock, SystemClock};
pub use controls::Controls;
pub use cpal::CpalDevice;
pub(crate) use cpal::{Faults, quiet_stderr};
pub use player::Player;
use player::REOPEN_FOR;
pub use signals::Signals;

/// Why live playback could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No output device could be opened.
    #[error(
        "no audio output device available ({0}); try --render FILE.wav to write the session to a file"
    )]
    NoDevice(String),
    /// The device failed during playback and could not be reopened.
    #[error(
        "audio device lost during playback ({0}) and could not be reopened within {REOPEN_FOR:?}; nothing more will play"
    )]
    Lost(String),
}

/// How a live session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Played to the end.
    Finished,
    /// Stopped with the `q` key.
    Quit,
    /// Stopped by SIGINT (Ctrl-C).
    Interrupted,
    /// Stopped by SIGTERM.
    Terminated,
}

/// A listener's request, from the keyboard or the media controls; both send into the one
/// channel the play loop reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Request {
    /// Pause, or resume where it paused.
    TogglePause,
    /// Resume where it paused; nothing if playing (headsets send play and pause apart).
    Play,
    /// Pause; nothing if paused.
    Pause,
    /// Skip to the next step.
    Next,
    /// Back to the start of this step (or the previous one, in a step's first two seconds).
    Restart,
    /// Volume up 3 dB.
    Louder,
    /// Volume down 3 dB.
    Softer,
    /// Volume set to this many dB, held within [`VOLUME_MIN_DB`]…[`VOLUME_MAX_DB`].
    Volume(f64),
    /// Fade out and end (exit 0).
    Quit,
    /// Fade out and end as Ctrl-C does (exit 130); raw mode turns Ctrl-C into a key.
    Interrupt,
    /// Fade out and end as SIGTERM does (exit 143).
    Terminate,
}

/// What the progress display shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Status {
    /// Timeline frame being played.
    pub frame: u64,
    /// Paused (or pausing).
    pub paused: bool,
    /// Master volume in dB.
    pub volume_db: f64,
    /// The device was lost and playback is trying to come back.
    pub reconnecting: bool,
}

/// The lowest volume, dB.
pub const VOLUME_MIN_DB: f64 = -30.0;
/// The highest volume, dB.
pub const VOLUME_MAX_DB: f64 = 6.0;

/// The fade applied when a session is stopped early.
pub const FADE_SECS: f64 = 0.4;

/// An error a device reported while it played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What went wrong, in words ("device not available").
    pub what: String,
    /// Whether the stream cannot go on after it.
    pub fatal: bool,
}

/// An output device the play loop plays through, opened at a rate and channel count.
///
/// Whether it takes samples shows in the source's [`Controls::blocks`], which grow with every
/// block it takes; what it reports goes through [`Device::errors`] and [`Device::take_fault`].
pub trait Device {
    /// The sample rate it is open at.
    fn rate(&self) -> u32;
    /// Its channel count.
    fn channels(&self) -> u16;
    /// Starts a stream whose callback plays `source` from its very first call, so no silence is
    /// queued ahead of the first frames.
    fn start(&mut self, source: MixSource) -> Result<(), LiveError>;
    /// Errors reported so far, by every stream it has had.
    fn errors(&self) -> u64;
    /// The latest error reported since the last call, if any.
    fn take_fault(&mut self) -> Option<Fault>;
    /// How long it plays on after the last sample is handed to it.
    fn drain_time(&self) -> Duration;
    /// Drops the stream and lets the device go (a lost stream's error loop ends with it).
    fn close(&mut self);
    /// Opens the device again, at the same rate and channel count; errors reported before are
    /// forgotten.
    fn reopen(&mut self) -> Result<(), LiveError>;
}

/// A device chosen when the program runs ([`AlsaDevice`], else [`CpalDevice`]).
impl Device for Box<dyn Device> {
    fn rate(&self) -> u32 {
        (**self).rate()
    }

    fn channels(&self) -> u16 {
        (**self).channels()
    }

    fn start(&mut self, source: MixSource) -> Result<(), LiveError> {
        (**self).start(source)
    }

    fn errors(&self) -> u64 {
        (**self).errors()
    }

    fn take_fault(&mut self) -> Option<Fault> {
        (**self).take_fault()
    }

    fn drain_time(&self) -> Duration {
        (**self).drain_time()
    }

    fn close(&mut self) {
        (**self).close();
    }

    fn reopen(&mut self) -> Result<(), LiveError> {
        (**self).reopen()
    }
}
