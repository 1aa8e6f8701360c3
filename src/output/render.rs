//! Rendering a session to a WAV file with hound.
//!
//! The file is written to a temporary name beside the target and renamed into place only when
//! complete, so a failure or an interrupt never leaves a half-written file.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::mix::Mixer;

/// Why a render failed; the target file is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The file or its temporary sibling could not be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The target path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Stopped by Ctrl-C or a termination signal.
    #[error("render interrupted; {path} was not written")]
    Interrupted {
        /// The target path.
        path: PathBuf,
    },
}

/// Frames mixed per block while rendering.
const BLOCK: usize = 16_384;

/// Converts a mixed sample to 16-bit PCM, clamping rather than wrapping.
pub fn to_i16(sample: f32) -> i16 {
    // `f32::round` is a libm call on baseline x86-64: round half away from zero by hand, from
    // the truncating cast (exact here: |v| < 2^15, so `v - i` is exact).
    let v = sample.clamp(-1.0, 1.0) * f32::from(i16::MAX);
    let i = v as i32;
    let frac = v - i as f32;
    (i + i32::from(frac >= 0.5) - i32::from(frac <= -0.5)) as i16
}

/// Writes the whole session as 16-bit PCM with `channels` identical channels at the mixer's rate.
/// `stop` is polled between blocks; when it says so the render is abandoned.
pub fn render(
    mut mixer: Mixer,
    rate: u32,
    channels: u16,
    path: &Path,
    stop: impl Fn() -> bool,
) -> Result<(), RenderError> {
    let fail = |message: String| RenderError::Write {
        path: path.to_path_buf(),
        message,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".balasana-render-").suffix(".wav.partial");
    // A finished render is an ordinary file, not a private temporary one.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let temp = builder.tempfile_in(dir).map_err(|e| fail(e.to_string()))?;
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::new(BufWriter::new(temp.as_file()), spec)
        .map_err(|e| fail(e.to_string()))?;
    let mut block = vec![0.0f32; BLOCK];
    loop {
        if stop() {
            return Err(RenderError::Interrupted {
                path: path.to_path_buf(),
            });
        }
        let n = mixer.fill(&mut block);
        if n == 0 {
            break;
        }
        let mut samples = writer.get_i16_writer(n as u32 * u32::from(channels));
        for &s in &block[..n] {
            let v = to_i16(s);
            for _ in 0..channels {
                samples.write_sample(v);
            }
        }
        samples.flush().map_err(|e| fail(e.to_string()))?;
    }
    writer.finalize().map_err(|e| fail(e.to_string()))?;
    temp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    temp.persist(path).map_err(|e| fail(e.error.to_string()))?;
    Ok(())
}
