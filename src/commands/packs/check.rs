//! `packs check`: a pack against the script, as a [`Report`] whose text is the command's output
//! and whose [`Report::verdict`] is its outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use super::{PacksError, plural, shorten};
use crate::cue::Cue;
use crate::decode::{Clip, decode};
use crate::library;
use crate::loudness::VOICE_TARGET_LUFS;
use crate::pace::{LONG_LINE_WORDS, SessionPace};
use crate::pack::{Location, Manifest};
use crate::pipeline;
use crate::script::Lines;

/// Leading or trailing silence longer than this is worth trimming.
const LONG_SILENCE: f64 = 0.5;
/// Samples at or above this magnitude count as clipped.
const CLIP_LEVEL: f32 = 0.999;

/// What a clip measures, as far as the check cares.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Length in seconds.
    pub seconds: f64,
    /// Integrated loudness; `None` when silent.
    pub lufs: Option<f64>,
    /// Sample peak in dBFS (−∞ when all zeros).
    pub peak_dbfs: f64,
    /// No samples at all.
    pub empty: bool,
    /// Samples at full scale.
    pub clipped: usize,
    /// Seconds of silence before the sound.
    pub lead: f64,
    /// Seconds of silence after the sound.
    pub trail: f64,
}

impl Measure {
    /// Measures a decoded clip.
    pub fn of(clip: &Clip) -> Measure {
        let (lead, trail) = match pipeline::sound_span(&clip.samples, clip.rate) {
            Some((first, last)) => {
                let secs = |n: usize| n as f64 / f64::from(clip.rate);
                (secs(first), secs(clip.samples.len() - 1 - last))
            }
            None => (0.0, 0.0),
        };
        Measure {
            seconds: clip.seconds(),
            lufs: clip.level.lufs,
            peak_dbfs: clip.level.peak_dbfs,
            empty: clip.samples.is_empty(),
            clipped: clip
                .samples
                .iter()
                .filter(|s| s.abs() >= CLIP_LEVEL)
                .count(),
            lead,
            trail,
        }
    }
}

impl Measure {
    /// What stops the clip from playing (empty, silent) into `problems`, and what is worth
    /// fixing (clipping, long silences) into `warnings`, each naming `file`.
    fn findings(&self, file: &str, problems: &mut Vec<String>, warnings: &mut Vec<String>) {
        if self.empty {
            problems.push(format!("{file}: empty"));
            return;
        }
        if self.lufs.is_none() {
            problems.push(format!("{file}: silent (peak {:.0} dBFS)", self.peak_dbfs));
            return;
        }
        if self.clipped > 0 {
            warnings.push(format!(
                "{file}: clipping ({} samples at full scale)",
                self.clipped
            ));
        }
        for (what, secs) in [("leading", self.lead), ("trailing", self.trail)] {
            if secs > LONG_SILENCE {
                warnings.push(format!(
                    "{file}: {secs:.1} s of {what} silence (trim to under {LONG_SILENCE} s)"
                ));
            }
        }
    }
}

/// One cue's clip as found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// No clip: no entry in `pack.toml` (`None`), or its file is missing.
    Missing(Option<String>),
    /// The file is there but does not decode.
    Undecodable {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The file decoded and measured.
    Measured {
        /// The file.
        file: String,
        /// What it measures.
        measure: Measure,
    },
}

/// One row of the table: a cue (a script line or a chime) and its clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The cue id (`chime-…` for chimes).
    pub cue: Cue,
    /// What was found for it.
    pub found: Found,
}

/// The result of checking a pack: the table, what stops it playing, what is worth fixing, and the
/// loudness spread of its voice clips. Its `Display` is the text `packs check` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The pack's name.
    pub pack: String,
    /// Where it is (`built in` or its `pack.toml`).
    pub place: String,
    /// Language, voice and licence, for the heading.
    pub about: About,
    /// Each cue with its clip, script lines first, then chimes.
    pub rows: Vec<Row>,
    /// What stops the pack from playing the script.
    pub problems: Vec<String>,
    /// What is worth fixing but does not stop it.
    pub warnings: Vec<String>,
    /// Quietest and loudest voice clip (chimes aside), in LUFS.
    pub spread: Option<(f64, f64)>,
    /// Lines in the script.
    pub lines: usize,
    /// Lines with a clip.
    pub voiced: usize,
    /// How fast the pack speaks each session of the script.
    pub pace: Vec<SessionPace>,
}

