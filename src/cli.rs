//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::codec::Format;
use crate::script::{self, BreathPhases, LIMITS, Limited, Script, limit_of};
use crate::timeline::Pacing;

use crate::exit::Exit;

/// An eyes-closed, guided Child's pose (Balasana): a calm voice and soft chimes talk you through
/// kneeling, folding forward, a long hold with breath pacing, a slow exit and rest between sets.
#[derive(Debug, Parser)]
#[command(name = "balasana-audio", version, about, long_about = None)]
#[command(after_help = after_help())]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Voice-pack tools; without a command, the session plays.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The session.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Commands besides playing the session.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, check, create, synthesize, install and share voice packs
    #[command(subcommand)]
    Packs(Box<PacksCommand>),
    /// The session library: every script found by name
    #[command(subcommand)]
    Scripts(ScriptsCommand),
    /// Your settings: where each comes from, the config file's path, a commented starter file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script (e.g. `balasana-audio completions bash > …`)
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `balasana-audio man | man -l -`
    Man,
    /// Your practice: recent sessions and minutes this week, this month and in all
    Log {
        /// Every logged session as a JSON array
        #[arg(long)]
        json: bool,
        /// Show your current and longest streak of practice days
        #[arg(long)]
        streak: bool,
        /// How many recent sessions to list
        #[arg(long, value_name = "N", default_value_t = 10)]
        recent: usize,
    },
}

/// The `scripts` commands.
#[derive(Debug, Subcommand)]
pub enum ScriptsCommand {
    /// Every session found along the search path (your data folder, the system's, ./script,
    /// built in), with its language, title, length at default settings and where it is
    List {
        /// Only the sessions in this language (e.g. de)
        #[arg(long, value_name = "CODE")]
        language: Option<String>,
    },
}

/// The `config` commands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Each effective setting and where it came from (command line, environment, config file or
    /// default)
    Show,
    /// The config file's path (it need not exist)
    Path,
    /// Write a commented config file listing every key
    Init {
        /// Replace an existing config file
        #[arg(long)]
        force: bool,
    },
}

