//! A command line run: each command dispatched to its own module (a session to `session`, the
//! others to `commands`), and every way it can fail, each with its exit code.

use std::io::Write;
use std::path::Path;

use crate::cli::{Command, PacksCommand, ScriptsCommand};
use crate::commands;
use crate::commands::packs::PacksError;
use crate::config::{ConfigError, Settings};
use crate::exit::Exit;
use crate::library::{self, LibraryError};
use crate::output::live::Ending;
use crate::pack::{Location, Manifest, PackError};
use crate::practice::LogError;
use crate::script::{Lines, Script};
use crate::session::{self, SessionError};

/// Everything that can end a run early, each with its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The session could not be planned, rendered or played.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A `packs` command found a problem or could not finish.
    #[error(transparent)]
    Packs(#[from] PacksError),
    /// The config file or a `BALASANA_…` variable is invalid, or `config init` failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No such session in the library, or its script is invalid.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The default voice pack could not be found (`scripts list`).
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The practice log could not be read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// Standard output could not be written.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
}

impl Error {
    /// How the process ends for this error.
    pub fn exit_code(&self) -> Exit {
        match self {
            Error::Session(e) => e.exit_code(),
            Error::Packs(e) => e.exit_code(),
            Error::Config(_) => Exit::Usage,
            Error::Library(e) => e.exit_code(),
            Error::Pack(_) => Exit::Pack,
            Error::Log(_) | Error::Stdout(_) => Exit::Write,
        }
    }
}

/// Runs one command line; `base` is the folder where `script/` and `audio/` are looked for.
pub fn run(settings: &Settings, base: &Path) -> Result<Ending, Error> {
    let cli = &settings.cli;
    match &cli.command {
        Some(Command::Packs(command)) => {
            let lines = pack_lines(command, base)?;
            return Ok(commands::packs::run(command, &lines, base)?);
        }
        Some(Command::Scripts(ScriptsCommand::List { language })) => {
            let language = match language {
                Some(given) => Some(library::check_language(given, None, base)?),
                None => None,
            };
            let (listing, notes) = commands::scripts::list(language.as_deref(), base)?;
            for note in notes {
                eprintln!("note: {note}");
            }
            print(&listing)?;
        }
        Some(Command::Config(command)) => {
            let language = match &cli.session.language {
                Some(given) => library::check_language(given, None, base)?,
                None => library::locale_language(base),
            };
            let script = library::load(cli.session.script.as_deref(), &language, base)?;
            print(&commands::config::run(command, settings, &script)?)?;
        }
        Some(Command::Completions { shell }) => {
            write_stdout(&commands::completions::completions(*shell))?
        }
        Some(Command::Log {
            json,
            streak,
            recent,
        }) => print(&commands::log::show(*json, *streak, *recent)?)?,
        Some(Command::Man) => write_stdout(&commands::man::man().map_err(Error::Stdout)?)?,
        None => return Ok(session::run(settings, base)?),
    }
    Ok(Ending::Finished)
}

/// The lines a pack command works on: those of the session `--script` names; else those of
/// every shipped session in a language, as found along the search path, which a pack in that
/// language must cover. The language is `--language`, else the language of the pack checked or
/// made, else English.
fn pack_lines(command: &PacksCommand, base: &Path) -> Result<Lines, Error> {
    let (spec, language) = match command {
        PacksCommand::Check {
            script,
            language,
            pack,
        } => {
            let language = match language {
                Some(language) => language.clone(),
                None => pack_language(pack, base)?,
            };
            (script.as_deref(), language)
        }
        PacksCommand::Record(args) => (
            args.script.as_deref(),
            commands::packs::record::language(args, base),
        ),
        PacksCommand::New { language, .. } => (None, language.clone()),
        PacksCommand::Cues {
            language: Some(language),
            ..
        } => (None, language.clone()),
        PacksCommand::Synth { info, .. } | PacksCommand::Import { info, .. } => {
            (None, info.language.clone())
        }
        _ => (None, library::TOP_LANGUAGE.to_owned()),
    };
    let scripts = match spec {
        Some(spec) => {
            let primary = crate::language::primary(&language).unwrap_or_default();
            vec![library::load(Some(spec), &primary, base)?]
        }
        None => library::pack_sessions(&language, base)?,
    };
    let refs: Vec<&Script> = scripts.iter().collect();
    Lines::of(&refs).map_err(|e| Error::Library(LibraryError::Shared(e)))
}

/// The language of the pack `spec` names, as its `pack.toml` says.
fn pack_language(spec: &str, base: &Path) -> Result<String, Error> {
    let location = Location::find(Some(spec), base)?;
    Ok(Manifest::load(&location)?.language)
}

/// Writes `text` to standard output as is; a closed pipe ends quietly.
fn print(text: &str) -> Result<(), Error> {
    write_stdout(text.as_bytes())
}

/// Writes bytes to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}
