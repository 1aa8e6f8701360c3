//! Voice packs: a folder with `pack.toml` and one clip per cue, in any format rodio decodes.
//!
//! A pack is found by name in `audio/` of each data folder along the search path (the user's,
//! the system ones, the working folder: [`crate::paths::data_folders`]), by path, or is the
//! default pack compiled into the binary ([`location`]). Its `pack.toml` says which file speaks each cue
//! and brings optional chimes and ambience beds ([`manifest`]). For a session, each cue's file is
//! resolved (cues a pack lacks can come from the default pack; chimes come from the pack if it
//! has them, else are synthesized), and each clip is decoded only when needed, matched to its
//! loudness target and resampled to the output rate ([`clips`]). A pack travels as one file, a
//! `.zip` or `.tar.gz`, unpacked with the guards an untrusted archive needs ([`archive`]).

pub mod archive;
pub mod clips;
pub mod location;
pub mod manifest;

pub use clips::{ClipFile, Kind, Pack, PackFiles};
pub use location::{Location, MAX_FILE_BYTES};
pub use manifest::Manifest;

/// The pack used when `--pack` is not given.
pub const DEFAULT_PACK: &str = "heart";

/// Bytes in a megabyte, for messages.
const MB: f64 = (1u64 << 20) as f64;

/// A pack that cannot be found, read or played.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// No pack of that name or path.
    #[error("voice pack {name:?} not found (looked in {looked})")]
    NotFound {
        /// What was asked for.
        name: String,
        /// Where it was looked for.
        looked: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `pack.toml` is not valid.
    #[error("{path}:{line}:{column}: {message}")]
    Manifest {
        /// The manifest file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A cue the script speaks has no clip in the pack.
    #[error("voice pack {pack:?} has no clip for cue {cue:?} (expected {expected})")]
    MissingCue {
        /// Pack name.
        pack: String,
        /// The cue id.
        cue: String,
        /// The file it would be.
        expected: String,
    },
    /// A clip could not be decoded.
    #[error("{path}: cannot decode clip for cue {cue:?}: {message}")]
    Decode {
        /// The clip file.
        path: String,
        /// The cue id.
        cue: String,
        /// The decoder's message.
        message: String,
    },
    /// No ambience bed of that name in the pack (or the default pack).
    #[error("voice pack {pack:?} has no ambience {name:?} (it has: {available})")]
    NoAmbience {
        /// Pack name.
        pack: String,
        /// The bed asked for.
        name: String,
        /// The beds there are.
        available: String,
    },
    /// A path in `pack.toml` that leads outside the pack folder.
    #[error("voice pack {pack:?}: {what} is {file:?}, {why}")]
    Outside {
        /// Pack name.
        pack: String,
        /// Which entry: `clip for cue "welcome"`, `chime "start"`, `ambience "ocean"`.
        what: String,
        /// The path as written.
        file: String,
        /// Why it is outside.
        why: String,
    },
    /// A pack file larger than [`MAX_FILE_BYTES`], refused before reading.
    #[error("{path} is {:.1} MB, over the {} MB limit for a pack file", *.bytes as f64 / MB, MAX_FILE_BYTES >> 20)]
    TooLarge {
        /// The file.
        path: String,
        /// Its size in bytes.
        bytes: u64,
    },
    /// The thread that prepares clips during a session could not start.
    #[error("cannot start preparing clips: {0}")]
    Worker(String),
    /// A clip decoded to no sound at all.
    #[error("{path}: clip for cue {cue:?} is empty")]
    Empty {
        /// The clip file.
        path: String,
        /// The cue id.
        cue: String,
    },
    /// A pack asked for that does not speak the session's language.
    #[error(
        "voice pack {pack:?} speaks {speaks}, but the session {session:?} is in {language}: \
         choose a pack that speaks {language} (packs list), or another language (--language)"
    )]
    Language {
        /// Pack name.
        pack: String,
        /// The languages it speaks (`language`, then `also_speaks`).
        speaks: String,
        /// The session's title.
        session: String,
        /// The session's language.
        language: String,
    },
    /// No pack at all speaks the session's language.
    #[error(
        "no voice pack speaks {language}, the session's language: install one with \
         `balasana-audio packs install audio/pico-{language}` in a clone of balasana-audio \
         (the Debian package ships them), or play another language (--language en)"
    )]
    NoVoice {
        /// The session's language (primary subtag).
        language: String,
    },
}
