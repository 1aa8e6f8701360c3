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

use crate::cache;
use crate::chime::Chime;
use crate::cue::Cue;
use crate::loudness::{self, AMBIENCE_TARGET_LUFS, CHIME_TARGET_LUFS, Level, VOICE_TARGET_LUFS};
use crate::mix::Clips;
use crate::paths;
use crate::probe::{self, Shape};
use crate::resample::{resample_into, resampled_len, resampler_delay};
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
    /// The thread that prepares clips during a session could not start.
    #[error("cannot start preparing clips: {0}")]
    Worker(String),
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
    /// Optional chime clips by chime name ([`Chime::key`]: `start`, `step`, `inhale`, `exhale`,
    /// `hold`, `bell`, `hold-end`, `end`, `pause`, `resume`).
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
    /// for as `<base>/audio/NAME`, then in the user's packs folder ([`paths::user_packs`]); the default
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
            .chain(paths::user_packs())
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
        if self.rate == rate {
            return self.samples.iter().map(|s| s * gain).collect();
        }
        // Resampled straight into the buffer the mixer will share, and gained there: no copy.
        let len = resampled_len(self.samples.len() as u64, self.rate, rate) as usize;
        let mut shared: Arc<[f32]> = std::iter::repeat_n(0.0, len).collect();
        let out = Arc::get_mut(&mut shared).expect("a new buffer has one owner");
        resample_into(&self.samples, self.rate, rate, delay, out);
        out.iter_mut().for_each(|s| *s *= gain);
        shared
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
        let manifest = Manifest::parse(&text, &path)?;
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

    /// Parses the text of a `pack.toml`; `path` names it in errors (`path:line:column: …`).
    /// Whether its paths stay inside the pack is checked by [`Manifest::load`], which knows the
    /// folder.
    pub fn parse(text: &str, path: &str) -> Result<Manifest, PackError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_column(text, offset);
            PackError::Manifest {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let manifest: Manifest = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )
        })?;
        for key in manifest.chimes.keys() {
            if !Chime::ALL.iter().any(|c| c.key() == key) {
                let chimes: Vec<&str> = Chime::ALL.iter().map(|c| c.key()).collect();
                return Err(at(
                    text.find(&format!("{key} =")).unwrap_or(0),
                    format!("unknown chime {key:?} (chimes are {})", chimes.join(", ")),
                ));
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

/// Where one clip lives: a pack and a file in it.
#[derive(Debug, Clone)]
pub struct ClipFile {
    /// The pack holding it.
    pub location: Location,
    /// Its file name in the pack.
    pub file: String,
}

impl ClipFile {
    /// The clip's bytes (compressed, as stored).
    pub fn read(&self) -> Result<Vec<u8>, PackError> {
        self.location.read(&self.file)
    }

    /// How the file reads in messages.
    pub fn describe(&self) -> String {
        self.location.describe(&self.file)
    }

    /// The clip's own rate and frame count, from its headers, else the lengths cache, else by
    /// decoding it once (and remembering the answer). Errors are those decoding would give.
    pub fn shape(&self, cue: &str) -> Result<Shape, PackError> {
        let bytes = self.read()?;
        let fail = |message: String| PackError::Decode {
            path: self.describe(),
            cue: cue.to_owned(),
            message,
        };
        if let Some((claimed, held)) = wav_shortfall(&bytes) {
            return Err(fail(shortfall_message(claimed, held)));
        }
        let shape = if let Some(shape) = probe::from_headers(&bytes) {
            shape
        } else {
            let key = cache::Key::of(&bytes);
            match key.shape() {
                Some(shape) => shape,
                None => {
                    let (rate, samples) = decode_samples(bytes).map_err(fail)?;
                    let shape = Shape {
                        rate,
                        frames: samples.len() as u64,
                    };
                    key.remember_shape(shape);
                    shape
                }
            }
        };
        if shape.frames > u64::from(MAX_CLIP_SECONDS) * u64::from(shape.rate) {
            return Err(fail(too_long_message()));
        }
        if shape.frames == 0 {
            return Err(PackError::Empty {
                path: self.describe(),
                cue: cue.to_owned(),
            });
        }
        Ok(shape)
    }

    /// Decodes the clip, matches it to the loudness target of `cue` (voice, chime or ambience)
    /// and resamples it to `rate`. `delays` keeps resampler delays measured per rate pair.
    pub fn prepare(
        &self,
        cue: &str,
        rate: u32,
        delays: &mut HashMap<u32, usize>,
    ) -> Result<Arc<[f32]>, PackError> {
        Ok(load_clip(&self.location, cue, &self.file)?.prepared(target_for(cue), rate, delays))
    }
}

/// The loudness target of a cue: chimes, ambience beds and voice each have their own.
fn target_for(cue: &str) -> f64 {
    if cue.starts_with(crate::cue::CHIME_PREFIX) {
        CHIME_TARGET_LUFS
    } else if cue.starts_with("ambience ") {
        AMBIENCE_TARGET_LUFS
    } else {
        VOICE_TARGET_LUFS
    }
}

/// A pack resolved for a script, nothing decoded: which file speaks each cue.
#[derive(Debug, Clone)]
pub struct PackFiles {
    /// Where it came from.
    pub location: Location,
    /// Its `pack.toml`.
    pub manifest: Manifest,
    /// The clip file of every cue the script speaks, and of the pack's own chimes (under their
    /// `chime-…` cue ids).
    pub files: HashMap<Cue, ClipFile>,
    /// Cues this pack lacks that the fallback pack speaks instead, in script order.
    pub borrowed: Vec<String>,
}

impl PackFiles {
    /// Reads the manifest and finds the clip of every cue the script speaks (and any pack
    /// chimes). A cue with no clip (no entry, or no such file) comes from `fallback` when given,
    /// else is an error.
    pub fn open(
        location: Location,
        script: &Script,
        fallback: Option<&Location>,
    ) -> Result<PackFiles, PackError> {
        let manifest = Manifest::load(&location)?;
        let mut files = HashMap::new();
        let mut borrowed = Vec::new();
        let mut fallback_manifest = None;
        for line in script.lines() {
            let cue = &line.cue;
            match manifest.clips.get(cue.as_str()).filter(|f| location.has(f)) {
                Some(file) => {
                    files.insert(
                        cue.clone(),
                        ClipFile {
                            location: location.clone(),
                            file: file.clone(),
                        },
                    );
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
                    files.insert(
                        cue.clone(),
                        ClipFile {
                            location: other.clone(),
                            file: file.clone(),
                        },
                    );
                    borrowed.push(cue.to_string());
                }
            }
        }
        for chime in Chime::ALL {
            if let Some(file) = manifest.chimes.get(chime.key()) {
                files.insert(
                    Cue::from(chime),
                    ClipFile {
                        location: location.clone(),
                        file: file.clone(),
                    },
                );
            }
        }
        Ok(PackFiles {
            location,
            manifest,
            files,
            borrowed,
        })
    }

    /// Every cue's length in frames at `rate` once prepared, chimes included (synthesized ones
    /// where the pack has none), read from headers or the lengths cache: nothing is decoded
    /// unless neither knows the clip.
    pub fn lengths(&self, rate: u32) -> Result<ClipLengths, PackError> {
        let mut lengths = ClipLengths::new();
        for (cue, file) in &self.files {
            lengths.insert(cue.clone(), probe::prepared_frames(file.shape(cue)?, rate));
        }
        for chime in Chime::ALL {
            lengths
                .entry(Cue::from(chime))
                .or_insert_with(|| chime.frames(rate));
        }
        Ok(lengths)
    }

    /// The ambience bed `name` of this pack, or else of `fallback` (its cue is `ambience NAME`).
    pub fn ambience(&self, name: &str, fallback: Option<&Location>) -> Result<ClipFile, PackError> {
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
        Ok(ClipFile { location, file })
    }
}

/// A loaded pack: its manifest and every clip the script needs, decoded (for pack tools and
/// tests; sessions decode clips only as they need them, through [`PackFiles`]).
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
        let files = PackFiles::open(location, script, fallback)?;
        let mut clips = HashMap::with_capacity(files.files.len());
        for (cue, f) in &files.files {
            clips.insert(cue.clone(), load_clip(&f.location, cue, &f.file)?);
        }
        Ok(Pack {
            location: files.location,
            manifest: files.manifest,
            clips,
            borrowed: files.borrowed,
        })
    }
    /// Every clip ready to mix at `rate`: matched to its loudness target (voice or chime),
    /// resampled, and synthesized chimes where the pack has none.
    pub fn prepare(&self, rate: u32) -> Clips {
        let mut delays = HashMap::new();
        let mut by_cue: HashMap<Cue, Arc<[f32]>> = HashMap::with_capacity(self.clips.len());
        for (cue, clip) in &self.clips {
            by_cue.insert(
                cue.clone(),
                clip.prepared(target_for(cue), rate, &mut delays),
            );
        }
        for chime in Chime::ALL {
            by_cue
                .entry(Cue::from(chime))
                .or_insert_with(|| chime.synthesize(rate));
        }
        Clips { rate, by_cue }
    }
}

