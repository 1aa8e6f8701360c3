//! The layout of one hold: its opening lines, the remaining-time cues at their exact times, the
//! interval bells, the breath pacing (whole breaths, each phase with its chime and, on the first
//! breaths or as an occasional reminder, a spoken line where it fits), and the end-of-hold chime
//! exactly `hold` seconds after the hold began.

use super::{Builder, Hold, Pacing, TimelineError};
use crate::chime::Chime;
use crate::script::{Line, Step};

/// No voice in this last stretch before the end-of-hold chime.
const HOLD_END_CLEARANCE: f64 = 1.0;
/// Least silence around a breath or remaining-time line inside the hold.
const HOLD_LINE_GAP: f64 = 0.3;
/// No interval bell this close before the end-of-hold chime, so the two never sound together.
const BELL_CLEARANCE: f64 = 5.0;

/// Where a hold's voice lines may go, in frames.
struct Window {
    /// The hold's first frame.
    start: u64,
    /// The end-of-hold chime.
    end: u64,
    /// No voice ends after this (the end less [`HOLD_END_CLEARANCE`]).
    latest_voice_end: u64,
    /// Least silence around a line ([`HOLD_LINE_GAP`]).
    gap: u64,
    /// Voice lines placed so far in the hold's pacing, as (start, end).
    busy: Vec<(u64, u64)>,
}

impl Window {
    /// Whether a line of `len` frames starting at `at` keeps `gap` away from every line placed.
    fn clear(&self, at: u64, len: u64) -> bool {
        let end = at + len;
        self.busy
            .iter()
            .all(|&(s, e)| end + self.gap <= s || at >= e + self.gap)
    }
}

