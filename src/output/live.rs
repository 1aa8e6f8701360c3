//! Live playback: the mixer as one rodio source on the default output device.
//!
//! The device is opened first so clips can be prepared at its own rate and channel count; rodio
//! then plays our samples without converting them, and every event lands on its exact frame.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rodio::{DeviceSinkBuilder, MixerDeviceSink};

use crate::mix::{Controls, MixSource, Mixer};

/// Why live playback could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No output device could be opened.
    #[error(
        "no audio output device available ({0}); try --render FILE.wav to write the session to a file"
    )]
    NoDevice(String),
    /// The device failed during playback.
    #[error("audio device failed during playback: {0}")]
    Lost(String),
}

/// How a live session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Played to the end.
    Finished,
    /// Stopped by SIGINT (Ctrl-C).
    Interrupted,
    /// Stopped by SIGTERM.
    Terminated,
}

/// What the device's error callback has reported.
#[derive(Debug, Default)]
struct Faults {
    /// The latest message, and whether it means the stream cannot go on.
    latest: Mutex<Option<(String, bool)>>,
}

impl Faults {
    fn report(&self, error: &rodio::cpal::Error) {
        use rodio::cpal::ErrorKind as K;
        let fatal = matches!(
            error.kind(),
            K::DeviceNotAvailable | K::HostUnavailable | K::StreamInvalidated | K::PermissionDenied
        );
        if let Ok(mut latest) = self.latest.lock() {
            *latest = Some((error.to_string(), fatal));
        }
    }

    fn latest(&self) -> Option<(String, bool)> {
        self.latest.lock().ok().and_then(|l| l.clone())
    }
}

/// A device that takes no samples for this long has failed, whatever it reported.
const STALL: Duration = Duration::from_secs(3);

/// An open output device.
pub struct Device {
    sink: MixerDeviceSink,
    faults: Arc<Faults>,
}

impl Device {
    /// Opens the default output device. ALSA's own complaints on stderr are silenced while
    /// probing, so a machine without sound gets one clear line instead of a screenful.
    pub fn open() -> Result<Device, LiveError> {
        let faults = Arc::new(Faults::default());
        let seen = faults.clone();
        let sink = quiet_stderr(|| {
            DeviceSinkBuilder::from_default_device()
                .map(|b| b.with_error_callback(move |e: rodio::cpal::Error| seen.report(&e)))
                .and_then(|b| b.open_stream())
        })
        .map_err(|e| LiveError::NoDevice(e.to_string()))?;
        let mut sink = sink;
        sink.log_on_drop(false);
        Ok(Device { sink, faults })
    }

    /// The device's sample rate.
    pub fn rate(&self) -> u32 {
        self.sink.config().sample_rate().get()
    }

    /// The device's channel count.
    pub fn channels(&self) -> u16 {
        self.sink.config().channel_count().get()
    }

    /// Plays a session to its end or until a signal; `progress` is called about five times a
    /// second with the frame being mixed.
    pub fn play(
        &self,
        mixer: Mixer,
        signals: &Signals,
        mut progress: impl FnMut(u64),
    ) -> Result<Ending, LiveError> {
        let controls = Arc::new(Controls::default());
        let source = MixSource::new(
            mixer,
            controls.clone(),
            self.channels(),
            self.rate(),
            FADE_SECS,
        );
        self.sink.mixer().add(source);
        let mut ending = Ending::Finished;
        let mut stop_asked: Option<Instant> = None;
        let mut last_frame = 0;
        let mut last_move = Instant::now();
        while !controls.finished.load(Ordering::Acquire) {
            let frame = controls.frame.load(Ordering::Relaxed);
            if frame != last_frame {
                (last_frame, last_move) = (frame, Instant::now());
            }
            // Underruns and passing backend hiccups are survivable (the stream recovers by
            // itself); a lost device, or one that stops taking samples, is not.
            match self.faults.latest() {
                Some((message, true)) => return Err(LiveError::Lost(message)),
                latest if last_move.elapsed() > STALL => {
                    let why = latest.map_or("the device stopped taking samples".into(), |l| l.0);
                    return Err(LiveError::Lost(why));
                }
                _ => {}
            }
            if stop_asked.is_none() {
                if let Some(e) = signals.ending() {
                    ending = e;
                    controls.stop.store(true, Ordering::Relaxed);
                    stop_asked = Some(Instant::now());
                }
            }
            progress(frame);
            std::thread::sleep(Duration::from_millis(if stop_asked.is_some() {
                20
            } else {
                200
            }));
        }
        progress(controls.frame.load(Ordering::Relaxed));
        // Let the device play out what it has buffered (its buffer is ~50 ms).
        std::thread::sleep(Duration::from_millis(150));
        Ok(ending)
    }
}

/// The fade applied when a session is stopped early.
pub const FADE_SECS: f64 = 0.4;

/// SIGINT and SIGTERM, caught as flags so a session can fade out and exit cleanly.
#[derive(Debug, Default, Clone)]
pub struct Signals {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
}

impl Signals {
    /// Installs the handlers.
    pub fn install() -> std::io::Result<Signals> {
        let s = Signals::default();
        signal_hook::flag::register(signal_hook::consts::SIGINT, s.interrupt.clone())?;
        signal_hook::flag::register(signal_hook::consts::SIGTERM, s.terminate.clone())?;
        Ok(s)
    }

    /// Which signal, if any, asked the program to end.
    pub fn ending(&self) -> Option<Ending> {
        if self.interrupt.load(Ordering::Relaxed) {
            Some(Ending::Interrupted)
        } else if self.terminate.load(Ordering::Relaxed) {
            Some(Ending::Terminated)
        } else {
            None
        }
    }
}

/// Runs `f` with file descriptor 2 pointed at /dev/null, then restores it.
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain descriptor calls; the saved descriptor is restored and closed before return.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved < 0 || null < 0 {
            return f();
        }
        libc::dup2(null, 2);
        libc::close(null);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}
