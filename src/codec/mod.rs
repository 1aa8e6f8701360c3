//! The codecs: mixed frames encoded as WAV, FLAC or Ogg Vorbis, each streaming into any `Write`
//! with flat memory, each carrying the session's tags and one chapter per step. Samples in,
//! bytes out, no files: renders ([`crate::output::render`]) and the pack pipeline (its Ogg
//! Vorbis clips, [`ogg::VorbisStream`]) both stand on them.

pub mod flac;
pub mod ogg;
pub mod wav;

use std::io::Write;
use std::path::Path;

/// A file format a session can be rendered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// 16-bit PCM WAV, with `cue ` points and `LIST` labels for the steps.
    Wav,
    /// Lossless FLAC, with Vorbis-comment chapters.
    Flac,
    /// Ogg Vorbis, with Vorbis-comment chapters.
    Ogg,
}

impl Format {
    /// The extensions recognised, for messages.
    pub const SUPPORTED: &str = ".wav, .flac, .ogg";

    /// The format a file name's extension asks for (case-insensitive), if it is one of ours.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "wav" => Some(Format::Wav),
            "flac" => Some(Format::Flac),
            "ogg" | "oga" => Some(Format::Ogg),
            _ => None,
        }
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Wav => "WAV",
            Format::Flac => "FLAC",
            Format::Ogg => "Ogg Vorbis",
        }
    }

    /// The `--quality` range this format accepts, if it has a quality at all.
    pub fn quality_range(self) -> Option<(f32, f32)> {
        match self {
            Format::Wav | Format::Flac => None,
            Format::Ogg => Some((ogg::QUALITY_MIN, ogg::QUALITY_MAX)),
        }
    }
}

/// A chapter mark: where a step starts and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// First frame of the chapter.
    pub frame: u64,
    /// Its title.
    pub title: String,
}

/// What a rendered file says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The session's title (the script's).
    pub title: String,
    /// Who speaks (the voice pack's voice).
    pub artist: String,
    /// The collection the session belongs to.
    pub album: String,
    /// The render date, `YYYY-MM-DD`.
    pub date: String,
    /// The options the session was rendered with.
    pub comment: String,
    /// One chapter per step, in order.
    pub chapters: Vec<Chapter>,
}

impl Metadata {
    /// The tags and chapters as Vorbis comments (`TITLE=…`, `CHAPTER001=00:00:00.000`,
    /// `CHAPTER001NAME=…`), the form FLAC and Ogg share; `rate` turns chapter frames into time.
    pub fn vorbis_comments(&self, rate: u32) -> Vec<(String, String)> {
        let mut tags: Vec<(String, String)> = [
            ("TITLE", &self.title),
            ("ARTIST", &self.artist),
            ("ALBUM", &self.album),
            ("DATE", &self.date),
            ("COMMENT", &self.comment),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
        for (i, c) in self.chapters.iter().enumerate() {
            let n = i + 1;
            tags.push((
                format!("CHAPTER{n:03}"),
                crate::units::timestamp(c.frame, rate, '.'),
            ));
            tags.push((format!("CHAPTER{n:03}NAME"), c.title.clone()));
        }
        tags
    }
}

/// Why encoding stopped.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The destination refused the bytes (disk full, broken pipe, I/O error).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The encoder itself failed.
    #[error("{0}")]
    Codec(String),
    /// The session does not fit the format.
    #[error("{0}")]
    TooLong(String),
}

/// The stream layout every encoder is told up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Frames per second.
    pub rate: u32,
    /// Output channels; every channel carries the same mono mix.
    pub channels: u16,
    /// Exact number of frames that will be written (headers carry it, for pipes).
    pub frames: u64,
}

/// Bytes known only at the end that belong earlier in the file (FLAC's MD5 signature in its
/// header): a file destination writes them over what is at `offset`; a pipe goes without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// Byte offset from the start of the output.
    pub offset: u64,
    /// The bytes to write there.
    pub bytes: Vec<u8>,
}

/// A streaming encoder fed with the mixer's mono frames in large blocks.
pub trait Encoder {
    /// Encodes the next mono frames, each copied to every channel.
    fn write(&mut self, mono: &[f32]) -> Result<(), EncodeError>;
    /// Ends the stream (last frame, last page), flushes the sink, and returns what a seekable
    /// destination should rewrite in the header, if anything.
    fn finish(self: Box<Self>) -> Result<Option<Patch>, EncodeError>;
}

