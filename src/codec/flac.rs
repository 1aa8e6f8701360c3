//! Lossless FLAC with `flacenc`, fixed-size frames encoded a batch at a time on every core. The
//! header is written first with the exact sample count and an unset MD5 signature (all zeros,
//! which the format allows); the signature is known only at the end, so it comes back as a
//! [`Patch`] that a file destination writes into the header and a pipe goes without.
//!
//! Every channel of a render carries the same mono mix, so only that one channel is analysed and
//! coded: a stereo frame is stored as left plus a side channel that is constant zero (FLAC's
//! left/side assignment), more channels as copies of the one subframe. That is a quarter of the
//! work flacenc's stereo search does (left, right, mid and side, each coded in full), for the same
//! size. FLAC frames are independent, so a batch of them is split over the machine's cores and
//! written back in order: the bytes are the same whatever the number of threads.

use std::io::Write;
use std::num::NonZeroUsize;

use flacenc::bitsink::ByteSink;
use flacenc::component::{
    BitRepr, ChannelAssignment, Constant, Frame, FrameHeader, FrameOffset, StreamInfo, SubFrame,
};
use flacenc::error::{Verified, Verify};
use flacenc::source::{Context, Fill, FrameBuf};

use super::{EncodeError, Encoder, Layout, Metadata, Patch, pcm16_le, to_i16};

/// Frames per FLAC block (the reference encoder's default at 48 kHz).
const BLOCK: usize = 4096;

/// Blocks encoded together, shared out among the worker threads: 16 blocks are 1.4 s at 48 kHz,
/// enough that starting the threads costs nothing beside the coding, and half of what the render's
/// queue holds, so the mixer fills the next batch while this one is coded (with 64 it waited for
/// the coding, and the coding for it).
const BATCH: usize = 16;

/// The order of the linear predictor, `flac -5`'s (`-l 8`).
const LPC_ORDER: usize = 8;

/// Bits per sample of every render.
const BITS: usize = 16;

/// Where STREAMINFO's MD5 signature starts: `fLaC`, the block header, 18 bytes of fields.
const MD5_OFFSET: u64 = 4 + 4 + 18;

/// Streams FLAC frames after a complete header.
pub struct FlacEncoder<W: Write> {
    sink: W,
    coder: FrameCoder,
    /// Mono samples waiting for a whole batch.
    pending: Vec<i32>,
    /// Number of the next frame to write.
    frame_number: usize,
    /// Threads a batch is shared out among.
    workers: usize,
    /// The MD5 of the samples (little-endian, every channel), as STREAMINFO defines it.
    md5: Context,
    le: Vec<u8>,
}

/// What coding one frame needs: the settings, shared read-only by the worker threads.
struct FrameCoder {
    config: Verified<flacenc::config::Encoder>,
    /// The mono stream the one analysed channel is coded as.
    mono: StreamInfo,
    rate: usize,
    channels: usize,
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
        // Checks the rate and channel count against what FLAC allows.
        StreamInfo::new(layout.rate as usize, channels, BITS).map_err(codec)?;
        let mono = StreamInfo::new(layout.rate as usize, 1, BITS).map_err(codec)?;
        let mut config = flacenc::config::Encoder::default();
        // One channel is coded, so there is no stereo decision to search for.
        config.stereo_coding.use_leftside = false;
        config.stereo_coding.use_rightside = false;
        config.stereo_coding.use_midside = false;
        // `flac -5`'s effort: LPC of order 8 (flacenc's default is 10); the rest of flacenc's
        // defaults already match it (blocks of 4096, fixed predictors up to order 4, the rice
        // partitions chosen by estimate, no exhaustive model search).
        config.subframe_coding.qlpc.lpc_order = LPC_ORDER;
        let config = config.into_verified().map_err(|(_, e)| codec(e))?;

