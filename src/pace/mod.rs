//! A calm pace (issue 24, `docs/pace.md`): how fast a line is spoken, counted one way for every
//! pack, and the rule that fits a generated line to its session's range.
//!
//! A session's `[pace]` says the range (words per minute in English, syllables per second in any
//! language) and the pauses the pipeline sets inside a line: after a comma-class mark and between
//! sentences. The range applies to lines of at least [`LONG_LINE_WORDS`] words, pauses included;
//! shorter lines are mostly padding and decay. Pure: numbers and text in, numbers out.

mod fit;
mod report;
mod text;

pub use fit::{Candidate, Choice, PAUSE_SCALES, fit, median_tempo};
pub use report::{LineFigures, SessionPace};
pub use text::{Sentence, sentences, syllables, words};

use serde::Deserialize;

/// The pace range applies to lines of at least this many words.
pub const LONG_LINE_WORDS: usize = 8;

/// The tempos a line is synthesized at, for the fit to choose from: 0.60 to 1.30 of the engine's
/// base setting in steps of 0.05 (1 is the base; under 1 slower).
pub const TEMPOS: [f64; 15] = [
    0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30,
];

/// Seconds between two sentences of a line in a session without `[pace]`: about what the engines
/// leave between sentences when they speak a whole line (the pipeline joins sentences itself).
pub const UNPACED_SENTENCE_PAUSE: f64 = 0.8;

/// What a pace range counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Words per minute (English).
    WordsPerMinute,
    /// Syllables per second (any language).
    SyllablesPerSecond,
}

impl Unit {
    /// How the unit is written after a number.
    pub fn label(self) -> &'static str {
        match self {
            Unit::WordsPerMinute => "wpm",
            Unit::SyllablesPerSecond => "syl/s",
        }
    }
}

/// A session's pace: its range over lines of [`LONG_LINE_WORDS`] words or more, and the pauses
/// the pipeline sets inside a line (seconds, sound to sound).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// What the range counts.
    pub unit: Unit,
    /// Slowest and fastest pace allowed.
    pub range: [f64; 2],
    /// After `,` `;` `:` `…` and a dash inside a sentence.
    pub comma_pause: f64,
    /// Between sentences.
    pub sentence_pause: f64,
}

/// `[pace]` as written: exactly one of the two ranges.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPace {
    /// Words per minute, `[slowest, fastest]`.
    #[serde(default)]
    pub words_per_minute: Option<[f64; 2]>,
    /// Syllables per second, `[slowest, fastest]`.
    #[serde(default)]
    pub syllables_per_second: Option<[f64; 2]>,
    /// Seconds after a comma-class mark.
    pub comma_pause: f64,
    /// Seconds between sentences.
    pub sentence_pause: f64,
}

/// Bounds a `[pace]` must keep: (what, least, most).
const PACE_BOUNDS: [(&str, f64, f64); 4] = [
    ("words_per_minute", 40.0, 300.0),
    ("syllables_per_second", 0.5, 8.0),
    ("comma_pause", 0.2, 3.0),
    ("sentence_pause", 0.2, 5.0),
];

impl RawPace {
    /// The pace, or what is wrong with it (a message naming the key and its allowed range).
    pub fn check(&self) -> Result<Pace, String> {
        let (unit, range, key) = match (self.words_per_minute, self.syllables_per_second) {
            (Some(r), None) => (Unit::WordsPerMinute, r, 0),
            (None, Some(r)) => (Unit::SyllablesPerSecond, r, 1),
            _ => {
                return Err(
                    "pace: give exactly one of words_per_minute and syllables_per_second".into(),
                );
            }
        };
        let (name, least, most) = PACE_BOUNDS[key];
        let [lo, hi] = range;
        if !(least <= lo && lo < hi && hi <= most) {
            return Err(format!(
                "pace.{name} [{lo}, {hi}]: need {least} <= slowest < fastest <= {most}"
            ));
        }
        for ((name, least, most), value) in PACE_BOUNDS[2..]
            .iter()
            .zip([self.comma_pause, self.sentence_pause])
        {
            if !(*least..=*most).contains(&value) {
                return Err(format!(
                    "pace.{name} {value} s: must be {least} to {most} s"
                ));
            }
        }
        Ok(Pace {
            unit,
            range,
            comma_pause: self.comma_pause,
            sentence_pause: self.sentence_pause,
        })
    }
}

