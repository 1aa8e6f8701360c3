//! Live playback: the mixer as the one source of the default output device's stream, with
//! keys, signals, and recovery when the device goes away.
//!
//! The device is opened first so clips can be prepared at its own rate and channel count; its
//! stream then takes our samples without converting them, and every event lands on its exact
//! frame. The stream is cpal's (the device layer rodio plays through), fed a whole device buffer
//! at a time by [`MixSource::fill`]: rodio's own mixer pulls every sample through a chain of
//! iterators and, with its 43 ms buffer, cost seven times what `aplay` does (README, Benchmarks;
//! docs/decisions.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rodio::cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use rodio::cpal::{self, BufferSize, FromSample, SampleFormat, SizedSample, SupportedBufferSize};

use crate::mix::Mixer;
use crate::output::feeder::Supply;
use crate::output::source::{Controls, MixSource};
use crate::timeline::Timeline;

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

/// A listener's request, from the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Pause, or resume where it paused.
    TogglePause,
    /// Skip to the next step.
    Next,
    /// Back to the start of this step (or the previous one, in a step's first two seconds).
    Restart,
    /// Volume up 3 dB.
    Louder,
    /// Volume down 3 dB.
    Softer,
    /// Fade out and end (exit 0).
    Quit,
    /// Fade out and end as Ctrl-C does (exit 130); raw mode turns Ctrl-C into a key.
    Interrupt,
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

/// What the device's error callback has reported. The callback may run on the audio thread, so
/// it only stores the error's kind in an atomic: no lock, no message built there.
#[derive(Debug, Default)]
struct Faults {
    /// The latest error's kind (an index into [`KINDS`] plus one; 0 for none, taken).
    latest: AtomicU8,
    /// Errors reported so far.
    count: AtomicU64,
}

/// The error kinds cpal reports, told apart by their index.
const KINDS: [rodio::cpal::ErrorKind; 14] = {
    use rodio::cpal::ErrorKind as K;
    [
        K::DeviceBusy,
        K::DeviceChanged,
        K::DeviceNotAvailable,
        K::HostUnavailable,
        K::InvalidInput,
        K::PermissionDenied,
        K::RealtimeDenied,
        K::ResourceExhausted,
        K::StreamInvalidated,
        K::UnsupportedConfig,
        K::UnsupportedOperation,
        K::Xrun,
        K::BackendError,
        K::Other,
    ]
};

impl Faults {
    fn report(&self, error: &rodio::cpal::Error) {
        let kind = error.kind();
        let index = KINDS
            .iter()
            .position(|&k| k == kind)
            .unwrap_or(KINDS.len() - 1);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.latest.store(index as u8 + 1, Ordering::Relaxed);
    }

    /// The latest error, as words, and whether it means the stream cannot go on.
    fn take(&self) -> Option<(String, bool)> {
        use rodio::cpal::ErrorKind as K;
        let kind =
            *KINDS.get(usize::from(self.latest.swap(0, Ordering::Relaxed)).checked_sub(1)?)?;
        let fatal = matches!(
            kind,
            K::DeviceNotAvailable | K::HostUnavailable | K::StreamInvalidated | K::PermissionDenied
        );
        let words: String = format!("{kind:?}")
            .chars()
            .flat_map(|c| {
                let space = c.is_uppercase().then_some(' ');
                space.into_iter().chain(c.to_lowercase())
            })
            .collect();
        Some((words.trim().to_owned(), fatal))
    }
}

/// A device that takes no samples for this long has failed, whatever it reported.
const STALL: Duration = Duration::from_secs(2);
/// A device that takes no samples for this long while reporting errors has failed: cpal then
/// loops on the error at full speed, so waiting longer only burns a core.
const STALL_WITH_ERRORS: Duration = Duration::from_millis(500);
/// After losing the device, how long to keep trying to reopen it.
const REOPEN_FOR: Duration = Duration::from_secs(5);
/// How far back to resume after reopening, to replay what was lost in the old device's buffer.
const REWIND_SECS: f64 = 0.3;
/// How often the play loop looks at the device, the signals and the clock, and redraws the
/// progress line, when no key wakes it. Every wake-up costs CPU; four a second keep the clock
/// shown within a quarter second and answer Ctrl-C as fast as the device does.
const TICK: Duration = Duration::from_millis(250);
/// The device's period: the stream wakes to take this much audio at a time, and holds two.
/// An eighth of a second, as `aplay` uses: the CPU cost of playback is mostly per wake-up (in the
/// sound server's client library), and controls still answer within a quarter second.
const PERIOD_SECS: f64 = 0.125;
/// The fade applied when a session is stopped early.
pub const FADE_SECS: f64 = 0.4;
/// Volume steps and limits, dB.
const VOLUME_STEP_DB: f64 = 3.0;
const VOLUME_MIN_DB: f64 = -30.0;
const VOLUME_MAX_DB: f64 = 6.0;

