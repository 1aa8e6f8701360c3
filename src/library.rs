//! The session library: scripts found by name in `./script/`, the user's data folder and the
//! set built into the binary, or read from a path.

use std::path::{Path, PathBuf};

use crate::paths;
use crate::script::{
    BUILT_IN, DEFAULT_SESSION, MAX_SCRIPT_BYTES, Script, ScriptError, line_column,
};

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
    /// The script is invalid or unreadable.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// Two sessions share a cue they cannot share (another text, or paces that do not overlap).
    #[error("{0}")]
    Shared(String),
}

/// Where a session's script lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    BuiltIn,
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
}

/// The folders searched for sessions by name, in order.
fn folders(base: &Path) -> Vec<PathBuf> {
    std::iter::once(base.join("script"))
        .chain(paths::user_scripts())
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
    let candidates: Vec<PathBuf> = folders(base)
        .into_iter()
        .map(|d| d.join(format!("{name}.toml")))
        .collect();
    if let Some(file) = candidates.iter().find(|f| f.is_file()) {
        return Ok(read(file)?);
    }
    if let Some((_, source)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
        return Ok(Script::parse(source, &built_in_origin(name))?);
    }
    Err(LibraryError::NotFound {
        name: name.to_owned(),
        looked: candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        built_in: BUILT_IN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    })
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

/// Every session found by name: files first (`./script/`, then the user's folder), then the
/// built-in ones; a name found twice is listed where it is found first, which is the one used.
pub fn all(base: &Path) -> Vec<Entry> {
    let mut found: Vec<Entry> = Vec::new();
    for folder in folders(base) {
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
            let Some(name) = file.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if !found.iter().any(|e| e.name == name) {
                found.push(Entry {
                    name: name.to_owned(),
                    origin: Origin::File(file.clone()),
                });
            }
        }
    }
    for (name, _) in BUILT_IN {
        if !found.iter().any(|e| e.name == *name) {
            found.push(Entry {
                name: (*name).to_owned(),
                origin: Origin::BuiltIn,
            });
        }
    }
    found
}
