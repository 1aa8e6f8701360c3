//! Where the program keeps and finds its files, in one place: the app folder's name is joined
//! onto the system's config, data and cache folders here and nowhere else (on Linux
//! `$XDG_CONFIG_HOME`, `$XDG_DATA_HOME` and `$XDG_CACHE_HOME`, by default under `~/.config`,
//! `~/.local/share` and `~/.cache`), and the search path for packs and sessions is set here.
//!
//! **The search path.** Packs and sessions given by name are looked for in data folders, in this
//! order ([`data_folders`]): the user's (`$XDG_DATA_HOME/balasana-audio`), each entry of
//! `$XDG_DATA_DIRS` with `balasana-audio/` joined (by default `/usr/local/share` and
//! `/usr/share`, where an administrator or a Debian package installs them for every user), and
//! the working folder (a clone of the repository). Every data folder is laid out as the
//! repository is: packs in `audio/<pack>/`, sessions under `script/`. What is found nowhere comes
//! from the binary, where the default pack and sessions are built in.

use std::path::{Path, PathBuf};

/// The folder the program keeps its files in, inside each of the user's folders.
const APP: &str = "balasana-audio";

/// Environment variable naming another config file (like ripgrep's `RIPGREP_CONFIG_PATH`).
pub const CONFIG_ENV: &str = "BALASANA_CONFIG";

/// Environment variable naming another practice log (tests, or a synced folder).
pub const LOG_ENV: &str = "BALASANA_LOG_FILE";

/// The system data folders when `$XDG_DATA_DIRS` is unset or empty (the XDG Base Directory
/// specification's default).
const DEFAULT_DATA_DIRS: &str = "/usr/local/share:/usr/share";

/// The folder inside a data folder holding the packs, one folder each.
pub const PACKS: &str = "audio";

/// The folder inside a data folder holding the sessions' scripts.
pub const SCRIPTS: &str = "script";

/// The config file: `$BALASANA_CONFIG`, else `<config dir>/balasana-audio/config.toml`.
pub fn config_file() -> Option<PathBuf> {
    from_env(CONFIG_ENV).or_else(|| Some(dirs::config_dir()?.join(APP).join("config.toml")))
}

/// The practice log: `$BALASANA_LOG_FILE`, else `<data dir>/balasana-audio/log.jsonl`.
pub fn log_file() -> Option<PathBuf> {
    from_env(LOG_ENV).or_else(|| Some(user_data()?.join("log.jsonl")))
}

/// The user's own voice packs, where `packs install` puts them: `<data dir>/balasana-audio/audio`.
pub fn user_packs() -> Option<PathBuf> {
    Some(user_data()?.join(PACKS))
}

/// The cache of one kind of fact about clips: `<cache dir>/balasana-audio/<kind>`.
pub fn cache(kind: &str) -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join(APP).join(kind))
}

/// The user's data folder: `$XDG_DATA_HOME/balasana-audio` (by default
/// `~/.local/share/balasana-audio`).
fn user_data() -> Option<PathBuf> {
    Some(dirs::data_dir()?.join(APP))
}

/// Which kind of place a data folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The user's own (`$XDG_DATA_HOME/balasana-audio`).
    User,
    /// One for every user of the machine (an `$XDG_DATA_DIRS` entry's `balasana-audio/`).
    System,
    /// The working folder: a clone of the repository.
    Working,
}

impl Place {
    /// How the place is named in messages: "your data folder", "a system folder", "the working
    /// folder".
    pub fn describe(self) -> &'static str {
        match self {
            Place::User => "your data folder",
            Place::System => "a system folder",
            Place::Working => "the working folder",
        }
    }
}

/// A folder laid out as the repository is (`audio/<pack>/`, `script/…`), searched for packs and
/// sessions by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFolder {
    /// Which kind of place it is.
    pub place: Place,
    /// The folder.
    pub root: PathBuf,
}

impl DataFolder {
    /// Its packs' folder, `<root>/audio`.
    pub fn packs(&self) -> PathBuf {
        self.root.join(PACKS)
    }

    /// Its sessions' folder, `<root>/script`; the sessions in other languages are in folders
    /// inside it.
    pub fn scripts(&self) -> PathBuf {
        self.root.join(SCRIPTS)
    }
}

/// The data folders searched for packs and sessions by name, first match wins: the user's,
/// each system one (`$XDG_DATA_DIRS`, whose relative entries are ignored as the specification
/// says), then `base` (the working folder). A folder reached twice (the working folder is
/// `/usr/share/balasana-audio`, or a system entry repeats) is searched once, where it comes first.
/// The folders need not exist.
pub fn data_folders(base: &Path) -> Vec<DataFolder> {
    let system = std::env::var_os("XDG_DATA_DIRS")
        .filter(|dirs| !dirs.is_empty())
        .unwrap_or_else(|| DEFAULT_DATA_DIRS.into());
    let candidates = user_data()
        .map(|root| (Place::User, root))
        .into_iter()
        .chain(
            std::env::split_paths(&system)
                .filter(|dir| dir.is_absolute())
                .map(|dir| (Place::System, dir.join(APP))),
        )
        .chain([(Place::Working, base.to_path_buf())]);
    let mut folders: Vec<DataFolder> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for (place, root) in candidates {
        let identity = root.canonicalize().unwrap_or_else(|_| root.clone());
        if !seen.contains(&identity) {
            seen.push(identity);
            folders.push(DataFolder { place, root });
        }
    }
    folders
}

/// The path a variable names, if it is set and not empty.
fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}
