//! `packs list`: every pack found, with its voice, clips, speech time and licence.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{PacksError, minutes, shorten};
use crate::decode::decode;
use crate::pack::{DEFAULT_PACK, Location, Manifest};
use crate::paths::user_packs;
use crate::script::Lines;

/// Lists every pack found: built in, under `<base>/audio/`, and in the user's packs folder.
pub fn list(script: &Lines, base: &Path, out: &mut String) -> Result<(), PacksError> {
    let default = Location::find(None, base)?;
    let mut found = vec![Location::Embedded];
    for dir in std::iter::once(base.join("audio")).chain(user_packs()) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut folders: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pack.toml").is_file())
            .collect();
        folders.sort();
        found.extend(folders.into_iter().map(Location::Folder));
    }
    let _ = writeln!(
        out,
        "{:<2}{:<12} {:<8} {:<34} {:>5} {:>8}  {:<28} where",
        "", "name", "language", "voice", "clips", "speech", "licence"
    );
    for location in &found {
        let marker = if same(location, &default) { "* " } else { "  " };
        let place = match location {
            Location::Embedded => "built in".to_owned(),
            Location::Folder(dir) => dir.display().to_string(),
        };
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
                    "{marker}{:<12} {:<8} {:<34} {:>5} {:>8}  {:<28} {place}",
                    m.name,
                    m.language,
                    shorten(&m.voice, 34),
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
        "\n* the default (--pack {DEFAULT_PACK}). Your own packs go in {}.",
        user_packs().map_or("audio/".into(), |d| d.display().to_string())
    );
    Ok(())
}

/// Whether two locations are the same pack.
fn same(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::Embedded, Location::Embedded) => true,
        (Location::Folder(x), Location::Folder(y)) => x == y,
        _ => false,
    }
}
