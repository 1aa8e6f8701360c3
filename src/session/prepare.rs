//! A session made ready: its script read, its options resolved, its voice pack opened (the
//! default voice behind it unless `--strict`) and its outputs checked, each step's notes printed
//! as they come; and what every way of playing it shares: the timeline at a rate, the ambience
//! bed under the mix, the transcript.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use super::describe::About;
use super::{SessionError, note, options};
use crate::cli::SessionArgs;
use crate::codec::Format;
use crate::library;
use crate::mix::Mixer;
use crate::output::render;
use crate::output::target::Target;
use crate::pack::{Location, Manifest, PackError, PackFiles};
use crate::script::{DEFAULT_SESSION, Script};
use crate::timeline::{self, Options, Timeline};
use crate::transcript;

/// A session ready to plan, render or play.
#[derive(Debug)]
pub struct Session<'a> {
    /// The command line (with the config file and environment layered in).
    pub args: &'a SessionArgs,
    /// The script.
    pub script: Script,
    /// The resolved options.
    pub options: Options,
    /// The voice pack, its clips resolved for the script.
    pub pack: PackFiles,
    /// The default pack behind it, for ambience beds it lacks (none with `--strict`).
    pub fallback: Option<Location>,
    /// The `--transcript` format, when one is asked for.
    pub transcript: Option<transcript::Format>,
    /// The `--render` format, when rendering.
    pub format: Option<Format>,
}

/// Reads and checks everything a session needs before any audio is made, in the order its
/// problems are reported; `layered` are the settings from the config file or the environment
/// (config key, where set). Notes are printed as each step finds them.
pub fn prepare<'a>(
    args: &'a SessionArgs,
    layered: &[(&str, String)],
    base: &Path,
) -> Result<Session<'a>, SessionError> {
    let transcript = match &args.transcript {
        Some(path) => Some(transcript::Format::from_path(path).ok_or_else(|| {
            SessionError::Usage(format!(
                "--transcript {}: unknown extension; use {}",
                path.display(),
                transcript::EXTENSIONS
            ))
        })?),
        None => None,
    };
    let script = script(args, layered, base)?;
    let options = match options::resolve(args, &script, layered) {
        Ok((options, notes)) => {
            notes.iter().for_each(|n| note(n));
            options
        }
        Err(refused) => {
            refused.notes.iter().for_each(|n| note(n));
            return Err(SessionError::Usage(refused.message));
        }
    };
    let format = match &args.render {
        Some(path) => Some(
            render::choose_format(path, args.format.map(Into::into), args.quality)
                .map_err(SessionError::Usage)?,
        ),
        None => None,
    };
    let location = voice(args, layered, &script, base)?;
    let fallback = match (args.strict, location.is_default()) {
        (false, false) => Some(Location::find(None, base)?),
        _ => None,
    };
    let pack = PackFiles::open(location, &script, fallback.as_ref())?;
    if let Some(borrowed) = borrowed_note(&pack) {
        note(&borrowed);
    }
    Ok(Session {
        args,
        script,
        options,
        pack,
        fallback,
        transcript,
        format,
    })
}

/// Where a layered setting was set (`BALASANA_LANGUAGE`, `…/config.toml:3`), if it was.
fn set_by<'a>(layered: &'a [(&str, String)], key: &str) -> Option<&'a str> {
    layered
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, source)| source.as_str())
}

/// The session's script in its language: `--language` (checked against the languages there are
/// sessions in), else the locale's language when there are sessions in it, else English. A
/// session asked for by name that is not in that language is played in English, with a note.
fn script(
    args: &SessionArgs,
    layered: &[(&str, String)],
    base: &Path,
) -> Result<Script, SessionError> {
    let language = match &args.language {
        Some(given) => library::check_language(given, set_by(layered, "language"), base)?,
        None => library::locale_language(base),
    };
    let script = library::load(args.script.as_deref(), &language, base)?;
    if args.script.as_deref().is_none_or(|s| !library::is_path(s)) && script.language() != language
    {
        note(&format!(
            "the session {:?} is not in {language}; it plays in {}",
            args.script.as_deref().unwrap_or(DEFAULT_SESSION),
            script.language()
        ));
    }
    Ok(script)
}

