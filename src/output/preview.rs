//! Playing a recorded take back (`packs record`, key `p`) on the default output device.
//!
//! A take lasts seconds, not a session, so this goes through rodio's own player and mixer
//! (already a dependency) rather than the session's device seam in `output::live`, which plays a
//! timeline. The device is opened for each take and let go when it has played, so nothing holds
//! the output while the microphone records.

use std::num::NonZero;

use rodio::buffer::SamplesBuffer;
use rodio::{DeviceSinkBuilder, MixerDeviceSink, Player};

use crate::output::live::quiet_stderr;

/// Why a take could not be played back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot play the take back: {0}")]
pub struct PreviewError(pub String);

/// Something that plays a take back: the speakers, or a test's stand-in.
pub trait Playback {
    /// Plays `samples` (interleaved, `channels` at `rate` Hz), stopping whatever played before.
    fn play(&mut self, samples: Vec<f32>, rate: u32, channels: u16) -> Result<(), PreviewError>;
    /// Stops playing.
    fn stop(&mut self);
    /// Whether a take is still playing (the device is let go once it is not).
    fn playing(&mut self) -> bool;
}

/// The default output device, opened while a take plays.
#[derive(Default)]
pub struct Speakers {
    /// The device and the player on it, while a take plays.
    open: Option<(MixerDeviceSink, Player)>,
}

impl Playback for Speakers {
    fn play(&mut self, samples: Vec<f32>, rate: u32, channels: u16) -> Result<(), PreviewError> {
        self.stop();
        let fail = |e: &dyn std::fmt::Display| PreviewError(e.to_string());
        let (Some(rate), Some(channels)) = (NonZero::new(rate), NonZero::new(channels)) else {
            return Err(fail(&"a take without samples"));
        };
        // rodio prints the device's errors and its own farewell on stderr, over the screen.
        let mut sink = quiet_stderr(|| {
            DeviceSinkBuilder::from_default_device()
                .and_then(|builder| builder.with_error_callback(|_| ()).open_stream())
        })
        .map_err(|e| fail(&e))?;
        sink.log_on_drop(false);
        let player = Player::connect_new(sink.mixer());
        player.append(SamplesBuffer::new(channels, rate, samples));
        self.open = Some((sink, player));
        Ok(())
    }

    fn stop(&mut self) {
        if let Some((_, player)) = self.open.take() {
            player.stop();
        }
    }

    fn playing(&mut self) -> bool {
        if self.open.as_ref().is_some_and(|(_, player)| player.empty()) {
            self.open = None;
        }
        self.open.is_some()
    }
}
