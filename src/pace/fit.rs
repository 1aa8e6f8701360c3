//! Rule 6 of `docs/pace.md`: which of a line's takes, and how much of its pauses, to keep.

use super::Unit;

/// How much a line's pauses may be scaled when no tempo brings it inside its range: 0.7 to 2.0
/// in steps of 0.1 (the one nearest 1 that is enough).
pub const PAUSE_SCALES: [f64; 14] = [
    0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0,
];

/// One take of a line: its tempo, its joined length and the pauses set in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The tempo its sentences were spoken at (1 = the engine's base).
    pub tempo: f64,
    /// The finished length in seconds with the pauses as the session sets them.
    pub seconds: f64,
    /// Seconds of that length that are set pauses (they scale with the pause scale).
    pub pauses: f64,
}

impl Candidate {
    /// The length with the pauses scaled by `scale`.
    pub fn seconds_at(&self, scale: f64) -> f64 {
        self.seconds + (scale - 1.0) * self.pauses
    }
}

/// What the fit chose for a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    /// The tempo of the take kept.
    pub tempo: f64,
    /// The factor on the session's pauses.
    pub pause_scale: f64,
}

/// The rate of `count` words or syllables over `seconds`, in `unit`.
fn rate(count: usize, seconds: f64, unit: Unit) -> f64 {
    let per_second = count as f64 / seconds;
    match unit {
        Unit::WordsPerMinute => 60.0 * per_second,
        Unit::SyllablesPerSecond => per_second,
    }
}

/// Chooses the take whose rate is nearest the middle of `range` (ties: the tempo nearer 1, then
/// the slower); if even that is outside the range, the pause scale of [`PAUSE_SCALES`] nearest 1
/// that brings it inside, else the one that brings it nearest the middle (ties: nearer 1). `count` is the line's
/// words or syllables, as `unit` says. `None` without candidates.
pub fn fit(count: usize, unit: Unit, range: [f64; 2], candidates: &[Candidate]) -> Option<Choice> {
    let middle = (range[0] + range[1]) / 2.0;
    let off = |c: &Candidate, scale: f64| (rate(count, c.seconds_at(scale), unit) - middle).abs();
    let best = candidates.iter().min_by(|a, b| {
        off(a, 1.0)
            .total_cmp(&off(b, 1.0))
            .then((a.tempo - 1.0).abs().total_cmp(&(b.tempo - 1.0).abs()))
            .then(a.tempo.total_cmp(&b.tempo))
    })?;
    let inside = |scale: f64| {
        let r = rate(count, best.seconds_at(scale), unit);
        range[0] <= r && r <= range[1]
    };
    let pause_scale = if inside(1.0) {
        1.0
    } else {
        PAUSE_SCALES
            .iter()
            .copied()
            .filter(|&s| inside(s))
            .min_by(|a, b| (a - 1.0).abs().total_cmp(&(b - 1.0).abs()))
            .or_else(|| {
                PAUSE_SCALES.iter().copied().min_by(|a, b| {
                    off(best, *a)
                        .total_cmp(&off(best, *b))
                        .then((a - 1.0).abs().total_cmp(&(b - 1.0).abs()))
                })
            })
            .unwrap_or(1.0)
    };
    Some(Choice {
        tempo: best.tempo,
        pause_scale,
    })
}

/// The tempo short lines take: the median of the fitted lines' tempos (the lower of the two
/// middle ones, so it is a tempo that was spoken). `None` when nothing was fitted.
pub fn median_tempo(tempos: &[f64]) -> Option<f64> {
    let mut sorted = tempos.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len().checked_sub(1)? / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn take(tempo: f64, seconds: f64, pauses: f64) -> Candidate {
        Candidate {
            tempo,
            seconds,
            pauses,
        }
    }

    #[test]
    fn the_take_nearest_the_middle_is_kept() {
        // 13 words: 6 s is 130 wpm, 5 s 156, 7 s 111.4.
        let takes = [
            take(0.8, 7.0, 1.0),
            take(0.9, 6.0, 1.0),
            take(1.0, 5.0, 1.0),
        ];
        let choice = fit(13, Unit::WordsPerMinute, [120.0, 140.0], &takes).unwrap();
        assert_eq!((choice.tempo, choice.pause_scale), (0.9, 1.0));
        assert_eq!(fit(13, Unit::WordsPerMinute, [120.0, 140.0], &[]), None);
    }

    #[test]
    fn pauses_stretch_only_as_much_as_needed_when_no_tempo_reaches() {
        // 13 words in 5 s (156 wpm) at the slowest tempo, 2 s of it pauses: 1.3 × gives 5.6 s
        // (139.3 wpm), the first scale inside 120–140.
        let choice = fit(
            13,
            Unit::WordsPerMinute,
            [120.0, 140.0],
            &[take(0.6, 5.0, 2.0)],
        )
        .unwrap();
        assert_eq!(choice.pause_scale, 1.3);
        // No pauses to stretch: the scale stays 1 (every scale is as near the middle).
        let choice = fit(
            13,
            Unit::WordsPerMinute,
            [120.0, 140.0],
            &[take(0.6, 5.0, 0.0)],
        )
        .unwrap();
        assert_eq!(choice.pause_scale, 1.0);
    }

    #[test]
    fn syllables_per_second_count_syllables() {
        // 16 syllables: 6 s is 2.67 syl/s, 5 s 3.2.
        let takes = [take(1.0, 5.0, 0.5), take(0.8, 6.0, 0.5)];
        let choice = fit(16, Unit::SyllablesPerSecond, [2.4, 2.9], &takes).unwrap();
        assert_eq!(choice.tempo, 0.8);
    }

    #[test]
    fn the_median_tempo_is_one_that_was_spoken() {
        assert_eq!(median_tempo(&[0.9, 0.7, 0.8, 1.0]), Some(0.8));
        assert_eq!(median_tempo(&[0.85]), Some(0.85));
        assert_eq!(median_tempo(&[]), None);
    }

    proptest! {
        #[test]
        fn the_choice_is_in_range_whenever_a_take_is_and_order_does_not_matter(
            words in 8usize..30,
            lengths in proptest::collection::vec((2.0f64..20.0, 0.0f64..3.0), 1..15),
            rotate in 0usize..15,
        ) {
            let takes: Vec<Candidate> = lengths
                .iter()
                .enumerate()
                .map(|(i, &(s, p))| take(0.6 + 0.05 * i as f64, s + p, p))
                .collect();
            let range = [120.0, 140.0];
            let choice = fit(words, Unit::WordsPerMinute, range, &takes).unwrap();
            let kept = takes.iter().find(|c| c.tempo == choice.tempo).unwrap();
            let wpm = |c: &Candidate, s: f64| 60.0 * words as f64 / c.seconds_at(s);
            if takes.iter().any(|c| (120.0..=140.0).contains(&wpm(c, 1.0))) {
                prop_assert_eq!(choice.pause_scale, 1.0);
                prop_assert!((120.0..=140.0).contains(&wpm(kept, 1.0)));
            }
            let mut turned = takes.clone();
            turned.rotate_left(rotate % takes.len());
            prop_assert_eq!(fit(words, Unit::WordsPerMinute, range, &turned), Some(choice));
        }
    }
}
