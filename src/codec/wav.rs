//! 16-bit PCM WAV, written front to back: the header carries the exact length up front, so the
//! file can stream into a pipe. Steps are `cue ` points labelled in a `LIST`/`adtl` chunk; the tags
//! are a `LIST`/`INFO` chunk. Both come before the `data` chunk.

use std::io::Write;

use super::{EncodeError, Encoder, Layout, Metadata, Patch, pcm16_le, to_i16};

/// Bytes of samples gathered before each write: large writes keep system calls few, and the sink
/// needs no buffer of its own (the render hands this encoder the file unbuffered).
const WRITE: usize = 1 << 20;

/// Streams PCM frames after a complete header, in writes of about [`WRITE`] bytes.
pub struct WavEncoder<W: Write> {
    sink: W,
    channels: usize,
    /// Little-endian samples, written over from the start after each write.
    bytes: Vec<u8>,
    /// How many of `bytes` are waiting to be written.
    filled: usize,
}

impl<W: Write> WavEncoder<W> {
    /// Writes the header, `cue `, `LIST` chunks and the `data` chunk header into `sink`.
    pub fn new(mut sink: W, layout: Layout, meta: &Metadata) -> Result<Self, EncodeError> {
        let channels = layout.channels as usize;
        let data_len = layout.frames * channels as u64 * 2;
        let header = header(layout, meta, data_len)?;
        sink.write_all(&header)?;
        let frame_bytes = channels * 2;
        Ok(WavEncoder {
            sink,
            channels,
            bytes: vec![0; (WRITE / frame_bytes).max(1) * frame_bytes],
            filled: 0,
        })
    }
}

impl<W: Write> Encoder for WavEncoder<W> {
    fn write(&mut self, mono: &[f32]) -> Result<(), EncodeError> {
        let frame_bytes = self.channels * 2;
        let mut rest = mono;
        while !rest.is_empty() {
            let room = (self.bytes.len() - self.filled) / frame_bytes;
            let (now, later) = rest.split_at(room.min(rest.len()));
            let end = self.filled + now.len() * frame_bytes;
            pcm16_le(
                now,
                self.channels,
                to_i16,
                &mut self.bytes[self.filled..end],
            );
            self.filled = end;
            if self.filled == self.bytes.len() {
                self.sink.write_all(&self.bytes)?;
                self.filled = 0;
            }
            rest = later;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Option<Patch>, EncodeError> {
        self.sink.write_all(&self.bytes[..self.filled])?;
        self.sink.flush()?;
        Ok(None)
    }
}

/// A RIFF chunk: id, little-endian length, body, pad byte to an even length.
fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// A NUL-terminated string, as `labl` and `INFO` entries hold them.
fn zstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// Everything before the samples, for `data_len` bytes of them.
fn header(layout: Layout, meta: &Metadata, data_len: u64) -> Result<Vec<u8>, EncodeError> {
    let channels = layout.channels;
    let mut fmt = Vec::with_capacity(16);
    fmt.extend_from_slice(&1u16.to_le_bytes()); // PCM
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&layout.rate.to_le_bytes());
    fmt.extend_from_slice(&(layout.rate * u32::from(channels) * 2).to_le_bytes());
    fmt.extend_from_slice(&(channels * 2).to_le_bytes());
    fmt.extend_from_slice(&16u16.to_le_bytes());

    let mut body = b"WAVE".to_vec();
    chunk(&mut body, b"fmt ", &fmt);

    if !meta.chapters.is_empty() {
        let mut cue = (meta.chapters.len() as u32).to_le_bytes().to_vec();
        let mut labels = b"adtl".to_vec();
        for (i, c) in meta.chapters.iter().enumerate() {
            let id = i as u32 + 1;
            let frame = u32::try_from(c.frame).unwrap_or(u32::MAX);
            cue.extend_from_slice(&id.to_le_bytes());
            cue.extend_from_slice(&frame.to_le_bytes()); // play-order position
            cue.extend_from_slice(b"data");
            cue.extend_from_slice(&0u32.to_le_bytes()); // chunk start
            cue.extend_from_slice(&0u32.to_le_bytes()); // block start
            cue.extend_from_slice(&frame.to_le_bytes()); // sample offset
            let mut labl = id.to_le_bytes().to_vec();
            labl.extend_from_slice(&zstr(&c.title));
            chunk(&mut labels, b"labl", &labl);
        }
        chunk(&mut body, b"cue ", &cue);
        chunk(&mut body, b"LIST", &labels);
    }

    let mut info = b"INFO".to_vec();
    for (id, value) in [
        (b"INAM", &meta.title),
        (b"IART", &meta.artist),
        (b"IPRD", &meta.album),
        (b"ICRD", &meta.date),
        (b"ICMT", &meta.comment),
    ] {
        if !value.is_empty() {
            chunk(&mut info, id, &zstr(value));
        }
    }
    if info.len() > 4 {
        chunk(&mut body, b"LIST", &info);
    }

    let riff_len = body.len() as u64 + 8 + data_len;
    let riff_len = u32::try_from(riff_len).map_err(|_| {
        EncodeError::TooLong(format!(
            "the session is {} frames, more than a WAV file can hold (4 GiB); use .flac or .ogg",
            layout.frames
        ))
    })?;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&riff_len.to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    Ok(out)
}
