//! Lossless FLAC with `flacenc`, one fixed-size frame at a time. The header is written first with
//! the exact sample count and an unset MD5 signature (all zeros, which the format allows); the
//! signature is known only at the end, so it comes back as a [`Patch`] that a file destination
//! writes into the header and a pipe goes without.

use std::io::Write;

use flacenc::bitsink::ByteSink;
use flacenc::component::BitRepr;
use flacenc::error::Verify;
use flacenc::source::{Context, Fill, FrameBuf};

use super::{EncodeError, Encoder, Layout, Metadata, Patch, to_i16};

/// Frames per FLAC block (the reference encoder's default at 48 kHz).
const BLOCK: usize = 4096;

/// Where STREAMINFO's MD5 signature starts: `fLaC`, the block header, 18 bytes of fields.
const MD5_OFFSET: u64 = 4 + 4 + 18;

/// Streams FLAC frames after a complete header.
pub struct FlacEncoder<W: Write> {
    sink: W,
    config: flacenc::error::Verified<flacenc::config::Encoder>,
    info: flacenc::component::StreamInfo,
    channels: usize,
    /// Interleaved samples waiting for a whole block.
    pending: Vec<i32>,
    framebuf: FrameBuf,
    frame_number: usize,
    bytes: ByteSink,
    /// The MD5 of the samples (little-endian), as STREAMINFO defines it.
    md5: Context,
    le: Vec<u8>,
}

fn codec(e: impl std::fmt::Debug) -> EncodeError {
    EncodeError::Codec(format!("FLAC encoder: {e:?}"))
}

impl<W: Write> FlacEncoder<W> {
    /// Writes `fLaC`, STREAMINFO and a VORBIS_COMMENT block with the tags and chapters.
    pub fn new(mut sink: W, layout: Layout, meta: &Metadata) -> Result<Self, EncodeError> {
        let channels = layout.channels as usize;
        if layout.frames >= 1 << 36 {
            return Err(EncodeError::TooLong(format!(
                "the session is {} frames, more than FLAC can count",
                layout.frames
            )));
        }
        let info = flacenc::component::StreamInfo::new(layout.rate as usize, channels, 16)
            .map_err(codec)?;
        let config = flacenc::config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| codec(e))?;

        let mut head = b"fLaC".to_vec();
        // STREAMINFO, not the last block.
        let mut si = Vec::with_capacity(34);
        si.extend_from_slice(&(BLOCK as u16).to_be_bytes()); // min block size
        si.extend_from_slice(&(BLOCK as u16).to_be_bytes()); // max block size
        si.extend_from_slice(&[0; 6]); // min and max frame size: unknown
        let packed: u64 = (u64::from(layout.rate) << 44)
            | ((channels as u64 - 1) << 41)
            | (15 << 36)
            | layout.frames;
        si.extend_from_slice(&packed.to_be_bytes());
        si.extend_from_slice(&[0; 16]); // MD5: unset
        block(&mut head, 0, false, &si);
        // VORBIS_COMMENT, the last block.
        block(&mut head, 4, true, &vorbis_comment_block(meta, layout.rate));
        sink.write_all(&head)?;

        Ok(FlacEncoder {
            sink,
            config,
            info,
            channels,
            pending: Vec::with_capacity(BLOCK * channels),
            framebuf: FrameBuf::with_size(channels, BLOCK).map_err(codec)?,
            frame_number: 0,
            bytes: ByteSink::new(),
            md5: Context::new(16, channels),
            le: Vec::with_capacity(BLOCK * channels * 2),
        })
    }

    /// Encodes `pending` (at most one block) as the next frame.
    fn flush_frame(&mut self) -> Result<(), EncodeError> {
        self.framebuf
            .fill_interleaved(&self.pending)
            .map_err(codec)?;
        self.le.clear();
        self.le
            .extend(self.pending.iter().flat_map(|&v| (v as i16).to_le_bytes()));
        self.md5.fill_le_bytes(&self.le, 2).map_err(codec)?;
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &self.framebuf,
            self.frame_number,
            &self.info,
        )
        .map_err(codec)?;
        self.bytes.clear();
        frame.write(&mut self.bytes).map_err(codec)?;
        self.sink.write_all(self.bytes.as_slice())?;
        self.frame_number += 1;
        self.pending.clear();
        Ok(())
    }
}

impl<W: Write> Encoder for FlacEncoder<W> {
    fn write(&mut self, mono: &[f32]) -> Result<(), EncodeError> {
        for &s in mono {
            let v = i32::from(to_i16(s));
            for _ in 0..self.channels {
                self.pending.push(v);
            }
            if self.pending.len() == BLOCK * self.channels {
                self.flush_frame()?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Option<Patch>, EncodeError> {
        if !self.pending.is_empty() {
            self.flush_frame()?;
        }
        self.sink.flush()?;
        Ok(Some(Patch {
            offset: MD5_OFFSET,
            bytes: self.md5.md5_digest().to_vec(),
        }))
    }
}

/// A metadata block: type, last-block flag, 24-bit length, body.
fn block(out: &mut Vec<u8>, kind: u8, last: bool, body: &[u8]) {
    out.push(kind | if last { 0x80 } else { 0 });
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
}

/// The body of a VORBIS_COMMENT block (little-endian lengths, as in Ogg Vorbis).
fn vorbis_comment_block(meta: &Metadata, rate: u32) -> Vec<u8> {
    let vendor = concat!("balasana-audio ", env!("CARGO_PKG_VERSION"), " (flacenc)");
    let comments = meta.vorbis_comments(rate);
    let mut out = Vec::new();
    out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    out.extend_from_slice(vendor.as_bytes());
    out.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for (k, v) in comments {
        let entry = format!("{k}={v}");
        out.extend_from_slice(&(entry.len() as u32).to_le_bytes());
        out.extend_from_slice(entry.as_bytes());
    }
    out
}
