//! `packs list`: every pack found, with its voice, clips, speech time, licence and where it is.

use std::fmt::Write as _;
use std::path::Path;

use super::{PacksError, minutes, shorten};
use crate::decode::decode;
use crate::pack::{DEFAULT_PACK, Location, Manifest};
use crate::paths::user_packs;
use crate::script::Lines;

/// The languages a pack speaks: its own, then `+` and those it lists in `also_speaks`
/// (`de-DE+es,fr`).
fn languages(manifest: &Manifest) -> String {
    if manifest.also_speaks.is_empty() {
        manifest.language.clone()
    } else {
        format!("{}+{}", manifest.language, manifest.also_speaks.join(","))
    }
}

/// Lists every pack found along the search path, then the built-in one, in search order; a pack
/// that one of the same name earlier on the path hides is marked shadowed.
pub fn list(script: &Lines, base: &Path, out: &mut String) -> Result<(), PacksError> {
    // Without the embedded-voice feature the default pack may be nowhere: the list still shows
    // the others.
    let default = Location::find(None, base).ok();
    let found = Location::all(base);
    let _ = writeln!(
        out,
        "{:<2}{:<12} {:<11} {:<31} {:>5} {:>8}  {:<28} where",
        "", "name", "language", "voice", "clips", "speech", "licence"
    );
    for (i, (name, location)) in found.iter().enumerate() {
        let marker = if default.as_ref() == Some(location) {
            "* "
        } else {
            "  "
        };
        let mut place = location.place();
        if found[..i].iter().any(|(earlier, _)| earlier == name) {
            place.push_str(" (shadowed)");
        }
        match Manifest::load(location) {
            Ok(m) => {
                let speech: f64 = m
                    .clips
                    .iter()
                    .filter(|(cue, _)| script.lines().any(|l| l.cue == **cue))
                    .filter_map(|(_, file)| location.read(file).ok().and_then(|b| decode(b).ok()))
                    .map(|c| c.seconds())
                    .sum();
                let _ = writeln!(
                    out,
                    "{marker}{name:<12} {:<11} {:<31} {:>5} {:>8}  {:<28} {place}",
                    languages(&m),
                    shorten(&m.voice, 31),
                    m.clips.len(),
                    minutes(speech),
                    shorten(&m.licence, 28),
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{marker}unreadable pack at {place}: {e}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\n* the default (--pack {DEFAULT_PACK}). `--pack NAME` plays the first NAME listed; \
         `packs install` puts packs in {}.",
        user_packs().map_or("your data folder".into(), |d| d.display().to_string())
    );
    Ok(())
}
