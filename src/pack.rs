//! Voice packs: a folder with `pack.toml` and one clip per cue, in any format rodio decodes.
//!
//! A pack is found by name under `audio/`, by path, or is the default pack compiled into the
//! binary. Its clips are decoded once, mixed down to mono and resampled with a band-limited
//! resampler to the output rate; chimes come from the pack if it has them, else are synthesized.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use rubato::{FftFixedInOut, Resampler};
use serde::Deserialize;

use crate::chime::Chime;
use crate::script::{Script, line_column};
use crate::timeline::ClipLengths;

/// The pack used when `--pack` is not given.
pub const DEFAULT_PACK: &str = "joe";

/// The default pack, compiled in so an installed binary needs no files.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/audio/joe");

/// A pack that cannot be found, read or played.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// No pack of that name or path.
    #[error("voice pack {name:?} not found (looked in {looked})")]
    NotFound {
        /// What was asked for.
        name: String,
        /// Where it was looked for.
        looked: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `pack.toml` is not valid.
    #[error("{path}:{line}:{column}: {message}")]
    Manifest {
        /// The manifest file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A cue the script speaks has no clip in the pack.
    #[error("voice pack {pack:?} has no clip for cue {cue:?} (expected {expected})")]
    MissingCue {
        /// Pack name.
        pack: String,
        /// The cue id.
        cue: String,
        /// The file it would be.
        expected: String,
    },
    /// A clip could not be decoded.
    #[error("{path}: cannot decode clip for cue {cue:?}: {message}")]
    Decode {
        /// The clip file.
        path: String,
        /// The cue id.
        cue: String,
        /// The decoder's message.
        message: String,
    },
    /// A clip decoded to no sound at all.
    #[error("{path}: clip for cue {cue:?} is empty")]
    Empty {
        /// The clip file.
        path: String,
        /// The cue id.
        cue: String,
    },
}

/// The contents of `pack.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Pack name.
    pub name: String,
    /// BCP 47 language tag, e.g. `en-US`.
    pub language: String,
    /// Who or what speaks.
    pub voice: String,
    /// Licence of the clips (and of the voice model that made them).
    pub licence: String,
    /// Credits.
    pub credits: String,
    /// The exact command that generated the pack, if it was generated.
    #[serde(default)]
    pub generated_by: Option<String>,
    /// Synthesis settings, informational.
    #[serde(default)]
    pub synthesis: Option<String>,
    /// Clip file (relative to the pack folder) for each cue id.
    pub clips: BTreeMap<String, String>,
    /// Optional chime clips by chime name (`start`, `step`, `inhale`, `exhale`, `hold-end`, `end`).
    #[serde(default)]
    pub chimes: BTreeMap<String, String>,
}

/// Where a pack's files live.
#[derive(Debug, Clone)]
pub enum Location {
    /// Compiled into the binary.
    Embedded,
    /// A folder on disk.
    Folder(PathBuf),
}

impl Location {
    /// Finds a pack: `spec` is a name under `<base>/audio/` or a path to a pack folder; no spec
    /// means `audio/joe/` under `base` if it exists, else the built-in default.
    pub fn find(spec: Option<&str>, base: &Path) -> Result<Location, PackError> {
        let name = spec.unwrap_or(DEFAULT_PACK);
        let as_path = Path::new(name);
        let looks_like_path = name.contains(['/', '\\']) || name.starts_with('.');
        if looks_like_path {
            return if as_path.join("pack.toml").is_file() {
                Ok(Location::Folder(as_path.to_path_buf()))
            } else {
                Err(PackError::NotFound {
                    name: name.into(),
                    looked: format!("{}", as_path.join("pack.toml").display()),
                })
            };
        }
        let folder = base.join("audio").join(name);
        if folder.join("pack.toml").is_file() {
            Ok(Location::Folder(folder))
        } else if name == DEFAULT_PACK {
            Ok(Location::Embedded)
        } else {
            Err(PackError::NotFound {
                name: name.into(),
                looked: format!("{}", folder.join("pack.toml").display()),
            })
        }
    }

    /// How the location reads in messages.
    pub fn describe(&self, file: &str) -> String {
        match self {
            Location::Embedded => format!("<built-in audio/{DEFAULT_PACK}>/{file}"),
            Location::Folder(dir) => dir.join(file).display().to_string(),
        }
    }

    fn read(&self, file: &str) -> Result<Vec<u8>, PackError> {
        match self {
            Location::Embedded => EMBEDDED
                .get_file(file)
                .map(|f| f.contents().to_vec())
                .ok_or_else(|| PackError::Read {
                    path: self.describe(file),
                    source: std::io::ErrorKind::NotFound.into(),
                }),
            Location::Folder(dir) => {
                std::fs::read(dir.join(file)).map_err(|source| PackError::Read {
                    path: self.describe(file),
                    source,
                })
            }
        }
    }
}

