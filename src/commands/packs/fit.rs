//! Lines spoken sentence by sentence at several tempos, fitted to their sessions' pace: which
//! take of each line to keep, its sentences joined by the session's pauses ([`pipeline::join`]).
//! `packs import` reads the takes from a folder, `packs synth` has its engine speak them there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::PacksError;
use crate::cue::Cue;
use crate::decode::{Clip, decode};
use crate::loudness;
use crate::pace::{
    Candidate, Choice, LONG_LINE_WORDS, UNPACED_SENTENCE_PAUSE, Unit, fit, median_tempo, sentences,
    syllables, words,
};
use crate::pipeline::{self, Pauses, Take};
use crate::script::{Line, Lines, Session};

/// A tempo as written in a take's file name: `0.85`.
fn tempo_name(tempo: f64) -> String {
    format!("{tempo:.2}")
}

/// The file a sentence's take at `tempo` is in: `<cue folder>/<i>@<tempo>.wav`.
pub(super) fn take_path(folder: &Path, sentence: usize, tempo: f64) -> PathBuf {
    folder.join(format!("{sentence}@{}.wav", tempo_name(tempo)))
}

/// What a line is fitted to: its range (in its unit) if a session that speaks it has a pace, and
/// the pauses set inside it.
struct Target {
    /// The unit and the range (the overlap of its sessions' ranges).
    range: Option<(Unit, [f64; 2])>,
    /// The pauses of the first session that speaks it with a pace.
    pauses: Pauses,
}

impl Target {
    /// The target of a line spoken by `sessions`.
    fn of(sessions: &[&Session]) -> Target {
        let paces: Vec<_> = sessions.iter().filter_map(|s| s.pace).collect();
        let Some(first) = paces.first() else {
            return Target {
                range: None,
                pauses: Pauses {
                    comma: None,
                    sentence: UNPACED_SENTENCE_PAUSE,
                },
            };
        };
        // Lines::of refuses long lines shared by sessions whose ranges do not overlap; a short
        // line is not fitted to the range, so the first session's serves.
        let (lo, hi) = paces.iter().fold((f64::MIN, f64::MAX), |(lo, hi), p| {
            (lo.max(p.range[0]), hi.min(p.range[1]))
        });
        let range = if lo < hi { [lo, hi] } else { first.range };
        Target {
            range: Some((first.unit, range)),
            pauses: Pauses {
                comma: Some(first.comma_pause),
                sentence: first.sentence_pause,
            },
        }
    }
}

/// A line to make from takes: where they are, how many sentences, what it is fitted to.
struct Spoken<'a> {
    line: &'a Line,
    folder: PathBuf,
    breaks: Vec<usize>,
    target: Target,
    sessions: Vec<usize>,
    /// Each tempo found, with the joined length and pauses at it.
    candidates: Vec<Candidate>,
}

/// Reads a take, checking its rate is the line's.
fn read_take(path: &Path, rate: &mut Option<u32>) -> Result<Clip, PacksError> {
    let raw = |message: String| PacksError::Raw {
        path: path.to_owned(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| raw(format!("cannot read the take: {e}")))?;
    let clip = decode(bytes).map_err(|e| raw(format!("cannot decode: {e}")))?;
    match rate {
        Some(r) if *r != clip.rate => Err(raw(format!(
            "{} Hz, but the line's other takes are {r} Hz",
            clip.rate
        ))),
        _ => {
            *rate = Some(clip.rate);
            Ok(clip)
        }
    }
}

impl Spoken<'_> {
    /// The tempos of the takes in the folder (each must have every sentence).
    fn tempos(&self) -> Result<Vec<f64>, PacksError> {
        let entries = std::fs::read_dir(&self.folder).map_err(|e| PacksError::Raw {
            path: self.folder.clone(),
            message: format!("cannot read the takes of cue {:?}: {e}", self.line.cue),
        })?;
        let mut tempos: Vec<f64> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let tempo = name.strip_prefix("0@")?.strip_suffix(".wav")?;
                tempo.parse::<f64>().ok().filter(|t| *t > 0.0)
            })
            .collect();
        tempos.sort_by(f64::total_cmp);
        if tempos.is_empty() {
            return Err(PacksError::Raw {
                path: self.folder.clone(),
                message: format!(
                    "cue {:?}: no take 0@TEMPO.wav (its {} sentences: {})",
                    self.line.cue,
                    self.breaks.len(),
                    sentence_list(&self.line.text)
                ),
            });
        }
        Ok(tempos)
    }

    /// The line's sentences at `tempo`, joined with its pauses × `scale`.
    fn join(&self, tempo: f64, scale: f64) -> Result<(Vec<f32>, u32, f64), PacksError> {
        let mut rate = None;
        let clips = (0..self.breaks.len())
            .map(|i| read_take(&take_path(&self.folder, i, tempo), &mut rate))
            .collect::<Result<Vec<_>, _>>()?;
        let takes: Vec<Take> = clips
            .iter()
            .zip(&self.breaks)
            .map(|(c, &breaks)| Take {
                samples: &c.samples,
                breaks,
            })
            .collect();
        let rate = rate.unwrap_or(1);
        let joined = pipeline::join(&takes, self.target.pauses, scale, rate).map_err(|e| {
            PacksError::Raw {
                path: take_path(&self.folder, 0, tempo),
                message: format!(
                    "cue {:?} at tempo {}: {e}",
                    self.line.cue,
                    tempo_name(tempo)
                ),
            }
        })?;
        Ok((joined.samples, rate, joined.pauses))
    }
}

