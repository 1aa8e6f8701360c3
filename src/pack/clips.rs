//! The clips of a pack for one session: which file speaks each cue ([`PackFiles`], nothing
//! decoded), each clip's length from its headers or the cache, and each clip decoded only when
//! it is needed, matched to its loudness target ([`Kind`]) and resampled to the output rate.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Location, Manifest, PackError};
use crate::cache;
use crate::chime::Chime;
use crate::cue::Cue;
use crate::decode::{self, Clip, MAX_CLIP_SECONDS};
use crate::loudness::{self, AMBIENCE_TARGET_LUFS, CHIME_TARGET_LUFS, VOICE_TARGET_LUFS};
use crate::mix::Clips;
use crate::probe::{self, Shape};
use crate::resample::{Resamplers, resampled_len};
use crate::script::Script;
use crate::timeline::ClipLengths;

/// What a clip is for, which decides the loudness it is matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A spoken line.
    Voice,
    /// A chime the pack brings.
    Chime,
    /// An ambience bed looped under the session.
    Ambience,
}

impl Kind {
    /// The kind of a cue's clip: a chime's or a spoken line's.
    pub fn of(cue: &Cue) -> Kind {
        if cue.is_chime() {
            Kind::Chime
        } else {
            Kind::Voice
        }
    }

    /// The integrated loudness (LUFS) a clip of this kind is matched to.
    pub fn target_lufs(self) -> f64 {
        match self {
            Kind::Voice => VOICE_TARGET_LUFS,
            Kind::Chime => CHIME_TARGET_LUFS,
            Kind::Ambience => AMBIENCE_TARGET_LUFS,
        }
    }
}

/// Where one clip lives (a pack and a file in it) and what it is.
#[derive(Debug, Clone)]
pub struct ClipFile {
    /// The pack holding it.
    pub location: Location,
    /// Its file name in the pack.
    pub file: String,
    /// What it is for.
    pub kind: Kind,
    /// Its cue id, or a bed's name.
    pub name: String,
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

    /// What messages call the clip's cue: its id, or `ambience NAME` for a bed.
    fn cue(&self) -> String {
        match self.kind {
            Kind::Ambience => format!("ambience {}", self.name),
            Kind::Voice | Kind::Chime => self.name.clone(),
        }
    }

    /// The error for a clip that does not decode.
    fn undecodable(&self, message: String) -> PackError {
        PackError::Decode {
            path: self.describe(),
            cue: self.cue(),
            message,
        }
    }

    /// The error for a clip without a sample.
    fn empty(&self) -> PackError {
        PackError::Empty {
            path: self.describe(),
            cue: self.cue(),
        }
    }

