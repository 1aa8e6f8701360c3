//! `pack.toml`: what a pack holds (a clip per cue, chimes, ambience beds) and says about its
//! voice; read with line:column errors, written back so it reads the same.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Location, PackError};
use crate::chime::Chime;
use crate::script::line_column;

/// The contents of `pack.toml`: read by [`Manifest::load`], written only by [`Manifest::to_toml`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Pack name.
    pub name: String,
    /// BCP 47 language tag, e.g. `en-US`.
    pub language: String,
    /// Other languages whose sessions the voice may speak (BCP 47 tags, e.g. `["ca"]` for a
    /// Spanish voice that reads Catalan well enough), besides `language`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_speaks: Vec<String>,
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

impl Manifest {
    /// Whether the pack may speak a session in `language` (any tag; compared by primary
    /// subtag): its own language, or one it lists in `also_speaks`.
    pub fn speaks(&self, language: &str) -> bool {
        std::iter::once(&self.language)
            .chain(&self.also_speaks)
            .any(|tag| crate::language::same(tag, language))
    }

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
    // Without the embedded-voice feature every pack is a folder.
    #[cfg_attr(not(feature = "embedded-voice"), allow(irrefutable_let_patterns))]
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
