//! Capture: the default input device (a microphone) as a stream of samples, for `packs record`.
//!
//! The recording flow reaches the device through the small [`Microphone`] trait, as live
//! playback reaches its output through `output::live::Device`: [`CpalMicrophone`] is the real one
//! (cpal, the device layer rodio plays through, at the device's own rate and channel count), and a
//! mock driven by hand unit-tests the flow (takes, a device lost mid-take, no device). Either way
//! the samples cross from the audio callback to the flow's thread through one preallocated
//! lock-free [`ring`]: the callback neither allocates, locks nor waits.

mod cpal;
#[cfg(test)]
pub(crate) mod mock;
mod ring;

pub use self::cpal::CpalMicrophone;
pub use ring::{RingInput, RingOutput, ring};

use crate::output::live::Fault;

/// Seconds of audio the ring between the audio callback and the flow holds: the flow reads it
/// ten times a second, so it has twenty reads' worth of slack.
pub const RING_SECONDS: u32 = 2;

/// Why the microphone could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// No input device could be opened.
    #[error("no microphone (audio input device) available: {0}")]
    NoDevice(String),
}

/// An input device, opened at its own rate and channel count.
///
/// Once started, what it captures is read with [`Microphone::read`]; whether it still captures
/// shows in [`Microphone::arrived`], which grows with every buffer it hands over, and what it
/// reports goes through [`Microphone::take_fault`].
pub trait Microphone {
    /// The sample rate it is open at.
    fn rate(&self) -> u32;
    /// Its channel count (samples are interleaved).
    fn channels(&self) -> u16;
    /// Starts capturing into a fresh ring.
    fn start(&mut self) -> Result<(), CaptureError>;
    /// Appends every sample captured since the last read to `into` (interleaved); how many.
    fn read(&mut self, into: &mut Vec<f32>) -> usize;
    /// Samples handed over by the device since it started, kept or dropped.
    fn arrived(&self) -> u64;
    /// Samples lost because the ring was full.
    fn dropped(&self) -> u64;
    /// The latest error reported since the last call, if any.
    fn take_fault(&mut self) -> Option<Fault>;
    /// Stops capturing and lets the device go.
    fn close(&mut self);
    /// Opens the default input device again, at whatever rate and channel count it now has (it
    /// may be another headset); errors reported before are forgotten.
    fn reopen(&mut self) -> Result<(), CaptureError>;
}
