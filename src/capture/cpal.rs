//! The real microphone: cpal's default input device (the device layer rodio plays through), at
//! its own rate, channel count and sample format, its callback pushing into a [`ring`] and its
//! errors kept without a lock, as the output device keeps them.

use std::sync::Arc;

use rodio::cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use rodio::cpal::{self, BufferSize, FromSample, SampleFormat, SizedSample, SupportedBufferSize};

use super::{CaptureError, Microphone, RING_SECONDS, RingInput, RingOutput, ring};
use crate::output::live::{Fault, Faults, quiet_stderr};

/// The device's period: the callback hands over this much audio at a time. A twentieth of a
/// second keeps the level meter lively at little cost.
const PERIOD_SECS: f64 = 0.05;

/// The default input device, reopened (at whatever it now offers) if it goes away.
pub struct CpalMicrophone {
    /// The device, while it is open.
    input: Option<Input>,
    /// The stream capturing, once started.
    stream: Option<cpal::Stream>,
    /// The reading end of the stream's ring.
    ring: Option<RingOutput>,
    faults: Arc<Faults>,
    rate: u32,
    channels: u16,
}

/// A device that opened, and the stream settings it opened with.
struct Input {
    device: cpal::Device,
    config: cpal::StreamConfig,
    format: SampleFormat,
}

impl CpalMicrophone {
    /// Opens the default input device at its default configuration: a trial stream is built and
    /// dropped, so a machine without a working microphone hears about it before anything else.
    pub fn open() -> Result<CpalMicrophone, CaptureError> {
        let faults = Arc::new(Faults::default());
        let input = open_input(&faults)?;
        Ok(CpalMicrophone {
            rate: input.config.sample_rate,
            channels: input.config.channels,
            input: Some(input),
            stream: None,
            ring: None,
            faults,
        })
    }
}

impl Microphone for CpalMicrophone {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn channels(&self) -> u16 {
        self.channels
    }

    fn start(&mut self) -> Result<(), CaptureError> {
        let Some(input) = &self.input else {
            return Err(CaptureError::NoDevice("the device is closed".into()));
        };
        let failed = |e: &dyn std::fmt::Display| CaptureError::NoDevice(e.to_string());
        let samples = RING_SECONDS * self.rate * u32::from(self.channels);
        let (sender, receiver) = ring(samples as usize);
        let stream =
            quiet_stderr(|| build_stream(input, sender, &self.faults)).map_err(|e| failed(&e))?;
        stream.play().map_err(|e| failed(&e))?;
        self.stream = Some(stream);
        self.ring = Some(receiver);
        Ok(())
    }

    fn read(&mut self, into: &mut Vec<f32>) -> usize {
        self.ring.as_mut().map_or(0, |r| r.read(into))
    }

    fn arrived(&self) -> u64 {
        self.ring.as_ref().map_or(0, RingOutput::arrived)
    }

    fn dropped(&self) -> u64 {
        self.ring.as_ref().map_or(0, RingOutput::dropped)
    }

    fn take_fault(&mut self) -> Option<Fault> {
        self.faults.take()
    }

    fn close(&mut self) {
        if let Some(stream) = self.stream.take() {
            // Dropping a stream joins cpal's capture thread, which the PulseAudio ALSA plugin can
            // leave deadlocked when its server goes away mid-take (seen with the server stopped):
            // the stream is let go on a thread of its own, so the screen never freezes; at worst
            // that thread stays blocked until the program ends.
            let letting_go = std::thread::Builder::new().name("microphone-close".into());
            let _ = letting_go.spawn(move || drop(stream));
        }
        self.ring = None;
        self.input = None;
    }

    fn reopen(&mut self) -> Result<(), CaptureError> {
        let input = open_input(&self.faults)?;
        (self.rate, self.channels) = (input.config.sample_rate, input.config.channels);
        self.input = Some(input);
        self.faults.take();
        Ok(())
    }
}

/// Finds the default input device and opens it at its default configuration with
/// [`PERIOD_SECS`] periods, building and dropping a trial stream. ALSA's own complaints on
/// stderr are silenced meanwhile, so a machine without a microphone gets one clear line.
fn open_input(faults: &Arc<Faults>) -> Result<Input, CaptureError> {
    let no_device = |e: &dyn std::fmt::Display| CaptureError::NoDevice(e.to_string());
    quiet_stderr(|| {
        let device = cpal::default_host()
            .default_input_device()
            .ok_or_else(|| no_device(&"no default input device"))?;
        let default = device.default_input_config().map_err(|e| no_device(&e))?;
        let rate = default.sample_rate();
        let period = crate::units::frames(PERIOD_SECS, rate) as u32;
        let period = match default.buffer_size() {
            SupportedBufferSize::Range { min, max } => period.clamp(*min, (*max).max(*min)),
            SupportedBufferSize::Unknown => period,
        };
        let input = Input {
            device,
            config: cpal::StreamConfig {
                channels: default.channels(),
                sample_rate: rate,
                buffer_size: BufferSize::Fixed(period),
            },
            format: default.sample_format(),
        };
        let (trial, _) = ring(1);
        drop(build_stream(&input, trial, faults).map_err(|e| no_device(&e))?);
        Ok(input)
    })
}

/// A stream on `input` (not yet started) whose callback pushes into `ring` and reports errors
/// to `faults`, in the device's own sample format.
fn build_stream(
    input: &Input,
    ring: RingInput,
    faults: &Arc<Faults>,
) -> Result<cpal::Stream, cpal::Error> {
    let i = input;
    match i.format {
        SampleFormat::F32 => stream::<f32>(i, ring, faults),
        SampleFormat::F64 => stream::<f64>(i, ring, faults),
        SampleFormat::I8 => stream::<i8>(i, ring, faults),
        SampleFormat::I16 => stream::<i16>(i, ring, faults),
        SampleFormat::I24 => stream::<cpal::I24>(i, ring, faults),
        SampleFormat::I32 => stream::<i32>(i, ring, faults),
        SampleFormat::I64 => stream::<i64>(i, ring, faults),
        SampleFormat::U8 => stream::<u8>(i, ring, faults),
        SampleFormat::U16 => stream::<u16>(i, ring, faults),
        SampleFormat::U24 => stream::<cpal::U24>(i, ring, faults),
        SampleFormat::U32 => stream::<u32>(i, ring, faults),
        SampleFormat::U64 => stream::<u64>(i, ring, faults),
        other => Err(cpal::Error::with_message(
            cpal::ErrorKind::UnsupportedConfig,
            format!("unsupported sample format {other}"),
        )),
    }
}

/// [`build_stream`] for samples of type `T`.
fn stream<T: SizedSample + Send + 'static>(
    input: &Input,
    mut ring: RingInput,
    faults: &Arc<Faults>,
) -> Result<cpal::Stream, cpal::Error>
where
    f32: FromSample<T>,
{
    let seen = faults.clone();
    input.device.build_input_stream::<T, _, _>(
        input.config,
        move |data: &[T], _| ring.push(data),
        move |e: cpal::Error| seen.report(&e),
        None,
    )
}
