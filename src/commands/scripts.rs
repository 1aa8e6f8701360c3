//! `scripts list`: the sessions there are.

use std::path::Path;

use crate::library;
use crate::output::render::RATE;
use crate::pack::{Location, PackError, PackFiles};
use crate::script::Script;
use crate::timeline::{self, Options, TimelineError};
use crate::units::clock;

/// Why a session has no length with the default voice.
#[derive(Debug, thiserror::Error)]
enum Untimed {
    /// The default pack lacks a clip, or one cannot be read.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The session cannot be sequenced at its defaults.
    #[error("cannot build the session: {0}")]
    Timeline(#[from] TimelineError),
}

/// `scripts list`: each session with its title, where it lives, and its length at its default
/// settings with the default voice, and a note for each session that voice cannot time (its
/// length is `-`). Every session found along the search path is listed, in search order; one a
/// session of the same name earlier on the path hides says so (`shadowed`). Lengths come from the
/// clips' headers (or the lengths cache): nothing is decoded.
pub fn list(base: &Path) -> Result<(String, Vec<String>), PackError> {
    let default_pack = Location::find(None, base)?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for entry in library::all(base) {
        let (title, length) = match entry.load() {
            Ok(script) => match length(&script, &default_pack) {
                Ok(length) => (script.title, length),
                Err(e) => {
                    notes.push(format!("session {:?} has no length: {e}", entry.name));
                    (script.title, "-".to_owned())
                }
            },
            Err(e) => (format!("invalid: {e}"), "-".to_owned()),
        };
        let mut place = match &entry.origin {
            library::Origin::BuiltIn(_) => "built in".to_owned(),
            library::Origin::File(path) => path.display().to_string(),
        };
        if entry.shadowed {
            place.push_str("; shadowed");
        }
        rows.push((entry.name, length, title, place));
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:width$}  {:>6}  title (where)\n", "name", "length");
    for (name, length, title, place) in rows {
        out.push_str(&format!("{name:width$}  {length:>6}  {title} ({place})\n"));
    }
    Ok((out, notes))
}

/// `mm:ss` of `script` at its defaults with the pack at `location`, from clip lengths alone.
fn length(script: &Script, location: &Location) -> Result<String, Untimed> {
    let files = PackFiles::open(location.clone(), script, None)?;
    let options = Options::defaults(script);
    let timeline = timeline::build(script, &options, &files.lengths(RATE)?, RATE)?;
    let length = clock(timeline.seconds(timeline.duration));
    Ok(length.split('.').next().unwrap_or_default().to_owned())
}