/// A decoded clip: mono samples at their own rate.
#[derive(Debug, Clone)]
pub struct Clip {
    /// Mono samples, nominally in −1..1.
    pub samples: Vec<f32>,
    /// Samples per second.
    pub rate: u32,
}

/// A loaded pack: its manifest and every clip the script needs, decoded.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Where it came from.
    pub location: Location,
    /// Its `pack.toml`.
    pub manifest: Manifest,
    /// Decoded clips by cue id, chime clips under their `chime-…` cue ids.
    pub clips: HashMap<String, Clip>,
}

impl Pack {
    /// Reads the manifest and decodes every clip the script speaks (and any pack chimes).
    pub fn load(location: Location, script: &Script) -> Result<Pack, PackError> {
        let manifest_path = location.describe("pack.toml");
        let text = String::from_utf8_lossy(&location.read("pack.toml")?).into_owned();
        let manifest: Manifest = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(&text, s.start));
            PackError::Manifest {
                path: manifest_path.clone(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        for key in manifest.chimes.keys() {
            if !Chime::ALL.iter().any(|c| c.key() == key) {
                let offset = text.find(&format!("{key} =")).unwrap_or(0);
                let (line, column) = line_column(&text, offset);
                return Err(PackError::Manifest {
                    path: manifest_path,
                    line,
                    column,
                    message: format!(
                        "unknown chime {key:?} (chimes are start, step, inhale, exhale, hold-end, end)"
                    ),
                });
            }
        }

        let mut wanted: Vec<(String, String)> = Vec::new();
        for line in script.lines() {
            let file = manifest
                .clips
                .get(&line.cue)
                .ok_or_else(|| PackError::MissingCue {
                    pack: manifest.name.clone(),
                    cue: line.cue.clone(),
                    expected: format!("{} = \"{}.ogg\" in {manifest_path}", line.cue, line.cue),
                })?;
            wanted.push((line.cue.clone(), file.clone()));
        }
        for chime in Chime::ALL {
            if let Some(file) = manifest.chimes.get(chime.key()) {
                wanted.push((chime.cue().to_owned(), file.clone()));
            }
        }

        let mut clips = HashMap::with_capacity(wanted.len());
        for (cue, file) in wanted {
            let bytes = location.read(&file)?;
            let clip = decode(bytes).map_err(|message| PackError::Decode {
                path: location.describe(&file),
                cue: cue.clone(),
                message,
            })?;
            if clip.samples.is_empty() {
                return Err(PackError::Empty {
                    path: location.describe(&file),
                    cue,
                });
            }
            clips.insert(cue, clip);
        }
        Ok(Pack {
            location,
            manifest,
            clips,
        })
    }

    /// Total length of the pack's voice clips, in seconds.
    pub fn speech_seconds(&self) -> f64 {
        self.clips
            .iter()
            .filter(|(cue, _)| !cue.starts_with("chime-"))
            .map(|(_, c)| c.samples.len() as f64 / f64::from(c.rate))
            .sum()
    }
}

/// Decodes any format rodio reads into mono samples (channels averaged).
fn decode(bytes: Vec<u8>) -> Result<Clip, String> {
    let decoder = rodio::Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    use rodio::Source;
    let channels = usize::from(decoder.channels().get());
    let rate = decoder.sample_rate().get();
    let interleaved: Vec<f32> = decoder.collect();
    let samples = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok(Clip { samples, rate })
}

/// Resamples mono `input` from `from` to `to` Hz with a band-limited FFT resampler.
/// The result has exactly `ceil(len * to / from)` samples, aligned with the input to within a
/// fraction of a frame.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to {
        return input.to_vec();
    }
    resample_aligned(input, from, to, resampler_delay(from, to))
}

