//! Command-line definitions.

use std::path::PathBuf;

use clap::Parser;

/// An eyes-closed, guided Child's pose (Balasana): a calm voice and soft chimes talk you through
/// kneeling, folding forward, a long hold with breath pacing, a slow exit and rest between sets.
#[derive(Debug, Parser)]
#[command(name = "balasana-audio", version, about, long_about = None)]
#[command(after_help = "Examples:\n  \
    balasana-audio --hold 90 --sets 2          play the session\n  \
    balasana-audio --hold 120 --breath 4:8     longer hold, slower exhale\n  \
    balasana-audio --plan                      show every cue and its time; play nothing\n  \
    balasana-audio --render session.wav        write the session to a WAV file\n\n\
Exit codes: 0 done, 2 bad option, 3 bad script, 4 bad voice pack, 5 no or failed audio device,\n\
6 cannot write the output file, 130 stopped by Ctrl-C, 143 stopped by SIGTERM.")]
pub struct Cli {
    /// Seconds to hold the pose in each set [default: 90; allowed 20–600]
    #[arg(long, value_name = "SECS")]
    pub hold: Option<f64>,

    /// Number of sets [default: 2; allowed 1–5]
    #[arg(long, value_name = "N")]
    pub sets: Option<u32>,

    /// Seconds of rest between sets [default: 20]
    #[arg(long, value_name = "SECS")]
    pub rest: Option<f64>,

    /// Breath pacing in the hold, inhale:exhale seconds [default: 4:6]
    #[arg(long, value_name = "IN:OUT", value_parser = parse_breath)]
    pub breath: Option<(f64, f64)>,

    /// Voice pack: a folder name under audio/, or a path to a pack folder [default: joe]
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

    /// Write the session to a WAV file (48 kHz, 16-bit stereo) instead of playing it
    #[arg(long, value_name = "FILE.wav", conflicts_with = "plan")]
    pub render: Option<PathBuf>,

    /// No chimes at all, breath pacing chimes included: voice only
    #[arg(long)]
    pub no_chimes: bool,

    /// Print nothing but errors and notes
    #[arg(long, short)]
    pub quiet: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breath_parses() {
        assert_eq!(parse_breath("4:6"), Ok((4.0, 6.0)));
        assert_eq!(parse_breath(" 4.5 : 7 "), Ok((4.5, 7.0)));
        assert!(parse_breath("4-6").unwrap_err().contains("IN:OUT"));
        assert!(parse_breath("4:x").is_err());
        assert!(parse_breath("0:6").is_err());
    }
}
