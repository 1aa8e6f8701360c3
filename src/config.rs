//! Settings from three layers: the command line, `BALASANA_<OPTION>` environment variables and
//! the config file, in that order of precedence; the script's defaults fill in the rest.
//!
//! Every layer speaks the language of the command line: a config key or a variable becomes the
//! long option of the same name, checked by that option's own clap value parser, so a value means
//! the same wherever it is written. [`Settings`] remembers where each value came from, for
//! `config show`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, FromArgMatches};
use std::collections::BTreeMap;
use toml::Spanned;

use crate::cli::Cli;
use crate::pack::DEFAULT_PACK;
use crate::script::Script;
use crate::script::line_column;
use crate::timeline::Options;

/// Prefix of the environment variable of each setting: `BALASANA_HOLD`, `BALASANA_LEAD_IN`.
pub const ENV_PREFIX: &str = "BALASANA_";

/// Session options that act on one run only and so have no config key or variable.
const RUN_ONLY: [&str; 8] = [
    "plan",
    "json",
    "render",
    "format",
    "quality",
    "transcript",
    "help",
    "version",
];

/// A config file or environment variable that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file is not valid TOML, has an unknown key or a bad value.
    #[error("{path}:{line}:{column}: {message}")]
    File {
        /// The config file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The config file exists but cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The config file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `BALASANA_…` variable has a bad value.
    #[error("environment variable {name}={value:?}: {message}")]
    Environment {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// The layers together make an invalid command line (e.g. conflicting options).
    #[error("{0}")]
    Combined(String),
    /// `config init` would replace a file.
    #[error("{path} exists; use --force to replace it")]
    Exists {
        /// The config file.
        path: String,
    },
    /// The config file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The config file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No home or config folder is known.
    #[error(
        "no config folder is known on this system (set {}=FILE)",
        crate::paths::CONFIG_ENV
    )]
    NoFolder,
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Given on the command line.
    CommandLine,
    /// From this environment variable.
    Environment(String),
    /// From the config file, at this line.
    File {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
    },
    /// Not set anywhere: the script's or the program's default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::CommandLine => f.write_str("command line"),
            Source::Environment(name) => f.write_str(name),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// One configurable setting: its key (the long option's name), its value as written, and where
/// the value came from.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The key, e.g. `lead-in`.
    pub key: String,
    /// The value as given (`None` when it is the default).
    pub value: Option<String>,
    /// Where it came from.
    pub source: Source,
}

/// The parsed command line with every layer applied, and where each setting came from.
#[derive(Debug)]
pub struct Settings {
    /// The effective command line.
    pub cli: Cli,
    /// Every configurable setting, in `--help` order.
    pub settings: Vec<Setting>,
    /// The config file consulted (it need not exist).
    pub file: Option<PathBuf>,
}

/// A configurable option: its clap id, long name and whether it takes a value.
struct Key {
    id: String,
    long: String,
    takes_value: bool,
}

impl Key {
    fn env(&self) -> String {
        format!("{ENV_PREFIX}{}", self.long.to_uppercase().replace('-', "_"))
    }

    fn flag(&self) -> String {
        format!("--{}", self.long)
    }
}

/// Every session option that can be configured, in `--help` order.
fn keys(command: &clap::Command) -> Vec<Key> {
    let mut args: Vec<&clap::Arg> = command.get_arguments().collect();
    args.sort_by_key(|a| a.get_display_order());
    args.into_iter()
        .filter(|a| !a.is_positional())
        .filter_map(|a| {
            let long = a.get_long()?;
            (!RUN_ONLY.contains(&long)).then(|| Key {
                id: a.get_id().to_string(),
                long: long.to_owned(),
                takes_value: a.get_action().takes_values(),
            })
        })
        .collect()
}

