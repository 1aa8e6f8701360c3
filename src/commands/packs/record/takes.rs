//! A recorded pack's takes: `raw/<cue>.wav` in the pack's folder, one per line, 32-bit float at
//! the microphone's own rate and channel count (lossless), each written whole or not at all as
//! its take ends; and `raw/draft.toml`, what the finished pack's `pack.toml` will say of the
//! speaker.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::super::RAW_FOLDER;
use crate::atomic;

/// The draft of the pack's manifest, in [`RAW_FOLDER`].
const DRAFT: &str = "draft.toml";

/// What the finished pack's `pack.toml` says of the voice, asked once and kept in `raw/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Who speaks.
    pub voice: String,
    /// The licence of the recordings.
    pub licence: String,
    /// BCP 47 language tag of the voice.
    pub language: String,
}

/// A take read back: interleaved samples at their rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Take {
    /// Samples per second.
    pub rate: u32,
    /// Channels, interleaved.
    pub channels: u16,
    /// The samples.
    pub samples: Vec<f32>,
}

/// The takes of one pack.
#[derive(Debug, Clone)]
pub struct Takes {
    /// `<pack>/raw`.
    dir: PathBuf,
}

impl Takes {
    /// The takes of the pack in the folder `pack`.
    pub fn of(pack: &Path) -> Takes {
        Takes {
            dir: pack.join(RAW_FOLDER),
        }
    }

    /// The folder they are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `cue`'s take.
    pub fn path(&self, cue: &str) -> PathBuf {
        self.dir.join(format!("{cue}.wav"))
    }

    /// Whether `cue` has a take.
    pub fn has(&self, cue: &str) -> bool {
        self.path(cue).is_file()
    }

    /// Writes `cue`'s take, replacing any before it, whole or not at all (the folder is made
    /// if it is not there yet).
    pub fn write(&self, cue: &str, take: &Take) -> std::io::Result<()> {
        let spec = hound::WavSpec {
            channels: take.channels,
            sample_rate: take.rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut bytes = Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut bytes, spec).map_err(std::io::Error::other)?;
        for &s in &take.samples {
            writer.write_sample(s).map_err(std::io::Error::other)?;
        }
        writer.finalize().map_err(std::io::Error::other)?;
        std::fs::create_dir_all(&self.dir)?;
        atomic::write(&self.path(cue), bytes.get_ref())
    }

    /// Reads `cue`'s take back.
    pub fn read(&self, cue: &str) -> Result<Take, String> {
        let path = self.path(cue);
        let reader =
            hound::WavReader::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let spec = reader.spec();
        let samples: Result<Vec<f32>, _> = match spec.sample_format {
            hound::SampleFormat::Float => reader.into_samples::<f32>().collect(),
            hound::SampleFormat::Int => {
                let scale = 2f32.powi(i32::from(spec.bits_per_sample) - 1);
                reader
                    .into_samples::<i32>()
                    .map(|s| s.map(|s| s as f32 / scale))
                    .collect()
            }
        };
        Ok(Take {
            rate: spec.sample_rate,
            channels: spec.channels,
            samples: samples.map_err(|e| format!("{}: {e}", path.display()))?,
        })
    }

    /// The draft of the pack's manifest, if one was written and reads.
    pub fn draft(&self) -> Option<Draft> {
        let text = std::fs::read_to_string(self.dir.join(DRAFT)).ok()?;
        toml::from_str(&text).ok()
    }

    /// Writes the draft of the pack's manifest (the folder is made if it is not there yet).
    pub fn write_draft(&self, draft: &Draft) -> std::io::Result<()> {
        let text = format!(
            "# What `balasana-audio packs record` writes into this pack's pack.toml when it makes \
             the pack.\n{}",
            toml::to_string(draft).map_err(std::io::Error::other)?
        );
        std::fs::create_dir_all(&self.dir)?;
        atomic::write(&self.dir.join(DRAFT), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_take_is_written_whole_and_reads_back_exactly() {
        let pack = tempfile::tempdir().unwrap();
        let takes = Takes::of(pack.path());
        assert!(!takes.has("welcome"));
        let take = Take {
            rate: 44_100,
            channels: 2,
            samples: vec![0.5, -0.25, 1.5e-6, -1.0],
        };
        takes.write("welcome", &take).unwrap();
        assert!(takes.has("welcome"));
        assert_eq!(takes.read("welcome").unwrap(), take);
        // The pipeline's decoder reads it too: the channels' mean, at its own rate.
        let clip = crate::decode::decode(std::fs::read(takes.path("welcome")).unwrap()).unwrap();
        assert_eq!((clip.rate, clip.samples.len()), (44_100, 2));
        assert!((clip.samples[0] - 0.125).abs() < 1e-6, "{:?}", clip.samples);
        // Nothing else is left in the folder.
        let files: Vec<_> = std::fs::read_dir(takes.dir()).unwrap().collect();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn the_draft_is_remembered() {
        let pack = tempfile::tempdir().unwrap();
        let takes = Takes::of(pack.path());
        assert_eq!(takes.draft(), None);
        let draft = Draft {
            voice: "Ana \"Yoga\" Díaz".into(),
            licence: "CC-BY-4.0".into(),
            language: "en-US".into(),
        };
        takes.write_draft(&draft).unwrap();
        assert_eq!(takes.draft(), Some(draft));
    }
}
