//! Clips decoded: any format rodio reads (WAV, FLAC, Ogg Vorbis, MP3) to mono samples at their own
//! rate, with the guards fuzzing showed are needed before the decoder library sees a file (absurd
//! rates, claimed lengths beyond the file, samples that are not numbers, clips too long, decoder
//! panics), and the one walker of RIFF chunks. Bytes in: reading files is the pack's.

use std::io::Cursor;

use crate::loudness::{self, Level};

/// The longest clip or ambience bed that is decoded: 10 minutes.
pub const MAX_CLIP_SECONDS: u32 = 600;

/// A decoded clip: mono samples at their own rate, and how loud they are.
#[derive(Debug, Clone)]
pub struct Clip {
    /// Mono samples, nominally in −1..1.
    pub samples: Vec<f32>,
    /// Samples per second.
    pub rate: u32,
    /// Measured loudness and peak.
    pub level: Level,
}

impl Clip {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate)
    }
}

/// The error for a clip longer than [`MAX_CLIP_SECONDS`].
pub fn too_long_message() -> String {
    format!(
        "longer than the {}-minute limit for a clip",
        MAX_CLIP_SECONDS / 60
    )
}

/// Sample rates a clip may have, in Hz. Outside them the resampler would need absurd amounts of
/// memory (a header claiming 1.4 GHz asked for gigabytes; found by fuzzing).
pub const CLIP_RATES: std::ops::RangeInclusive<u32> = 4_000..=384_000;

/// The error for a clip whose sample rate is outside [`CLIP_RATES`], if it is.
fn check_rate(rate: u32) -> Result<(), String> {
    if CLIP_RATES.contains(&rate) {
        return Ok(());
    }
    Err(format!(
        "sample rate {rate} Hz is outside {}–{} Hz",
        CLIP_RATES.start(),
        CLIP_RATES.end()
    ))
}

/// Largest sample magnitude a clip may have (full scale is 1; a float file may go over it).
const MAX_SAMPLE: f32 = 1_000.0;

/// `bytes` from the first occurrence of a format's `marker` on (empty if none): the decoder
/// probes for markers anywhere in the file, not only at its start.
fn from_marker<'a>(bytes: &'a [u8], marker: &[u8; 4]) -> &'a [u8] {
    bytes
        .windows(4)
        .position(|w| w == marker)
        .map_or(&[], |at| &bytes[at..])
}

/// Refuses a WAV whose format chunk claims a sample rate outside [`CLIP_RATES`] before the
/// decoder sees it: symphonia 0.5 panics on a zero rate (found by fuzzing). Walks the chunks as
/// symphonia does, from the first `RIFF` on; anything else malformed is left to the decoder,
/// which reports it.
fn check_wav_header(bytes: &[u8]) -> Result<(), String> {
    let Some(chunks) = riff_chunks(from_marker(bytes, b"RIFF")) else {
        return Ok(());
    };
    for chunk in chunks {
        if chunk.id == b"fmt " && chunk.size >= 16 && chunk.rest.len() >= 8 {
            check_rate(u32::from_le_bytes([
                chunk.rest[4],
                chunk.rest[5],
                chunk.rest[6],
                chunk.rest[7],
            ]))?;
        }
    }
    Ok(())
}

/// Refuses a FLAC whose comment or picture metadata claims a length beyond its block: the
/// decoder allocates a claimed length before reading it (gigabytes from a few bytes; found by
/// fuzzing). Anything else malformed is left to the decoder, which reports it.
fn check_flac_header(bytes: &[u8]) -> Result<(), String> {
    let bytes = from_marker(bytes, b"fLaC");
    if !bytes.starts_with(b"fLaC") {
        return Ok(());
    }
    let mut at = 4;
    while at + 4 <= bytes.len() {
        let (last, kind) = (bytes[at] & 0x80 != 0, bytes[at] & 0x7f);
        let len = u32::from_be_bytes([0, bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let body = &bytes[at + 4..(at + 4 + len).min(bytes.len())];
        // Reads a length field at `pos` (little-endian in comments, big-endian in pictures) and
        // checks that what it claims fits the block; returns the position after the field's data.
        let field = |pos: usize, little: bool| -> Result<usize, String> {
            let Some(raw) = body.get(pos..pos.saturating_add(4)) else {
                return Ok(usize::MAX);
            };
            let raw = [raw[0], raw[1], raw[2], raw[3]];
            let claimed = if little {
                u32::from_le_bytes(raw)
            } else {
                u32::from_be_bytes(raw)
            } as usize;
            if claimed > len.saturating_sub(pos.saturating_add(4)) {
                return Err(format!(
                    "FLAC metadata claims {claimed} bytes in a block of {len}"
                ));
            }
            Ok(pos.saturating_add(4).saturating_add(claimed))
        };
        match kind {
            4 => {
                // Vendor string, comment count, then each comment.
                let mut pos = field(0, true)?;
                let count = body
                    .get(pos..pos.saturating_add(4))
                    .map_or(0, |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize);
                pos = pos.saturating_add(4);
                for _ in 0..count {
                    if pos >= body.len() {
                        break;
                    }
                    pos = field(pos, true)?;
                }
            }
            6 => {
                // Picture type, then MIME type and description, four numbers, then the data.
                let pos = field(4, false)?;
                let pos = field(pos, false)?;
                field(pos.saturating_add(16), false)?;
            }
            _ => {}
        }
        if last {
            break;
        }
        at += 4 + len;
    }
    Ok(())
}

std::thread_local! {
    /// Set while this thread runs the decoder library, whose panics [`decode`] turns into errors.
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (decoder library code), turning a panic in it into an error. Malformed files make
/// symphonia 0.5 panic in places no header check reaches (an MP3 frame with no channels divides
/// by zero; found by fuzzing); such a file is one bad clip, not a crash. The panic message is
/// kept off stderr, which gets the usual one-line error instead.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(|d| d.get()) {
                previous(info);
            }
        }));
    });
    DECODING.with(|d| d.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DECODING.with(|d| d.set(false));
    result.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("malformed audio (the decoder failed: {what})"))
    })
}

