//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// List, check, create and synthesize voice packs
    #[command(subcommand)]
    Packs(PacksCommand),
}

/// The `packs` commands.
#[derive(Debug, Subcommand)]
pub enum PacksCommand {
    /// Every pack found: built in, under audio/, and in your data folder
    List,
    /// Check a pack against the script: missing cues, unreadable, silent, clipping or badly
    /// trimmed clips, loudness; exits 4 when the pack cannot play the script
    Check {
        /// A pack name (folder under audio/ or your data folder) or a path
        #[arg(value_name = "NAME|PATH")]
        pack: String,
    },
    /// Create audio/NAME/ with a pack.toml listing every cue and its text, ready to record
    New {
        /// The new pack's name (a-z, 0-9, '-')
        name: String,
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
    /// The script's cues and their texts as JSON (for tools/make_pack.py)
    #[command(hide = true)]
    Cues,
}

/// What `packs synth` and `packs import` record in pack.toml about the voice.
#[derive(Debug, Args)]
pub struct PackInfo {
    /// Who or what speaks (pack.toml `voice`) [synth default: the engine and its voice]
    #[arg(long, value_name = "TEXT")]
    pub voice_name: Option<String>,
    /// BCP 47 language tag of the voice
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
    /// Seconds to hold the pose in each set [default: 90; allowed 20–600]
    #[arg(long, value_name = "SECS")]
    pub hold: Option<f64>,

    /// Number of sets [default: 2; allowed 1–5]
    #[arg(long, value_name = "N")]
    pub sets: Option<u32>,

    /// Seconds of rest between sets [default: 20]
    #[arg(long, value_name = "SECS")]
    pub rest: Option<f64>,

    /// Seconds to get onto the mat after the start chime, with a spoken cue; 0 for none
    /// [default: 5]
    #[arg(long, value_name = "SECS")]
    pub lead_in: Option<f64>,

    /// Breath pacing in the hold, inhale:exhale seconds [default: 4:6]
    #[arg(long, value_name = "IN:OUT", value_parser = parse_breath)]
    pub breath: Option<(f64, f64)>,

    /// Voice pack: a name (under audio/ or your packs folder) or a path [default: heart]
    #[arg(long, value_name = "NAME|PATH")]
    pub pack: Option<String>,

    /// Session script (TOML) [default: script/balasana.toml, else the built-in one]
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,

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

    /// With --render: the file format, whatever the extension (needed for `-`)
    #[arg(long, value_enum, requires = "render")]
    pub format: Option<crate::output::encode::Format>,

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
    balasana-audio packs list                  every voice pack there is\n\n{}",
        Exit::help()
    )
}

/// Parses `IN:OUT` seconds, e.g. `4:6` or `4.5:7`.
fn parse_breath(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not IN:OUT seconds, e.g. 4:6"))?;
    let num = |x: &str| {
        x.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| format!("{x:?} in {s:?} is not a positive number of seconds"))
    };
    Ok((num(a)?, num(b)?))
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
        assert_eq!(parse_breath("4:6"), Ok((4.0, 6.0)));
        assert_eq!(parse_breath(" 4.5 : 7 "), Ok((4.5, 7.0)));
        assert!(parse_breath("4-6").unwrap_err().contains("IN:OUT"));
        assert!(parse_breath("4:x").is_err());
        assert!(parse_breath("0:6").is_err());
    }
}