/// The output device, reopened with the same rate and channels if it goes away.
pub struct Player {
    /// The device, once it has opened.
    output: Option<Output>,
    /// The stream playing the session.
    stream: Option<cpal::Stream>,
    faults: Arc<Faults>,
    rate: u32,
    channels: u16,
}

/// A device that opened, and the stream settings it opened with.
struct Output {
    device: cpal::Device,
    config: cpal::StreamConfig,
    format: SampleFormat,
    /// Frames a callback asks for (the device holds two such periods).
    period: u32,
}

impl Player {
    /// Opens the default output device at its default configuration.
    pub fn open() -> Result<Player, LiveError> {
        let faults = Arc::new(Faults::default());
        let output = open_output(&faults, None)?;
        Ok(Player {
            rate: output.config.sample_rate,
            channels: output.config.channels,
            output: Some(output),
            stream: None,
            faults,
        })
    }

    /// The device's sample rate.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The device's channel count.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Starts a stream on the device whose callback plays the session from its very first
    /// call, so no silence is queued ahead of the first frames.
    fn start(
        &mut self,
        mixer: Mixer,
        controls: &Arc<Controls>,
        tones: &(Arc<[f32]>, Arc<[f32]>),
    ) -> Result<(), LiveError> {
        let Some(output) = &self.output else {
            return Ok(());
        };
        let source = MixSource::new(
            mixer,
            controls.clone(),
            self.channels,
            self.rate,
            FADE_SECS,
            tones.clone(),
        );
        let failed = |e: &dyn std::fmt::Display| LiveError::NoDevice(e.to_string());
        let stream = quiet_stderr(|| build_stream(output, Some(source), &self.faults))
            .map_err(|e| failed(&e))?;
        stream.play().map_err(|e| failed(&e))?;
        self.stream = Some(stream);
        Ok(())
    }

    /// How long the device plays on after the last sample is handed to it.
    fn drain_time(&self) -> Duration {
        let frames = self.output.as_ref().map_or(0, |o| 2 * o.period);
        Duration::from_secs_f64(f64::from(frames) / f64::from(self.rate))
    }

    /// Drops the lost stream (which ends cpal's error loop) and tries to reopen the default
    /// device with the same configuration, every half second for [`REOPEN_FOR`].
    fn reopen(&mut self) -> bool {
        self.stream = None;
        self.output = None;
        let config = Some((self.rate, self.channels));
        let started = Instant::now();
        while started.elapsed() < REOPEN_FOR {
            std::thread::sleep(Duration::from_millis(500));
            if let Ok(output) = open_output(&self.faults, config) {
                self.output = Some(output);
                self.faults.take();
                return true;
            }
        }
        false
    }

