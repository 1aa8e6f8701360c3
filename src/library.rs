//! The session library: scripts found by name along the search path ([`paths::data_folders`]:
//! the user's data folder, the system ones, the working folder), then among the sessions built
//! into the binary, or read from a path.
//!
//! Sessions are laid out as the repository lays them out: the English ones at the top of a
//! `script/` folder (`script/balasana.toml`), every other language in a folder of its own named by
//! its primary language subtag (`script/de/balasana.toml`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::exit::Exit;
use crate::language::{self, ENGLISH};
use crate::paths::{self, DataFolder};
use crate::script::{
    BUILT_IN, DEFAULT_SESSION, MAX_SCRIPT_BYTES, Script, ScriptError, line_column,
};

/// The language of the sessions at the top of `script/` and of those built in.
pub const TOP_LANGUAGE: &str = ENGLISH;

/// Why a session could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// No session of that name anywhere.
    #[error("no session {name:?} (looked in {looked}; built in: {built_in})")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The files looked for.
        looked: String,
        /// The built-in sessions.
        built_in: String,
    },
    /// No session at all in a language (a voice pack's, which it would have to speak).
    #[error("no session in {language:?} for a voice pack to speak (looked in {looked})")]
    NoLanguage {
        /// The language tag.
        language: String,
        /// The folders looked in.
        looked: String,
    },
    /// A language asked for that no session is in.
    #[error("--language {given}: no session is in that language (languages: {known}){set_by}")]
    UnknownLanguage {
        /// The language as given.
        given: String,
        /// The languages there are.
        known: String,
        /// Where it was set, when not on the command line: ` (set by BALASANA_LANGUAGE)`.
        set_by: String,
    },
    /// The script is invalid or unreadable.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// Two sessions share a cue they cannot share (another text, or paces that do not overlap).
    #[error("{0}")]
    Shared(String),
}

impl LibraryError {
    /// How the process ends: a bad or missing script, a pack in a language no session speaks, a
    /// language asked for that no session is in.
    pub fn exit_code(&self) -> Exit {
        match self {
            LibraryError::NotFound { .. } | LibraryError::Script(_) | LibraryError::Shared(_) => {
                Exit::Script
            }
            LibraryError::NoLanguage { .. } => Exit::Pack,
            LibraryError::UnknownLanguage { .. } => Exit::Usage,
        }
    }
}

/// Where a session's script lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary: its text.
    BuiltIn(&'static str),
    /// A file.
    File(PathBuf),
}

/// A session found in the library.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The name it is found by (the file stem).
    pub name: String,
    /// The primary subtag of its language (`en`, `de`): its folder's.
    pub language: String,
    /// Where it lives.
    pub origin: Origin,
    /// Whether a session of the same name and language comes earlier on the search path (and is
    /// the one used).
    pub shadowed: bool,
}

impl Entry {
    /// Reads and validates this entry's script (a shadowed one too).
    pub fn load(&self) -> Result<Script, LibraryError> {
        let mut script = match &self.origin {
            Origin::File(path) => read(path)?,
            Origin::BuiltIn(source) => {
                Script::parse(source, &built_in_origin(&self.language, &self.name))?
            }
        };
        script.language.get_or_insert_with(|| self.language.clone());
        Ok(script)
    }
}

/// The folder under `scripts` holding the sessions in `language` (a primary subtag or a BCP 47
/// tag): `scripts` itself for English, else the folder of its primary subtag (`scripts/de`).
fn language_folder(scripts: &Path, language: &str) -> PathBuf {
    match language::primary(language) {
        Some(primary) if primary != TOP_LANGUAGE => scripts.join(primary),
        _ => scripts.to_path_buf(),
    }
}

/// The folders searched for the sessions in `language`, in order.
fn folders(language: &str, base: &Path) -> Vec<PathBuf> {
    paths::data_folders(base)
        .iter()
        .map(|folder: &DataFolder| language_folder(&folder.scripts(), language))
        .collect()
}

/// Whether `spec` names a file rather than a session.
pub fn is_path(spec: &str) -> bool {
    spec.contains(['/', '\\']) || spec.starts_with('.') || spec.ends_with(".toml")
}

/// The language a script file's folder says: `de` for `…/script/de/x.toml`; none elsewhere.
fn folder_language(path: &Path) -> Option<String> {
    let folder = path.parent()?;
    let name = folder.file_name()?.to_str()?;
    let in_scripts = folder
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == paths::SCRIPTS);
    (in_scripts && language::primary(name).as_deref() == Some(name)).then(|| name.to_owned())
}