/// How fast a line is spoken: its words and syllables over its length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Words in the line.
    pub words: usize,
    /// Syllables in the line.
    pub syllables: usize,
    /// The clip's length in seconds (pauses and the pipeline's padding included).
    pub seconds: f64,
}

impl Figures {
    /// Words per minute.
    pub fn wpm(&self) -> f64 {
        60.0 * self.words as f64 / self.seconds
    }

    /// Syllables per second.
    pub fn syllables_per_second(&self) -> f64 {
        self.syllables as f64 / self.seconds
    }

    /// The figure in `unit`.
    pub fn rate(&self, unit: Unit) -> f64 {
        match unit {
            Unit::WordsPerMinute => self.wpm(),
            Unit::SyllablesPerSecond => self.syllables_per_second(),
        }
    }

    /// Whether the pace range applies to the line (it has [`LONG_LINE_WORDS`] words or more).
    pub fn is_long(&self) -> bool {
        self.words >= LONG_LINE_WORDS
    }
}

impl Pace {
    /// Whether `rate` (in this pace's unit) is inside the range.
    pub fn contains(&self, rate: f64) -> bool {
        self.range[0] <= rate && rate <= self.range[1]
    }

    /// The overlap of two ranges in the same unit, if they share more than an end.
    pub fn overlap(&self, other: &Pace) -> Option<[f64; 2]> {
        let lo = self.range[0].max(other.range[0]);
        let hi = self.range[1].min(other.range[1]);
        (self.unit == other.unit && lo < hi).then_some([lo, hi])
    }

    /// The range as written in messages: `120–140 wpm`.
    pub fn describe(&self) -> String {
        format!("{}–{} {}", self.range[0], self.range[1], self.unit.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(wpm: Option<[f64; 2]>, sps: Option<[f64; 2]>, comma: f64) -> RawPace {
        RawPace {
            words_per_minute: wpm,
            syllables_per_second: sps,
            comma_pause: comma,
            sentence_pause: 1.1,
        }
    }

    #[test]
    fn a_pace_has_one_range_in_bounds_and_usable_pauses() {
        let day = raw(Some([120.0, 140.0]), None, 0.45).check().unwrap();
        assert_eq!(
            (day.unit, day.range),
            (Unit::WordsPerMinute, [120.0, 140.0])
        );
        assert!(day.contains(120.0) && day.contains(140.0) && !day.contains(140.1));
        let err = |r: RawPace| r.check().unwrap_err();
        assert!(err(raw(None, None, 0.45)).contains("exactly one"));
        assert!(err(raw(Some([1.0, 2.0]), Some([1.0, 2.0]), 0.45)).contains("exactly one"));
        assert_eq!(
            err(raw(Some([140.0, 120.0]), None, 0.45)),
            "pace.words_per_minute [140, 120]: need 40 <= slowest < fastest <= 300"
        );
        assert_eq!(
            err(raw(None, Some([2.4, 2.9]), 0.1)),
            "pace.comma_pause 0.1 s: must be 0.2 to 3 s"
        );
    }

    #[test]
    fn ranges_overlap_only_in_one_unit() {
        let day = raw(Some([120.0, 140.0]), None, 0.45).check().unwrap();
        let bed = raw(Some([100.0, 120.0]), None, 0.5).check().unwrap();
        let late = raw(Some([90.0, 110.0]), None, 0.5).check().unwrap();
        let sps = raw(None, Some([2.0, 3.0]), 0.5).check().unwrap();
        let evening = raw(Some([110.0, 125.0]), None, 0.5).check().unwrap();
        assert_eq!(day.overlap(&evening), Some([120.0, 125.0]));
        assert_eq!(day.overlap(&bed), None, "sharing an end is no overlap");
        assert_eq!(day.overlap(&late), None);
        assert_eq!(bed.describe(), "100–120 wpm");
        assert_eq!(day.overlap(&sps), None);
    }

    #[test]
    fn figures_are_words_and_syllables_over_the_length() {
        let f = Figures {
            words: 13,
            syllables: 20,
            seconds: 6.0,
        };
        assert_eq!(f.wpm(), 130.0);
        assert!((f.syllables_per_second() - 3.333).abs() < 1e-3);
        assert_eq!(f.rate(Unit::SyllablesPerSecond), f.syllables_per_second());
        assert!(f.is_long());
    }
}