    /// Plays a session to its end, a signal or a quit request. `mixer` makes the session's
    /// mixer positioned at a frame (again after the device is reopened); `supply` prepares its
    /// clips (told of every jump; a clip it could not prepare stops the session). `requests` come
    /// from the keys; `tones` mark a pause and a resume; `progress` is called about four times a
    /// second.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of the loop; a struct adds nothing
    pub fn play(
        &mut self,
        mut mixer: impl FnMut(u64) -> Mixer,
        supply: &Supply,
        timeline: &Timeline,
        tones: (Arc<[f32]>, Arc<[f32]>),
        signals: &Signals,
        requests: Option<&Receiver<Request>>,
        mut progress: impl FnMut(&Status),
    ) -> Result<Ending, LiveError> {
        let controls = Arc::new(Controls::default());
        self.start(mixer(0), &controls, &tones)?;
        let mut ending = Ending::Finished;
        let mut volume_db = 0.0;
        let (mut blocks, mut moved) = (0, Instant::now());
        let mut errors_then = self.faults.count.load(Ordering::Relaxed);
        let mut last_fault = None;
        let mut jumped: Option<(u64, Instant)> = None;
        while !controls.finished() {
            // The device: survive hiccups; reopen a lost or stalled one and carry on.
            let now_blocks = controls.blocks();
            let errors = self.faults.count.load(Ordering::Relaxed);
            if now_blocks != blocks {
                (blocks, moved, errors_then) = (now_blocks, Instant::now(), errors);
            }
            let fault = self.faults.take();
            let fatal = matches!(fault, Some((_, true)));
            last_fault = fault.or(last_fault);
            let stalled = moved.elapsed() > STALL
                || (errors > errors_then && moved.elapsed() > STALL_WITH_ERRORS);
            let lost = fatal || stalled;
            if lost {
                if controls.stopping() {
                    break;
                }
                let why = last_fault
                    .take()
                    .map_or("it stopped taking samples".into(), |f| f.0);
                progress(&Status {
                    frame: controls.frame(),
                    paused: controls.paused(),
                    volume_db,
                    reconnecting: true,
                });
                if !self.reopen() {
                    return Err(LiveError::Lost(why));
                }
                let rewind = crate::units::frames(REWIND_SECS, self.rate);
                let resumed = mixer(controls.frame().saturating_sub(rewind));
                if let Err(e) = self.start(resumed, &controls, &tones) {
                    return Err(LiveError::Lost(e.to_string()));
                }
                (blocks, moved) = (controls.blocks(), Instant::now());
                errors_then = self.faults.count.load(Ordering::Relaxed);
                continue;
            }
            if !controls.stopping()
                && let Some(e) = signals.ending()
            {
                ending = e;
                controls.stop();
            }
            if supply.failed() {
                controls.stop();
            }
            // Sleep until a key is pressed or it is time to show progress again.
            let first = match requests {
                Some(r) => match r.recv_timeout(TICK) {
                    Ok(request) => Some(request),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => {
                        std::thread::sleep(TICK);
                        None
                    }
                },
                None => {
                    std::thread::sleep(TICK);
                    None
                }
            };
            let more = std::iter::from_fn(|| requests.and_then(|r| r.try_recv().ok()));
            for request in first.into_iter().chain(more) {
                // A jump lands at the next block; until then, repeated presses count from it.
                let frame = match jumped {
                    Some((to, at)) if at.elapsed() < Duration::from_millis(500) => to,
                    _ => controls.frame(),
                };
                let mut jump = |to: u64| {
                    controls.seek(to);
                    supply.jumped(to);
                    jumped = Some((to, Instant::now()));
                };
                match request {
                    Request::TogglePause => controls.set_paused(!controls.paused()),
                    Request::Next => jump(next_step(timeline, frame)),
                    Request::Restart => jump(restart_step(timeline, frame)),
                    Request::Louder | Request::Softer => {
                        let step = if request == Request::Louder {
                            VOLUME_STEP_DB
                        } else {
                            -VOLUME_STEP_DB
                        };
                        volume_db = (volume_db + step).clamp(VOLUME_MIN_DB, VOLUME_MAX_DB);
                        controls.set_volume(crate::loudness::db_to_gain(volume_db) as f32);
                    }
                    Request::Quit | Request::Interrupt if !controls.stopping() => {
                        ending = if request == Request::Quit {
                            Ending::Quit
                        } else {
                            Ending::Interrupted
                        };
                        controls.stop();
                    }
                    Request::Quit | Request::Interrupt => {}
                }
            }
            progress(&Status {
                frame: controls.frame(),
                paused: controls.paused(),
                volume_db,
                reconnecting: false,
            });
        }
        // Let the device play out what it holds, and a little more.
        std::thread::sleep(self.drain_time() + Duration::from_millis(50));
        Ok(ending)
    }
}

/// The start of the step after the one playing at `frame`, or the end of the session.
fn next_step(timeline: &Timeline, frame: u64) -> u64 {
    timeline
        .steps
        .iter()
        .map(|s| s.frame)
        .find(|&f| f > frame)
        .unwrap_or(timeline.duration)
}

/// The start of the step playing at `frame`, or of the previous one in its first two seconds.
fn restart_step(timeline: &Timeline, frame: u64) -> u64 {
    let Some(current) = timeline.step_index_at(frame) else {
        return 0;
    };
    let start = timeline.steps[current].frame;
    if frame - start < 2 * u64::from(timeline.rate) && current > 0 {
        timeline.steps[current - 1].frame
    } else {
        start
    }
}