/// What the heading says of a pack besides its name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct About {
    /// Language tag (`en-US`).
    pub language: String,
    /// Who speaks.
    pub voice: String,
    /// The licence.
    pub licence: String,
}

/// What a pack holds besides the clips, found problems and warnings in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extras {
    /// Problems with ambience beds.
    pub ambience: Vec<String>,
    /// Files no cue or bed uses.
    pub unknown_files: Vec<String>,
    /// Cues in `pack.toml` the script does not have.
    pub unknown_cues: Vec<String>,
}

impl Report {
    /// Derives the problems, warnings and spread from what was found; `lines` is how many rows
    /// are script lines (the rest are chimes).
    pub fn new(
        pack: String,
        place: String,
        about: About,
        rows: Vec<Row>,
        lines: usize,
        extras: Extras,
    ) -> Report {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut missing = Vec::new();
        let mut levels = Vec::new();
        for row in &rows {
            match &row.found {
                Found::Missing(_) => missing.push(row.cue.as_str()),
                Found::Undecodable { file, message } => {
                    problems.push(format!("{file}: cannot decode ({message})"));
                }
                Found::Measured { file, measure: m } => {
                    m.findings(file, &mut problems, &mut warnings);
                    if !row.cue.is_chime() {
                        levels.extend(m.lufs);
                    }
                }
            }
        }
        if !missing.is_empty() {
            problems.insert(
                0,
                format!(
                    "{} cue{} without a clip: {}",
                    missing.len(),
                    plural(missing.len()),
                    missing.join(", ")
                ),
            );
        }
        problems.extend(extras.ambience);
        if !extras.unknown_files.is_empty() {
            warnings.push(format!(
                "files no cue uses: {}",
                extras.unknown_files.join(", ")
            ));
        }
        if !extras.unknown_cues.is_empty() {
            warnings.push(format!(
                "cues the script does not have (typos?): {}",
                extras.unknown_cues.join(", ")
            ));
        }
        let spread = levels
            .iter()
            .copied()
            .reduce(f64::min)
            .zip(levels.iter().copied().reduce(f64::max));
        let voiced = lines - missing.len();
        Report {
            pack,
            place,
            about,
            rows,
            problems,
            warnings,
            spread,
            lines,
            voiced,
            pace: Vec::new(),
        }
    }

    /// Adds the pack's pace in each session, with a warning for each session it is outside of.
    pub fn with_pace(mut self, pace: Vec<SessionPace>) -> Report {
        self.warnings
            .extend(pace.iter().filter_map(SessionPace::warning));
        self.pace = pace;
        self
    }

    /// `Ok` when the pack can play the script, else the problems counted.
    pub fn verdict(&self) -> Result<(), PacksError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        Err(PacksError::Unplayable {
            pack: self.pack.clone(),
            summary: format!(
                "{} problem{}, {} warning{} (cues voiced: {} of {})",
                self.problems.len(),
                plural(self.problems.len()),
                self.warnings.len(),
                plural(self.warnings.len()),
                self.voiced,
                self.lines
            ),
        })
    }
}

/// The notes column of a measured clip.
fn notes(m: &Measure) -> String {
    let mut notes = Vec::new();
    if m.empty {
        notes.push("empty".to_owned());
    } else if m.lufs.is_none() {
        notes.push("silent".to_owned());
    } else {
        if m.clipped > 0 {
            notes.push(format!("clipping: {} samples at full scale", m.clipped));
        }
        for (what, secs) in [("leading", m.lead), ("trailing", m.trail)] {
            if secs > LONG_SILENCE {
                notes.push(format!("{secs:.1} s {what} silence"));
            }
        }
    }
    notes.join("; ")
}