    /// The clip's own rate and frame count, from its headers, else the lengths cache, else by
    /// decoding it once (and remembering the answer). Errors are those decoding would give.
    pub fn shape(&self) -> Result<Shape, PackError> {
        let bytes = self.read()?;
        decode::check_wav_data(&bytes).map_err(|m| self.undecodable(m))?;
        let shape = if let Some(shape) = probe::from_headers(&bytes) {
            shape
        } else {
            let key = cache::Key::of(&bytes);
            match key.shape() {
                Some(shape) => shape,
                None => {
                    let (rate, samples) =
                        decode::decode_samples(bytes).map_err(|m| self.undecodable(m))?;
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
            return Err(self.undecodable(decode::too_long_message()));
        }
        if shape.frames == 0 {
            return Err(self.empty());
        }
        Ok(shape)
    }

    /// Reads, decodes and measures the clip; an empty clip is an error.
    pub fn load(&self) -> Result<Clip, PackError> {
        let bytes = self.read()?;
        let key = cache::Key::of(&bytes);
        self.decode(bytes, &key)
    }

    /// Decodes and measures the clip's `bytes`, whose cache key is `key`.
    fn decode(&self, bytes: Vec<u8>, key: &cache::Key) -> Result<Clip, PackError> {
        let (rate, samples) = decode::decode_samples(bytes).map_err(|m| self.undecodable(m))?;
        if samples.is_empty() {
            return Err(self.empty());
        }
        // Measured once per clip content, then remembered: the loudness meter costs as much as
        // decoding.
        let level = key.level().unwrap_or_else(|| {
            let level = loudness::measure(&samples, rate);
            key.remember_level(level);
            level
        });
        Ok(Clip {
            samples,
            rate,
            level,
        })
    }

    /// Decodes the clip, matches it to its kind's loudness target and resamples it to `rate`, or
    /// reads it back so prepared from the prepared cache ([`cache::Key::prepared`]), and keeps
    /// what it prepared there. `resamplers` are kept for the next clip.
    pub fn prepare(&self, rate: u32, resamplers: &mut Resamplers) -> Result<Arc<[f32]>, PackError> {
        // Read back prepared when this content was prepared at this rate before (docs/decisions.md).
        let bytes = self.read()?;
        let key = cache::Key::of(&bytes);
        let target = self.kind.target_lufs();
        if let Some(samples) = key.prepared(rate, target) {
            return Ok(samples);
        }
        let samples = prepared(&self.decode(bytes, &key)?, target, rate, resamplers);
        key.remember_prepared(rate, target, &samples);
        Ok(samples)
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
                    files.insert(cue.clone(), voice(&location, file, cue));
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
                    // The default voice stands in only for a session in its own language.
                    if !other_manifest.speaks(&script.language()) {
                        return Err(missing());
                    }
                    let file = other_manifest.clips.get(cue.as_str()).ok_or_else(missing)?;
                    files.insert(cue.clone(), voice(other, file, cue));
                    borrowed.push(cue.to_string());
                }
            }
        }
        for chime in Chime::ALL {
            if let Some(file) = manifest.chimes.get(chime.key()) {
                let cue = Cue::from(chime);
                let clip = ClipFile {
                    location: location.clone(),
                    file: file.clone(),
                    kind: Kind::Chime,
                    name: cue.to_string(),
                };
                files.insert(cue, clip);
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
            lengths.insert(cue.clone(), probe::prepared_frames(file.shape()?, rate));
        }
        for chime in Chime::ALL {
            lengths
                .entry(Cue::from(chime))
                .or_insert_with(|| chime.frames(rate));
        }
        Ok(lengths)
    }

    /// The ambience bed `name` of this pack, or else of `fallback`.
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
        Ok(ClipFile {
            location,
            file,
            kind: Kind::Ambience,
            name: name.to_owned(),
        })
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
        for (cue, file) in &files.files {
            clips.insert(cue.clone(), file.load()?);
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
        let mut resamplers = Resamplers::default();
        let mut by_cue: HashMap<Cue, Arc<[f32]>> = HashMap::with_capacity(self.clips.len());
        for (cue, clip) in &self.clips {
            by_cue.insert(
                cue.clone(),
                prepared(clip, Kind::of(cue).target_lufs(), rate, &mut resamplers),
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

/// A spoken line's clip: `file` in the pack at `location`.
fn voice(location: &Location, file: &str, cue: &Cue) -> ClipFile {
    ClipFile {
        location: location.clone(),
        file: file.to_owned(),
        kind: Kind::Voice,
        name: cue.to_string(),
    }
}

/// `clip` matched to `target` LUFS and resampled to `rate` with `resamplers` (kept for the next
/// clip).
fn prepared(clip: &Clip, target: f64, rate: u32, resamplers: &mut Resamplers) -> Arc<[f32]> {
    let gain = loudness::matching_gain(clip.level, target);
    if clip.rate == rate {
        return clip.samples.iter().map(|s| s * gain).collect();
    }
    // Resampled straight into the buffer the mixer will share, and gained there: no copy.
    let len = resampled_len(clip.samples.len() as u64, clip.rate, rate) as usize;
    let mut shared: Arc<[f32]> = std::iter::repeat_n(0.0, len).collect();
    let out = Arc::get_mut(&mut shared).expect("a new buffer has one owner");
    resamplers.resample_into(&clip.samples, clip.rate, rate, out);
    out.iter_mut().for_each(|s| *s *= gain);
    shared
}

#[cfg(all(test, feature = "embedded-voice"))]
mod tests {
    use super::*;

    #[test]
    fn embedded_pack_covers_the_script() {
        let script = Script::parse(crate::script::EMBEDDED, crate::script::EMBEDDED_NAME).unwrap();
        let pack = Pack::load(Location::Embedded, &script, None).unwrap();
        assert_eq!(pack.manifest.name, super::super::DEFAULT_PACK);
        for line in script.lines() {
            assert!(pack.clips.contains_key(&line.cue), "{}", line.cue);
        }
    }
}
