//! The default device through ALSA directly, written to as `aplay` writes: whole periods, each
//! handed to a blocking `snd_pcm_writei` on a thread of its own, which mixes the next period from
//! the [`MixSource`] as soon as the device has room for it.
//!
//! cpal's ALSA stream polls the device and asks the sound server's plugin for its state between
//! writes: twice `aplay`'s system calls and wake-ups for the same periods (docs/benchmarks.md).
//! A blocking write wakes once a period and asks nothing, so the device path costs what `aplay`'s
//! does. The writing thread mixes, writes and checks one flag: no allocation, lock or wait but
//! the device's own write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use alsa::pcm::{Access, HwParams, IoFormat, PCM};
use alsa::{Direction, ValueOr};
use rodio::cpal::{FromSample, Sample};

use super::{Device, Fault, LiveError, quiet_stderr};
use crate::output::source::MixSource;

/// The device's period: the writing thread wakes to mix and write this much audio at a time.
/// An eighth of a second, `aplay`'s period.
const PERIOD_SECS: f64 = 0.125;
/// Periods the device holds. Two, as the cpal stream held: a key's change is heard within two
/// periods (a quarter second at most, about 0.19 s on average), and a writing thread that is
/// late by less than a period is never heard. `aplay`'s four would double the keys' latency.
const PERIODS: u32 = 2;
/// The rate asked for; the sound server's plugin takes any, a hardware device its nearest.
const RATE: u32 = 48_000;
/// The channels asked for; a device that has not two takes its nearest.
const CHANNELS: u32 = 2;

/// The default ALSA device, reopened at the same rate and channels if it goes away.
pub struct AlsaDevice {
    /// The device, opened and configured, until a stream takes it.
    pcm: Option<Open>,
    /// The thread writing the running stream, and the flag that ends it.
    writer: Option<(JoinHandle<()>, Arc<AtomicBool>)>,
    faults: Arc<Faults>,
    rate: u32,
    channels: u16,
    /// Frames the device holds.
    buffer: u32,
}

/// A device opened and configured: the sample format it took and its period, in frames.
struct Open {
    pcm: PCM,
    format: SampleFormat,
    period: usize,
}

/// The sample formats written, in the order asked for: 16-bit first, as `aplay` writes the
/// session's render (the sound server mixes in 16 bits here, so nothing is converted twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleFormat {
    I16,
    F32,
}

impl AlsaDevice {
    /// Opens ALSA's default device, at 48 kHz stereo or the nearest it takes.
    pub fn open() -> Result<AlsaDevice, LiveError> {
        let (open, rate, channels, buffer) = open_pcm(None)?;
        Ok(AlsaDevice {
            pcm: Some(open),
            writer: None,
            faults: Arc::new(Faults::default()),
            rate,
            channels,
            buffer,
        })
    }
}

impl Device for AlsaDevice {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn channels(&self) -> u16 {
        self.channels
    }

    fn start(&mut self, source: MixSource) -> Result<(), LiveError> {
        let Some(open) = self.pcm.take() else {
            return Err(LiveError::NoDevice("the device is closed".into()));
        };
        let stop = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            open,
            source,
            channels: usize::from(self.channels),
            faults: self.faults.clone(),
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("alsa writer".into())
            .spawn(move || writer.run())
            .map_err(|e| LiveError::NoDevice(e.to_string()))?;
        self.writer = Some((thread, stop));
        Ok(())
    }

    fn errors(&self) -> u64 {
        self.faults.count.load(Ordering::Relaxed)
    }

    fn take_fault(&mut self) -> Option<Fault> {
        self.faults.take()
    }

    fn drain_time(&self) -> Duration {
        Duration::from_secs_f64(f64::from(self.buffer) / f64::from(self.rate))
    }

    fn close(&mut self) {
        // The thread may be blocked in a write to a device that never returns: it is told to
        // stop and let go, not waited for.
        if let Some((_, stop)) = self.writer.take() {
            stop.store(true, Ordering::Relaxed);
        }
        self.pcm = None;
    }