impl fmt::Display for Report {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let About {
            language,
            voice,
            licence,
        } = &self.about;
        writeln!(
            out,
            "voice pack {:?} at {}\n  {language} · {voice} · licence: {licence}\n",
            self.pack, self.place
        )?;
        writeln!(
            out,
            "  {:<20} {:<24} {:>7} {:>7} {:>7}  notes",
            "cue", "file", "length", "LUFS", "peak"
        )?;
        for Row { cue, found } in &self.rows {
            match found {
                Found::Missing(file) => {
                    let note = match file {
                        Some(f) => format!("missing file {f}"),
                        None => "no entry in pack.toml".into(),
                    };
                    writeln!(
                        out,
                        "  {cue:<20} {:<24} {:>7} {:>7} {:>7}  {note}",
                        "—", "", "", ""
                    )?;
                }
                Found::Undecodable { file, message } => writeln!(
                    out,
                    "  {cue:<20} {file:<24} {:>7} {:>7} {:>7}  cannot decode: {message}",
                    "", "", ""
                )?,
                Found::Measured { file, measure: m } => {
                    let lufs = m.lufs.map_or("—".into(), |l| format!("{l:.1}"));
                    let peak = if m.peak_dbfs.is_finite() {
                        format!("{:.1}", m.peak_dbfs)
                    } else {
                        "—".into()
                    };
                    writeln!(
                        out,
                        "  {cue:<20} {:<24} {:>6.2}s {lufs:>7} {peak:>7}  {}",
                        shorten(file, 24),
                        m.seconds,
                        notes(m)
                    )?;
                }
            }
        }
        writeln!(out)?;
        for session in &self.pace {
            pace_section(out, session)?;
        }
        if let Some((lo, hi)) = self.spread {
            writeln!(
                out,
                "loudness: {lo:.1} to {hi:.1} LUFS (spread {:.1} LU); each clip is matched to {VOICE_TARGET_LUFS} LUFS at load",
                hi - lo
            )?;
        }
        for w in &self.warnings {
            writeln!(out, "warning: {w}")?;
        }
        for p in &self.problems {
            writeln!(out, "problem: {p}")?;
        }
        if self.problems.is_empty() {
            writeln!(
                out,
                "ready: {} of {} cues, {} warning{}",
                self.voiced,
                self.lines,
                self.warnings.len(),
                plural(self.warnings.len())
            )?;
        }
        Ok(())
    }
}

/// A session's pace: the median of its lines of 8+ words and how many are in range, then the
/// fastest and slowest of them.
fn pace_section(out: &mut fmt::Formatter<'_>, session: &SessionPace) -> fmt::Result {
    let long = session.long_lines();
    let (Some(rate), Some(syllables)) = (
        session.median_rate(),
        session.median(|f| f.syllables_per_second()),
    ) else {
        return Ok(());
    };
    let unit = session.unit();
    let range = match session.pace {
        Some(pace) => format!(
            "{}, {} of {} lines of {LONG_LINE_WORDS}+ words in range",
            pace.describe(),
            long.len() - session.outside().len(),
            long.len()
        ),
        None => format!(
            "no [pace]; {} lines of {LONG_LINE_WORDS}+ words",
            long.len()
        ),
    };
    let wpm = session.median(|f| f.wpm()).unwrap_or(rate);
    writeln!(
        out,
        "pace, {} ({range}): median {wpm:.1} wpm, {syllables:.2} syl/s",
        session.session
    )?;
    let ends = [("fastest", long.last()), ("slowest", long.first())];
    for (what, line) in ends.into_iter().filter_map(|(w, l)| Some((w, l?))) {
        writeln!(
            out,
            "  {what}  {:<22} {:>6.1} {}  {}",
            line.cue,
            line.figures.rate(unit),
            unit.label(),
            shorten(&line.text, 60)
        )?;
    }
    writeln!(out)
}

/// The pack's pace in each session of `script`, from the lengths of the clips found.
fn paces(script: &Lines, rows: &[Row], language: &str) -> Vec<SessionPace> {
    let seconds: BTreeMap<&str, f64> = rows
        .iter()
        .filter_map(|row| match &row.found {
            Found::Measured { measure, .. } => Some((row.cue.as_str(), measure.seconds)),
            _ => None,
        })
        .collect();
    script
        .sessions()
        .iter()
        .enumerate()
        .map(|(index, session)| {
            let lines = script
                .spoken()
                .filter(|(_, speakers)| speakers.contains(&index))
                .filter_map(|(line, _)| {
                    let length = *seconds.get(line.cue.as_str())?;
                    Some((line.cue.to_string(), line.text.clone(), length))
                });
            SessionPace::new(&session.name, session.pace, lines, language)
        })
        .collect()
}

/// The cue ids every session of the library found from `base` speaks (a session that does not
/// load is left out): a pack entry for one of them is no typo, whichever session is checked.
pub fn library_cues(base: &Path) -> BTreeSet<Cue> {
    library::all(base)
        .iter()
        .filter(|entry| !entry.shadowed)
        .filter_map(|entry| entry.load().ok())
        .flat_map(|script| script.lines().map(|l| l.cue.clone()).collect::<Vec<_>>())
        .collect()
}

