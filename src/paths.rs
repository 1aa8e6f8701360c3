//! Where the program keeps its files in the user's folders, in one place: the app folder's name
//! is joined onto the system's config, data and cache folders here and nowhere else (on Linux
//! `$XDG_CONFIG_HOME`, `$XDG_DATA_HOME` and `$XDG_CACHE_HOME`, by default under `~/.config`,
//! `~/.local/share` and `~/.cache`).

use std::path::PathBuf;

/// The folder the program keeps its files in, inside each of the user's folders.
const APP: &str = "balasana-audio";

/// Environment variable naming another config file (like ripgrep's `RIPGREP_CONFIG_PATH`).
pub const CONFIG_ENV: &str = "BALASANA_CONFIG";

/// Environment variable naming another practice log (tests, or a synced folder).
pub const LOG_ENV: &str = "BALASANA_LOG_FILE";

/// The config file: `$BALASANA_CONFIG`, else `<config dir>/balasana-audio/config.toml`.
pub fn config_file() -> Option<PathBuf> {
    from_env(CONFIG_ENV).or_else(|| Some(dirs::config_dir()?.join(APP).join("config.toml")))
}

/// The practice log: `$BALASANA_LOG_FILE`, else `<data dir>/balasana-audio/log.jsonl`.
pub fn log_file() -> Option<PathBuf> {
    from_env(LOG_ENV).or_else(|| data("log.jsonl"))
}

/// The user's own voice packs: `<data dir>/balasana-audio/audio`.
pub fn user_packs() -> Option<PathBuf> {
    data("audio")
}

/// The user's own sessions: `<data dir>/balasana-audio/script`.
pub fn user_scripts() -> Option<PathBuf> {
    data("script")
}

/// The cache of one kind of fact about clips: `<cache dir>/balasana-audio/<kind>`.
pub fn cache(kind: &str) -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join(APP).join(kind))
}

/// `name` in the app folder of the user's data folder.
fn data(name: &str) -> Option<PathBuf> {
    Some(dirs::data_dir()?.join(APP).join(name))
}

/// The path a variable names, if it is set and not empty.
fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}