fn shortfall_message(claimed: u32, held: usize) -> String {
    format!("the WAV header claims {claimed} bytes of audio but the file holds {held} (truncated?)")
}

fn too_long_message() -> String {
    format!(
        "longer than the {}-minute limit for a clip",
        MAX_CLIP_SECONDS / 60
    )
}

/// Reads, decodes and measures one clip; an empty clip is an error.
fn load_clip(location: &Location, cue: &str, file: &str) -> Result<Clip, PackError> {
    let bytes = location.read(file)?;
    let key = cache::Key::of(&bytes);
    let (rate, samples) = decode_samples(bytes).map_err(|message| PackError::Decode {
        path: location.describe(file),
        cue: cue.to_owned(),
        message,
    })?;
    // Measured once per clip content, then remembered: the loudness meter costs as much as
    // decoding.
    let level = key.level().unwrap_or_else(|| {
        let level = loudness::measure(&samples, rate);
        key.remember_level(level);
        level
    });
    let clip = Clip {
        samples,
        rate,
        level,
    };
    if clip.samples.is_empty() {
        return Err(PackError::Empty {
            path: location.describe(file),
            cue: cue.to_owned(),
        });
    }
    Ok(clip)
}

/// Sample rates a clip may have, in Hz. Outside them the resampler would need absurd amounts of
/// memory (a header claiming 1.4 GHz asked for gigabytes; found by fuzzing).
pub const CLIP_RATES: std::ops::RangeInclusive<u32> = 4_000..=384_000;