/// Checks a pack against the script: reads and measures every clip it needs and every file it
/// holds. `library` are the cues the sessions of the library speak ([`library_cues`]): a pack
/// entry for one is not reported as a cue the script does not have.
pub fn check(
    location: &Location,
    script: &Lines,
    library: &BTreeSet<Cue>,
) -> Result<Report, PacksError> {
    let manifest = Manifest::load(location)?;
    let mut entries: Vec<(Cue, Option<String>)> = script
        .lines()
        .map(|l| (l.cue.clone(), manifest.clips.get(l.cue.as_str()).cloned()))
        .collect();
    entries.extend(
        manifest
            .chimes
            .iter()
            .map(|(k, f)| (Cue::chime_key(k), Some(f.clone()))),
    );
    let rows: Vec<Row> = entries
        .iter()
        .map(|(cue, file)| Row {
            cue: cue.clone(),
            found: found(location, file.as_deref()),
        })
        .collect();
    let extras = extras(location, &manifest, &entries, script, library);
    let pace = paces(script, &rows, &manifest.language);
    Ok(Report::new(
        manifest.name,
        location.describe(""),
        About {
            language: manifest.language,
            voice: manifest.voice,
            licence: manifest.licence,
        },
        rows,
        script.lines().count(),
        extras,
    )
    .with_pace(pace))
}

/// What is found for a cue whose entry names `file` (`None`: no entry).
fn found(location: &Location, file: Option<&str>) -> Found {
    let Some(file) = file.filter(|f| location.has(f)) else {
        return Found::Missing(file.map(str::to_owned));
    };
    match read(location, file) {
        Ok(clip) => Found::Measured {
            file: file.to_owned(),
            measure: Measure::of(&clip),
        },
        Err(message) => Found::Undecodable {
            file: file.to_owned(),
            message,
        },
    }
}

/// A pack file, read and decoded.
fn read(location: &Location, file: &str) -> Result<Clip, String> {
    location
        .read(file)
        .map_err(|e| e.to_string())
        .and_then(decode)
}

