//! `packs import`: raw speech files, one per line, made into a pack.

use std::path::Path;

use super::PacksError;
use super::make::{Defaults, make_pack, target};
use crate::cli::PackInfo;
use crate::decode::decode;
use crate::script::Lines;

/// Makes a pack from raw speech: `<from>/<cue>.wav` for every line of the script.
pub fn import(
    name: &str,
    from: &Path,
    force: bool,
    info: &PackInfo,
    script: &Lines,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    let Some(licence) = info.licence.clone() else {
        return Err(PacksError::Usage(
            "packs import needs --licence TEXT (the licence of the voice and its clips)".into(),
        ));
    };
    let dir = target(name, force, base)?;
    let mut clips = Vec::new();
    for line in script.lines() {
        let path = from.join(format!("{}.wav", line.cue));
        let raw = |message: String| PacksError::Raw {
            path: path.clone(),
            message,
        };
        let bytes = std::fs::read(&path).map_err(|e| {
            raw(format!(
                "cannot read the raw clip for cue {:?}: {e}",
                line.cue
            ))
        })?;
        let clip = decode(bytes).map_err(|e| raw(format!("cannot decode: {e}")))?;
        clips.push((line.cue.clone(), clip));
    }
    let defaults = Defaults {
        voice: name.to_owned(),
        licence,
        credits: String::new(),
        generated_by: format!(
            "balasana-audio packs import {name} --from {}",
            from.display()
        ),
        synthesis: "imported raw speech".into(),
    };
    make_pack(name, &dir, clips, info, defaults, script, out)
}