/// The error for a clip whose sample rate is outside [`CLIP_RATES`], if it is.
fn check_rate(rate: u32) -> Result<(), String> {
    if CLIP_RATES.contains(&rate) {
        return Ok(());
    }
    Err(format!(
        "sample rate {rate} Hz is outside {}–{} Hz",
        CLIP_RATES.start(),
        CLIP_RATES.end()
    ))
}

/// Largest sample magnitude a clip may have (full scale is 1; a float file may go over it).
const MAX_SAMPLE: f32 = 1_000.0;

/// `bytes` from the first occurrence of a format's `marker` on (empty if none): the decoder
/// probes for markers anywhere in the file, not only at its start.
fn from_marker<'a>(bytes: &'a [u8], marker: &[u8; 4]) -> &'a [u8] {
    bytes
        .windows(4)
        .position(|w| w == marker)
        .map_or(&[], |at| &bytes[at..])
}

/// Refuses a WAV whose format chunk claims a sample rate outside [`CLIP_RATES`] before the
/// decoder sees it: symphonia 0.5 panics on a zero rate (found by fuzzing). Walks the chunks as
/// symphonia does; anything else malformed is left to the decoder, which reports it.
fn check_wav_header(bytes: &[u8]) -> Result<(), String> {
    let bytes = from_marker(bytes, b"RIFF");
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Ok(());
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let len = u32_at(at + 4) as usize;
        if &bytes[at..at + 4] == b"fmt " && len >= 16 && at + 16 <= bytes.len() {
            check_rate(u32_at(at + 12))?;
        }
        at = at.saturating_add(8).saturating_add(len);
        at += at & 1;
    }
    Ok(())
}