    fn reopen(&mut self) -> Result<(), LiveError> {
        let (open, ..) = open_pcm(Some((self.rate, self.channels)))?;
        self.pcm = Some(open);
        self.faults.take();
        Ok(())
    }
}

/// How long dropping the device waits for its writing thread: its current write returns within
/// a period on a device that plays.
const LET_GO: Duration = Duration::from_millis(300);

impl Drop for AlsaDevice {
    /// Stops the writing thread and waits for it (a period, [`LET_GO`] at most, as a device
    /// that hangs never returns the write), so what the device still holds is dropped
    /// (`snd_pcm_drop`) rather than played on after the session.
    fn drop(&mut self) {
        if let Some((thread, stop)) = self.writer.take() {
            stop.store(true, Ordering::Relaxed);
            let since = std::time::Instant::now();
            while !thread.is_finished() && since.elapsed() < LET_GO {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// Opens the default device at `config` (rate, channels) when given, else at [`RATE`] and
/// [`CHANNELS`] or their nearest, with [`PERIODS`] periods of [`PERIOD_SECS`]; returns it with
/// its rate, channels and buffer in frames. ALSA's own complaints on stderr are silenced
/// meanwhile, so a machine without a device gets one clear line.
fn open_pcm(config: Option<(u32, u16)>) -> Result<(Open, u32, u16, u32), LiveError> {
    let no_device = |e: alsa::Error| LiveError::NoDevice(e.to_string());
    quiet_stderr(|| {
        let pcm = PCM::new("default", Direction::Playback, false).map_err(no_device)?;
        let (rate, channels) = config.unwrap_or((RATE, CHANNELS as u16));
        let (format, rate, channels, period, buffer) = {
            let hw = HwParams::any(&pcm).map_err(no_device)?;
            hw.set_access(Access::RWInterleaved).map_err(no_device)?;
            let format = if hw.test_format(i16::FORMAT).is_ok() {
                SampleFormat::I16
            } else {
                SampleFormat::F32
            };
            hw.set_format(match format {
                SampleFormat::I16 => i16::FORMAT,
                SampleFormat::F32 => f32::FORMAT,
            })
            .map_err(no_device)?;
            let channels = hw
                .set_channels_near(u32::from(channels))
                .map_err(no_device)?;
            let rate = hw
                .set_rate_near(rate, ValueOr::Nearest)
                .map_err(no_device)?;
            let period = crate::units::frames(PERIOD_SECS, rate) as alsa::pcm::Frames;
            let period = hw
                .set_period_size_near(period, ValueOr::Nearest)
                .map_err(no_device)?;
            hw.set_periods_near(PERIODS, ValueOr::Nearest)
                .map_err(no_device)?;
            pcm.hw_params(&hw).map_err(no_device)?;
            let buffer = hw.get_buffer_size().map_err(no_device)?;
            (format, rate, channels, period, buffer)
        };
        {
            // Playing starts with the first period written: the first sound waits for nothing.
            let sw = pcm.sw_params_current().map_err(no_device)?;
            sw.set_start_threshold(period).map_err(no_device)?;
            pcm.sw_params(&sw).map_err(no_device)?;
        }
        let channels = u16::try_from(channels)
            .map_err(|_| LiveError::NoDevice(format!("{channels} channels")))?;
        let open = Open {
            pcm,
            format,
            period: period as usize,
        };
        Ok((open, rate, channels, buffer as u32))
    })
}

/// The writing thread's side of a stream.
struct Writer {
    open: Open,
    source: MixSource,
    channels: usize,
    faults: Arc<Faults>,
    stop: Arc<AtomicBool>,
}

impl Writer {
    /// Mixes and writes periods until told to stop or the device is lost, then drops what the
    /// device still holds.
    fn run(self) {
        match self.open.format {
            SampleFormat::I16 => self.write::<i16>(),
            SampleFormat::F32 => self.write::<f32>(),
        }
    }

    /// [`Writer::run`] for samples of type `T`.
    fn write<T: IoFormat + Sample + FromSample<f32>>(mut self) {
        let pcm = &self.open.pcm;
        let Ok(io) = pcm.io_checked::<T>() else {
            self.faults.report(Kind::Lost);
            return;
        };
        // The only allocation, before the first write.
        let mut period = vec![T::EQUILIBRIUM; self.open.period * self.channels];
        'periods: while !self.stop.load(Ordering::Relaxed) {
            self.source.fill(&mut period);
            let mut written = 0;
            while written < period.len() {
                match io.writei(&period[written..]) {
                    Ok(frames) => written += frames * self.channels,
                    // A signal interrupted the write: nothing went wrong, write the rest.
                    Err(e) if e.errno() == libc::EINTR => {}
                    Err(e) => {
                        if self.stop.load(Ordering::Relaxed) {
                            break 'periods;
                        }
                        let kind = Kind::of(e.errno());
                        if pcm.try_recover(e, true).is_err() {
                            self.faults.report(Kind::Lost);
                            return;
                        }
                        self.faults.report(kind);
                    }
                }
            }
        }
        let _ = pcm.drop();
    }
}

/// What went wrong with a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The device ran out of samples (the writer was late); recovered, playback goes on.
    Underrun,
    /// The device was suspended; recovered, playback goes on.
    Suspended,
    /// Any other error, or one that could not be recovered from: the stream cannot go on.
    Lost,
}

/// The kinds, told apart by their index plus one (0 for none).
const KINDS: [Kind; 3] = [Kind::Underrun, Kind::Suspended, Kind::Lost];

impl Kind {
    /// The kind of a write's error number.
    fn of(errno: i32) -> Kind {
        match errno {
            libc::EPIPE => Kind::Underrun,
            libc::ESTRPIPE => Kind::Suspended,
            _ => Kind::Lost,
        }
    }

    /// In words, as the play loop says it.
    fn words(self) -> &'static str {
        match self {
            Kind::Underrun => "underrun",
            Kind::Suspended => "device suspended",
            Kind::Lost => "device not available",
        }
    }
}

/// What the writing thread has reported, in atomics: nothing is built on that thread.
#[derive(Debug, Default)]
struct Faults {
    /// The latest error's kind (an index into [`KINDS`] plus one; 0 for none, taken).
    latest: AtomicU8,
    /// Errors reported so far, by every stream.
    count: AtomicU64,
}

impl Faults {
    /// Notes an error of `kind`.
    fn report(&self, kind: Kind) {
        let index = KINDS.iter().position(|&k| k == kind).unwrap_or(0);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.latest.store(index as u8 + 1, Ordering::Relaxed);
    }

    /// The latest error, as words, and whether the stream has ended with it.
    fn take(&self) -> Option<Fault> {
        let kind =
            *KINDS.get(usize::from(self.latest.swap(0, Ordering::Relaxed)).checked_sub(1)?)?;
        Some(Fault {
            what: kind.words().into(),
            fatal: kind == Kind::Lost,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_are_told_apart_and_only_a_loss_ends_the_stream() {
        let faults = Faults::default();
        assert_eq!(faults.take(), None);
        for (errno, what, fatal) in [
            (libc::EPIPE, "underrun", false),
            (libc::ESTRPIPE, "device suspended", false),
            (libc::EIO, "device not available", true),
            (libc::ENODEV, "device not available", true),
        ] {
            faults.report(Kind::of(errno));
            let fault = faults.take().unwrap();
            assert_eq!((fault.what.as_str(), fault.fatal), (what, fatal), "{errno}");
            // Taken: reported once.
            assert_eq!(faults.take(), None);
        }
        assert_eq!(faults.count.load(Ordering::Relaxed), 4);
    }
}