/// Parses `args` (the whole command line, program name first) with the environment and the
/// config file applied beneath it. Clap's own errors (unknown option, `--help`) come back as
/// `Err(Left)` for clap to print; layer errors as `Err(Right)`.
pub fn parse(args: Vec<OsString>) -> Result<Settings, Either> {
    let command = crate::cli::command();
    let matches = command
        .clone()
        .try_get_matches_from(&args)
        .map_err(Either::Clap)?;
    let wants_settings = match matches.subcommand_name() {
        None => true,
        Some("config") => matches!(
            matches.subcommand().map(|(_, m)| m.subcommand_name()),
            Some(Some("show"))
        ),
        Some(_) => false,
    };
    let file = crate::paths::config_file();
    if !wants_settings {
        let cli = Cli::from_arg_matches(&matches).map_err(Either::Clap)?;
        return Ok(Settings {
            cli,
            settings: Vec::new(),
            file,
        });
    }
    let config = match &file {
        Some(p) => read_file(p, &keys(&command), &command).map_err(Either::Layer)?,
        None => Vec::new(),
    };
    let (settings, layered) =
        layer(&command, &matches, &config, file.as_deref()).map_err(Either::Layer)?;
    let cli = with_layers(&command, &matches, args, layered)?;
    Ok(Settings {
        cli,
        settings,
        file,
    })
}

/// Each setting's value and source, in `--help` order: the command line's, else its variable's,
/// else the config `file`'s entry, else none (the default); and the command-line tokens the
/// environment and the file stand for.
fn layer(
    command: &clap::Command,
    matches: &ArgMatches,
    config: &[Entry],
    file: Option<&Path>,
) -> Result<(Vec<Setting>, Vec<OsString>), ConfigError> {
    let mut settings = Vec::new();
    let mut layered: Vec<OsString> = Vec::new();
    for key in &keys(command) {
        let (value, source) = if matches.value_source(&key.id) == Some(ValueSource::CommandLine) {
            (command_line_value(matches, key), Source::CommandLine)
        } else if let Some(raw) = std::env::var_os(key.env()) {
            layered.extend(env_tokens(key, &raw, command)?);
            let value = raw.to_string_lossy().into_owned();
            (Some(value), Source::Environment(key.env()))
        } else if let Some(entry) = config.iter().find(|e| e.key == key.long) {
            layered.extend(entry.tokens.iter().map(OsString::from));
            let source = Source::File {
                path: file.map(Path::to_path_buf).unwrap_or_default(),
                line: entry.line,
            };
            (Some(entry.value.clone()), source)
        } else {
            (None, Source::Default)
        };
        settings.push(Setting {
            key: key.long.clone(),
            value,
            source,
        });
    }
    Ok((settings, layered))
}

/// The command line parsed again with the `layered` tokens before its own, so it wins and every
/// combination is checked once; for `config show`, the session settings from the layers alone.
fn with_layers(
    command: &clap::Command,
    matches: &ArgMatches,
    args: Vec<OsString>,
    layered: Vec<OsString>,
) -> Result<Cli, Either> {
    let combined = |all: Vec<OsString>| {
        command
            .clone()
            .try_get_matches_from(all)
            .map_err(|e| Either::Layer(ConfigError::Combined(first_line(&e))))
    };
    if matches.subcommand_name().is_none() {
        let mut all = vec![
            args.first()
                .cloned()
                .unwrap_or_else(|| "balasana-audio".into()),
        ];
        all.extend(layered);
        all.extend(args.into_iter().skip(1));
        return Cli::from_arg_matches(&combined(all)?).map_err(Either::Clap);
    }
    let mut cli = Cli::from_arg_matches(matches).map_err(Either::Clap)?;
    let mut all = vec![OsString::from("balasana-audio")];
    all.extend(layered);
    cli.session = Cli::from_arg_matches(&combined(all)?)
        .map_err(Either::Clap)?
        .session;
    Ok(cli)
}

/// A failure of [`parse`]: clap's own (printed by clap, with its exit code) or a layer's.
#[derive(Debug)]
pub enum Either {
    /// An error clap reports itself (also `--help` and `--version`).
    Clap(clap::Error),
    /// A config file or environment variable error.
    Layer(ConfigError),
}

/// The first line of a clap error, without its `error: ` prefix.
fn first_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

/// The value a command-line option was given, as typed.
fn command_line_value(matches: &ArgMatches, key: &Key) -> Option<String> {
    if !key.takes_value {
        return Some("true".into());
    }
    matches
        .get_raw(&key.id)
        .and_then(|mut v| v.next_back())
        .map(|v| v.to_string_lossy().into_owned())
}