/// Decodes any format rodio reads into mono samples (channels averaged) and measures them. A WAV
/// whose header claims more audio than the file holds, a sample rate outside [`CLIP_RATES`],
/// samples that are not numbers, and a clip longer than [`MAX_CLIP_SECONDS`] (found while
/// decoding: decoding stops there) are refused; a decoder panic is an error, not a crash.
pub fn decode(bytes: Vec<u8>) -> Result<Clip, String> {
    let (rate, samples) = decode_samples(bytes)?;
    let level = loudness::measure(&samples, rate);
    Ok(Clip {
        samples,
        rate,
        level,
    })
}

/// [`decode`] without the measuring: the rate and the mono samples.
pub fn decode_samples(bytes: Vec<u8>) -> Result<(u32, Vec<f32>), String> {
    check_wav_data(&bytes)?;
    check_wav_header(&bytes)?;
    check_flac_header(&bytes)?;
    use rodio::Source;
    guarded(|| {
        let decoder = rodio::Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        let channels = usize::from(decoder.channels().get());
        let rate = decoder.sample_rate().get();
        check_rate(rate)?;
        let limit = MAX_CLIP_SECONDS as usize * rate as usize;
        let mut samples = Vec::new();
        let (mut sum, mut n) = (0.0f32, 0usize);
        for s in decoder {
            // A float file can hold NaN, infinities or absurd values, which would poison the
            // loudness measure and make the FFT resampler panic (found by fuzzing).
            if !s.is_finite() || s.abs() > MAX_SAMPLE {
                return Err(format!(
                    "sample value {s} is not a number within ±{MAX_SAMPLE}"
                ));
            }
            sum += s;
            n += 1;
            if n == channels {
                if samples.len() == limit {
                    return Err(too_long_message());
                }
                samples.push(sum / channels as f32);
                (sum, n) = (0.0, 0);
            }
        }
        Ok((rate, samples))
    })
}

/// For a RIFF/WAVE file whose `data` chunk claims more bytes than follow it, the error saying
/// so. A size of `0xFFFFFFFF` (written by streaming encoders that cannot seek back) claims
/// nothing.
pub fn check_wav_data(bytes: &[u8]) -> Result<(), String> {
    let Some(data) = riff_chunks(bytes).and_then(|mut c| c.find(|c| c.id == b"data")) else {
        return Ok(());
    };
    let held = data.rest.len();
    if data.size != u32::MAX && data.size as usize > held {
        return Err(format!(
            "the WAV header claims {} bytes of audio but the file holds {held} (truncated?)",
            data.size
        ));
    }
    Ok(())
}

/// One chunk of a RIFF file: its id, the size its header claims, and every byte from its body
/// to the end of the file (a file may hold less than the size claims, or more).
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// The four-byte id: `fmt `, `data`, `LIST`, …
    pub id: &'a [u8],
    /// The body's size as the chunk's header claims it.
    pub size: u32,
    /// The bytes from the start of the body to the end of the file.
    pub rest: &'a [u8],
}