/// Reads and validates the session `spec` (a name or a path; `None` for the default session).
/// A name is looked for in `language` (a primary subtag) along the search path, then among the
/// sessions built in; a session that is nowhere in `language` is looked for in English. A path's
/// language is its `language` key, else its folder's (`script/de/…`), else English.
pub fn load(spec: Option<&str>, language: &str, base: &Path) -> Result<Script, LibraryError> {
    let name = spec.unwrap_or(DEFAULT_SESSION);
    if is_path(name) {
        let path = Path::new(name);
        let mut script = read(path)?;
        if script.language.is_none() {
            script.language = folder_language(path);
        }
        return Ok(script);
    }
    let mut looked = Vec::new();
    for language in [language, TOP_LANGUAGE] {
        let candidates = files_named(name, language, base);
        if let Some(file) = candidates.iter().find(|f| f.is_file()) {
            let mut script = read(file)?;
            script.language.get_or_insert_with(|| language.to_owned());
            return Ok(script);
        }
        if let Some(script) = built_in(language, name) {
            return script.map_err(LibraryError::from);
        }
        looked.extend(candidates);
    }
    looked.dedup();
    Err(LibraryError::NotFound {
        name: name.to_owned(),
        looked: joined(&looked),
        built_in: BUILT_IN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The files the session `name` in `language` would be, in search order.
fn files_named(name: &str, language: &str, base: &Path) -> Vec<PathBuf> {
    folders(language, base)
        .into_iter()
        .map(|d| d.join(format!("{name}.toml")))
        .collect()
}

/// The built-in sessions as (language, name, source): English, then the translations.
fn built_ins() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    BUILT_IN
        .iter()
        .map(|(name, source)| (TOP_LANGUAGE, *name, *source))
        .chain(translations())
}

/// The built-in session `name` in `language` (a primary subtag), if there is one.
fn built_in(language: &str, name: &str) -> Option<Result<Script, ScriptError>> {
    built_ins()
        .find(|(l, n, _)| *l == language && *n == name)
        .map(|(language, name, source)| {
            let mut script = Script::parse(source, &built_in_origin(language, name))?;
            script.language.get_or_insert_with(|| language.to_owned());
            Ok(script)
        })
}

/// The sessions a voice pack in `language` must speak: the shipped sessions (those built in, by
/// name) as found first in that language along the search path, else built in. Refused when
/// there is none in that language.
pub fn pack_sessions(language: &str, base: &Path) -> Result<Vec<Script>, LibraryError> {
    let primary = language::primary(language).unwrap_or_default();
    let mut sessions = Vec::new();
    for (name, _) in BUILT_IN {
        if let Some(file) = files_named(name, &primary, base)
            .iter()
            .find(|f| f.is_file())
        {
            let mut script = read(file)?;
            script.language.get_or_insert_with(|| primary.clone());
            sessions.push(script);
        } else if let Some(script) = built_in(&primary, name) {
            sessions.push(script?);
        }
    }
    if sessions.is_empty() {
        return Err(LibraryError::NoLanguage {
            language: language.to_owned(),
            looked: joined(&folders(&primary, base)),
        });
    }
    Ok(sessions)
}

/// The languages there are sessions in (primary subtags, sorted): those built in and those of
/// the language folders along the search path that hold a script.
pub fn languages(base: &Path) -> Vec<String> {
    let mut found: Vec<String> = all(base).into_iter().map(|e| e.language).collect();
    found.sort();
    found.dedup();
    found
}

/// The language the locale asks for ([`language::from_locale`]) when there are sessions in it,
/// else English.
pub fn locale_language(base: &Path) -> String {
    language::from_locale(|name| std::env::var(name).ok())
        .filter(|primary| languages(base).contains(primary))
        .unwrap_or_else(|| TOP_LANGUAGE.to_owned())
}

/// `given` (a language tag or locale name, from `--language`) as the primary subtag of a language
/// there are sessions in; `set_by` says where it was set when not on the command line.
pub fn check_language(
    given: &str,
    set_by: Option<&str>,
    base: &Path,
) -> Result<String, LibraryError> {
    let known = languages(base);
    match language::primary(given) {
        Some(primary) if known.contains(&primary) => Ok(primary),
        _ => Err(LibraryError::UnknownLanguage {
            given: given.to_owned(),
            known: known.join(", "),
            set_by: set_by.map_or(String::new(), |s| format!(" (set by {s})")),
        }),
    }
}

/// Paths joined for a message.
fn joined(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a built-in session is named in messages: `<built-in script/de/balasana.toml>`.
pub fn built_in_origin(language: &str, name: &str) -> String {
    let folder = language_folder(Path::new(paths::SCRIPTS), language);
    format!("<built-in {}/{name}.toml>", folder.display())
}

/// Reads, parses and validates a script file, refusing one over [`MAX_SCRIPT_BYTES`] before
/// reading it whole, and one that is not UTF-8.
fn read(path: &Path) -> Result<Script, ScriptError> {
    use std::io::Read;
    let origin = path.display().to_string();
    let fail = |line, column, message: String| ScriptError {
        origin: origin.clone(),
        line,
        column,
        message,
    };
    let unreadable = |e: std::io::Error| fail(1, 1, format!("cannot read script: {e}"));
    let too_large = |bytes: u64| {
        fail(
            1,
            1,
            format!(
                "the script is larger than {} MB ({bytes} bytes)",
                MAX_SCRIPT_BYTES >> 20
            ),
        )
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if meta.is_dir() {
        return Err(fail(1, 1, "cannot read script: it is a folder".into()));
    }
    if meta.len() > MAX_SCRIPT_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SCRIPT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let (line, column) = line_column(&before, valid);
        fail(line, column, "not UTF-8 (a script is UTF-8 text)".into())
    })?;
    Script::parse(&text, &origin)
}

/// Every session found by name, in every language, in search order within each language
/// (English first, then by language): the files of each folder on the search path, then the
/// built-in ones. A name found again later in the same language is listed too, marked shadowed:
/// the first one is the one used.
pub fn all(base: &Path) -> Vec<Entry> {
    let mut found: Vec<Entry> = Vec::new();
    let mut add = |language: &str, name: &str, origin: Origin| {
        let shadowed = found
            .iter()
            .any(|e| e.name == name && e.language == language);
        found.push(Entry {
            name: name.to_owned(),
            language: language.to_owned(),
            origin,
            shadowed,
        });
    };
    for folder in paths::data_folders(base) {
        let scripts = folder.scripts();
        for (language, dir) in language_folders(&scripts) {
            for file in scripts_in(&dir) {
                if let Some(name) = file.file_stem().and_then(|s| s.to_str()) {
                    add(&language, name, Origin::File(file.clone()));
                }
            }
        }
    }
    for (language, name, source) in built_ins() {
        add(language, name, Origin::BuiltIn(source));
    }
    found.sort_by_key(|e| (e.language != TOP_LANGUAGE, e.language.clone()));
    found
}

/// The language folders of a `script/` folder, English (the folder itself) first, then each
/// folder named by a primary subtag, sorted.
fn language_folders(scripts: &Path) -> Vec<(String, PathBuf)> {
    let mut found = vec![(TOP_LANGUAGE.to_owned(), scripts.to_path_buf())];
    let Ok(entries) = std::fs::read_dir(scripts) else {
        return found;
    };
    let mut others: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(name, dir)| {
            dir.is_dir()
                && name != TOP_LANGUAGE
                && language::primary(name).as_deref() == Some(name.as_str())
        })
        .collect();
    others.sort();
    found.extend(others);
    found
}

/// The `.toml` files in `dir`, sorted.
fn scripts_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    files
}

