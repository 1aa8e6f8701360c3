//! The real device: cpal's default output device (the device layer rodio plays through), its
//! stream fed by a [`MixSource`] in whatever sample format the device takes, and its errors
//! caught without a lock on the audio thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use rodio::cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use rodio::cpal::{self, BufferSize, FromSample, SampleFormat, SizedSample, SupportedBufferSize};

use super::{Device, Fault, LiveError};
use crate::output::source::MixSource;

/// The device's period: the stream wakes to take this much audio at a time, and holds two.
/// An eighth of a second, as `aplay` uses: the CPU cost of playback is mostly per wake-up (in the
/// sound server's client library), and controls still answer within a quarter second.
const PERIOD_SECS: f64 = 0.125;

/// The default output device, reopened with the same rate and channels if it goes away.
pub struct CpalDevice {
    /// The device, while it is open.
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

impl CpalDevice {
    /// Opens the default output device at its default configuration.
    pub fn open() -> Result<CpalDevice, LiveError> {
        let faults = Arc::new(Faults::default());
        let output = open_output(&faults, None)?;
        Ok(CpalDevice {
            rate: output.config.sample_rate,
            channels: output.config.channels,
            output: Some(output),
            stream: None,
            faults,
        })
    }
}

impl Device for CpalDevice {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn channels(&self) -> u16 {
        self.channels
    }

    fn start(&mut self, source: MixSource) -> Result<(), LiveError> {
        let Some(output) = &self.output else {
            return Err(LiveError::NoDevice("the device is closed".into()));
        };
        let failed = |e: &dyn std::fmt::Display| LiveError::NoDevice(e.to_string());
        let stream = quiet_stderr(|| build_stream(output, Some(source), &self.faults))
            .map_err(|e| failed(&e))?;
        stream.play().map_err(|e| failed(&e))?;
        self.stream = Some(stream);
        Ok(())
    }

    fn errors(&self) -> u64 {
        self.faults.count.load(Ordering::Relaxed)
    }

    fn take_fault(&mut self) -> Option<Fault> {
        self.faults.take()
    }

    fn drain_time(&self) -> Duration {
        let frames = self.output.as_ref().map_or(0, |o| 2 * o.period);
        Duration::from_secs_f64(f64::from(frames) / f64::from(self.rate))
    }

    fn close(&mut self) {
        self.stream = None;
        self.output = None;
    }

    fn reopen(&mut self) -> Result<(), LiveError> {
        self.output = Some(open_output(&self.faults, Some((self.rate, self.channels)))?);
        self.faults.take();
        Ok(())
    }
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
const KINDS: [cpal::ErrorKind; 14] = {
    use cpal::ErrorKind as K;
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
    fn report(&self, error: &cpal::Error) {
        let kind = error.kind();
        let index = KINDS
            .iter()
            .position(|&k| k == kind)
            .unwrap_or(KINDS.len() - 1);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.latest.store(index as u8 + 1, Ordering::Relaxed);
    }

    /// The latest error, as words, and whether it means the stream cannot go on.
    fn take(&self) -> Option<Fault> {
        use cpal::ErrorKind as K;
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
        Some(Fault {
            what: words.trim().to_owned(),
            fatal,
        })
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
