//! Ogg Vorbis with the reference libvorbis (aoTuV) through `vorbis_rs`.
//!
//! [`VorbisStream`] is the shared piece: it encodes mono or multichannel f32 blocks into any
//! `Write` with the given comment tags, for renders and for anything else that needs an `.ogg`
//! (voice-pack clips, for one).

use std::io::Write;
use std::num::{NonZeroU8, NonZeroU32};

use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoder, VorbisEncoderBuilder};

use super::{EncodeError, Encoder, Layout, Metadata, Patch};

/// Lowest `--quality` for Ogg, on oggenc's scale.
pub const QUALITY_MIN: f32 = -1.0;
/// Highest `--quality` for Ogg, on oggenc's scale.
pub const QUALITY_MAX: f32 = 10.0;
/// The default Ogg quality for renders: oggenc's 4 (about 128 kb/s for music, far less for a
/// session that is mostly one voice and silence); see docs/decisions.md.
pub const QUALITY_DEFAULT: f32 = 4.0;

/// Frames handed to libvorbis at a time (its documentation suggests about 1024; larger blocks
/// only add latency, far smaller ones add calls).
const CHUNK: usize = 4096;

/// An Ogg Vorbis stream being written: feed it planar f32 blocks, then [`VorbisStream::finish`].
/// The last page's granule position is the exact number of frames fed, so decoders that honour it
/// return exactly that many.
pub struct VorbisStream<W: Write> {
    encoder: VorbisEncoder<W>,
}

fn codec(e: vorbis_rs::VorbisError) -> EncodeError {
    match e {
        vorbis_rs::VorbisError::Io(e) => EncodeError::Io(e),
        e => EncodeError::Codec(format!("Vorbis encoder: {e}")),
    }
}

impl<W: Write> VorbisStream<W> {
    /// Starts a stream of `channels` channels at `rate` Hz in `sink`, with `tags` as Vorbis
    /// comments (`("TITLE", "…")`), at `quality` on oggenc's scale −1…10 (clamped), under a
    /// random stream serial.
    pub fn new(
        sink: W,
        rate: u32,
        channels: u8,
        quality: f32,
        tags: &[(String, String)],
    ) -> Result<Self, EncodeError> {
        let (rate, channels) = shape(rate, channels)?;
        let builder = VorbisEncoderBuilder::new(rate, channels, sink).map_err(codec)?;
        Self::start(builder, quality, tags)
    }

    /// [`VorbisStream::new`] under the stream serial `serial`, so the same input gives the same
    /// bytes (voice-pack clips, whose serial comes from their cue id).
    pub fn with_serial(
        sink: W,
        rate: u32,
        channels: u8,
        quality: f32,
        tags: &[(String, String)],
        serial: i32,
    ) -> Result<Self, EncodeError> {
        let (rate, channels) = shape(rate, channels)?;
        let builder = VorbisEncoderBuilder::new_with_serial(rate, channels, sink, serial);
        Self::start(builder, quality, tags)
    }

    /// Sets the quality and tags and writes the headers.
    fn start(
        mut builder: VorbisEncoderBuilder<W>,
        quality: f32,
        tags: &[(String, String)],
    ) -> Result<Self, EncodeError> {
        builder.bitrate_management_strategy(VorbisBitrateManagementStrategy::QualityVbr {
            target_quality: quality.clamp(QUALITY_MIN, QUALITY_MAX) / 10.0,
        });
        for (k, v) in tags {
            builder.comment_tag(k.as_str(), v.as_str()).map_err(codec)?;
        }
        Ok(VorbisStream {
            encoder: builder.build().map_err(codec)?,
        })
    }

    /// Encodes one block: a slice per channel, all the same length (any length; long blocks are
    /// split for libvorbis).
    pub fn write_planar(&mut self, channels: &[&[f32]]) -> Result<(), EncodeError> {
        let len = channels.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK).min(len);
            let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
            self.encoder.encode_audio_block(&block).map_err(codec)?;
            start = end;
        }
        Ok(())
    }

    /// Ends the stream (the last page, with the final granule position) and returns the sink.
    pub fn finish(self) -> Result<W, EncodeError> {
        self.encoder.finish().map_err(codec)
    }
}

/// A rate and channel count libvorbis accepts.
fn shape(rate: u32, channels: u8) -> Result<(NonZeroU32, NonZeroU8), EncodeError> {
    let rate = NonZeroU32::new(rate).ok_or_else(|| codec_msg("a rate of 0 Hz"))?;
    let channels =
        NonZeroU8::new(channels).ok_or_else(|| codec_msg("a stream with no channels"))?;
    Ok((rate, channels))
}

fn codec_msg(what: &str) -> EncodeError {
    EncodeError::Codec(format!("Vorbis encoder: cannot encode {what}"))
}

/// A render into Ogg Vorbis: the mono mix copied to every channel.
pub struct OggEncoder<W: Write> {
    stream: VorbisStream<W>,
    channels: usize,
}

impl<W: Write> OggEncoder<W> {
    /// Starts the stream with the session's tags and chapters as Vorbis comments.
    pub fn new(
        sink: W,
        layout: Layout,
        quality: f32,
        meta: &Metadata,
    ) -> Result<Self, EncodeError> {
        let channels = u8::try_from(layout.channels).map_err(|_| codec_msg("over 255 channels"))?;
        let tags = meta.vorbis_comments(layout.rate);
        Ok(OggEncoder {
            stream: VorbisStream::new(sink, layout.rate, channels, quality, &tags)?,
            channels: usize::from(channels),
        })
    }
}

impl<W: Write> Encoder for OggEncoder<W> {
    fn write(&mut self, mono: &[f32]) -> Result<(), EncodeError> {
        let planar = vec![mono; self.channels];
        self.stream.write_planar(&planar)
    }

    fn finish(self: Box<Self>) -> Result<Option<Patch>, EncodeError> {
        let mut sink = self.stream.finish()?;
        sink.flush()?;
        Ok(None)
    }
}