/// The `packs` commands.
#[derive(Debug, Subcommand)]
pub enum PacksCommand {
    /// Every pack found along the search path (your data folder, the system's, ./audio, built
    /// in), where each is and which are shadowed
    List,
    /// Check a pack against the script: missing cues, unreadable, silent, clipping or badly
    /// trimmed clips, loudness; exits 4 when the pack cannot play the script
    Check {
        /// A pack name (folder under audio/ or your data folder) or a path
        #[arg(value_name = "NAME|PATH")]
        pack: String,
        /// The session to check against: a name from `scripts list` or a path [default: every
        /// shipped session in the pack's language]
        #[arg(long, value_name = "NAME|PATH")]
        script: Option<String>,
        /// Check against the sessions in this language instead of the pack's own (e.g. one it
        /// lists in `also_speaks`)
        #[arg(long, value_name = "CODE", conflicts_with = "script")]
        language: Option<String>,
    },
    /// Create audio/NAME/ with a pack.toml listing every cue and its text, ready to record
    New {
        /// The new pack's name (a-z, 0-9, '-')
        name: String,
        /// BCP 47 language tag of the voice to record; pack.toml lists the lines of the shipped
        /// sessions in that language
        #[arg(long, value_name = "TAG", default_value = "en-US")]
        language: String,
    },
    /// Generate a whole pack from the script's text with a speech synthesizer; every clip goes
    /// through the one pipeline (trim, fades, -20 LUFS, true peak <= -3 dBFS, Ogg Vorbis)
    Synth {
        /// The new pack's name (a-z, 0-9, '-'); written to audio/NAME/
        name: String,
        /// Which synthesizer to run
        #[arg(long, value_enum)]
        engine: Engine,
        /// Engine voice: a Piper model (.onnx, required), a flite voice [default: slt], an
        /// espeak-ng voice [default: en-us]
        #[arg(long)]
        voice: Option<String>,
        /// With --engine command: the program and its arguments, with {out} for the WAV file to
        /// write and {text} for the line (else the line goes to its standard input)
        #[arg(long, value_name = "COMMAND")]
        command: Option<String>,
        /// Replace an existing audio/NAME/ (its ambience beds and chimes are kept)
        #[arg(long)]
        force: bool,
        /// What pack.toml says about the voice
        #[command(flatten)]
        info: PackInfo,
    },
    /// Make a pack from raw speech, one <cue>.wav per script line in a folder, through the same
    /// pipeline as synth
    Import {
        /// The new pack's name (a-z, 0-9, '-'); written to audio/NAME/
        name: String,
        /// The folder holding <cue>.wav for every cue of the script
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Replace an existing audio/NAME/ (its ambience beds and chimes are kept)
        #[arg(long)]
        force: bool,
        /// What pack.toml says about the voice
        #[command(flatten)]
        info: PackInfo,
    },
    /// Record a pack with your own voice from the microphone, line by line, on a full screen;
    /// takes are kept in audio/NAME/raw/ as they end, and the pack is made when every line has one
    Record(RecordArgs),
    /// Install shared packs (each a folder, a .zip or a .tar.gz of one) into your data folder,
    /// for you alone, each after `packs check` passes against the sessions of its language
    /// (e.g. `packs install audio/pico-*` in a clone: every language's voice)
    Install {
        /// The packs' folders, or archives holding them, installed in turn
        #[arg(value_name = "PATH|ARCHIVE", required = true, num_args = 1..)]
        sources: Vec<PathBuf>,
        /// Replace an installed pack of the same name
        #[arg(long)]
        force: bool,
    },
    /// Remove a pack from your data folder (system and built-in packs stay)
    Remove {
        /// The pack's name
        name: String,
    },
    /// Write a pack as a .zip to share, which `packs install` installs
    Export {
        /// A pack name (as --pack finds it) or a path
        #[arg(value_name = "NAME|PATH")]
        pack: String,
        /// The .zip file to write
        #[arg(value_name = "FILE.zip")]
        file: PathBuf,
    },
    /// The script's cues and their texts as JSON (for tools/make_pack.py)
    #[command(hide = true)]
    Cues {
        /// Each line's sentences and sessions, and the tempos to speak them at
        #[arg(long)]
        phrases: bool,
        /// The lines of the shipped sessions in this language (e.g. de) [default: en]
        #[arg(long, value_name = "CODE")]
        language: Option<String>,
    },
}

/// What `packs record` is told.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The pack's name (a-z, 0-9, '-'): recorded into audio/NAME/
    pub name: String,
    /// Record only the lines of this session: a name from `scripts list` or a path [default:
    /// every line of the built-in sessions]
    #[arg(long, value_name = "NAME|PATH")]
    pub script: Option<String>,
    /// BCP 47 language tag of the voice: the lines of the sessions in that language are recorded
    /// [default: the one recorded so far, else en-US]
    #[arg(long, value_name = "TAG")]
    pub language: Option<String>,
    /// Go straight to the line with this cue id, to record it (again)
    #[arg(long, value_name = "CUE")]
    pub line: Option<String>,
    /// Make the pack from the takes so far (trim, fades, -20 LUFS, true peak, Ogg Vorbis) and
    /// check it, without recording
    #[arg(long, conflicts_with = "line")]
    pub finish: bool,
    /// Who speaks (pack.toml `voice`); asked the first time if not given, then remembered
    #[arg(long, value_name = "NAME")]
    pub speaker: Option<String>,
    /// The recordings' licence, an SPDX id (pack.toml `licence`); asked the first time if not
    /// given, then remembered
    #[arg(long, value_name = "SPDX-ID")]
    pub licence: Option<String>,
}