/// An encoder for `format` writing into `sink`; `quality` is the format's `--quality` value
/// (already range-checked), if it has one.
pub fn encoder<'a, W: Write + 'a>(
    format: Format,
    sink: W,
    layout: Layout,
    quality: Option<f32>,
    meta: &Metadata,
) -> Result<Box<dyn Encoder + 'a>, EncodeError> {
    Ok(match format {
        Format::Wav => Box::new(wav::WavEncoder::new(sink, layout, meta)?),
        Format::Flac => Box::new(flac::FlacEncoder::new(sink, layout, meta)?),
        Format::Ogg => Box::new(ogg::OggEncoder::new(
            sink,
            layout,
            quality.unwrap_or(ogg::QUALITY_DEFAULT),
            meta,
        )?),
    })
}

/// Converts a mixed sample to 16-bit PCM, clamping rather than wrapping.
pub fn to_i16(sample: f32) -> i16 {
    // `f32::round` is a libm call on baseline x86-64: round half away from zero by hand, from
    // the truncating cast (exact here: |v| < 2^15, so `v - i` is exact).
    let v = sample.clamp(-1.0, 1.0) * f32::from(i16::MAX);
    // NaN is silence, as the saturating cast made it; every other value is now within ±32767,
    // so the plain conversion below is exact, and it vectorizes where the saturating `as` did
    // not (2–3× faster; the same result for every f32, checked exhaustively over ±1.1).
    let v = if v.is_nan() { 0.0 } else { v };
    // SAFETY: `v` is finite and within ±32767, well inside i32.
    let i = unsafe { v.to_int_unchecked::<i32>() };
    let frac = v - i as f32;
    (i + i32::from(frac >= 0.5) - i32::from(frac <= -0.5)) as i16
}

/// `samples` converted by `to_pcm` as little-endian 16-bit PCM, each repeated on `channels`
/// channels, into `out` (exactly that long: written over, never zeroed first). Mono and stereo (nearly every render) go in fixed-size
/// steps the compiler vectorizes.
pub fn pcm16_le<T: Copy>(
    samples: &[T],
    channels: usize,
    to_pcm: impl Fn(T) -> i16,
    out: &mut [u8],
) {
    debug_assert_eq!(out.len(), samples.len() * channels * 2);
    match channels {
        1 => {
            for (bytes, &s) in out.chunks_exact_mut(2).zip(samples) {
                bytes.copy_from_slice(&to_pcm(s).to_le_bytes());
            }
        }
        2 => {
            for (bytes, &s) in out.chunks_exact_mut(4).zip(samples) {
                let v = u32::from(to_pcm(s) as u16);
                bytes.copy_from_slice(&(v | v << 16).to_le_bytes());
            }
        }
        _ => {
            for (frame, &s) in out.chunks_exact_mut(channels * 2).zip(samples) {
                let v = to_pcm(s).to_le_bytes();
                frame
                    .chunks_exact_mut(2)
                    .for_each(|b| b.copy_from_slice(&v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_half_away_from_zero_and_clamp() {
        let step = 1.0 / 32767.0;
        assert_eq!(to_i16(0.0), 0);
        assert_eq!(to_i16(2.5 * step), 3);
        assert_eq!(to_i16(-2.5 * step), -3);
        assert_eq!(to_i16(2.4 * step), 2);
        assert_eq!(to_i16(1.5), i16::MAX);
        assert_eq!(to_i16(-7.0), -i16::MAX);
        assert_eq!(to_i16(f32::INFINITY), i16::MAX);
        assert_eq!(to_i16(f32::NAN), 0);
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(Format::from_path(Path::new("a/s.FLAC")), Some(Format::Flac));
        assert_eq!(Format::from_path(Path::new("s.ogg")), Some(Format::Ogg));
        assert_eq!(Format::from_path(Path::new("s.wav")), Some(Format::Wav));
        assert_eq!(Format::from_path(Path::new("s.mp3")), None);
        assert_eq!(Format::from_path(Path::new("-")), None);
    }
}
