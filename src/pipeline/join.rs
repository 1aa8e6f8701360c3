//! Rules 3–5 of `docs/pace.md`: a line's sentences, each spoken on its own, joined into one raw
//! clip with the pauses the session sets — between sentences, and in place of the engine's own
//! gap at each comma-class mark.

use super::{FinishError, PAD_AFTER, PAD_BEFORE, power, sound_span, threshold};

/// A silent run inside a sentence is a gap where the 5 ms RMS stays this many dB under the
/// sentence's peak…
const GAP_BELOW_PEAK_DB: f64 = 40.0;
/// …for at least this many seconds.
const MIN_GAP: f64 = 0.060;

/// One sentence as an engine spoke it, and how many comma-class breaks its text has.
#[derive(Debug, Clone, Copy)]
pub struct Take<'a> {
    /// Raw mono samples.
    pub samples: &'a [f32],
    /// Pauses its text asks for inside it ([`crate::pace::Sentence::breaks`]).
    pub breaks: usize,
}

/// The pauses to set, in seconds, sound to sound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pauses {
    /// In place of the engine's gap at each break (`None`: the engine's gaps are kept).
    pub comma: Option<f64>,
    /// Between sentences.
    pub sentence: f64,
}

/// A joined line: raw samples with the clip's own pads at the ends, and how many seconds of it
/// are pauses the join set.
#[derive(Debug, Clone)]
pub struct Joined {
    /// Raw mono samples, ready for [`super::finish`].
    pub samples: Vec<f32>,
    /// Seconds of set pauses in it (they grow with the pause scale).
    pub pauses: f64,
}

/// A stretch of sound inside one take, and what separates it from the stretch before.
struct Piece<'a> {
    /// The take's samples.
    samples: &'a [f32],
    /// First sample of sound.
    start: usize,
    /// One past the last sample of sound.
    end: usize,
    /// The pause before it (`None` for the first piece, and where the engine's gap is kept).
    pause_before: Option<f64>,
}