/// What `packs synth` and `packs import` record in pack.toml about the voice.
#[derive(Debug, Args)]
pub struct PackInfo {
    /// Who or what speaks (pack.toml `voice`) [synth default: the engine and its voice]
    #[arg(long, value_name = "TEXT")]
    pub voice_name: Option<String>,
    /// BCP 47 language tag of the voice; the pack speaks the shipped sessions in that language
    #[arg(long, value_name = "TAG", default_value = "en-US")]
    pub language: String,
    /// The clips' licence (pack.toml `licence`) [synth default: the engine's; import: required]
    #[arg(long, value_name = "TEXT")]
    pub licence: Option<String>,
    /// A file copied verbatim into the pack as LICENSE.txt
    #[arg(long, value_name = "FILE")]
    pub licence_file: Option<PathBuf>,
    /// Credits (pack.toml `credits`) [synth default: the engine's version]
    #[arg(long, value_name = "TEXT")]
    pub credits: Option<String>,
    /// The exact command that regenerates the pack [default: this command]
    #[arg(long, value_name = "COMMAND")]
    pub generated_by: Option<String>,
    /// How the raw speech was made; pack.toml `synthesis` adds the pipeline's own steps
    #[arg(long, value_name = "TEXT")]
    pub synthesis: Option<String>,
}

/// A speech synthesizer `packs synth` can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// Piper neural TTS (`piper` on PATH, with --voice MODEL.onnx)
    Piper,
    /// espeak-ng (Debian package espeak-ng)
    Espeak,
    /// Flite (Debian package flite)
    Flite,
    /// Any program that writes a WAV file: --command '... {text} ... {out}'
    Command,
}

/// How the session sounds and where it goes.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Seconds to hold the pose in each set
    #[arg(long, value_name = "SECS")]
    pub hold: Option<f64>,

    /// Number of sets
    #[arg(long, value_name = "N")]
    pub sets: Option<u32>,

    /// Seconds of rest between sets
    #[arg(long, value_name = "SECS")]
    pub rest: Option<f64>,

    /// Seconds to get onto the mat after the start chime, with a spoken cue; 0 for none
    #[arg(long, value_name = "SECS")]
    pub lead_in: Option<f64>,

    /// Breathing in the hold: IN:OUT or IN:HOLD:OUT:HOLD seconds, or a pattern's name
    #[arg(long, value_name = "IN:OUT|NAME", value_parser = parse_breath)]
    pub breath: Option<Breath>,

    /// How much is said: a guidance level of the session
    #[arg(long, value_name = "LEVEL")]
    pub guidance: Option<String>,

    /// The pose variation: a variation of the session
    #[arg(long, value_name = "NAME")]
    pub variation: Option<String>,

    /// Where the arms go; only that position is spoken
    #[arg(long, value_name = "WHERE")]
    pub arms: Option<String>,

    /// Speak the props tips (cushion, block, towel) whatever the guidance level
    #[arg(long, overrides_with = "no_tips")]
    pub tips: bool,

    /// Leave the props tips out
    #[arg(long, overrides_with = "tips")]
    pub no_tips: bool,

    /// Breath cues in the hold: first breaths spoken then chimes, chimes only, or none
    #[arg(long, value_enum, value_name = "HOW")]
    pub pacing: Option<PacingArg>,

    /// Ring a soft interval bell every SECS seconds of the hold; 0 for none
    #[arg(long, value_name = "SECS")]
    pub bell: Option<f64>,

    /// Voice pack: a name (found in your data folder, the system's, ./audio, or built in) or a
    /// path
    #[arg(long, value_name = "NAME|PATH")]
    pub pack: Option<String>,

    /// Session: a name from `scripts list` (e.g. bedtime) or a script file [default: balasana]
    #[arg(long, value_name = "NAME|PATH")]
    pub script: Option<String>,

    /// The session's language (e.g. de, es, fr, it): the session and its voice in that language
    /// [default: from the locale (LC_ALL, LC_MESSAGES, LANG), else en]
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,

    /// Print the session's timeline and play nothing
    #[arg(long)]
    pub plan: bool,

    /// With --plan: print the timeline as one JSON object
    #[arg(long, requires = "plan")]
    pub json: bool,

    /// Write the session to a file instead of playing it: .wav, .flac or .ogg (48 kHz stereo),
    /// with chapters and tags; `-` is standard output
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "plan",
        allow_hyphen_values = true
    )]
    pub render: Option<PathBuf>,

    /// Also write the spoken lines with their times: .srt, .vtt or .txt (by extension)
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,

    /// With --render: the file format, whatever the extension (needed for `-`)
    #[arg(long, value_enum, requires = "render")]
    pub format: Option<FormatArg>,

    /// With --render: Ogg Vorbis quality, -1 to 10 (oggenc's scale) [default: 4]
    #[arg(
        long,
        value_name = "Q",
        requires = "render",
        allow_hyphen_values = true
    )]
    pub quality: Option<f32>,

    /// No chimes at all, breath pacing chimes included: voice only
    #[arg(long)]
    pub no_chimes: bool,

    /// Voice level: dB (e.g. -6dB) or percent (e.g. 70%) [default: 0dB]
    #[arg(long, value_name = "LEVEL", value_parser = parse_volume, allow_hyphen_values = true)]
    pub voice_volume: Option<f32>,

    /// Chime level: dB (e.g. -6dB) or percent (e.g. 50%) [default: 0dB]
    #[arg(long, value_name = "LEVEL", value_parser = parse_volume, allow_hyphen_values = true)]
    pub chime_volume: Option<f32>,

    /// Loop the pack's ambience bed NAME under the session, ducked under the voice (e.g. ocean)
    #[arg(long, value_name = "NAME")]
    pub ambience: Option<String>,

    /// Ambience level: dB (e.g. -6dB) or percent (e.g. 50%) [default: 0dB]
    #[arg(long, value_name = "LEVEL", value_parser = parse_volume, allow_hyphen_values = true, requires = "ambience")]
    pub ambience_volume: Option<f32>,

    /// Refuse a pack that lacks cues instead of taking them from the default voice
    #[arg(long)]
    pub strict: bool,

    /// Do not add this session to the practice log (renders and plans are never logged)
    #[arg(long)]
    pub no_log: bool,

    /// No media controls: headset buttons, media keys, the desktop's media panel and playerctl
    /// leave this session alone (they reach it through MPRIS on the session bus)
    #[arg(long)]
    pub no_media_controls: bool,

    /// Print nothing but errors and notes
    #[arg(long, short)]
    pub quiet: bool,
}

