//! Voice packs: a folder with `pack.toml` and one clip per cue, in any format rodio decodes.
//!
//! A pack is found by name under `audio/`, in the user's data folder, by path, or is the default
//! pack compiled into the binary. Its clips are decoded once, mixed down to mono, measured for
//! loudness, and at preparation gained to a common target and resampled to the output rate.
//! Cues a pack lacks can come from the default pack; chimes come from the pack if it has them,
//! else are synthesized.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

use crate::chime::Chime;
use crate::cue::Cue;
use crate::loudness::{self, AMBIENCE_TARGET_LUFS, CHIME_TARGET_LUFS, Level, VOICE_TARGET_LUFS};
use crate::resample::{resample_aligned, resampler_delay};
use crate::script::{Script, line_column};
use crate::timeline::ClipLengths;

/// The pack used when `--pack` is not given.
pub const DEFAULT_PACK: &str = "heart";

/// The largest pack file (clip, bed or `pack.toml`) that is read: 64 MB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The longest clip or ambience bed that is decoded: 10 minutes.
pub const MAX_CLIP_SECONDS: u32 = 600;

/// Bytes in a megabyte, for messages.
const MB: f64 = (1u64 << 20) as f64;

/// The default pack, compiled in so an installed binary needs no files.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/audio/heart");

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
    /// No ambience bed of that name in the pack (or the default pack).
    #[error("voice pack {pack:?} has no ambience {name:?} (it has: {available})")]
    NoAmbience {
        /// Pack name.
        pack: String,
        /// The bed asked for.
        name: String,
        /// The beds there are.
        available: String,
    },
    /// A path in `pack.toml` that leads outside the pack folder.
    #[error("voice pack {pack:?}: {what} is {file:?}, {why}")]
    Outside {
        /// Pack name.
        pack: String,
        /// Which entry: `clip for cue "welcome"`, `chime "start"`, `ambience "ocean"`.
        what: String,
        /// The path as written.
        file: String,
        /// Why it is outside.
        why: String,
    },
    /// A pack file larger than [`MAX_FILE_BYTES`], refused before reading.
    #[error("{path} is {:.1} MB, over the {} MB limit for a pack file", *.bytes as f64 / MB, MAX_FILE_BYTES >> 20)]
    TooLarge {
        /// The file.
        path: String,
        /// Its size in bytes.
        bytes: u64,
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

/// The contents of `pack.toml`: read by [`Manifest::load`], written only by [`Manifest::to_toml`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_by: Option<String>,
    /// Synthesis settings, informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthesis: Option<String>,
    /// Clip file (relative to the pack folder) for each cue id.
    pub clips: BTreeMap<String, String>,
    /// Optional ambience beds by name, looped under a session with `--ambience NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ambience: BTreeMap<String, String>,
    /// Optional chime clips by chime name (`start`, `step`, `inhale`, `exhale`, `hold-end`, `end`,
    /// `pause`, `resume`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
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
    /// Finds a pack. `spec` is a path (it contains a slash or starts with `.`) or a name, looked
    /// for as `<base>/audio/NAME`, then in the user's packs folder ([`user_packs`]); the default
    /// name falls back to the built-in pack. No spec means the default pack.
    pub fn find(spec: Option<&str>, base: &Path) -> Result<Location, PackError> {
        let name = spec.unwrap_or(DEFAULT_PACK);
        let is_pack = |dir: &Path| dir.join("pack.toml").is_file();
        if name.contains(['/', '\\']) || name.starts_with('.') {
            let dir = PathBuf::from(name);
            return if is_pack(&dir) {
                Ok(Location::Folder(dir))
            } else {
                Err(PackError::NotFound {
                    name: name.into(),
                    looked: dir.join("pack.toml").display().to_string(),
                })
            };
        }
        let candidates: Vec<PathBuf> = std::iter::once(base.join("audio"))
            .chain(user_packs())
            .map(|d| d.join(name))
            .collect();
        if let Some(dir) = candidates.iter().find(|d| is_pack(d)) {
            Ok(Location::Folder(dir.clone()))
        } else if name == DEFAULT_PACK {
            Ok(Location::Embedded)
        } else {
            let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
            Err(PackError::NotFound {
                name: name.into(),
                looked: looked.join(", "),
            })
        }
    }

    /// Whether this is the default pack (built in, or its folder under `audio/`).
    pub fn is_default(&self) -> bool {
        match self {
            Location::Embedded => true,
            Location::Folder(dir) => dir.file_name().is_some_and(|n| n == DEFAULT_PACK),
        }
    }

    /// Whether the pack has `file`.
    pub fn has(&self, file: &str) -> bool {
        match self {
            Location::Embedded => EMBEDDED.get_file(file).is_some(),
            Location::Folder(dir) => dir.join(file).is_file(),
        }
    }

    /// Every file name in the pack folder (not recursive).
    pub fn files(&self) -> Vec<String> {
        match self {
            Location::Embedded => EMBEDDED
                .files()
                .filter_map(|f| f.path().to_str().map(str::to_owned))
                .collect(),
            Location::Folder(dir) => std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().is_file())
                        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// How the location reads in messages.
    pub fn describe(&self, file: &str) -> String {
        match self {
            Location::Embedded => format!("<built-in audio/{DEFAULT_PACK}>/{file}"),
            Location::Folder(dir) => dir.join(file).display().to_string(),
        }
    }

    /// Reads one file of the pack.
    pub fn read(&self, file: &str) -> Result<Vec<u8>, PackError> {
        match self {
            Location::Embedded => EMBEDDED
                .get_file(file)
                .map(|f| f.contents().to_vec())
                .ok_or_else(|| PackError::Read {
                    path: self.describe(file),
                    source: std::io::ErrorKind::NotFound.into(),
                }),
            Location::Folder(dir) => {
                use std::io::Read;
                let fail = |source| PackError::Read {
                    path: self.describe(file),
                    source,
                };
                let too_large = |bytes| PackError::TooLarge {
                    path: self.describe(file),
                    bytes,
                };
                let f = std::fs::File::open(dir.join(file)).map_err(fail)?;
                let size = f.metadata().map_err(fail)?.len();
                if size > MAX_FILE_BYTES {
                    return Err(too_large(size));
                }
                // The size can lie (a file still growing, a device): never read past the limit.
                let mut bytes = Vec::with_capacity(size as usize);
                f.take(MAX_FILE_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(fail)?;
                if bytes.len() as u64 > MAX_FILE_BYTES {
                    return Err(too_large(bytes.len() as u64));
                }
                Ok(bytes)
            }
        }
    }
}

/// The user's own packs folder: `<data dir>/balasana-audio/audio` (on Linux
/// `$XDG_DATA_HOME/balasana-audio/audio`, by default `~/.local/share/balasana-audio/audio`).
pub fn user_packs() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("balasana-audio").join("audio"))
}

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

    /// The clip matched to `target` LUFS and resampled to `rate`; `delays` keeps the resampler
    /// delay measured for each source rate, so it is measured once per rate pair.
    fn prepared(&self, target: f64, rate: u32, delays: &mut HashMap<u32, usize>) -> Arc<[f32]> {
        let delay = *delays.entry(self.rate).or_insert_with(|| {
            if self.rate == rate {
                0
            } else {
                resampler_delay(self.rate, rate)
            }
        });
        let gain = loudness::matching_gain(self.level, target);
        let mut samples = resample_aligned(&self.samples, self.rate, rate, delay);
        samples.iter_mut().for_each(|s| *s *= gain);
        samples.into()
    }
}