/// Refuses a FLAC whose comment or picture metadata claims a length beyond its block: the
/// decoder allocates a claimed length before reading it (gigabytes from a few bytes; found by
/// fuzzing). Anything else malformed is left to the decoder, which reports it.
fn check_flac_header(bytes: &[u8]) -> Result<(), String> {
    let bytes = from_marker(bytes, b"fLaC");
    if !bytes.starts_with(b"fLaC") {
        return Ok(());
    }
    let mut at = 4;
    while at + 4 <= bytes.len() {
        let (last, kind) = (bytes[at] & 0x80 != 0, bytes[at] & 0x7f);
        let len = u32::from_be_bytes([0, bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let body = &bytes[at + 4..(at + 4 + len).min(bytes.len())];
        // Reads a length field at `pos` (little-endian in comments, big-endian in pictures) and
        // checks that what it claims fits the block; returns the position after the field's data.
        let field = |pos: usize, little: bool| -> Result<usize, String> {
            let Some(raw) = body.get(pos..pos.saturating_add(4)) else {
                return Ok(usize::MAX);
            };
            let raw = [raw[0], raw[1], raw[2], raw[3]];
            let claimed = if little {
                u32::from_le_bytes(raw)
            } else {
                u32::from_be_bytes(raw)
            } as usize;
            if claimed > len.saturating_sub(pos.saturating_add(4)) {
                return Err(format!(
                    "FLAC metadata claims {claimed} bytes in a block of {len}"
                ));
            }
            Ok(pos.saturating_add(4).saturating_add(claimed))
        };
        match kind {
            4 => {
                // Vendor string, comment count, then each comment.
                let mut pos = field(0, true)?;
                let count = body
                    .get(pos..pos.saturating_add(4))
                    .map_or(0, |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize);
                pos = pos.saturating_add(4);
                for _ in 0..count {
                    if pos >= body.len() {
                        break;
                    }
                    pos = field(pos, true)?;
                }
            }
            6 => {
                // Picture type, then MIME type and description, four numbers, then the data.
                let pos = field(4, false)?;
                let pos = field(pos, false)?;
                field(pos.saturating_add(16), false)?;
            }
            _ => {}
        }
        if last {
            break;
        }
        at += 4 + len;
    }
    Ok(())
}

std::thread_local! {
    /// Set while this thread runs the decoder library, whose panics [`decode`] turns into errors.
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (decoder library code), turning a panic in it into an error. Malformed files make
/// symphonia 0.5 panic in places no header check reaches (an MP3 frame with no channels divides
/// by zero; found by fuzzing); such a file is one bad clip, not a crash. The panic message is
/// kept off stderr, which gets the usual one-line error instead.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(|d| d.get()) {
                previous(info);
            }
        }));
    });
    DECODING.with(|d| d.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DECODING.with(|d| d.set(false));
    result.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("malformed audio (the decoder failed: {what})"))
    })
}

/// Decodes any format rodio reads into mono samples (channels averaged) and measures them. A WAV
/// whose header claims more audio than the file holds, a sample rate outside [`CLIP_RATES`],
/// samples that are not numbers, and a clip longer than [`MAX_CLIP_SECONDS`] (found while
/// decoding: decoding stops there) are refused; a decoder panic is an error, not a crash.
pub fn decode(bytes: Vec<u8>) -> Result<Clip, String> {
    let (rate, samples) = decode_samples(bytes)?;
    let level = loudness::measure(&samples, rate);
    Ok(Clip {
        samples,
        rate,
        level,
    })
}