/// The `--help` epilogue: examples, then the exit codes from [`Exit`].
fn after_help() -> String {
    format!(
        "Examples:\n  \
    balasana-audio --hold 90 --sets 2          play the session\n  \
    balasana-audio --hold 120 --breath 4:8     longer hold, slower exhale\n  \
    balasana-audio --plan                      show every cue and its time; play nothing\n  \
    balasana-audio --render session.wav        write the session to a WAV file\n  \
    balasana-audio --render session.ogg        a small Ogg Vorbis with chapters, for a phone\n  \
    balasana-audio --pack slt                  the session in another voice\n  \
    balasana-audio --guidance brief --breath 4-7-8  less talk, 4-7-8 breathing\n  \
    balasana-audio --variation wide-knee --arms back  knees wide, arms back\n  \
    balasana-audio --script bedtime --ambience ocean  the evening session\n  \
    balasana-audio --language de               the session in German (voice: packs install)\n  \
    balasana-audio config show                 your settings and where each comes from\n  \
    balasana-audio log                         your recent practice\n  \
    balasana-audio packs list                  every voice pack there is\n\n{}",
        Exit::help()
    )
}

/// The command line, with the default and ranges of each timed option in its help taken from the
/// built-in session's `[limits]`, the one place they are written.
pub fn command() -> clap::Command {
    let mut command = Cli::command();
    let Ok(script) = Script::parse(script::EMBEDDED, script::EMBEDDED_NAME) else {
        return command;
    };
    let patterns: Vec<String> = script
        .breath_patterns
        .iter()
        .map(|p| {
            let b = p.phases;
            format!(
                "{} ({}:{}:{}:{})",
                p.name, b.inhale, b.hold, b.exhale, b.rest
            )
        })
        .collect();
    command = command.mut_arg("breath", |arg| {
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        arg.help(format!("{help}; patterns: {}", patterns.join(", ")))
    });
    for (long, range) in defaults_and_ranges(&script) {
        let Some(id) = command
            .get_arguments()
            .find(|a| a.get_long() == Some(long))
            .map(|a| a.get_id().clone())
        else {
            continue;
        };
        command = command.mut_arg(id, |arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            arg.help(format!("{help} {range}"))
        });
    }
    command
}