/// The sentences of a text, quoted, for messages.
fn sentence_list(text: &str) -> String {
    sentences(text)
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{i}: {:?}", s.text))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The raw clip of every line of the script from `from`: `<cue>.wav` as it is (a recorded line),
/// or `<cue>/<i>@<tempo>.wav`, the line's sentences at several tempos, fitted and joined. The
/// fit is reported into `out`. `language` counts syllables where a range is in syllables.
pub(super) fn raw_clips(
    from: &Path,
    script: &Lines,
    language: &str,
    out: &mut String,
) -> Result<Vec<(Cue, Clip)>, PacksError> {
    let sessions = script.sessions();
    let mut whole = BTreeMap::new();
    let mut spoken = Vec::new();
    for (line, speakers) in script.spoken() {
        let wav = from.join(format!("{}.wav", line.cue));
        let folder = from.join(line.cue.as_str());
        if !folder.is_dir() {
            whole.insert(line.cue.clone(), read_whole(&wav, &line.cue, &folder)?);
            continue;
        }
        let said = sentences(&line.text);
        let mut line_spoken = Spoken {
            line,
            folder,
            breaks: said.iter().map(|s| s.breaks).collect(),
            target: Target::of(&speakers.iter().map(|&i| &sessions[i]).collect::<Vec<_>>()),
            sessions: speakers.to_vec(),
            candidates: Vec::new(),
        };
        for tempo in line_spoken.tempos()? {
            let (samples, rate, pauses) = line_spoken.join(tempo, 1.0)?;
            line_spoken.candidates.push(Candidate {
                tempo,
                seconds: samples.len() as f64 / f64::from(rate),
                pauses,
            });
        }
        spoken.push(line_spoken);
    }
    let choices = choose(&spoken, sessions.len(), language);
    if !spoken.is_empty() {
        let _ = writeln!(
            out,
            "  {:<20} {:>6} {:>7} {:>9} {:>9}",
            "cue", "tempo", "pauses", "wpm", "syl/s"
        );
    }
    let mut clips = Vec::new();
    for line in script.lines() {
        if let Some(clip) = whole.remove(&line.cue) {
            clips.push((line.cue.clone(), clip));
            continue;
        }
        let Some((i, s)) = spoken
            .iter()
            .enumerate()
            .find(|(_, s)| s.line.cue == line.cue)
        else {
            continue;
        };
        let choice = choices[i];
        let (samples, rate, _) = s.join(choice.tempo, choice.pause_scale)?;
        let seconds = samples.len() as f64 / f64::from(rate);
        let _ = writeln!(
            out,
            "  {:<20} {:>6} {:>6.1}× {:>9.1} {:>9.2}",
            line.cue,
            tempo_name(choice.tempo),
            choice.pause_scale,
            60.0 * words(&line.text) as f64 / seconds,
            syllables(&line.text, language) as f64 / seconds
        );
        let level = loudness::measure(&samples, rate);
        clips.push((
            line.cue.clone(),
            Clip {
                samples,
                rate,
                level,
            },
        ));
    }
    Ok(clips)
}

/// A recorded line, `<cue>.wav`, read as it is.
fn read_whole(wav: &Path, cue: &Cue, folder: &Path) -> Result<Clip, PacksError> {
    let raw = |message: String| PacksError::Raw {
        path: wav.to_owned(),
        message,
    };
    let bytes = std::fs::read(wav).map_err(|e| {
        raw(format!(
            "cannot read the raw clip for cue {cue:?} (nor is there a folder {} of its takes): {e}",
            folder.display()
        ))
    })?;
    decode(bytes).map_err(|e| raw(format!("cannot decode: {e}")))
}

/// The fit of every line (`docs/pace.md`, rule 6): a line of [`LONG_LINE_WORDS`] words or more
/// with a range takes the tempo that puts it nearest the middle of the range; any other line
/// the median tempo of the fitted lines of its sessions (the tempo nearest 1 when none was
/// fitted), its pauses as the session sets them.
fn choose(spoken: &[Spoken<'_>], sessions: usize, language: &str) -> Vec<Choice> {
    let mut choices: Vec<Option<Choice>> = spoken
        .iter()
        .map(|s| {
            let (unit, range) = s.target.range?;
            if words(&s.line.text) < LONG_LINE_WORDS {
                return None;
            }
            let count = match unit {
                Unit::WordsPerMinute => words(&s.line.text),
                Unit::SyllablesPerSecond => syllables(&s.line.text, language),
            };
            fit(count, unit, range, &s.candidates)
        })
        .collect();
    let mut fitted: Vec<Vec<f64>> = vec![Vec::new(); sessions];
    for (s, choice) in spoken.iter().zip(&choices) {
        for &session in &s.sessions {
            fitted[session].extend(choice.map(|c| c.tempo));
        }
    }
    for (s, choice) in spoken.iter().zip(choices.iter_mut()) {
        if choice.is_some() {
            continue;
        }
        let tempos: Vec<f64> = s
            .sessions
            .iter()
            .flat_map(|&i| fitted[i].iter().copied())
            .collect();
        let wanted = median_tempo(&tempos).unwrap_or(1.0);
        let tempo = s
            .candidates
            .iter()
            .map(|c| c.tempo)
            .min_by(|a, b| (a - wanted).abs().total_cmp(&(b - wanted).abs()))
            .unwrap_or(wanted);
        *choice = Some(Choice {
            tempo,
            pause_scale: 1.0,
        });
    }
    choices
        .into_iter()
        .map(|c| {
            c.unwrap_or(Choice {
                tempo: 1.0,
                pause_scale: 1.0,
            })
        })
        .collect()
}
