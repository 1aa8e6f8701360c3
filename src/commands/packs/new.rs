//! `packs new`: a folder with a `pack.toml` listing every line to record, and a guide.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::PacksError;
use super::make::{texts, write_folder};
use crate::pack::Manifest;
use crate::script::{Lines, is_cue_id};

const RECORDING_GUIDE: &str = "\
# Recording this voice pack

Record one clip per cue listed in `pack.toml`, saying exactly the text in the comment above it, and
save it under the file name given there, in this folder.

- **Format**: WAV, FLAC, Ogg Vorbis or MP3; any sample rate (44.1 or 48 kHz is ideal), mono or stereo.
- **Voice**: calm and unhurried, as if to someone lying with their eyes closed. Leave a natural
  pause at commas.
- **Room**: quiet and soft (a wardrobe full of clothes works well); the microphone a hand's width
  away, a little to the side.
- **Trimming**: cut the silence before and after each line to under half a second (a tenth is
  plenty). The player adds the pauses.
- **Level**: peaks well under full scale (around −6 dBFS). The player evens out the loudness of
  every clip, so there is no need to normalize.
- **Naming**: keep the file names from `pack.toml`, or change both the file and its entry.

Check your progress at any time — it lists what is still missing and anything to fix:

    balasana-audio packs check NAME

Missing lines are spoken by the default voice until you record them; play with `--pack NAME`.
";

/// Creates `<base>/audio/NAME/` with a `pack.toml` listing every cue and its text (the lines of
/// `script`, in `language`), and a guide.
pub fn new(
    name: &str,
    language: &str,
    script: &Lines,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() {
        return Err(PacksError::Exists(dir));
    }
    let manifest = Manifest {
        name: name.into(),
        language: language.into(),
        also_speaks: Vec::new(),
        voice: name.into(),
        licence: "CC-BY-4.0".into(),
        credits: format!("recorded by {name}"),
        generated_by: None,
        synthesis: None,
        clips: script
            .lines()
            .map(|l| (l.cue.to_string(), format!("{}.wav", l.cue)))
            .collect(),
        ambience: BTreeMap::new(),
        chimes: BTreeMap::new(),
    };
    let toml = format!(
        "# Voice pack {name:?} for balasana-audio: record the line above each clip (see README.md).\n\
         # Set voice (who speaks), licence (of your recordings) and credits as you like.\n{}",
        manifest.to_toml(&texts(script))
    );
    let guide = RECORDING_GUIDE.replace("NAME", name);
    write_folder(
        &dir,
        &[
            ("pack.toml", toml.as_bytes()),
            ("README.md", guide.as_bytes()),
        ],
    )?;
    let _ = writeln!(
        out,
        "created {}: pack.toml lists {} cues to record; README.md says how.\n\
         Check progress with: balasana-audio packs check {name}",
        dir.display(),
        script.lines().count()
    );
    Ok(())
}