/// Checks `value` with the option's own parser.
fn check_value(command: &clap::Command, key: &Key, value: &OsStr) -> Result<(), String> {
    let arg = command
        .get_arguments()
        .find(|a| a.get_id() == key.id.as_str())
        .ok_or_else(|| format!("unknown option --{}", key.long))?;
    // The option alone, without the others it requires or conflicts with: only its value is
    // checked here; combinations are checked once all layers are together.
    let alone = arg
        .clone()
        .requires(clap::builder::Resettable::Reset)
        .conflicts_with(clap::builder::Resettable::Reset);
    clap::Command::new("balasana-audio")
        .arg(alone)
        .try_get_matches_from([
            OsStr::new(command.get_name()),
            OsStr::new(&key.flag()),
            value,
        ])
        .map(drop)
        .map_err(|e| first_line(&e))
}

/// The command-line tokens a variable stands for: `BALASANA_HOLD=150` → `--hold 150`;
/// a flag is on for `1`, `true`, `yes`, `on` and off for `0`, `false`, `no`, `off` or empty.
fn env_tokens(
    key: &Key,
    raw: &OsStr,
    command: &clap::Command,
) -> Result<Vec<OsString>, ConfigError> {
    let fail = |message: String| ConfigError::Environment {
        name: key.env(),
        value: raw.to_string_lossy().into_owned(),
        message,
    };
    if key.takes_value {
        check_value(command, key, raw).map_err(fail)?;
        return Ok(vec![key.flag().into(), raw.to_owned()]);
    }
    match raw.to_string_lossy().trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(vec![key.flag().into()]),
        "" | "0" | "false" | "no" | "off" => Ok(Vec::new()),
        _ => Err(fail("expected true or false (1/0, yes/no, on/off)".into())),
    }
}

/// One key of the config file, checked, as command-line tokens.
struct Entry {
    key: String,
    value: String,
    line: usize,
    tokens: Vec<String>,
}

/// Reads and checks the config file; a missing file is an empty one.
fn read_file(
    path: &Path,
    keys: &[Key],
    command: &clap::Command,
) -> Result<Vec<Entry>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(&text, offset);
        ConfigError::File {
            path: path.display().to_string(),
            line,
            column,
            message,
        }
    };
    let table: BTreeMap<Spanned<String>, Spanned<toml::Value>> = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            return Err(at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            ));
        }
    };
    let mut entries = Vec::new();
    let mut table: Vec<_> = table.into_iter().collect();
    table.sort_by_key(|(k, _)| k.span().start);
    for (name, value) in table {
        let key_offset = name.span().start;
        let name = name.into_inner();
        let offset = value.span().start;
        let Some(key) = keys.iter().find(|k| k.long == name) else {
            let known: Vec<&str> = keys.iter().map(|k| k.long.as_str()).collect();
            return Err(at(
                key_offset,
                format!("unknown key {name:?} (keys: {})", known.join(", ")),
            ));
        };
        let (shown, tokens) =
            tokens(key, &value.into_inner()).map_err(|m| at(offset, format!("{name}: {m}")))?;
        if key.takes_value {
            check_value(command, key, OsStr::new(&shown))
                .map_err(|message| at(offset, format!("{name}: {message}")))?;
        }
        entries.push(Entry {
            key: name,
            value: shown,
            line: line_column(&text, key_offset).0,
            tokens,
        });
    }
    Ok(entries)
}

/// A config value as it is shown and as the command-line tokens it stands for: a flag's
/// boolean, or an option's string or number.
fn tokens(key: &Key, value: &toml::Value) -> Result<(String, Vec<String>), String> {
    Ok(match (value, key.takes_value) {
        (toml::Value::Boolean(on), false) => {
            let tokens = if *on { vec![key.flag()] } else { Vec::new() };
            (on.to_string(), tokens)
        }
        (_, false) => return Err("expected true or false".into()),
        (toml::Value::String(s), true) => (s.clone(), vec![key.flag(), s.clone()]),
        (toml::Value::Integer(n), true) => (n.to_string(), vec![key.flag(), n.to_string()]),
        (toml::Value::Float(x), true) => (x.to_string(), vec![key.flag(), x.to_string()]),
        (other, true) => {
            return Err(format!(
                "expected a number or a string, found {}",
                other.type_str()
            ));
        }
    })
}

