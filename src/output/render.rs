//! Rendering a session to a file, a pipe or standard output, as WAV, FLAC or Ogg Vorbis.
//!
//! The mixer runs on the calling thread and hands large blocks to an encoder on another thread,
//! which writes into the [`Target`]: a file is replaced only when complete, so a failure or an
//! interrupt never leaves a half-written file; a pipe or device is streamed into and never replaced.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::target::Target;
use crate::codec::{self, EncodeError, Encoder, Format, Layout, Metadata, Patch};
use crate::mix::Mixer;

/// Sample rate of renders and of `--plan`.
pub const RATE: u32 = 48_000;
/// Channels of renders.
pub const CHANNELS: u16 = 2;

/// Why a render failed; a regular target file is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The destination could not be opened or written.
    #[error("cannot write {}: {message}", shown(path))]
    Write {
        /// The target path (`-` for standard output).
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Stopped by Ctrl-C or a termination signal.
    #[error("render interrupted; {} was not written", shown(path))]
    Interrupted {
        /// The target path.
        path: PathBuf,
    },
}

/// How a path is named in messages: `-` is standard output.
fn shown(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard output".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Frames mixed per block while rendering.
const BLOCK: usize = 16_384;

/// Blocks in flight between the mixer and the encoder.
const QUEUE: usize = 8;

/// What to render: the format, its quality, the channels and the tags.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file format.
    pub format: Format,
    /// `--quality`, already checked against the format's range.
    pub quality: Option<f32>,
    /// Output channels, each the same mono mix.
    pub channels: u16,
    /// Tags and chapters.
    pub metadata: Metadata,
}

/// Where the render went, for the closing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The bytes went to standard output (so messages belong on stderr).
    pub to_stdout: bool,
}

/// The render format (`format` if given, else the extension; `-` is WAV unless told) with
/// `quality` checked against it; the error is the one-line message for a usage error.
pub fn choose_format(
    path: &Path,
    format: Option<Format>,
    quality: Option<f32>,
) -> Result<Format, String> {
    let format = match (format, Format::from_path(path)) {
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) if path.as_os_str() == "-" => Format::Wav,
        (None, None) => {
            return Err(format!(
                "--render {}: unknown file type; supported: {} (or --format wav|flac|ogg)",
                path.display(),
                Format::SUPPORTED
            ));
        }
    };
    match (quality, format.quality_range()) {
        (None, _) => Ok(format),
        (Some(q), Some((lo, hi))) if (lo..=hi).contains(&q) => Ok(format),
        (Some(q), Some((lo, hi))) => Err(format!(
            "--quality {q} is outside the allowed range {lo} to {hi} for {}",
            format.name()
        )),
        (Some(_), None) => Err(format!(
            "--quality applies to Ogg only; {} is lossless",
            format.name()
        )),
    }
}

/// Opens the destination (see [`Target::open`]) before any audio is mixed, so a bad path fails
/// at once.
pub fn open(path: &Path) -> Result<Target, RenderError> {
    Target::open(path).map_err(|e| RenderError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The encoder of `spec`'s format writing into `target`: WAV gathers large writes itself, so it
/// writes unbuffered; FLAC and Ogg write frame by frame, through a buffer.
fn encoder<'a>(
    spec: &Spec,
    target: &'a Target,
    layout: Layout,
) -> Result<Box<dyn Encoder + 'a>, EncodeError> {
    let (format, quality, meta) = (spec.format, spec.quality, &spec.metadata);
    match format {
        Format::Wav => codec::encoder(format, target.unbuffered(), layout, quality, meta),
        _ => codec::encoder(format, target.writer(), layout, quality, meta),
    }
}

/// Writes the whole session into `target` (opened from `path`) at the mixer's `rate`. `stop` is
/// polled between blocks; when it says so the render is abandoned.
pub fn render(
    mut mixer: Mixer,
    rate: u32,
    spec: &Spec,
    target: Target,
    path: &Path,
    stop: impl Fn() -> bool,
) -> Result<Written, RenderError> {
    let fail = |e: EncodeError| RenderError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let layout = Layout {
        rate,
        channels: spec.channels,
        frames: mixer.len(),
    };
    let to_stdout = target.is_stdout();
    let (tx, rx) = mpsc::sync_channel::<Vec<f32>>(QUEUE);
    let (back, spare) = mpsc::channel::<Vec<f32>>();
    let outcome = std::thread::scope(|scope| {
        let target = &target;
        // Ok(Some(patch)) when finished, Ok(None) when abandoned (the mixer stopped sending).
        let encoder = scope.spawn(move || -> Result<Option<Option<Patch>>, EncodeError> {
            let mut enc = encoder(spec, target, layout)?;
            // An empty block marks the end; a closed channel without it means abandoned.
            for block in rx {
                if block.is_empty() {
                    return enc.finish().map(Some);
                }
                enc.write(&block)?;
                let _ = back.send(block);
            }
            Ok(None)
        });
        let mut interrupted = false;
        loop {
            if stop() {
                interrupted = true;
                break;
            }
            let mut block = spare.try_recv().unwrap_or_else(|_| vec![0.0; BLOCK]);
            block.resize(BLOCK, 0.0);
            let n = mixer.fill(&mut block);
            block.truncate(n);
            // A failed send means the encoder stopped on an error, reported by join below.
            if tx.send(block).is_err() || n == 0 {
                break;
            }
        }
        drop(tx);
        let encoded = encoder
            .join()
            .unwrap_or_else(|_| Err(EncodeError::Codec("the encoder panicked".into())));
        (interrupted, encoded)
    });
    match outcome {
        (true, _) => Err(RenderError::Interrupted {
            path: path.to_path_buf(),
        }),
        (false, Err(e)) => Err(fail(e)),
        // The encoder ends without the end mark only when the mixer stopped sending: interrupted.
        (false, Ok(patch)) => {
            if let Some(Patch { offset, bytes }) = patch.flatten() {
                target.patch(offset, &bytes).map_err(|e| fail(e.into()))?;
            }
            target.commit().map_err(|e| fail(e.into()))?;
            Ok(Written { to_stdout })
        }
    }
}