        let mut head = b"fLaC".to_vec();
        // STREAMINFO, not the last block.
        let mut si = Vec::with_capacity(34);
        si.extend_from_slice(&(BLOCK as u16).to_be_bytes()); // min block size
        si.extend_from_slice(&(BLOCK as u16).to_be_bytes()); // max block size
        si.extend_from_slice(&[0; 6]); // min and max frame size: unknown
        let packed: u64 = (u64::from(layout.rate) << 44)
            | ((channels as u64 - 1) << 41)
            | ((BITS as u64 - 1) << 36)
            | layout.frames;
        si.extend_from_slice(&packed.to_be_bytes());
        si.extend_from_slice(&[0; 16]); // MD5: unset
        block(&mut head, 0, false, &si);
        // VORBIS_COMMENT, the last block.
        block(&mut head, 4, true, &vorbis_comment_block(meta, layout.rate));
        sink.write_all(&head)?;

        Ok(FlacEncoder {
            sink,
            coder: FrameCoder {
                config,
                mono,
                rate: layout.rate as usize,
                channels,
            },
            pending: Vec::with_capacity(BLOCK * BATCH),
            frame_number: 0,
            workers: std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            md5: Context::new(BITS, channels),
            le: Vec::with_capacity(BLOCK * BATCH * channels * 2),
        })
    }

    /// Encodes `pending` (at most a batch) as the next frames, on `workers` threads: each codes a
    /// run of whole blocks while this one sums the MD5, then the runs are written in order.
    fn flush_batch(&mut self) -> Result<(), EncodeError> {
        let blocks = self.pending.len().div_ceil(BLOCK);
        let per_worker = blocks.div_ceil(self.workers).max(1) * BLOCK;
        let (coder, first) = (&self.coder, self.frame_number);
        let (md5, le, pending) = (&mut self.md5, &mut self.le, &self.pending);
        let runs = std::thread::scope(|scope| {
            let mut runs = pending.chunks(per_worker).enumerate();
            let own = runs.next();
            let others: Vec<_> = runs
                .map(|(i, run)| {
                    scope.spawn(move || coder.encode_run(run, first + i * per_worker / BLOCK))
                })
                .collect();
            // Sized once for a whole batch, then written over.
            let bytes = pending.len() * coder.channels * 2;
            if le.len() < bytes {
                le.resize(bytes, 0);
            }
            pcm16_le(pending, coder.channels, |v| v as i16, &mut le[..bytes]);
            let summed = md5.fill_le_bytes(&le[..bytes], 2).map_err(codec);
            let mut runs =
                vec![own.map_or(Ok(Vec::new()), |(_, run)| coder.encode_run(run, first))];
            runs.extend(others.into_iter().map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| Err(codec("a frame encoder panicked")))
            }));
            summed.map(|()| runs)
        })?;
        for run in runs {
            self.sink.write_all(&run?)?;
        }
        self.frame_number += blocks;
        self.pending.clear();
        Ok(())
    }
}

impl FrameCoder {
    /// The bytes of the frames numbered from `first` holding `samples`, one per [`BLOCK`] of
    /// them (the last may be shorter).
    fn encode_run(&self, samples: &[i32], first: usize) -> Result<Vec<u8>, EncodeError> {
        let mut framebuf = FrameBuf::with_size(1, BLOCK).map_err(codec)?;
        let mut bytes = ByteSink::new();
        for (i, block) in samples.chunks(BLOCK).enumerate() {
            framebuf.fill_interleaved(block).map_err(codec)?;
            let number = first + i;
            let mono =
                flacenc::encode_fixed_size_frame(&self.config, &framebuf, number, &self.mono)
                    .map_err(codec)?;
            self.spread(mono, block.len(), number)?
                .write(&mut bytes)
                .map_err(codec)?;
        }
        Ok(bytes.into_inner())
    }

    /// The frame of every channel from the mono frame `mono` of `len` samples, numbered `number`.
    fn spread(&self, mono: Frame, len: usize, number: usize) -> Result<Frame, EncodeError> {
        let (header, subframes) = mono.into_parts();
        let [channel]: [SubFrame; 1] = subframes
            .try_into()
            .map_err(|_| codec("a mono frame without one subframe"))?;
        let (assignment, subframes) = match self.channels {
            1 => return Frame::new(header, std::iter::once(channel)).map_err(codec),
            // Left, and a side channel (left − right, one bit wider) that is all zeros.
            2 => {
                let side = Constant::new(len, 0, BITS + 1).map_err(codec)?;
                (ChannelAssignment::LeftSide, vec![channel, side.into()])
            }
            n => (ChannelAssignment::Independent(n as u8), vec![channel; n]),
        };
        let offset = FrameOffset::Frame(number as u32);
        let header = FrameHeader::new(len, assignment, BITS, self.rate, offset).map_err(codec)?;
        Frame::new(header, subframes.into_iter()).map_err(codec)
    }
}