/// [`resample`] with the resampler's delay for this rate pair already measured.
fn resample_aligned(input: &[f32], from: u32, to: u32, delay: usize) -> Vec<f32> {
    if from == to {
        return input.to_vec();
    }
    let want = (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let mut out = run_resampler(input, from, to, want + delay);
    out.drain(..delay);
    out
}

/// Runs rubato's FFT resampler over `input` (zero-padded at the end) until `frames` are out.
fn run_resampler(input: &[f32], from: u32, to: u32, frames: usize) -> Vec<f32> {
    // Construction fails only for a zero rate; decoders and devices report positive rates.
    let mut resampler = FftFixedInOut::<f32>::new(from as usize, to as usize, 1024, 1)
        .expect("positive sample rates");
    let mut out = Vec::with_capacity(frames + resampler.output_frames_max());
    let mut pos = 0;
    while out.len() < frames {
        let need = resampler.input_frames_next();
        let chunk = &input[pos.min(input.len())..(pos + need).min(input.len())];
        let block = if chunk.len() == need {
            resampler.process(&[chunk], None)
        } else if chunk.is_empty() {
            resampler.process_partial::<&[f32]>(None, None)
        } else {
            resampler.process_partial(Some(&[chunk]), None)
        }
        .expect("buffers sized by the resampler");
        out.extend_from_slice(&block[0]);
        pos += need;
    }
    out.truncate(frames);
    out
}

/// The resampler's delay in output frames, measured on an impulse: rubato's `output_delay()`
/// is an estimate that can be a frame off, and a frame is what this player promises.
fn resampler_delay(from: u32, to: u32) -> usize {
    const AT: usize = 512;
    let mut impulse = vec![0.0f32; 2 * AT];
    impulse[AT] = 1.0;
    let ratio = f64::from(to) / f64::from(from);
    let expected = AT as f64 * ratio;
    let out = run_resampler(&impulse, from, to, (2.0 * expected) as usize + 512);
    let peak = (1..out.len() - 1)
        .max_by(|&a, &b| out[a].total_cmp(&out[b]))
        .unwrap_or(0);
    // Refine the peak between samples with a parabola through its neighbours.
    let (y0, y1, y2) = (out[peak - 1], out[peak], out[peak + 1]);
    let curve = f64::from(y0 - 2.0 * y1 + y2);
    let frac = if curve.abs() > 1e-9 {
        0.5 * f64::from(y0 - y2) / curve
    } else {
        0.0
    };
    (peak as f64 + frac - expected).round().max(0.0) as usize
}

/// Clips ready to mix: mono, at one output rate, shared without copying.
#[derive(Debug, Clone)]
pub struct Clips {
    /// Samples per second.
    pub rate: u32,
    /// Samples by cue id, chimes included.
    pub by_cue: HashMap<String, Arc<[f32]>>,
}

impl Clips {
    /// Resamples a pack's clips to `rate` and adds synthesized chimes where the pack has none.
    pub fn prepare(pack: &Pack, rate: u32) -> Clips {
        let mut delays: HashMap<u32, usize> = HashMap::new();
        let mut by_cue: HashMap<String, Arc<[f32]>> = HashMap::with_capacity(pack.clips.len());
        for (cue, clip) in &pack.clips {
            let delay = *delays.entry(clip.rate).or_insert_with(|| {
                if clip.rate == rate {
                    0
                } else {
                    resampler_delay(clip.rate, rate)
                }
            });
            let samples = resample_aligned(&clip.samples, clip.rate, rate, delay);
            by_cue.insert(cue.clone(), samples.into());
        }
        for chime in Chime::ALL {
            by_cue
                .entry(chime.cue().to_owned())
                .or_insert_with(|| chime.synthesize(rate).into());
        }
        Clips { rate, by_cue }
    }

    /// Each clip's length in frames, for the timeline.
    pub fn lengths(&self) -> ClipLengths {
        self.by_cue
            .iter()
            .map(|(cue, s)| (cue.clone(), s.len() as u64))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n)
            .map(|i| (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5)
            .collect()
    }

    #[test]
    fn resample_keeps_length_timing_and_pitch() {
        let input = sine(440.0, 22_050, 1.0);
        let out = resample(&input, 22_050, 48_000);
        assert_eq!(out.len(), 48_000);
        // Compare against the ideal 440 Hz sine at 48 kHz away from the edges.
        let ideal = sine(440.0, 48_000, 1.0);
        let err = out[2000..46_000]
            .iter()
            .zip(&ideal[2000..46_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn resample_keeps_an_impulse_in_place() {
        for (from, to) in [
            (22_050, 48_000),
            (44_100, 48_000),
            (48_000, 44_100),
            (16_000, 48_000),
        ] {
            let mut input = vec![0.0f32; from as usize / 10];
            input[1000] = 1.0;
            let out = resample(&input, from, to);
            let peak = (0..out.len())
                .max_by(|&a, &b| out[a].total_cmp(&out[b]))
                .unwrap();
            let expected = 1000.0 * f64::from(to) / f64::from(from);
            assert!(
                (peak as f64 - expected).abs() <= 1.0,
                "{from}->{to}: {peak} vs {expected}"
            );
        }
    }

    #[test]
    fn resample_is_identity_at_same_rate() {
        let input = sine(300.0, 48_000, 0.1);
        assert_eq!(resample(&input, 48_000, 48_000), input);
    }

    #[test]
    fn embedded_pack_covers_the_script() {
        let script = Script::parse(crate::script::EMBEDDED, crate::script::EMBEDDED_NAME).unwrap();
        let pack = Pack::load(Location::Embedded, &script).unwrap();
        assert_eq!(pack.manifest.name, DEFAULT_PACK);
        for line in script.lines() {
            assert!(pack.clips.contains_key(&line.cue), "{}", line.cue);
        }
    }
}
