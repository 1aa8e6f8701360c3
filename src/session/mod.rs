//! One session, from the command line to its ending: made ready ([`prepare`]: the script, the
//! options resolved from the layered settings ([`options`]), the voice pack), then planned or
//! rendered ([`render`]) or played live ([`live`]), described from one value ([`describe`]), and
//! logged when it was heard ([`log`]).

pub mod describe;
pub mod live;
pub mod log;
pub mod options;
pub mod prepare;
pub mod render;

use std::io::Write;
use std::path::Path;

use crate::config::{Settings, Source};
use crate::exit::Exit;
use crate::library::LibraryError;
use crate::output::live::{Ending, LiveError, Signals};
use crate::output::render::RenderError;
use crate::pack::PackError;
use crate::script::DEFAULT_SESSION;
use crate::timeline::TimelineError;
use log::Outcome;

/// Why a session could not be planned, rendered or played, each with its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// An option outside what the script allows, or an output it cannot write.
    #[error("{0}")]
    Usage(String),
    /// No such session, or its script is invalid.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The voice pack could not be found, read or decoded.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The script and pack cannot be sequenced.
    #[error("cannot build the session: {0}")]
    Timeline(#[from] TimelineError),
    /// No audio device, or it failed.
    #[error(transparent)]
    Live(#[from] LiveError),
    /// The rendered file could not be written.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    /// The transcript file could not be written.
    #[error("cannot write transcript {path}: {source}")]
    Transcript {
        /// The transcript path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl SessionError {
    /// How the process ends for this error.
    pub fn exit_code(&self) -> Exit {
        match self {
            SessionError::Usage(_) => Exit::Usage,
            SessionError::Library(e) => e.exit_code(),
            SessionError::Timeline(TimelineError::MissingClip { .. }) => Exit::Pack,
            SessionError::Timeline(_) => Exit::Usage,
            SessionError::Pack(_) => Exit::Pack,
            SessionError::Live(_) => Exit::Device,
            SessionError::Render(_) | SessionError::Transcript { .. } => Exit::Write,
            SessionError::Signals(_) => Exit::System,
        }
    }
}

/// Plans, renders or plays the session the settings describe, and logs it if it was heard;
/// `base` is the folder where `script/` and `audio/` are looked for.
pub fn run(settings: &Settings, base: &Path) -> Result<Ending, SessionError> {
    let args = &settings.cli.session;
    let session = prepare::prepare(args, &layered(settings), base)?;
    let signals = Signals::install().map_err(SessionError::Signals)?;
    let (ending, outcome) = match (&args.render, session.format) {
        _ if args.plan => {
            render::plan(&session)?;
            (Ending::Finished, Outcome::Planned)
        }
        (Some(path), Some(format)) => {
            let ending = render::render(&session, path, format, &signals)?;
            (ending, Outcome::Rendered)
        }
        _ => {
            let played = live::play(&session, &signals)?;
            (played.ending, Outcome::Played(played))
        }
    };
    let name = args.script.as_deref().unwrap_or(DEFAULT_SESSION);
    let (script, options, voice) = (
        &session.script,
        &session.options,
        &session.pack.manifest.name,
    );
    if let Some(entry) = log::log_entry(script, options, voice, name, args.no_log, &outcome)
        && let Some(failed) = log::append(&entry)
    {
        note(&failed);
    }
    Ok(ending)
}

/// The settings that came from the config file or the environment, by config key, with where
/// each was set: they apply to every session, so one a session does not offer is a note.
fn layered(settings: &Settings) -> Vec<(&str, String)> {
    settings
        .settings
        .iter()
        .filter(|s| matches!(s.source, Source::Environment(_) | Source::File { .. }))
        .map(|s| (s.key.as_str(), s.source.to_string()))
        .collect()
}

/// Prints a line to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn say(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Prints a note to stderr.
fn note(text: &str) {
    eprintln!("note: {text}");
}
