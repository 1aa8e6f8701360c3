//! `config show`, `config path` and `config init`; the settings themselves are layered in
//! [`crate::config`].

use crate::atomic;
use crate::cli::ConfigCommand;
use crate::config::{ConfigError, Settings, show, template};
use crate::script::Script;

/// Runs a `config` command; `script` is the session the settings select, for defaults.
pub fn run(
    command: &ConfigCommand,
    settings: &Settings,
    script: &Script,
) -> Result<String, ConfigError> {
    match command {
        ConfigCommand::Show => Ok(show(settings, script)),
        ConfigCommand::Path => settings
            .file
            .as_ref()
            .map(|p| format!("{}\n", p.display()))
            .ok_or(ConfigError::NoFolder),
        ConfigCommand::Init { force } => {
            let path = settings.file.as_ref().ok_or(ConfigError::NoFolder)?;
            let shown = path.display().to_string();
            if path.exists() && !force {
                return Err(ConfigError::Exists { path: shown });
            }
            let write = |source| ConfigError::Write {
                path: shown.clone(),
                source,
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(write)?;
            }
            atomic::write(path, template(script).as_bytes()).map_err(write)?;
            Ok(format!("wrote {shown}\n"))
        }
    }
}