impl Manifest {
    /// Reads and parses a pack's `pack.toml`.
    pub fn load(location: &Location) -> Result<Manifest, PackError> {
        let path = location.describe("pack.toml");
        let text = match String::from_utf8(location.read("pack.toml")?) {
            Ok(text) => text,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let before = String::from_utf8_lossy(&bytes[..valid]);
                let (line, column) = line_column(&before, valid);
                return Err(PackError::Manifest {
                    path,
                    line,
                    column,
                    message: "not UTF-8 (pack.toml must be UTF-8 text)".into(),
                });
            }
        };
        let at = |offset: usize, message: String| {
            let (line, column) = line_column(&text, offset);
            PackError::Manifest {
                path: path.clone(),
                line,
                column,
                message,
            }
        };
        let manifest: Manifest = toml::from_str(&text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )
        })?;
        for key in manifest.chimes.keys() {
            if !Chime::ALL.iter().any(|c| c.key() == key) {
                return Err(at(
                    text.find(&format!("{key} =")).unwrap_or(0),
                    format!(
                        "unknown chime {key:?} (chimes are start, step, inhale, exhale, hold-end, end, pause, resume)"
                    ),
                ));
            }
        }
        for (kind, entries) in [
            ("clip", &manifest.clips),
            ("chime", &manifest.chimes),
            ("ambience", &manifest.ambience),
        ] {
            for (key, file) in entries {
                let what = match kind {
                    "clip" => format!("clip for cue {key:?}"),
                    _ => format!("{kind} {key:?}"),
                };
                contained(location, &manifest.name, &what, kind, file)?;
            }
        }
        Ok(manifest)
    }

    /// The manifest as `pack.toml` text, which [`Manifest::load`] reads back unchanged whatever
    /// the strings hold. `notes` puts a comment above a clip's entry (e.g. the line to record);
    /// line breaks and control characters in a note become spaces.
    pub fn to_toml(&self, notes: &BTreeMap<String, String>) -> String {
        // Serializing string maps and strings cannot fail.
        let text = toml::to_string(self).expect("a manifest serializes");
        let mut out = String::with_capacity(text.len());
        let mut in_clips = false;
        for line in text.lines() {
            if line.starts_with('[') {
                in_clips = line == "[clips]";
            } else if in_clips {
                let key = line.split(" = ").next().unwrap_or("").trim_matches('"');
                if let Some(note) = notes.get(key) {
                    let note: String = note
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    out.push_str("# ");
                    out.push_str(note.trim());
                    out.push('\n');
                }
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// Refuses a `pack.toml` path that leads outside the pack folder: absolute, with a `..`
/// component, a drive letter or a backslash, or a symlink in the pack resolving outside it.
/// `what` names the entry (`clip for cue "welcome"`), `kind` the sort of path (`clip`).
fn contained(
    location: &Location,
    pack: &str,
    what: &str,
    kind: &str,
    file: &str,
) -> Result<(), PackError> {
    let outside = |why: String| PackError::Outside {
        pack: pack.to_owned(),
        what: what.to_owned(),
        file: file.to_owned(),
        why,
    };
    let lexical = !file.is_empty()
        && !file.starts_with('/')
        && !file.contains(['\\', ':', '\0'])
        && file.split('/').all(|part| part != "..");
    if !lexical {
        return Err(outside(format!(
            "outside the pack folder ({kind} paths are relative, without ..)"
        )));
    }
    if let Location::Folder(dir) = location {
        // A missing file is reported (or borrowed) later, as a missing cue.
        if let (Ok(root), Ok(target)) = (dir.canonicalize(), dir.join(file).canonicalize())
            && !target.starts_with(&root)
        {
            return Err(outside(format!(
                "a link to {}, outside the pack folder",
                target.display()
            )));
        }
    }
    Ok(())
}

/// A loaded pack: its manifest and every clip the script needs, decoded.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Where it came from.
    pub location: Location,
    /// Its `pack.toml`.
    pub manifest: Manifest,
    /// Decoded clips by cue id, chime clips under their `chime-…` cue ids.
    pub clips: HashMap<Cue, Clip>,
    /// Cues this pack lacks that the fallback pack speaks instead, in script order.
    pub borrowed: Vec<String>,
}

impl Pack {
    /// Reads the manifest and decodes every clip the script speaks (and any pack chimes). A cue
    /// with no clip (no entry, or no such file) comes from `fallback` when given, else is an error.
    pub fn load(
        location: Location,
        script: &Script,
        fallback: Option<&Location>,
    ) -> Result<Pack, PackError> {
        let manifest = Manifest::load(&location)?;
        let mut clips = HashMap::new();
        let mut borrowed = Vec::new();
        let mut fallback_manifest = None;
        for line in script.lines() {
            let cue = &line.cue;
            match manifest.clips.get(cue.as_str()).filter(|f| location.has(f)) {
                Some(file) => {
                    clips.insert(cue.clone(), load_clip(&location, cue, file)?);
                }
                None => {
                    let missing = || PackError::MissingCue {
                        pack: manifest.name.clone(),
                        cue: cue.to_string(),
                        expected: match manifest.clips.get(cue.as_str()) {
                            Some(file) => location.describe(file),
                            None => format!(
                                "an entry {cue} = \"{cue}.wav\" in {}",
                                location.describe("pack.toml")
                            ),
                        },
                    };
                    let other = fallback.ok_or_else(missing)?;
                    let other_manifest = match &fallback_manifest {
                        Some(m) => m,
                        None => fallback_manifest.insert(Manifest::load(other)?),
                    };
                    let file = other_manifest.clips.get(cue.as_str()).ok_or_else(missing)?;
                    clips.insert(cue.clone(), load_clip(other, cue, file)?);
                    borrowed.push(cue.to_string());
                }
            }
        }
        for chime in Chime::ALL {
            if let Some(file) = manifest.chimes.get(chime.key()) {
                clips.insert(Cue::from(chime), load_clip(&location, chime.cue(), file)?);
            }
        }
        Ok(Pack {
            location,
            manifest,
            clips,
            borrowed,
        })
    }

    /// Loads the ambience bed `name` from this pack, or else from `fallback`, matched to the
    /// ambience loudness target and resampled to `rate`.
    pub fn ambience(
        &self,
        name: &str,
        fallback: Option<&Location>,
        rate: u32,
    ) -> Result<Arc<[f32]>, PackError> {
        let mut available: Vec<String> = self.manifest.ambience.keys().cloned().collect();
        let mut found = self
            .manifest
            .ambience
            .get(name)
            .map(|file| (self.location.clone(), file.clone()));
        if found.is_none()
            && let Some(other) = fallback
        {
            let m = Manifest::load(other)?;
            available.extend(m.ambience.keys().cloned());
            found = m
                .ambience
                .get(name)
                .map(|file| (other.clone(), file.clone()));
        }
        let Some((location, file)) = found else {
            available.dedup();
            return Err(PackError::NoAmbience {
                pack: self.manifest.name.clone(),
                name: name.into(),
                available: if available.is_empty() {
                    "none".into()
                } else {
                    available.join(", ")
                },
            });
        };
        let clip = load_clip(&location, &format!("ambience {name}"), &file)?;
        Ok(clip.prepared(AMBIENCE_TARGET_LUFS, rate, &mut HashMap::new()))
    }
}

/// Reads, decodes and measures one clip; an empty clip is an error.
fn load_clip(location: &Location, cue: &str, file: &str) -> Result<Clip, PackError> {
    let clip = decode(location.read(file)?).map_err(|message| PackError::Decode {
        path: location.describe(file),
        cue: cue.to_owned(),
        message,
    })?;
    if clip.samples.is_empty() {
        return Err(PackError::Empty {
            path: location.describe(file),
            cue: cue.to_owned(),
        });
    }
    Ok(clip)
}

/// Decodes any format rodio reads into mono samples (channels averaged) and measures them. A WAV
/// whose header claims more audio than the file holds, and a clip longer than
/// [`MAX_CLIP_SECONDS`] (found while decoding: decoding stops there), are refused.
pub fn decode(bytes: Vec<u8>) -> Result<Clip, String> {
    if let Some((claimed, held)) = wav_shortfall(&bytes) {
        return Err(format!(
            "the WAV header claims {claimed} bytes of audio but the file holds {held} (truncated?)"
        ));
    }
    let decoder = rodio::Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    use rodio::Source;
    let channels = usize::from(decoder.channels().get());
    let rate = decoder.sample_rate().get();
    let limit = MAX_CLIP_SECONDS as usize * rate as usize;
    let mut samples = Vec::new();
    let (mut sum, mut n) = (0.0f32, 0usize);
    for s in decoder {
        sum += s;
        n += 1;
        if n == channels {
            if samples.len() == limit {
                return Err(format!(
                    "longer than the {}-minute limit for a clip",
                    MAX_CLIP_SECONDS / 60
                ));
            }
            samples.push(sum / channels as f32);
            (sum, n) = (0.0, 0);
        }
    }
    let level = loudness::measure(&samples, rate);
    Ok(Clip {
        samples,
        rate,
        level,
    })
}

/// For a RIFF/WAVE file whose `data` chunk claims more bytes than follow it: (claimed, held).
/// A size of `0xFFFFFFFF` (written by streaming encoders that cannot seek back) claims nothing.
fn wav_shortfall(bytes: &[u8]) -> Option<(u32, usize)> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?);
        let body = at + 8;
        if &bytes[at..at + 4] == b"data" {
            let held = bytes.len() - body;
            return (size != u32::MAX && size as usize > held).then_some((size, held));
        }
        at = body + size as usize + (size as usize & 1);
    }
    None
}