/// The chunks of a RIFF/WAVE file in order, or `None` when `bytes` does not start as one. Walked
/// as symphonia walks them (each body padded to an even length), to where a chunk header no
/// longer fits: the one walker of WAV headers, for the decoder's guards and [`crate::probe`].
pub fn riff_chunks(bytes: &[u8]) -> Option<impl Iterator<Item = Chunk<'_>>> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut at: usize = 12;
    Some(std::iter::from_fn(move || {
        let header = bytes.get(at..at.checked_add(8)?)?;
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let body = at + 8;
        let padded = size as usize + (size as usize & 1);
        at = body.saturating_add(padded);
        Some(Chunk {
            id: &header[..4],
            size,
            rest: &bytes[body..],
        })
    }))
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono WAV of a short sine at `rate` Hz, header written by hand (any rate).
    fn wav_at(rate: u32) -> Vec<u8> {
        let data: Vec<u8> = (0..200)
            .flat_map(|i| (((i as f32 * 0.3).sin() * 16_000.0) as i16).to_le_bytes())
            .collect();
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF");
        w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        w.extend_from_slice(b"WAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes()); // PCM
        w.extend_from_slice(&1u16.to_le_bytes()); // mono
        w.extend_from_slice(&rate.to_le_bytes());
        w.extend_from_slice(&(rate.wrapping_mul(2)).to_le_bytes());
        w.extend_from_slice(&2u16.to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(b"data");
        w.extend_from_slice(&(data.len() as u32).to_le_bytes());
        w.extend_from_slice(&data);
        w
    }

    #[test]
    fn absurd_sample_rates_are_refused_with_the_rate_named() {
        for rate in [1_412_571_968, 3_999, 384_001] {
            let err = decode(wav_at(rate)).unwrap_err();
            assert_eq!(
                err,
                format!("sample rate {rate} Hz is outside 4000–384000 Hz")
            );
        }
        for rate in [4_000, 8_000, 384_000] {
            assert_eq!(decode(wav_at(rate)).unwrap().rate, rate);
        }
    }

    #[test]
    fn a_wav_claiming_zero_hertz_is_an_error_not_a_panic() {
        // The decoder library panics on a zero rate ("TimeBase cannot have 0 numerator or
        // denominator"); the header is checked first.
        assert_eq!(
            decode(wav_at(0)).unwrap_err(),
            "sample rate 0 Hz is outside 4000–384000 Hz"
        );
    }

    #[test]
    fn an_mp3_frame_without_channels_is_an_error_not_a_panic() {
        // Found by fuzzing: symphonia divides by the channel count of this frame, zero.
        let mp3 = include_bytes!("../fuzz/regressions/clip/panic-mp3-frame-without-channels");
        let err = decode(mp3.to_vec()).unwrap_err();
        assert!(
            err.starts_with("malformed audio (the decoder failed: "),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn float_samples_that_are_not_finite_are_refused() {
        // Found by fuzzing: a NaN reached the FFT resampler, which panicked.
        let wav = include_bytes!("../fuzz/regressions/clip/panic-float-wav-nan-in-resampler");
        let err = decode(wav.to_vec()).unwrap_err();
        assert!(err.starts_with("sample value "), "{err}");
        assert!(err.ends_with(" is not a number within ±1000"), "{err}");
    }

    #[test]
    fn a_flac_comment_claiming_gigabytes_is_refused_before_decoding() {
        // Found by fuzzing: the decoder allocated the claimed 2.5 GB before reading.
        // The second has junk before its marker, which the decoder skips.
        for flac in [
            &include_bytes!("../fuzz/regressions/clip/oom-flac-comment-length")[..],
            &include_bytes!("../fuzz/regressions/clip/oom-flac-comment-length-after-junk")[..],
        ] {
            let err = decode(flac.to_vec()).unwrap_err();
            assert!(err.starts_with("FLAC metadata claims "), "{err}");
        }
        // A real FLAC, with its comments, still decodes.
        let real = include_bytes!("../tests/fixtures/burst-48k-stereo.flac");
        assert_eq!(decode(real.to_vec()).unwrap().rate, 48_000);
    }

    #[test]
    fn riff_chunks_walk_padded_bodies_and_keep_the_rest_of_the_file() {
        let mut wav = wav_at(8_000);
        // A LIST chunk of odd size (padded by one byte) after the data.
        wav.extend_from_slice(b"LIST\x03\0\0\0abc\0junk");
        let chunks: Vec<(&[u8], u32, usize)> = riff_chunks(&wav)
            .unwrap()
            .map(|c| (c.id, c.size, c.rest.len()))
            .collect();
        assert_eq!(
            chunks,
            [
                (&b"fmt "[..], 16, wav.len() - 20),
                (&b"data"[..], 400, wav.len() - 44),
                (&b"LIST"[..], 3, 8),
            ]
        );
        assert!(riff_chunks(b"RIFF\0\0\0\0WAVX").is_none());
        assert!(riff_chunks(b"OggS").is_none());
    }

    #[test]
    fn a_wav_claiming_more_audio_than_it_holds_is_refused() {
        let wav = wav_at(8_000);
        assert_eq!(check_wav_data(&wav), Ok(()));
        assert_eq!(
            check_wav_data(&wav[..144]),
            Err(
                "the WAV header claims 400 bytes of audio but the file holds 100 (truncated?)"
                    .into()
            )
        );
        // A streaming encoder's "unknown" size claims nothing.
        let mut streamed = wav.clone();
        streamed[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(check_wav_data(&streamed[..144]), Ok(()));
    }
}
