//! The session library: scripts found by name along the search path ([`paths::data_folders`]:
//! the user's data folder, the system ones, the working folder), then among the sessions built
//! into the binary, or read from a path.
//!
//! Sessions are laid out as the repository lays them out: the English ones at the top of a
//! `script/` folder (`script/balasana.toml`), every other language in a folder of its own named by
//! its primary language subtag (`script/de/balasana.toml`).

use std::path::{Path, PathBuf};

use crate::exit::Exit;
use crate::paths::{self, DataFolder};
use crate::script::{
    BUILT_IN, DEFAULT_SESSION, MAX_SCRIPT_BYTES, Script, ScriptError, line_column,
};

/// The language of the sessions at the top of `script/` and of those built in.
pub const TOP_LANGUAGE: &str = "en";

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
    #[error("no session in {language:?} to check the pack against (looked in {looked})")]
    NoLanguage {
        /// The language tag.
        language: String,
        /// The folders looked in.
        looked: String,
    },
    /// The script is invalid or unreadable.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// Two sessions share a cue they cannot share (another text, or paces that do not overlap).
    #[error("{0}")]
    Shared(String),
}

impl LibraryError {
    /// How the process ends: a bad or missing script, or a pack in a language no session speaks.
    pub fn exit_code(&self) -> Exit {
        match self {
            LibraryError::NotFound { .. } | LibraryError::Script(_) | LibraryError::Shared(_) => {
                Exit::Script
            }
            LibraryError::NoLanguage { .. } => Exit::Pack,
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
    /// Where it lives.
    pub origin: Origin,
    /// Whether a session of the same name comes earlier on the search path (and is the one used).
    pub shadowed: bool,
}

impl Entry {
    /// Reads and validates this entry's script (a shadowed one too).
    pub fn load(&self) -> Result<Script, LibraryError> {
        Ok(match &self.origin {
            Origin::File(path) => read(path)?,
            Origin::BuiltIn(source) => Script::parse(source, &built_in_origin(&self.name))?,
        })
    }
}

/// The primary subtag of a BCP 47 language tag, lower case: `de` for `de-DE`.
fn primary_subtag(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The folder under `scripts` holding the sessions in `language` (a BCP 47 tag, e.g. `de-DE`):
/// `scripts` itself for English, else the folder of its primary subtag (`scripts/de`).
fn language_folder(scripts: &Path, language: &str) -> PathBuf {
    let primary = primary_subtag(language);
    if primary == TOP_LANGUAGE {
        scripts.to_path_buf()
    } else {
        scripts.join(primary)
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
fn is_path(spec: &str) -> bool {
    spec.contains(['/', '\\']) || spec.starts_with('.') || spec.ends_with(".toml")
}

/// Reads and validates the session `spec` (a name or a path; `None` for the default session).
pub fn load(spec: Option<&str>, base: &Path) -> Result<Script, LibraryError> {
    let name = spec.unwrap_or(DEFAULT_SESSION);
    if is_path(name) {
        return Ok(read(Path::new(name))?);
    }
    let candidates = files_named(name, TOP_LANGUAGE, base);
    if let Some(file) = candidates.iter().find(|f| f.is_file()) {
        return Ok(read(file)?);
    }
    match built_in(name) {
        Some(script) => Ok(script?),
        None => Err(LibraryError::NotFound {
            name: name.to_owned(),
            looked: joined(&candidates),
            built_in: BUILT_IN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The files the session `name` in `language` would be, in search order.
fn files_named(name: &str, language: &str, base: &Path) -> Vec<PathBuf> {
    folders(language, base)
        .into_iter()
        .map(|d| d.join(format!("{name}.toml")))
        .collect()
}

/// The built-in session `name`, if there is one.
fn built_in(name: &str) -> Option<Result<Script, ScriptError>> {
    BUILT_IN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| Script::parse(source, &built_in_origin(name)))
}

/// The sessions a voice pack in `language` must speak: the shipped sessions (those built in, by
/// name) as found first in that language, English ones falling back to the built-in copies.
/// Refused when no folder has any of them in that language.
pub fn pack_sessions(language: &str, base: &Path) -> Result<Vec<Script>, LibraryError> {
    if primary_subtag(language) == TOP_LANGUAGE {
        return BUILT_IN
            .iter()
            .map(|(name, _)| load(Some(name), base))
            .collect();
    }
    let mut sessions = Vec::new();
    for (name, _) in BUILT_IN {
        if let Some(file) = files_named(name, language, base)
            .iter()
            .find(|f| f.is_file())
        {
            sessions.push(read(file)?);
        }
    }
    if sessions.is_empty() {
        return Err(LibraryError::NoLanguage {
            language: language.to_owned(),
            looked: joined(&folders(language, base)),
        });
    }
    Ok(sessions)
}

/// Paths joined for a message.
fn joined(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a built-in session is named in messages.
pub fn built_in_origin(name: &str) -> String {
    format!("<built-in script/{name}.toml>")
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

/// Every English session found by name, in search order: the files of each folder on the search
/// path, then the built-in ones. A name found again later is listed too, marked shadowed: the
/// first one is the one used.
pub fn all(base: &Path) -> Vec<Entry> {
    let mut found: Vec<Entry> = Vec::new();
    let mut add = |name: &str, origin: Origin| {
        let shadowed = found.iter().any(|e| e.name == name);
        found.push(Entry {
            name: name.to_owned(),
            origin,
            shadowed,
        });
    };
    for folder in folders(TOP_LANGUAGE, base) {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        for file in files {
            if let Some(name) = file.file_stem().and_then(|s| s.to_str()) {
                add(name, Origin::File(file.clone()));
            }
        }
    }
    for (name, source) in BUILT_IN {
        add(name, Origin::BuiltIn(source));
    }
    found
}