/// Clips ready to mix: mono, at one output rate, shared without copying.
#[derive(Debug, Clone)]
pub struct Clips {
    /// Samples per second.
    pub rate: u32,
    /// Samples by cue id, chimes included.
    pub by_cue: HashMap<Cue, Arc<[f32]>>,
}

impl Clips {
    /// Matches every clip's loudness to its target (voice or chime), resamples to `rate`, and
    /// adds synthesized chimes where the pack has none.
    pub fn prepare(pack: &Pack, rate: u32) -> Clips {
        let mut delays = HashMap::new();
        let mut by_cue: HashMap<Cue, Arc<[f32]>> = HashMap::with_capacity(pack.clips.len());
        for (cue, clip) in &pack.clips {
            let target = if cue.is_chime() {
                CHIME_TARGET_LUFS
            } else {
                VOICE_TARGET_LUFS
            };
            by_cue.insert(cue.clone(), clip.prepared(target, rate, &mut delays));
        }
        for chime in Chime::ALL {
            by_cue
                .entry(Cue::from(chime))
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

    #[test]
    fn embedded_pack_covers_the_script() {
        let script = Script::parse(crate::script::EMBEDDED, crate::script::EMBEDDED_NAME).unwrap();
        let pack = Pack::load(Location::Embedded, &script, None).unwrap();
        assert_eq!(pack.manifest.name, DEFAULT_PACK);
        for line in script.lines() {
            assert!(pack.clips.contains_key(&line.cue), "{}", line.cue);
        }
    }
}