/// `(language, name, bytes)` of the translation build.rs deflated into `OUT_DIR`.
macro_rules! deflated {
    ($language:literal, $name:literal) => {
        (
            $language,
            $name,
            include_bytes!(concat!(
                env!("OUT_DIR"),
                "/",
                $language,
                "-",
                $name,
                ".toml.deflate"
            )),
        )
    };
}

/// The built-in sessions in other languages, each as (primary language subtag, name, source):
/// every translation is compiled in, so a session works in every language from any folder; their
/// voices are packs to install (docs/translations.md). The sources are kept deflated (build.rs:
/// 115 kB of text, about a third of it in the binary) and inflated once, on first use.
pub fn translations() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    static INFLATED: LazyLock<Vec<(&str, &str, String)>> = LazyLock::new(|| {
        DEFLATED
            .iter()
            .map(|(language, name, deflated)| (*language, *name, inflate(deflated)))
            .collect()
    });
    INFLATED
        .iter()
        .map(|(language, name, source)| (*language, *name, source.as_str()))
}

/// The translations as build.rs deflated them: (language, name, deflated source).
const DEFLATED: &[(&str, &str, &[u8])] = &[
    deflated!("de", "balasana"),
    deflated!("de", "bedtime"),
    deflated!("es", "balasana"),
    deflated!("es", "bedtime"),
    deflated!("fr", "balasana"),
    deflated!("fr", "bedtime"),
    deflated!("it", "balasana"),
    deflated!("it", "bedtime"),
];

/// The source build.rs deflated from `script/<language>/<name>.toml`. It wrote valid deflate
/// of valid UTF-8 (the unit test inflates each and compares it with the file), so a failure here
/// could only be a broken build, not input.
fn inflate(deflated: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(deflated)
        .read_to_string(&mut text)
        .expect("build.rs deflated a UTF-8 script");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_translation_inflates_to_its_file() {
        let found: Vec<_> = translations().collect();
        assert_eq!(found.len(), 8);
        for (language, name, source) in found {
            let file = format!(
                "{}/script/{language}/{name}.toml",
                env!("CARGO_MANIFEST_DIR")
            );
            assert_eq!(source, std::fs::read_to_string(&file).unwrap(), "{file}");
        }
    }
}