/// The `[default: …; allowed …]` each option's help ends with, by long option, from `script`:
/// each limited option set on its own, then `--breath` with the limits of its inhale and exhale,
/// then the pack and the named choices, then the options off by default (the bell). Completions
/// list the options in this order.
fn defaults_and_ranges(script: &Script) -> Vec<(&'static str, String)> {
    let l = &script.limits;
    let limited = |off: bool| {
        LIMITS
            .iter()
            .filter(move |limit| limit.is_whole_option() && limit.off_by_default == off)
            .map(|limit| {
                let r = l.range(limit.option);
                let help = format!("[default: {}; {}]", limit.default_text(r), limit.span(r));
                (limit.flag, help)
            })
    };
    let mut ranges: Vec<(&str, String)> = limited(false).collect();
    let (inhale, exhale) = (limit_of(Limited::Inhale), limit_of(Limited::Exhale));
    ranges.push((
        "breath",
        format!(
            "[default: {}:{}; inhale {}, exhale {}]",
            l.inhale.default,
            l.exhale.default,
            inhale.span(&l.inhale),
            exhale.span(&l.exhale)
        ),
    ));
    let names = |values: Vec<String>, default: &str| {
        format!("[default: {default}; one of: {}]", values.join(", "))
    };
    let choice = |name: &str| {
        script
            .choices
            .get(name)
            .map(|c| names(c.values.clone(), &c.default))
            .unwrap_or_default()
    };
    let levels = script.guidance.iter().map(|g| g.name.clone()).collect();
    let default_level = script.guidance.first().map_or("", |g| g.name.as_str());
    ranges.extend([
        ("pack", format!("[default: {}]", crate::pack::DEFAULT_PACK)),
        ("guidance", names(levels, default_level)),
        ("variation", choice("variation")),
        ("arms", choice("arms")),
    ]);
    ranges.extend(limited(true));
    ranges
}

/// A `--breath` value: seconds of each phase, or the name of one of the script's patterns.
#[derive(Debug, Clone, PartialEq)]
pub enum Breath {
    /// Seconds of each phase.
    Phases(BreathPhases),
    /// A pattern named in the script's `[breath]`.
    Named(String),
}

/// How `--pacing` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PacingArg {
    /// First breaths spoken, then chimes with an occasional reminder
    Guided,
    /// Chimes only, nothing spoken about breathing
    Chimes,
    /// No breath cues at all; remaining-time cues and bells stay
    Silent,
}

impl From<PacingArg> for Pacing {
    fn from(p: PacingArg) -> Pacing {
        match p {
            PacingArg::Guided => Pacing::Guided,
            PacingArg::Chimes => Pacing::Chimes,
            PacingArg::Silent => Pacing::Silent,
        }
    }
}

/// How `--format` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// 16-bit PCM WAV, with `cue ` points and `LIST` labels for the steps
    Wav,
    /// Lossless FLAC, with Vorbis-comment chapters
    Flac,
    /// Ogg Vorbis, with Vorbis-comment chapters
    Ogg,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Wav => Format::Wav,
            FormatArg::Flac => Format::Flac,
            FormatArg::Ogg => Format::Ogg,
        }
    }
}