impl Builder<'_> {
    /// One hold: opening lines, remaining-time cues, bells, breath pacing and the end-of-hold
    /// chime.
    pub(super) fn hold(&mut self, step: &Step, set: u32) -> Result<(), TimelineError> {
        let start = self.voice_end;
        let end = start + self.frames(self.options.hold);
        let mut window = Window {
            start,
            end,
            latest_voice_end: end.saturating_sub(self.frames(HOLD_END_CLEARANCE)),
            gap: self.frames(HOLD_LINE_GAP),
            busy: Vec::new(),
        };
        self.begin_step(step, start);
        self.holds.push(Hold { set, start, end });
        // Opening lines, each only if it ends before the clearance.
        self.cursor = start + self.frames(self.script.pacing.line_gap);
        for line in self.spoken(step, set) {
            if self.cursor + self.length(&line.cue)? <= window.latest_voice_end {
                self.speak(line)?;
            }
        }
        let pacing_start = self.cursor.max(start);
        self.remaining(&mut window, pacing_start)?;
        self.bells(&window)?;
        self.breaths(pacing_start, &mut window)?;
        self.chime(Chime::HoldEnd, end)?;
        self.voice_end = end;
        self.cursor = end + self.frames(self.script.pacing.chime_lead);
        Ok(())
    }

    /// Remaining-time cues at their exact times, where they fit: after the remaining lead and the
    /// opening lines, clear of each other and of the end.
    fn remaining(&mut self, window: &mut Window, pacing_start: u64) -> Result<(), TimelineError> {
        let script = self.script;
        let lead = self.frames(script.pacing.remaining_lead);
        let earliest = (window.start + lead).max(pacing_start);
        for cue in &script.hold.remaining {
            let Some(at) = window.end.checked_sub(self.frames(cue.at)) else {
                continue;
            };
            let len = self.length(&cue.line.cue)?;
            let clear = window
                .busy
                .last()
                .is_none_or(|&(_, e)| at >= e + window.gap);
            if at >= earliest && at + len <= window.latest_voice_end && clear {
                let voice_end = self.voice_at(&cue.line, at)?;
                window.busy.push((at, voice_end));
            }
        }
        Ok(())
    }

    /// Interval bells at exact multiples of `--bell` from the start of the hold, never within
    /// [`BELL_CLEARANCE`] of the end-of-hold chime.
    fn bells(&mut self, window: &Window) -> Result<(), TimelineError> {
        let Some(every) = self.options.bell else {
            return Ok(());
        };
        let every = self.frames(every).max(1);
        let last = window.end.saturating_sub(self.frames(BELL_CLEARANCE));
        let mut at = window.start + every;
        while at < last {
            self.chime(Chime::Bell, at)?;
            at += every;
        }
        Ok(())
    }

    /// Breath pacing: whole breaths from `pacing_start` that end by the hold's end. Phase starts
    /// are cumulative seconds turned into frames once, and breath k starts exactly k periods in,
    /// so pacing never drifts.
    fn breaths(&mut self, pacing_start: u64, window: &mut Window) -> Result<(), TimelineError> {
        if self.options.pacing == Pacing::Silent {
            return Ok(());
        }
        let b = self.options.breath;
        let offsets = [
            0,
            self.frames(b.inhale),
            self.frames(b.inhale + b.hold),
            self.frames(b.inhale + b.hold + b.exhale),
        ];
        let period = self.frames(b.period());
        let mut breath = 0usize;
        loop {
            let at = pacing_start + breath as u64 * period;
            if at + period > window.end {
                break;
            }
            let [inhale, hold, exhale] = self.breath_lines(breath);
            let phases = [
                (offsets[0], offsets[1], Chime::Inhale, inhale),
                (offsets[1], offsets[2], Chime::Hold, hold.clone()),
                (offsets[2], offsets[3], Chime::Exhale, exhale),
                (offsets[3], period, Chime::Hold, hold),
            ];
            for (from, to, chime, line) in phases {
                if to == from {
                    continue; // no hold in this pattern
                }
                self.chime(chime, at + from)?;
                if let Some(line) = line {
                    self.breath_line(&line, at + from, to - from, window)?;
                }
            }
            breath += 1;
        }
        Ok(())
    }

    /// The lines of breath `breath` (inhale, hold, exhale): the script's breath lines on the
    /// breaths the guidance level speaks, then a reminder on the exhale every so often; with
    /// pacing by chimes alone, none.
    fn breath_lines(&self, breath: usize) -> [Option<Line>; 3] {
        let guided = self.options.pacing == Pacing::Guided;
        let spoken_breaths = if guided {
            self.level.spoken_breaths as usize
        } else {
            0
        };
        let reminder_every = if guided && self.level.reminders {
            self.script.pacing.reminder_every as usize
        } else {
            0
        };
        let cues = &self.script.hold;
        let pick = |lines: &[Line], i: usize| -> Option<Line> {
            (!lines.is_empty()).then(|| lines[i % lines.len()].clone())
        };
        let after = breath.checked_sub(spoken_breaths);
        let remind = after.is_some_and(|n| reminder_every > 0 && (n + 1) % reminder_every == 0);
        if breath < spoken_breaths {
            [
                pick(&cues.inhale, breath),
                pick(&cues.hold, breath),
                pick(&cues.exhale, breath),
            ]
        } else if remind {
            let n = after.unwrap_or(0) / reminder_every.max(1);
            [None, None, pick(&cues.reminders, n)]
        } else {
            [None, None, None]
        }
    }

    /// Speaks `line` at the start of a breath phase `len` frames long, where it fits the phase
    /// with the gap to spare, ends by the latest voice end and keeps clear of the lines placed.
    fn breath_line(
        &mut self,
        line: &Line,
        at: u64,
        len: u64,
        window: &mut Window,
    ) -> Result<(), TimelineError> {
        let spoken = self.length(&line.cue)?;
        let fits = spoken + window.gap <= len && at + spoken <= window.latest_voice_end;
        if fits && window.clear(at, spoken) {
            self.voice_at(line, at)?;
            window.busy.push((at, at + spoken));
        }
        Ok(())
    }
}