/// Finds the default device and opens it, at `config` (rate, channels) when given, else at its
/// default, with [`PERIOD_SECS`] periods: a trial stream is opened and closed, so a machine
/// without a working device hears about it before anything is prepared. ALSA's own complaints on
/// stderr are silenced meanwhile, so that machine gets one clear line.
fn open_output(faults: &Arc<Faults>, config: Option<(u32, u16)>) -> Result<Output, LiveError> {
    let no_device = |e: &dyn std::fmt::Display| LiveError::NoDevice(e.to_string());
    quiet_stderr(|| {
        let device = cpal::default_host()
            .default_output_device()
            .ok_or_else(|| no_device(&"no default output device"))?;
        let default = device.default_output_config().map_err(|e| no_device(&e))?;
        let (rate, channels) = config.unwrap_or((default.sample_rate(), default.channels()));
        let period = crate::units::frames(PERIOD_SECS, rate) as u32;
        let period = match default.buffer_size() {
            SupportedBufferSize::Range { min, max } => period.clamp(*min, (*max).max(*min)),
            SupportedBufferSize::Unknown => period,
        };
        let output = Output {
            device,
            config: cpal::StreamConfig {
                channels,
                sample_rate: rate,
                buffer_size: BufferSize::Fixed(period),
            },
            format: default.sample_format(),
            period,
        };
        drop(build_stream(&output, None, faults).map_err(|e| no_device(&e))?);
        Ok(output)
    })
}

/// A stream on `output` (not yet playing) whose callback plays `source` (silence without one)
/// and reports errors to `faults`, in the device's own sample format.
fn build_stream(
    output: &Output,
    source: Option<MixSource>,
    faults: &Arc<Faults>,
) -> Result<cpal::Stream, cpal::Error> {
    let o = output;
    match o.format {
        SampleFormat::F32 => stream::<f32>(o, source, faults),
        SampleFormat::F64 => stream::<f64>(o, source, faults),
        SampleFormat::I8 => stream::<i8>(o, source, faults),
        SampleFormat::I16 => stream::<i16>(o, source, faults),
        SampleFormat::I24 => stream::<cpal::I24>(o, source, faults),
        SampleFormat::I32 => stream::<i32>(o, source, faults),
        SampleFormat::I64 => stream::<i64>(o, source, faults),
        SampleFormat::U8 => stream::<u8>(o, source, faults),
        SampleFormat::U16 => stream::<u16>(o, source, faults),
        SampleFormat::U24 => stream::<cpal::U24>(o, source, faults),
        SampleFormat::U32 => stream::<u32>(o, source, faults),
        SampleFormat::U64 => stream::<u64>(o, source, faults),
        other => Err(cpal::Error::with_message(
            cpal::ErrorKind::UnsupportedConfig,
            format!("unsupported sample format {other}"),
        )),
    }
}

/// [`build_stream`] for samples of type `T`.
fn stream<T: SizedSample + FromSample<f32> + Send + 'static>(
    output: &Output,
    mut source: Option<MixSource>,
    faults: &Arc<Faults>,
) -> Result<cpal::Stream, cpal::Error> {
    let seen = faults.clone();
    output.device.build_output_stream::<T, _, _>(
        output.config,
        move |out: &mut [T], _| match source.as_mut() {
            Some(source) => {
                source.fill(out);
            }
            None => out.fill(T::EQUILIBRIUM),
        },
        move |e: cpal::Error| seen.report(&e),
        None,
    )
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::StepStart;

    fn timeline() -> Timeline {
        let step = |frame| StepStart {
            step: "s".into(),
            title: "S".into(),
            set: None,
            frame,
        };
        Timeline {
            rate: 100,
            sets: 1,
            events: vec![],
            holds: vec![],
            steps: vec![step(0), step(1000), step(3000)],
            duration: 5000,
            tail: 0,
        }
    }

    #[test]
    fn next_and_restart_find_step_starts() {
        let t = timeline();
        assert_eq!(next_step(&t, 0), 1000);
        assert_eq!(next_step(&t, 1500), 3000);
        assert_eq!(next_step(&t, 3500), 5000);
        assert_eq!(restart_step(&t, 1500), 1000);
        // In a step's first two seconds, back to the previous step.
        assert_eq!(restart_step(&t, 1100), 0);
        assert_eq!(restart_step(&t, 50), 0);
    }
}