/// Parses `IN:OUT` or `IN:HOLD:OUT:HOLD` seconds (e.g. `4:6`, `4:7:8:0`), or a pattern name
/// (letters, digits and `-`, e.g. `4-7-8`, `box`), checked against the script later.
fn parse_breath(s: &str) -> Result<Breath, String> {
    let t = s.trim();
    if !t.contains(':') {
        let named = !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        return if named {
            Ok(Breath::Named(t.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not IN:OUT or IN:HOLD:OUT:HOLD seconds (e.g. 4:6, 4:7:8:0) or a pattern name"
            ))
        };
    }
    let num = |x: &str, zero_ok: bool| {
        x.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (*v > 0.0 || (zero_ok && *v == 0.0)))
            .ok_or_else(|| {
                let what = if zero_ok {
                    "0 or more"
                } else {
                    "a positive number of"
                };
                format!("{x:?} in {s:?} is not {what} seconds")
            })
    };
    let parts: Vec<&str> = t.split(':').collect();
    match parts[..] {
        [a, b] => Ok(Breath::Phases(BreathPhases {
            inhale: num(a, false)?,
            hold: 0.0,
            exhale: num(b, false)?,
            rest: 0.0,
        })),
        [a, b, c, d] => Ok(Breath::Phases(BreathPhases {
            inhale: num(a, false)?,
            hold: num(b, true)?,
            exhale: num(c, false)?,
            rest: num(d, true)?,
        })),
        _ => Err(format!(
            "{s:?} has {} parts; use IN:OUT or IN:HOLD:OUT:HOLD seconds",
            parts.len()
        )),
    }
}

/// Parses a level as dB (`-6dB`, `+3 dB`; −60 to +12) or percent (`70%`, `70`; 0 to 100) into a
/// linear gain.
fn parse_volume(s: &str) -> Result<f32, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(db) = lower.strip_suffix("db") {
        let db: f64 = db
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a level in dB, e.g. -6dB"))?;
        if !(-60.0..=12.0).contains(&db) {
            return Err(format!("{s:?} is outside -60dB to +12dB"));
        }
        return Ok(crate::loudness::db_to_gain(db) as f32);
    }
    let pct: f64 = lower
        .strip_suffix('%')
        .unwrap_or(&lower)
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a level: use dB (-6dB) or percent (70%)"))?;
    if !(0.0..=100.0).contains(&pct) {
        return Err(format!(
            "{s:?} is outside 0% to 100% (use dB, e.g. +3dB, to boost)"
        ));
    }
    Ok((pct / 100.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_parses_db_and_percent() {
        assert_eq!(parse_volume("0dB"), Ok(1.0));
        assert!((parse_volume("-6 dB").unwrap() - 0.501).abs() < 0.001);
        assert_eq!(parse_volume("50%"), Ok(0.5));
        assert_eq!(parse_volume("25"), Ok(0.25));
        assert!(parse_volume("150%").unwrap_err().contains("0% to 100%"));
        assert!(parse_volume("-80dB").is_err());
        assert!(parse_volume("loud").is_err());
    }

    #[test]
    fn breath_parses() {
        let phases = |inhale, hold, exhale, rest| {
            Ok(Breath::Phases(BreathPhases {
                inhale,
                hold,
                exhale,
                rest,
            }))
        };
        assert_eq!(parse_breath("4:6"), phases(4.0, 0.0, 6.0, 0.0));
        assert_eq!(parse_breath(" 4.5 : 7 "), phases(4.5, 0.0, 7.0, 0.0));
        assert_eq!(parse_breath("4:2:6:2"), phases(4.0, 2.0, 6.0, 2.0));
        assert_eq!(parse_breath("4:7:8:0"), phases(4.0, 7.0, 8.0, 0.0));
        assert_eq!(parse_breath("4-7-8"), Ok(Breath::Named("4-7-8".into())));
        assert_eq!(parse_breath("box"), Ok(Breath::Named("box".into())));
        assert!(parse_breath("4:6:8").unwrap_err().contains("3 parts"));
        assert!(parse_breath("Box!").unwrap_err().contains("IN:OUT"));
        assert!(parse_breath("4:x").is_err());
        assert!(parse_breath("0:6").is_err());
        assert!(parse_breath("4:0:6:0").is_ok());
        assert!(parse_breath("4:-1:6:0").is_err());
    }
}