/// A setting's default: from the session script's `[limits]` for the timed options, else the
/// program's own (`false` for a flag, no ambience, the default pack and session, 0 dB), and the
/// session's language (the locale's when nothing chose one).
pub fn default_value(key: &str, script: &Script) -> String {
    // The session's own defaults, as the player derives them.
    let o = Options::defaults(script);
    match key {
        "hold" => o.hold.to_string(),
        "sets" => o.sets.to_string(),
        "rest" => o.rest.to_string(),
        "lead-in" => o.lead_in.to_string(),
        "breath" => format!("{}:{}", o.breath.inhale, o.breath.exhale),
        "guidance" => o.guidance,
        "variation" | "arms" => o.choices.get(key).cloned().unwrap_or_else(|| "none".into()),
        "tips" => o.tips.to_string(),
        "pacing" => o.pacing.name().to_owned(),
        "bell" => o.bell.map_or_else(|| "0".to_owned(), |b| b.to_string()),
        "pack" => DEFAULT_PACK.to_owned(),
        "script" => crate::script::DEFAULT_SESSION.to_owned(),
        "language" => script.language(),
        "ambience" => "none".to_owned(),
        k if k.ends_with("volume") => "0dB".to_owned(),
        _ => "false".to_owned(),
    }
}

/// What `config show` prints: each setting, its effective value and where it came from; defaults
/// are those of `script`, the session the settings select.
pub fn show(settings: &Settings, script: &Script) -> String {
    let values: Vec<String> = settings
        .settings
        .iter()
        .map(|s| {
            s.value
                .clone()
                .unwrap_or_else(|| default_value(&s.key, script))
        })
        .collect();
    let width = settings
        .settings
        .iter()
        .map(|s| s.key.len())
        .max()
        .unwrap_or(0);
    let value_width = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    match &settings.file {
        Some(p) if p.is_file() => out.push_str(&format!("config file: {}\n", p.display())),
        Some(p) => out.push_str(&format!("config file: {} (none yet)\n", p.display())),
        None => out.push_str("config file: none (no config folder known)\n"),
    }
    for (s, value) in settings.settings.iter().zip(&values) {
        out.push_str(&format!(
            "{:width$}  {value:value_width$}  {}\n",
            s.key, s.source
        ));
    }
    out
}

/// A commented config file listing every key with its help and its default (those of `script`),
/// all commented out.
pub fn template(script: &Script) -> String {
    let command = crate::cli::command();
    let mut out = String::from(
        "# balasana-audio settings. Keys are the long options; values as on the command line.\n\
         # Precedence: command line > BALASANA_<KEY> environment variables > this file >\n\
         # the session script's defaults. `balasana-audio config show` shows what applies.\n\n",
    );
    for key in keys(&command) {
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == key.id.as_str());
        let help = arg
            .and_then(|a| a.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        for line in wrap(&help, 96) {
            out.push_str(&format!("# {line}\n"));
        }
        let value = default_value(&key.long, script);
        let example = if !key.takes_value || value.parse::<f64>().is_ok() {
            value
        } else {
            format!("{value:?}")
        };
        out.push_str(&format!("# {} = {example}\n\n", key.long));
    }
    out
}

/// Splits `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_as_empty_toml_and_names_every_key() {
        let script = Script::parse(crate::script::EMBEDDED, "built-in").unwrap();
        let text = template(&script);
        let table: toml::Table = toml::from_str(&text).unwrap();
        assert!(table.is_empty(), "every key is commented out");
        for key in keys(&crate::cli::command()) {
            assert!(text.contains(&format!("# {} = ", key.long)), "{}", key.long);
        }
    }

    #[test]
    fn run_only_options_are_not_keys() {
        let names: Vec<String> = keys(&crate::cli::command())
            .into_iter()
            .map(|k| k.long)
            .collect();
        for run_only in ["plan", "render", "transcript", "json"] {
            assert!(!names.iter().any(|n| n == run_only), "{run_only}");
        }
        for key in [
            "hold",
            "breath",
            "lead-in",
            "pack",
            "voice-volume",
            "no-chimes",
        ] {
            assert!(names.iter().any(|n| n == key), "{key}");
        }
    }

    #[test]
    fn env_names() {
        let key = Key {
            id: "lead_in".into(),
            long: "lead-in".into(),
            takes_value: true,
        };
        assert_eq!(key.env(), "BALASANA_LEAD_IN");
    }
}
