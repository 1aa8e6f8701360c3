//! `scripts list`: the sessions there are.

use std::collections::BTreeMap;
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

/// `scripts list`: each session with its language, title, where it lives, and its length at its
/// default settings with its language's voice ([`Location::for_language`]), and a note for each
/// session that voice cannot time, or each language no voice speaks (its length is `-`). Every
/// session found along the search path is listed (only those in `language`, when given), English
/// first, in search order within a language; one a session of the same name and language earlier
/// on the path hides says so (`shadowed`). Lengths come from the clips' headers (or the lengths
/// cache): nothing is decoded.
pub fn list(language: Option<&str>, base: &Path) -> Result<(String, Vec<String>), PackError> {
    let mut voices: BTreeMap<String, Option<Location>> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let entries = library::all(base)
        .into_iter()
        .filter(|e| language.is_none_or(|l| e.language == l));
    for entry in entries {
        let voice = match voices.get(&entry.language) {
            Some(voice) => voice.clone(),
            None => {
                let found = match Location::for_language(&entry.language, base) {
                    Ok(location) => Some(location),
                    Err(PackError::NoVoice { .. }) => None,
                    Err(e) => return Err(e),
                };
                voices.insert(entry.language.clone(), found.clone());
                found
            }
        };
        let (title, length) = match entry.load() {
            Ok(script) => match voice.as_ref().map(|v| length(&script, v)) {
                Some(Ok(length)) => (script.title, length),
                Some(Err(e)) => {
                    notes.push(format!("session {:?} has no length: {e}", entry.name));
                    (script.title, "-".to_owned())
                }
                None => (script.title, "-".to_owned()),
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
        rows.push((entry.name, entry.language, length, title, place));
    }
    let unvoiced: Vec<&str> = voices
        .iter()
        .filter(|(_, voice)| voice.is_none())
        .map(|(language, _)| language.as_str())
        .collect();
    if !unvoiced.is_empty() {
        notes.push(format!(
            "no voice pack speaks {}, so those sessions have no length \
             (balasana-audio packs install audio/pico-*, in a clone)",
            unvoiced.join(", ")
        ));
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:width$}  {:<8}  {:>6}  title (where)\n",
        "name", "language", "length"
    );
    for (name, language, length, title, place) in rows {
        out.push_str(&format!(
            "{name:width$}  {language:<8}  {length:>6}  {title} ({place})\n"
        ));
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