/// What the pack holds besides the clips of `entries` (the script's cues and the pack's chimes):
/// its ambience beds' problems, the files no entry uses, and the cues of `pack.toml` no session
/// of the `library` speaks.
fn extras(
    location: &Location,
    manifest: &Manifest,
    entries: &[(Cue, Option<String>)],
    script: &Lines,
    library: &BTreeSet<Cue>,
) -> Extras {
    let mut extras = Extras::default();
    for (name, file) in &manifest.ambience {
        if !location.has(file) {
            extras
                .ambience
                .push(format!("ambience {name:?}: missing file {file}"));
        } else if let Err(e) = read(location, file) {
            extras
                .ambience
                .push(format!("ambience {name:?}: {file}: cannot decode ({e})"));
        }
    }
    // The files of the script's cues, of cues other sessions speak, of chimes and of beds.
    let spoken_elsewhere = manifest
        .clips
        .iter()
        .filter(|(cue, _)| library.contains(cue.as_str()))
        .map(|(_, file)| file.as_str());
    let known: Vec<&str> = entries
        .iter()
        .filter_map(|(_, f)| f.as_deref())
        .chain(spoken_elsewhere)
        .chain(manifest.ambience.values().map(String::as_str))
        .collect();
    extras.unknown_files = location
        .files()
        .into_iter()
        .filter(|f| f != "pack.toml" && !known.contains(&f.as_str()))
        .filter(|f| !(f.ends_with(".md") || f.ends_with(".txt")))
        .collect();
    extras.unknown_cues = manifest
        .clips
        .keys()
        .filter(|k| !library.contains(k.as_str()) && !script.lines().any(|l| l.cue == **k))
        .cloned()
        .collect();
    extras
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(file: &str, lufs: Option<f64>) -> Found {
        Found::Measured {
            file: file.into(),
            measure: Measure {
                seconds: 1.5,
                lufs,
                peak_dbfs: -6.0,
                empty: false,
                clipped: 0,
                lead: 0.1,
                trail: 0.1,
            },
        }
    }

    fn row(cue: &str, found: Found) -> Row {
        Row {
            cue: Cue::from(cue),
            found,
        }
    }

    fn report(rows: Vec<Row>, lines: usize, extras: Extras) -> Report {
        let about = About {
            language: "en-US".into(),
            voice: "Ana".into(),
            licence: "CC0".into(),
        };
        Report::new(
            "mine".into(),
            "./audio/mine".into(),
            about,
            rows,
            lines,
            extras,
        )
    }

    #[test]
    fn a_complete_pack_is_ready_and_the_spread_leaves_out_chimes() {
        let r = report(
            vec![
                row("intro", measured("intro.ogg", Some(-21.0))),
                row("settle", measured("settle.ogg", Some(-18.5))),
                row("chime-start", measured("start.ogg", Some(-30.0))),
            ],
            2,
            Extras::default(),
        );
        assert_eq!(r.spread, Some((-21.0, -18.5)));
        assert!(r.problems.is_empty() && r.warnings.is_empty());
        assert!(r.verdict().is_ok());
        let text = r.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "voice pack \"mine\" at ./audio/mine");
        assert_eq!(lines[1], "  en-US · Ana · licence: CC0");
        assert_eq!(
            lines[4],
            "  intro                intro.ogg                  1.50s   -21.0    -6.0  "
        );
        assert_eq!(
            lines[8],
            "loudness: -21.0 to -18.5 LUFS (spread 2.5 LU); each clip is matched to -20 LUFS at load"
        );
        assert_eq!(lines[9], "ready: 2 of 2 cues, 0 warnings");
        assert_eq!(lines.len(), 10);
    }

    #[test]
    fn missing_silent_and_undecodable_clips_are_problems_the_verdict_counts() {
        let r = report(
            vec![
                row("intro", Found::Missing(None)),
                row("settle", Found::Missing(Some("settle.wav".into()))),
                row("breathe", measured("breathe.wav", None)),
                row(
                    "rest",
                    Found::Undecodable {
                        file: "rest.wav".into(),
                        message: "not audio".into(),
                    },
                ),
            ],
            4,
            Extras::default(),
        );
        assert_eq!(
            r.problems,
            [
                "2 cues without a clip: intro, settle",
                "breathe.wav: silent (peak -6 dBFS)",
                "rest.wav: cannot decode (not audio)",
            ]
        );
        assert_eq!(r.spread, None);
        let text = r.to_string();
        assert!(text.contains(
            "  intro                —                                                 no entry in pack.toml\n"
        ));
        assert!(text.contains("missing file settle.wav\n"));
        assert!(text.contains("cannot decode: not audio\n"));
        assert!(!text.contains("ready:") && !text.contains("loudness:"));
        let e = r.verdict().unwrap_err();
        assert_eq!(
            e.to_string(),
            "voice pack \"mine\" cannot play the script: 3 problems, 0 warnings (cues voiced: 2 of 4)"
        );
    }

    #[test]
    fn clipping_long_silences_and_strays_are_warnings_not_problems() {
        let mut loud = measured("intro.ogg", Some(-20.0));
        if let Found::Measured { measure, .. } = &mut loud {
            measure.clipped = 3;
            measure.lead = 0.8;
            measure.trail = 1.26;
        }
        let r = report(
            vec![row("intro", loud)],
            1,
            Extras {
                ambience: vec![],
                unknown_files: vec!["old.wav".into()],
                unknown_cues: vec!["intor".into()],
            },
        );
        assert!(r.problems.is_empty());
        assert_eq!(
            r.warnings,
            [
                "intro.ogg: clipping (3 samples at full scale)",
                "intro.ogg: 0.8 s of leading silence (trim to under 0.5 s)",
                "intro.ogg: 1.3 s of trailing silence (trim to under 0.5 s)",
                "files no cue uses: old.wav",
                "cues the script does not have (typos?): intor",
            ]
        );
        let text = r.to_string();
        assert!(text.contains(
            "clipping: 3 samples at full scale; 0.8 s leading silence; 1.3 s trailing silence\n"
        ));
        assert!(text.ends_with("ready: 1 of 1 cues, 5 warnings\n"));
        assert!(r.verdict().is_ok());
    }

    #[test]
    fn ambience_problems_follow_the_clip_problems() {
        let r = report(
            vec![row("intro", Found::Missing(None))],
            1,
            Extras {
                ambience: vec!["ambience \"rain\": missing file rain.ogg".into()],
                ..Extras::default()
            },
        );
        assert_eq!(
            r.problems,
            [
                "1 cue without a clip: intro",
                "ambience \"rain\": missing file rain.ogg"
            ]
        );
        assert_eq!(r.voiced, 0);
    }
}
