//! `packs import`: raw speech files, one per line, made into a pack.

use std::path::Path;

use super::PacksError;
use super::fit::raw_clips;
use super::make::{Defaults, make_pack, target};
use crate::cli::PackInfo;
use crate::script::Lines;

/// Makes a pack from raw speech, for every line of the script: `<from>/<cue>.wav` (a recorded
/// line, taken as it is) or `<from>/<cue>/<i>@<tempo>.wav` (its sentences at one or more tempos,
/// fitted to the pace of its sessions and joined with their pauses).
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
    let clips = raw_clips(from, script, &info.language, out)?;
    let defaults = Defaults {
        voice: name.to_owned(),
        licence,
        credits: String::new(),
        generated_by: format!(
            "balasana-audio packs import {name} --from {}",
            from.display()
        ),
        synthesis: "imported raw speech (sentences fitted to the sessions' [pace] and joined)"
            .into(),
    };
    make_pack(name, &dir, clips, info, defaults, script, out)
}