/// The voice pack for `script`: `--pack` when it speaks the session's language (refused when
/// typed and it does not; a note when the config file or environment set it, and the rule below
/// chooses), else the language's voice ([`Location::for_language`]).
fn voice(
    args: &SessionArgs,
    layered: &[(&str, String)],
    script: &Script,
    base: &Path,
) -> Result<Location, SessionError> {
    let language = script.language();
    if let Some(spec) = &args.pack {
        let location = Location::find(Some(spec), base)?;
        let manifest = Manifest::load(&location)?;
        if manifest.speaks(&language) {
            return Ok(location);
        }
        let speaks = std::iter::once(&manifest.language)
            .chain(&manifest.also_speaks)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        match set_by(layered, "pack") {
            Some(source) => note(&format!(
                "voice pack {:?} (set by {source}) speaks {speaks}, not {language}, the \
                 session's language; using the {language} voice",
                manifest.name
            )),
            None => {
                return Err(PackError::Language {
                    pack: manifest.name,
                    speaks,
                    session: script.title.clone(),
                    language,
                }
                .into());
            }
        }
    }
    Ok(Location::for_language(&language, base)?)
}

/// The note for the cues a pack lacks, which the default voice speaks, naming the first eight.
fn borrowed_note(pack: &PackFiles) -> Option<String> {
    let n = pack.borrowed.len();
    if n == 0 {
        return None;
    }
    let mut listed = pack.borrowed[..n.min(8)].join(", ");
    if n > 8 {
        listed.push_str(&format!(", and {} more", n - 8));
    }
    let (s, them) = if n == 1 { ("", "it") } else { ("s", "them") };
    Some(format!(
        "voice pack {:?} has no clip for {n} cue{s} ({listed}); the default voice speaks {them}",
        pack.manifest.name
    ))
}

impl Session<'_> {
    /// The session sequenced at `rate`, with its clips' lengths read from headers or the cache.
    pub fn timeline(&self, rate: u32) -> Result<Timeline, SessionError> {
        let lengths = self.pack.lengths(rate)?;
        Ok(timeline::build(
            &self.script,
            &self.options,
            &lengths,
            rate,
        )?)
    }

    /// What the session is, for headings, tags and the log.
    pub fn about(&self, timeline: &Timeline) -> About<'_> {
        About {
            script: &self.script,
            options: &self.options,
            voice: &self.pack.manifest.name,
            seconds: timeline.seconds(timeline.duration),
        }
    }

    /// The `--ambience` bed, if one is asked for, prepared at `rate`.
    pub fn bed(&self, rate: u32) -> Result<Option<Arc<[f32]>>, SessionError> {
        let Some(name) = &self.args.ambience else {
            return Ok(None);
        };
        let file = self.pack.ambience(name, self.fallback.as_ref())?;
        Ok(Some(file.prepare(rate, &mut Default::default())?))
    }

    /// `mixer` with the ambience bed under it, if there is one.
    pub fn with_bed(&self, mixer: Mixer, bed: &Option<Arc<[f32]>>, timeline: &Timeline) -> Mixer {
        match bed {
            Some(bed) => {
                let gain = self.args.ambience_volume.unwrap_or(1.0);
                mixer.with_bed(bed.clone(), gain, timeline)
            }
            None => mixer,
        }
    }

    /// Writes the `--transcript` file, if one is asked for, from the timeline about to be
    /// played: like a render, a file atomically (through a symlink, keeping its mode), a pipe or
    /// device in place.
    pub fn write_transcript(&self, timeline: &Timeline) -> Result<(), SessionError> {
        let (Some(path), Some(format)) = (&self.args.transcript, self.transcript) else {
            return Ok(());
        };
        let text = transcript::render(timeline, format, &self.script.title);
        let fail = |source| SessionError::Transcript {
            path: path.display().to_string(),
            source,
        };
        let target = Target::open(path).map_err(fail)?;
        let mut writer = target.writer();
        writer.write_all(text.as_bytes()).map_err(fail)?;
        writer.flush().map_err(fail)?;
        drop(writer);
        target.commit().map_err(fail)
    }
}
