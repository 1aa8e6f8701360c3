//! The `packs` commands, one file each: [`list`] the packs there are, [`check`] one against the
//! script, start a pack to record ([`new`]), make a whole pack from synthesized or raw speech
//! ([`synth`], [`import`], both through `make.rs` and the one clip pipeline in
//! [`crate::pipeline`]), [`record`] one from the microphone (through the same), [`install`] a
//! shared pack for the user, [`remove`] it, [`export`] one to share, and print the lines to voice
//! ([`cues`]).

pub mod check;
pub mod cues;
pub mod export;
mod fit;
pub mod import;
pub mod install;
pub mod list;
mod make;
pub mod new;
pub mod record;
pub mod remove;
pub mod synth;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::atomic::FolderError;
use crate::cli::PacksCommand;
use crate::exit::Exit;
use crate::library::LibraryError;
use crate::output::live::Ending;
use crate::pack::archive::ArchiveError;
use crate::pack::{Location, PackError};
use crate::script::Lines;

/// Why a `packs` command failed.
#[derive(Debug, thiserror::Error)]
pub enum PacksError {
    /// The pack could not be found or read.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// `packs check` found problems that stop the pack from playing the script.
    #[error("voice pack {pack:?} cannot play the script: {summary}")]
    Unplayable {
        /// Pack name.
        pack: String,
        /// The problems, counted.
        summary: String,
    },
    /// A pack name that cannot be a folder and cue-like id.
    #[error("pack name {0:?}: use only a-z, 0-9 and '-'")]
    BadName(String),
    /// The target folder exists.
    #[error("{0} already exists (choose another name, or pass --force to replace it)")]
    Exists(PathBuf),
    /// The speech engine is not installed.
    #[error("{engine} is not installed or not on PATH ({hint})")]
    EngineMissing {
        /// The engine's program.
        engine: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// The speech engine failed on a line.
    #[error("{engine} failed on cue {cue:?}: {message}")]
    EngineFailed {
        /// The engine's program.
        engine: &'static str,
        /// The cue it was speaking.
        cue: String,
        /// What it said.
        message: String,
    },
    /// A command line that cannot work (a needed option missing).
    #[error("{0}")]
    Usage(String),
    /// A raw clip to import is missing, unreadable or silent.
    #[error("{path}: {message}")]
    Raw {
        /// The raw clip file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `packs record`: no microphone could be opened.
    #[error("{0}")]
    NoMicrophone(String),
    /// `packs record`: the system refused the terminal or the signal handlers.
    #[error("the system refused {0}")]
    System(String),
    /// `packs install` of a pack installed already, without `--force`.
    #[error("voice pack {name:?} is installed already ({}); pass --force to replace it", dir.display())]
    Installed {
        /// The pack's name.
        name: String,
        /// Its folder.
        dir: PathBuf,
    },
    /// A pack to install or export could not be unpacked, read or written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The sessions a pack to install must speak could not be had.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// A `pack.toml` whose pack name cannot be a folder's.
    #[error("{path} names the pack {name:?}: a pack's name uses only a-z, 0-9 and '-'")]
    NameInPack {
        /// The `pack.toml`.
        path: String,
        /// The name it gives.
        name: String,
    },
    /// `packs remove` of a pack that is not in the user's data folder.
    #[error(
        "voice pack {name:?} is {place}: `packs remove` removes only packs in your data folder ({})",
        folder.display()
    )]
    NotYours {
        /// The pack's name.
        name: String,
        /// Where it is: built in, or which folder.
        place: String,
        /// The user's packs folder.
        folder: PathBuf,
    },
    /// There is no user data folder (no home folder, no `XDG_DATA_HOME`).
    #[error("no data folder to install packs in: set HOME or XDG_DATA_HOME")]
    NoDataFolder,
}

impl From<FolderError> for PacksError {
    fn from(e: FolderError) -> PacksError {
        PacksError::Write {
            path: e.path,
            message: e.source.to_string(),
        }
    }
}

impl PacksError {
    /// How the process ends: usage, pack problems, cannot write, engine missing or failed, no
    /// microphone, the system refusing.
    pub fn exit_code(&self) -> Exit {
        match self {
            PacksError::BadName(_)
            | PacksError::Exists(_)
            | PacksError::Usage(_)
            | PacksError::NotYours { .. }
            | PacksError::Installed { .. } => Exit::Usage,
            PacksError::Pack(_)
            | PacksError::Unplayable { .. }
            | PacksError::Raw { .. }
            | PacksError::NameInPack { .. } => Exit::Pack,
            PacksError::Archive(ArchiveError::Write { .. })
            | PacksError::Write { .. }
            | PacksError::NoDataFolder => Exit::Write,
            PacksError::Archive(_) => Exit::Pack,
            PacksError::Library(e) => e.exit_code(),
            PacksError::EngineMissing { .. } | PacksError::EngineFailed { .. } => Exit::Engine,
            PacksError::NoMicrophone(_) => Exit::Device,
            PacksError::System(_) => Exit::System,
        }
    }
}

/// The folder inside a pack where `packs record` keeps its takes; making a pack again keeps it,
/// and the player and `packs check` never look into it.
pub const RAW_FOLDER: &str = "raw";

/// Runs a `packs` command, printing its report to stdout; how it ended (`packs record` can be
/// quit or interrupted).
pub fn run(command: &PacksCommand, script: &Lines, base: &Path) -> Result<Ending, PacksError> {
    let mut out = String::new();
    let result = match command {
        PacksCommand::List => list::list(script, base, &mut out),
        PacksCommand::Check { pack, .. } => {
            let location = Location::find(Some(pack), base)?;
            let report = check::check(&location, script, &check::library_cues(base))?;
            let _ = write!(out, "{report}");
            report.verdict()
        }
        PacksCommand::New { name, language } => new::new(name, language, script, base, &mut out),
        PacksCommand::Synth {
            name,
            engine,
            voice,
            command,
            force,
            info,
        } => {
            let speaker = synth::Speaker::new(*engine, voice.as_deref(), command.as_deref())?;
            synth::synth(name, &speaker, *force, info, script, base, &mut out)
        }
        PacksCommand::Import {
            name,
            from,
            force,
            info,
        } => import::import(name, from, *force, info, script, base, &mut out),
        PacksCommand::Record(args) => return record::record(args, script, base),
        PacksCommand::Cues { phrases, .. } => {
            out.push_str(&if *phrases {
                cues::phrases(script)
            } else {
                cues::cues(script)
            });
            Ok(())
        }
        PacksCommand::Install { sources, force } => sources
            .iter()
            .try_for_each(|source| install::install(source, *force, base, &mut out)),
        PacksCommand::Remove { name } => remove::remove(name, base, &mut out),
        PacksCommand::Export { pack, file } => export::export(pack, file, base, &mut out),
    };
    {
        use std::io::Write as _;
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }
    result.map(|()| Ending::Finished)
}

/// `s` cut to `width` characters, with `…` when it was longer.
fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

/// Seconds as `m:ss.s`.
fn minutes(seconds: f64) -> String {
    format!("{}:{:04.1}", (seconds / 60.0) as u64, seconds % 60.0)
}

/// The plural ending for `n` things.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