/// Joins a line's sentences: each trimmed to its sound, the `breaks` longest gaps inside it (a
/// silent run of [`MIN_GAP`] or more, [`GAP_BELOW_PEAK_DB`] under its peak) set to the comma
/// pause, sentences apart by the sentence pause. Each pause keeps up to [`PAD_AFTER`] of the
/// sound's own near-silence after it and [`PAD_BEFORE`] before the next sound, zeros between.
/// Nothing is added at the ends: the line keeps [`PAD_BEFORE`] before its first sound and
/// [`PAD_AFTER`] after its last, as [`super::finish`] trims a clip. A take with fewer gaps than
/// breaks gets the gaps it has set, and no pause forced into it. Pauses are scaled by `scale`.
pub fn join(
    takes: &[Take<'_>],
    pauses: Pauses,
    scale: f64,
    rate: u32,
) -> Result<Joined, FinishError> {
    let mut pieces = Vec::new();
    for (i, take) in takes.iter().enumerate() {
        let (first, last) = sound_span(take.samples, rate).ok_or(FinishError::Silent)?;
        let mut start = first;
        let mut pause_before = (i > 0).then_some(pauses.sentence);
        if let Some(comma) = pauses.comma {
            for (gap_start, gap_end) in gaps(take.samples, rate, (first, last + 1), take.breaks) {
                pieces.push(Piece {
                    samples: take.samples,
                    start,
                    end: gap_start,
                    pause_before,
                });
                start = gap_end;
                pause_before = Some(comma);
            }
        }
        pieces.push(Piece {
            samples: take.samples,
            start,
            end: last + 1,
            pause_before,
        });
    }
    let frames = |seconds: f64| (seconds * f64::from(rate)).round() as usize;
    let (before, after) = (frames(PAD_BEFORE), frames(PAD_AFTER));
    let Some(head) = pieces.first() else {
        return Err(FinishError::Silent);
    };
    let own_before = head.start.min(before);
    let mut out = vec![0.0; before - own_before];
    out.extend_from_slice(&head.samples[head.start - own_before..head.end]);
    let mut set = 0usize;
    for pair in pieces.windows(2) {
        let (left, right) = (&pair[0], &pair[1]);
        let same = std::ptr::eq(left.samples, right.samples);
        // The near-silence after the left sound and before the right one (inside one take they
        // share the gap: the left side first).
        let left_limit = if same {
            right.start
        } else {
            left.samples.len()
        };
        let tail = &left.samples[left.end..(left.end + after).min(left_limit)];
        let right_floor = if same { left.end + tail.len() } else { 0 };
        let lead = &right.samples[right.start.saturating_sub(before).max(right_floor)..right.start];
        match right.pause_before {
            Some(pause) => {
                let target = frames(pause * scale);
                set += target;
                let keep_lead = lead.len().min(target / 3);
                let keep_tail = tail.len().min(target - keep_lead);
                out.extend_from_slice(&tail[..keep_tail]);
                out.resize(out.len() + target - keep_tail - keep_lead, 0.0);
                out.extend_from_slice(&lead[lead.len() - keep_lead..]);
            }
            // The engine's own gap, as it is.
            None => out.extend_from_slice(&left.samples[left.end..right.start]),
        }
        out.extend_from_slice(&right.samples[right.start..right.end]);
    }
    let last = pieces.last().unwrap_or(head);
    let own_after = (last.samples.len() - last.end).min(after);
    out.extend_from_slice(&last.samples[last.end..last.end + own_after]);
    out.resize(out.len() + after - own_after, 0.0);
    Ok(Joined {
        samples: out,
        pauses: set as f64 / f64::from(rate),
    })
}

/// The `count` longest silent runs strictly inside `sound` (first sample, one past the last),
/// in order: each as its first silent sample and one past its last.
fn gaps(samples: &[f32], rate: u32, sound: (usize, usize), count: usize) -> Vec<(usize, usize)> {
    let Some(threshold) = threshold(samples, GAP_BELOW_PEAK_DB) else {
        return Vec::new();
    };
    let power = power(samples, rate);
    let shortest = (MIN_GAP * f64::from(rate)).round() as usize;
    let mut runs = Vec::new();
    let mut run_start = None;
    for (i, &p) in power.iter().enumerate().take(sound.1).skip(sound.0) {
        match (p <= threshold, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                if i - s >= shortest {
                    runs.push((s, i));
                }
                run_start = None;
            }
            _ => {}
        }
    }
    runs.sort_by_key(|&(s, e)| (std::cmp::Reverse(e - s), s));
    runs.truncate(count);
    runs.sort_unstable();
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 24_000;

    fn frames(seconds: f64) -> usize {
        (seconds * f64::from(RATE)).round() as usize
    }

    /// Tone bursts standing for words, with silences between: `(seconds, sounding)` in turn.
    fn speech(parts: &[(f64, bool)]) -> Vec<f32> {
        let mut x = Vec::new();
        for &(seconds, sounding) in parts {
            x.extend((0..frames(seconds)).map(|i| {
                let t = i as f32 / RATE as f32;
                if sounding {
                    0.5 * (std::f32::consts::TAU * 200.0 * t).sin()
                } else {
                    0.0
                }
            }));
        }
        x
    }

    /// The silent runs (the trim detector's) between the first and last sound, in frames.
    fn silences(x: &[f32]) -> Vec<usize> {
        let threshold = threshold(x, GAP_BELOW_PEAK_DB).unwrap();
        let power = power(x, RATE);
        let (first, last) = sound_span(x, RATE).unwrap();
        let mut found = Vec::new();
        let mut run = 0;
        for &p in &power[first..=last] {
            if p <= threshold {
                run += 1;
            } else if run > 0 {
                found.push(run);
                run = 0;
            }
        }
        found
    }

    #[test]
    fn pauses_have_the_right_length_at_the_right_marks_and_none_at_the_ends() {
        // "Breathe in, feel it." (one comma, the engine's gap 0.2 s) then "Rest." with long
        // silences around both, as engines leave them.
        let first = speech(&[
            (0.3, false),
            (0.5, true),
            (0.2, false),
            (0.4, true),
            (0.5, false),
        ]);
        let second = speech(&[(0.25, false), (0.3, true), (0.7, false)]);
        let takes = [
            Take {
                samples: &first,
                breaks: 1,
            },
            Take {
                samples: &second,
                breaks: 0,
            },
        ];
        let pauses = Pauses {
            comma: Some(0.45),
            sentence: 1.1,
        };
        let joined = join(&takes, pauses, 1.0, RATE).unwrap();
        assert_eq!(silences(&joined.samples), [frames(0.45), frames(1.1)]);
        let (first_sound, last_sound) = sound_span(&joined.samples, RATE).unwrap();
        assert_eq!(first_sound, frames(PAD_BEFORE));
        assert_eq!(joined.samples.len() - 1 - last_sound, frames(PAD_AFTER));
        assert!((joined.pauses - 1.55).abs() < 1e-9);
        // Scaled pauses, and the engine's comma gap kept when the session sets none.
        let scaled = join(&takes, pauses, 1.2, RATE).unwrap();
        assert_eq!(silences(&scaled.samples), [frames(0.54), frames(1.32)]);
        let kept = Pauses {
            comma: None,
            sentence: 0.8,
        };
        let gaps = silences(&join(&takes, kept, 1.0, RATE).unwrap().samples);
        assert_eq!(gaps[1], frames(0.8));
        assert!(gaps[0].abs_diff(frames(0.2)) <= frames(0.006), "{gaps:?}");
    }

    #[test]
    fn only_the_longest_gaps_are_set_and_none_is_forced() {
        // Two gaps (0.1 s and 0.25 s) but one break: only the longer one becomes the pause.
        let take = speech(&[
            (0.1, false),
            (0.3, true),
            (0.1, false),
            (0.3, true),
            (0.25, false),
            (0.3, true),
            (0.1, false),
        ]);
        let one = [Take {
            samples: &take,
            breaks: 1,
        }];
        let pauses = Pauses {
            comma: Some(0.5),
            sentence: 1.0,
        };
        let gaps = silences(&join(&one, pauses, 1.0, RATE).unwrap().samples);
        assert_eq!(gaps.len(), 2);
        assert!(gaps[0].abs_diff(frames(0.1)) <= frames(0.006), "{gaps:?}");
        assert_eq!(gaps[1], frames(0.5));
        // Three breaks, two gaps: both set, nothing added where there is no gap.
        let three = [Take {
            samples: &take,
            breaks: 3,
        }];
        let joined = join(&three, pauses, 1.0, RATE).unwrap();
        assert_eq!(silences(&joined.samples), [frames(0.5), frames(0.5)]);
        // A sentence with no gap at all and no silence around it: pads of zeros, nothing inside.
        let tight = speech(&[(0.6, true)]);
        let joined = join(
            &[Take {
                samples: &tight,
                breaks: 2,
            }],
            pauses,
            1.0,
            RATE,
        )
        .unwrap();
        assert!(silences(&joined.samples).is_empty());
        assert_eq!(joined.pauses, 0.0);
    }

    #[test]
    fn a_silent_take_is_refused() {
        let silent = vec![0.0f32; 1000];
        let takes = [Take {
            samples: &silent,
            breaks: 0,
        }];
        let pauses = Pauses {
            comma: None,
            sentence: 1.0,
        };
        assert!(matches!(
            join(&takes, pauses, 1.0, RATE),
            Err(FinishError::Silent)
        ));
    }
}