impl<W: Write> Encoder for FlacEncoder<W> {
    fn write(&mut self, mono: &[f32]) -> Result<(), EncodeError> {
        let mut rest = mono;
        while !rest.is_empty() {
            let room = BLOCK * BATCH - self.pending.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.pending
                .extend(now.iter().map(|&s| i32::from(to_i16(s))));
            if self.pending.len() == BLOCK * BATCH {
                self.flush_batch()?;
            }
            rest = later;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Option<Patch>, EncodeError> {
        if !self.pending.is_empty() {
            self.flush_batch()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::{FormatOptions, FormatReader};
    use symphonia::core::io::MediaSourceStream;

    /// A signal FLAC must code with every kind of subframe: silence, a tone, noise, full scale.
    fn signal(frames: usize) -> Vec<f32> {
        let mut seed = 1u32;
        (0..frames)
            .map(|i| match i / 20_000 % 4 {
                0 => 0.0,
                1 => (i as f32 * 0.05).sin() * 0.5,
                2 => {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1 << 23) as f32 - 1.0
                }
                _ => 1.5,
            })
            .collect()
    }

    fn encode(mono: &[f32], channels: u16, workers: usize) -> Vec<u8> {
        let layout = Layout {
            rate: 48_000,
            channels,
            frames: mono.len() as u64,
        };
        let mut out = Vec::new();
        let mut enc = Box::new(FlacEncoder::new(&mut out, layout, &Metadata::default()).unwrap());
        enc.workers = workers;
        // Uneven pieces, so batches and blocks are filled across calls.
        for piece in mono.chunks(70_001) {
            enc.write(piece).unwrap();
        }
        let patch = enc.finish().unwrap().unwrap();
        let at = patch.offset as usize;
        out[at..at + patch.bytes.len()].copy_from_slice(&patch.bytes);
        out
    }

    /// The interleaved 16-bit samples of a FLAC stream, and its channel count.
    fn decode(bytes: Vec<u8>) -> (usize, Vec<i16>) {
        let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
        let mut reader =
            symphonia::default::formats::FlacReader::try_new(mss, &FormatOptions::default())
                .unwrap();
        let params = reader.default_track().unwrap().codec_params.clone();
        let channels = params.channels.unwrap().count();
        let mut decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions { verify: true })
            .unwrap();
        let mut samples = Vec::new();
        while let Ok(packet) = reader.next_packet() {
            let decoded = decoder.decode(&packet).unwrap();
            let mut buf = SampleBuffer::<i16>::new(decoded.capacity() as u64, *decoded.spec());
            buf.copy_interleaved_ref(decoded);
            samples.extend_from_slice(buf.samples());
        }
        // `verify` checks the decoded samples against STREAMINFO's MD5 at the end.
        assert_eq!(decoder.finalize().verify_ok, Some(true), "MD5 signature");
        (channels, samples)
    }

    #[test]
    fn every_channel_decodes_to_the_mix_whatever_the_number_of_threads() {
        // Two batches and a short last block.
        let mono = signal(BLOCK * BATCH * 2 + 1_234);
        let want: Vec<i16> = mono.iter().map(|&s| to_i16(s)).collect();
        for channels in [1u16, 2, 3] {
            let one = encode(&mono, channels, 1);
            assert_eq!(one, encode(&mono, channels, 3), "{channels} channels");
            let (got_channels, got) = decode(one);
            assert_eq!(got_channels, usize::from(channels));
            let expected: Vec<i16> = want
                .iter()
                .flat_map(|&v| std::iter::repeat_n(v, channels.into()))
                .collect();
            assert!(got == expected, "{channels} channels: samples differ");
        }
    }
}
