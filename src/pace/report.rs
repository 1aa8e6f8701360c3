//! How fast a pack speaks each session: the figures `packs check` prints, per session, from the
//! lines' texts and their clips' lengths.

use super::{Figures, Pace, Unit, syllables, words};

/// One line of a session with its clip: what it says and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFigures {
    /// The cue id.
    pub cue: String,
    /// The text.
    pub text: String,
    /// Its words, syllables and length.
    pub figures: Figures,
}

/// A pack's pace in one session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPace {
    /// The session's name.
    pub session: String,
    /// Its pace, if its script has one.
    pub pace: Option<Pace>,
    /// Every line of the session the pack has a clip for.
    pub lines: Vec<LineFigures>,
}

impl SessionPace {
    /// The figures of `lines` (cue, text, clip seconds) counted in `language`.
    pub fn new(
        session: &str,
        pace: Option<Pace>,
        lines: impl IntoIterator<Item = (String, String, f64)>,
        language: &str,
    ) -> SessionPace {
        let lines = lines
            .into_iter()
            .filter(|(_, _, seconds)| *seconds > 0.0)
            .map(|(cue, text, seconds)| LineFigures {
                figures: Figures {
                    words: words(&text),
                    syllables: syllables(&text, language),
                    seconds,
                },
                cue,
                text,
            })
            .collect();
        SessionPace {
            session: session.to_owned(),
            pace,
            lines,
        }
    }

    /// The unit the session is judged in (words per minute without a pace).
    pub fn unit(&self) -> Unit {
        self.pace.map_or(Unit::WordsPerMinute, |p| p.unit)
    }

    /// The lines the range applies to, slowest first in the session's unit.
    pub fn long_lines(&self) -> Vec<&LineFigures> {
        let unit = self.unit();
        let mut long: Vec<&LineFigures> =
            self.lines.iter().filter(|l| l.figures.is_long()).collect();
        long.sort_by(|a, b| a.figures.rate(unit).total_cmp(&b.figures.rate(unit)));
        long
    }

    /// The median over the long lines of `figure` (`None` without long lines).
    pub fn median(&self, figure: impl Fn(&Figures) -> f64) -> Option<f64> {
        let mut values: Vec<f64> = self
            .long_lines()
            .iter()
            .map(|l| figure(&l.figures))
            .collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(values[n / 2]),
            _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
        }
    }

    /// The median in the session's unit.
    pub fn median_rate(&self) -> Option<f64> {
        let unit = self.unit();
        self.median(|f| f.rate(unit))
    }

    /// The long lines outside the range, furthest out first.
    pub fn outside(&self) -> Vec<&LineFigures> {
        let Some(pace) = self.pace else {
            return Vec::new();
        };
        let out_by = |l: &LineFigures| {
            let r = l.figures.rate(pace.unit);
            (pace.range[0] - r).max(r - pace.range[1])
        };
        let mut outside: Vec<&LineFigures> = self
            .long_lines()
            .into_iter()
            .filter(|l| out_by(l) > 0.0)
            .collect();
        outside.sort_by(|a, b| out_by(b).total_cmp(&out_by(a)));
        outside
    }

    /// The warning when the pack is outside the session's range, naming the lines furthest out.
    pub fn warning(&self) -> Option<String> {
        let (pace, median) = (self.pace?, self.median_rate()?);
        if pace.contains(median) {
            return None;
        }
        let unit = pace.unit.label();
        let furthest: Vec<String> = self
            .outside()
            .iter()
            .take(3)
            .map(|l| format!("{} {:.1}", l.cue, l.figures.rate(pace.unit)))
            .collect();
        Some(format!(
            "pace: {} is spoken at {median:.1} {unit} (median of its lines of 8+ words), outside its {}; furthest out: {}",
            self.session,
            pace.describe(),
            furthest.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Pace {
        Pace {
            unit: Unit::WordsPerMinute,
            range: [120.0, 140.0],
            comma_pause: 0.45,
            sentence_pause: 1.1,
        }
    }

    /// Lines of `n` one-syllable words ("rest rest …") lasting `seconds`.
    fn session(lines: &[(usize, f64)]) -> SessionPace {
        let lines = lines
            .iter()
            .enumerate()
            .map(|(i, &(n, seconds))| (format!("cue-{i}"), vec!["rest"; n].join(" "), seconds));
        SessionPace::new("balasana", Some(day()), lines, "en-US")
    }

    #[test]
    fn the_median_of_long_lines_decides_and_short_lines_do_not_count() {
        // 13 words in 6 s: 130 wpm; 10 words in 4 s: 150; 8 in 4: 120; 2 words in 0.5 s: 240.
        let s = session(&[(13, 6.0), (10, 4.0), (8, 4.0), (2, 0.5)]);
        assert_eq!(s.long_lines().len(), 3);
        assert_eq!(s.median_rate(), Some(130.0));
        assert_eq!(s.median(Figures::syllables_per_second), Some(13.0 / 6.0));
        assert!(s.warning().is_none());
        assert_eq!(s.outside().len(), 1);
        assert_eq!(s.outside()[0].cue, "cue-1");
    }

    #[test]
    fn a_pack_outside_its_range_is_warned_about_with_the_lines_furthest_out() {
        let s = session(&[(10, 4.0), (12, 4.0), (9, 4.5), (8, 2.0)]);
        assert_eq!(s.median_rate(), Some(165.0));
        assert_eq!(
            s.warning().unwrap(),
            "pace: balasana is spoken at 165.0 wpm (median of its lines of 8+ words), outside its 120–140 wpm; furthest out: cue-3 240.0, cue-1 180.0, cue-0 150.0"
        );
        // No pace: figures but no verdict.
        let mut free = s.clone();
        free.pace = None;
        assert!(free.warning().is_none() && free.outside().is_empty());
    }
}