/// [`decode`] without the measuring: the rate and the mono samples.
fn decode_samples(bytes: Vec<u8>) -> Result<(u32, Vec<f32>), String> {
    if let Some((claimed, held)) = wav_shortfall(&bytes) {
        return Err(shortfall_message(claimed, held));
    }
    check_wav_header(&bytes)?;
    check_flac_header(&bytes)?;
    use rodio::Source;
    guarded(|| {
        let decoder = rodio::Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        let channels = usize::from(decoder.channels().get());
        let rate = decoder.sample_rate().get();
        check_rate(rate)?;
        let limit = MAX_CLIP_SECONDS as usize * rate as usize;
        let mut samples = Vec::new();
        let (mut sum, mut n) = (0.0f32, 0usize);
        for s in decoder {
            // A float file can hold NaN, infinities or absurd values, which would poison the
            // loudness measure and make the FFT resampler panic (found by fuzzing).
            if !s.is_finite() || s.abs() > MAX_SAMPLE {
                return Err(format!(
                    "sample value {s} is not a number within ±{MAX_SAMPLE}"
                ));
            }
            sum += s;
            n += 1;
            if n == channels {
                if samples.len() == limit {
                    return Err(too_long_message());
                }
                samples.push(sum / channels as f32);
                (sum, n) = (0.0, 0);
            }
        }
        Ok((rate, samples))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono WAV of a short sine at `rate` Hz, header written by hand (any rate).
    fn wav_at(rate: u32) -> Vec<u8> {
        let data: Vec<u8> = (0..200)
            .flat_map(|i| (((i as f32 * 0.3).sin() * 16_000.0) as i16).to_le_bytes())
            .collect();
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF");
        w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        w.extend_from_slice(b"WAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes()); // PCM
        w.extend_from_slice(&1u16.to_le_bytes()); // mono
        w.extend_from_slice(&rate.to_le_bytes());
        w.extend_from_slice(&(rate.wrapping_mul(2)).to_le_bytes());
        w.extend_from_slice(&2u16.to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(b"data");
        w.extend_from_slice(&(data.len() as u32).to_le_bytes());
        w.extend_from_slice(&data);
        w
    }

    #[test]
    fn absurd_sample_rates_are_refused_with_the_rate_named() {
        for rate in [1_412_571_968, 3_999, 384_001] {
            let err = decode(wav_at(rate)).unwrap_err();
            assert_eq!(
                err,
                format!("sample rate {rate} Hz is outside 4000–384000 Hz")
            );
        }
        for rate in [4_000, 8_000, 384_000] {
            assert_eq!(decode(wav_at(rate)).unwrap().rate, rate);
        }
    }

    #[test]
    fn a_wav_claiming_zero_hertz_is_an_error_not_a_panic() {
        // The decoder library panics on a zero rate ("TimeBase cannot have 0 numerator or
        // denominator"); the header is checked first.
        assert_eq!(
            decode(wav_at(0)).unwrap_err(),
            "sample rate 0 Hz is outside 4000–384000 Hz"
        );
    }

    #[test]
    fn an_mp3_frame_without_channels_is_an_error_not_a_panic() {
        // Found by fuzzing: symphonia divides by the channel count of this frame, zero.
        let mp3 = include_bytes!("../fuzz/regressions/clip/panic-mp3-frame-without-channels");
        let err = decode(mp3.to_vec()).unwrap_err();
        assert!(
            err.starts_with("malformed audio (the decoder failed: "),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn float_samples_that_are_not_finite_are_refused() {
        // Found by fuzzing: a NaN reached the FFT resampler, which panicked.
        let wav = include_bytes!("../fuzz/regressions/clip/panic-float-wav-nan-in-resampler");
        let err = decode(wav.to_vec()).unwrap_err();
        assert!(err.starts_with("sample value "), "{err}");
        assert!(err.ends_with(" is not a number within ±1000"), "{err}");
    }

    #[test]
    fn a_flac_comment_claiming_gigabytes_is_refused_before_decoding() {
        // Found by fuzzing: the decoder allocated the claimed 2.5 GB before reading.
        // The second has junk before its marker, which the decoder skips.
        for flac in [
            &include_bytes!("../fuzz/regressions/clip/oom-flac-comment-length")[..],
            &include_bytes!("../fuzz/regressions/clip/oom-flac-comment-length-after-junk")[..],
        ] {
            let err = decode(flac.to_vec()).unwrap_err();
            assert!(err.starts_with("FLAC metadata claims "), "{err}");
        }
        // A real FLAC, with its comments, still decodes.
        let real = include_bytes!("../tests/fixtures/burst-48k-stereo.flac");
        assert_eq!(decode(real.to_vec()).unwrap().rate, 48_000);
    }

    #[test]
    fn an_unknown_chime_is_answered_with_every_chime_a_pack_may_bring() {
        let text = "name = \"p\"\nlanguage = \"en\"\nvoice = \"v\"\nlicence = \"l\"\n\
                    credits = \"c\"\n[clips]\n[chimes]\ngong = \"gong.wav\"\n";
        let e = Manifest::parse(text, "pack.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("pack.toml:8:1: unknown chime \"gong\" (chimes are "),
            "{e}"
        );
        for chime in Chime::ALL {
            let named = e
                .split(['(', ',', ')'])
                .any(|w| w.trim().trim_start_matches("chimes are ") == chime.key());
            assert!(named, "{} missing from: {e}", chime.key());
        }
    }

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
