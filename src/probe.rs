//! Clip lengths without decoding, read from the container's headers (Ogg Vorbis, FLAC, WAV).
//! Pure: bytes in, a shape out. Clips whose headers do not say (MP3) are decoded once and their
//! shape remembered in the cache ([`crate::cache`]).
//!
//! The length a clip will have once prepared (decoded, loudness-matched, resampled with
//! [`crate::resample::resample_into`]) follows from its own rate and frame count alone:
//! [`prepared_frames`]. That is all `--plan` and the timeline need.

use crate::decode::riff_chunks;

/// A clip's own rate and length in frames (samples per channel), as decoding would give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Samples per second.
    pub rate: u32,
    /// Frames the decoder yields.
    pub frames: u64,
}

/// Frames a clip of `shape` has once resampled to `rate` ([`crate::resample::resampled_len`]).
pub fn prepared_frames(shape: Shape, rate: u32) -> u64 {
    crate::resample::resampled_len(shape.frames, shape.rate, rate)
}

/// The shape from the headers, for the containers whose headers state it exactly; `None` for
/// anything else (MP3, a FLAC stream of unknown length, a malformed header).
pub fn from_headers(bytes: &[u8]) -> Option<Shape> {
    let shape = if bytes.starts_with(b"OggS") {
        ogg_vorbis(bytes)
    } else if bytes.starts_with(b"fLaC") {
        flac(bytes)
    } else if bytes.starts_with(b"RIFF") {
        wav(bytes)
    } else {
        None
    }?;
    (shape.rate > 0).then_some(shape)
}

/// Ogg Vorbis: symphonia's own Ogg reader (the one rodio decodes with) reads the identification
/// and setup headers and the first and last pages, no audio. rodio's decoder reads the stream
/// unseekable and trims neither end: it yields the stated frames plus the start delay and the end
/// padding the granule positions imply.
fn ogg_vorbis(b: &[u8]) -> Option<Shape> {
    use symphonia::core::formats::{FormatOptions, FormatReader};
    use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
    let source = MediaSourceStream::new(
        Box::new(std::io::Cursor::new(b.to_vec())),
        MediaSourceStreamOptions::default(),
    );
    let options = FormatOptions {
        enable_gapless: true,
        ..FormatOptions::default()
    };
    let reader = symphonia::default::formats::OggReader::try_new(source, &options).ok()?;
    let [track] = reader.tracks() else {
        return None;
    };
    let p = &track.codec_params;
    if p.codec != symphonia::core::codecs::CODEC_TYPE_VORBIS || p.start_ts != 0 {
        return None;
    }
    let trimmed = u64::from(p.delay.unwrap_or(0)) + u64::from(p.padding.unwrap_or(0));
    Some(Shape {
        rate: p.sample_rate?,
        frames: p.n_frames? + trimmed,
    })
}

/// FLAC: STREAMINFO's sample rate and total samples (0 means unknown: `None`).
fn flac(b: &[u8]) -> Option<Shape> {
    // "fLaC", then the first metadata block, which must be STREAMINFO (type 0, 34 bytes).
    if *b.get(4)? & 0x7f != 0 {
        return None;
    }
    let info = b.get(8..8 + 34)?;
    let rate =
        (u32::from(info[10]) << 12) | (u32::from(info[11]) << 4) | (u32::from(info[12]) >> 4);
    let total = (u64::from(info[13] & 0x0f) << 32)
        | u64::from(u32::from_be_bytes(info[14..18].try_into().ok()?));
    (total > 0).then_some(Shape {
        rate,
        frames: total,
    })
}

/// WAV: the `fmt ` chunk's rate and block size, the `data` chunk's size. Only plain PCM and
/// float (format 1 or 3) with a `data` size that is stated and held in full.
fn wav(b: &[u8]) -> Option<Shape> {
    let le16 = |b: &[u8], at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let le32 = |b: &[u8], at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    let mut fmt = None;
    for chunk in riff_chunks(b)? {
        if chunk.id == b"fmt " {
            let format = le16(chunk.rest, 0)?;
            let rate = le32(chunk.rest, 4)?;
            let align = le16(chunk.rest, 12)?;
            if !matches!(format, 1 | 3) || align == 0 {
                return None;
            }
            fmt = Some((rate, u64::from(align)));
        } else if chunk.id == b"data" {
            let (rate, align) = fmt?;
            if chunk.size == u32::MAX || chunk.size as usize > chunk.rest.len() {
                return None;
            }
            return Some(Shape {
                rate,
                frames: u64::from(chunk.size) / align,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_length_rounds_up_and_keeps_same_rate() {
        let s = |rate, frames| Shape { rate, frames };
        assert_eq!(prepared_frames(s(48_000, 1234), 48_000), 1234);
        assert_eq!(prepared_frames(s(22_050, 22_050), 48_000), 48_000);
        assert_eq!(prepared_frames(s(22_050, 1), 48_000), 3);
        assert_eq!(prepared_frames(s(44_100, 441), 48_000), 480);
    }

    #[test]
    fn malformed_headers_are_not_trusted() {
        assert_eq!(from_headers(b""), None);
        assert_eq!(from_headers(b"OggS\0\0"), None);
        assert_eq!(from_headers(b"fLaC\0\0\0\x22"), None);
        assert_eq!(from_headers(b"RIFF\0\0\0\0WAVEdata"), None);
        assert_eq!(from_headers(b"ID3\x04"), None);
    }
}
