//! Sequencing: a pure function from script, options and clip lengths to events at exact frames.
//!
//! Nothing here touches a file, a device or a clock. The guarantees — voice clips never overlap,
//! every hold lasts exactly `hold` seconds from the end of the settle instructions to the
//! end-of-hold chime, events are sorted and deterministic — are property-tested in
//! `tests/timeline_props.rs`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::chime::Chime;
use crate::cue::Cue;
use crate::script::{BreathPhases, GuidanceLevel, Line, Pause, Phase, Script, Step};
use crate::units::frames;

/// The session options a listener chooses.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Seconds of each hold.
    pub hold: f64,
    /// Number of sets.
    pub sets: u32,
    /// Seconds of rest between sets (longer only if the rest's own lines need it).
    pub rest: f64,
    /// Seconds of each phase of one breath in the hold.
    pub breath: BreathPhases,
    /// Whether chimes sound at all (breath pacing included).
    pub chimes: bool,
    /// Linear gain of every voice event.
    pub voice_gain: f32,
    /// Linear gain of every chime event.
    pub chime_gain: f32,
    /// Seconds from the start chime to the opening, with the lead-in lines (0: none).
    pub lead_in: f64,
    /// The guidance level: how much is said (a level of the script).
    pub guidance: String,
    /// The value of each of the script's choices (variation, arms, …).
    pub choices: BTreeMap<String, String>,
    /// Whether props tips are spoken.
    pub tips: bool,
    /// How breathing in the hold is paced.
    pub pacing: Pacing,
    /// Seconds between interval bells in the hold (`None`: no bell).
    pub bell: Option<f64>,
}

/// How breathing is paced in the hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pacing {
    /// The first breaths spoken (as many as the guidance level says), then chimes with an
    /// occasional spoken reminder.
    #[default]
    Guided,
    /// Chimes only: no spoken breath cues or reminders.
    Chimes,
    /// No breath cues at all; remaining-time cues and bells stay.
    Silent,
}

impl Pacing {
    /// How it is written on the command line, in the config file and the practice log.
    pub fn name(self) -> &'static str {
        match self {
            Pacing::Guided => "guided",
            Pacing::Chimes => "chimes",
            Pacing::Silent => "silent",
        }
    }
}

impl Options {
    /// The script's defaults.
    pub fn defaults(script: &Script) -> Options {
        let l = &script.limits;
        let guidance = script.guidance.first();
        Options {
            hold: l.hold.default,
            sets: l.sets.default as u32,
            rest: l.rest.default,
            breath: BreathPhases {
                inhale: l.inhale.default,
                hold: 0.0,
                exhale: l.exhale.default,
                rest: 0.0,
            },
            chimes: true,
            voice_gain: 1.0,
            chime_gain: 1.0,
            lead_in: l.lead_in.default,
            guidance: guidance.map(|g| g.name.clone()).unwrap_or_default(),
            choices: script
                .choices
                .iter()
                .map(|(name, c)| (name.clone(), c.default.clone()))
                .collect(),
            tips: guidance.is_none_or(|g| g.tips),
            pacing: Pacing::Guided,
            bell: (l.bell.default > 0.0).then_some(l.bell.default),
        }
    }
}

/// Length in frames of every clip the timeline may use, by cue id (chimes included).
pub type ClipLengths = HashMap<Cue, u64>;

/// What kind of sound an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// A spoken line.
    Voice,
    /// A chime.
    Chime,
}

/// One sound starting at an exact frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Start, in frames from the session start.
    pub frame: u64,
    /// Voice or chime.
    pub layer: Layer,
    /// The clip's cue id.
    pub cue: Cue,
    /// The words, for voice events.
    pub text: Option<String>,
    /// Length in frames.
    pub duration: u64,
    /// The set it belongs to (none in the opening and closing).
    pub set: Option<u32>,
    /// The id of the step it belongs to.
    pub step: String,
    /// Linear gain applied to the clip.
    pub gain: f32,
}

impl Event {
    /// First frame after the event.
    pub fn end(&self) -> u64 {
        self.frame + self.duration
    }
}

/// One hold, from the end of the settle instructions to the end-of-hold chime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// The set (1-based).
    pub set: u32,
    /// First frame of the hold.
    pub start: u64,
    /// Frame of the end-of-hold chime.
    pub end: u64,
}

/// Where a step begins, for the progress display and the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepStart {
    /// Step id.
    pub step: String,
    /// Step title.
    pub title: String,
    /// The set, if the step is part of one.
    pub set: Option<u32>,
    /// First frame of the step.
    pub frame: u64,
}

/// A whole session, ready to mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Frames per second.
    pub rate: u32,
    /// Number of sets.
    pub sets: u32,
    /// Events sorted by frame.
    pub events: Vec<Event>,
    /// One hold per set.
    pub holds: Vec<Hold>,
    /// Step starts, in order.
    pub steps: Vec<StepStart>,
    /// Total length in frames: the end of the last sound, then the script's tail.
    pub duration: u64,
    /// Frames of quiet after the last sound (the script's `sound.tail`), over which an ambience
    /// bed fades out.
    pub tail: u64,
}

impl Timeline {
    /// Seconds of `frames` at this timeline's rate.
    pub fn seconds(&self, frames: u64) -> f64 {
        frames as f64 / f64::from(self.rate)
    }

    /// The index in `steps` of the step playing at `frame`.
    pub fn step_index_at(&self, frame: u64) -> Option<usize> {
        self.steps
            .partition_point(|s| s.frame <= frame)
            .checked_sub(1)
    }

    /// The hold in progress at `frame`.
    pub fn hold_at(&self, frame: u64) -> Option<&Hold> {
        self.holds
            .iter()
            .find(|h| (h.start..h.end).contains(&frame))
    }
}

/// Why a timeline could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TimelineError {
    /// A cue the session needs has no clip length.
    #[error("no clip for cue {cue:?}")]
    MissingClip {
        /// The cue id.
        cue: String,
    },
    /// An option outside anything that can be sequenced.
    #[error("{0}")]
    BadOptions(String),
    /// The session would hold more than [`MAX_EVENTS`] events.
    #[error(
        "the session would have more than {MAX_EVENTS} events (the limit): fewer sets, a shorter \
         hold or slower breaths"
    )]
    TooManyEvents,
}

/// The most events a session may hold (the default 2 × 90 s session has about 200).
pub const MAX_EVENTS: usize = 20_000;

/// No voice in this last stretch before the end-of-hold chime.
const HOLD_END_CLEARANCE: f64 = 1.0;
/// Least silence around a breath or remaining-time line inside the hold.
const HOLD_LINE_GAP: f64 = 0.3;
/// No interval bell this close before the end-of-hold chime, so the two never sound together.
const BELL_CLEARANCE: f64 = 5.0;

/// Sequences a session. Pure: the same inputs always give the same timeline.
pub fn build(
    script: &Script,
    options: &Options,
    clips: &ClipLengths,
    rate: u32,
) -> Result<Timeline, TimelineError> {
    let positive = |x: f64| x.is_finite() && x > 0.0 && x < 1e6;
    if rate == 0 || options.sets == 0 || !positive(options.hold) {
        return Err(TimelineError::BadOptions(
            "rate, sets and hold must be positive".into(),
        ));
    }
    let rest_ok = options.rest.is_finite() && options.rest >= 0.0;
    let b = &options.breath;
    let not_negative = |x: f64| x.is_finite() && (0.0..1e6).contains(&x);
    let breath_ok = positive(b.inhale) && positive(b.exhale) && not_negative(b.hold);
    let lead_in_ok = options.lead_in.is_finite() && options.lead_in >= 0.0;
    if !breath_ok || !not_negative(b.rest) || !rest_ok || !lead_in_ok {
        return Err(TimelineError::BadOptions(
            "breath must be positive, holds, rest and lead-in not negative".into(),
        ));
    }
    if options.bell.is_some_and(|s| !positive(s)) {
        return Err(TimelineError::BadOptions(
            "the bell interval must be positive".into(),
        ));
    }
    let level = script
        .guidance
        .iter()
        .find(|g| g.name == options.guidance)
        .ok_or_else(|| {
            TimelineError::BadOptions(format!("no guidance level {:?}", options.guidance))
        })?;
    // Every duration that becomes frames is at least one frame (0 lead-in: none).
    let frames = |x: f64| frames(x, rate) as f64;
    let least = 1.0 / f64::from(rate);
    for (name, value) in [
        ("hold", options.hold),
        ("inhale", options.breath.inhale),
        ("exhale", options.breath.exhale),
    ] {
        if frames(value) < 1.0 {
            return Err(TimelineError::BadOptions(format!(
                "{name} {value} s is under one frame at {rate} Hz (at least {least} s)"
            )));
        }
    }
    for (name, value) in [
        ("breath hold", options.breath.hold),
        ("breath hold (after the exhale)", options.breath.rest),
    ] {
        if value > 0.0 && frames(value) < 1.0 {
            return Err(TimelineError::BadOptions(format!(
                "{name} {value} s is under one frame at {rate} Hz (0 for none, or at least {least} s)"
            )));
        }
    }
    if options.bell.is_some_and(|s| frames(s) < 1.0) {
        return Err(TimelineError::BadOptions(format!(
            "the bell interval is under one frame at {rate} Hz"
        )));
    }
    if options.lead_in > 0.0 && frames(options.lead_in) < 1.0 {
        return Err(TimelineError::BadOptions(format!(
            "lead-in {} s is under one frame at {rate} Hz (0 for none, or at least {least} s)",
            options.lead_in
        )));
    }
    let mut b = Builder {
        script,
        options,
        level,
        clips,
        rate,
        events: Vec::new(),
        steps: Vec::new(),
        holds: Vec::new(),
        cursor: 0,
        voice_end: 0,
        set: None,
        step: String::new(),
    };
    b.session()?;
    let Builder {
        mut events,
        steps,
        holds,
        ..
    } = b;
    events.sort_by_key(|e| (e.frame, e.layer));
    let last_sound = events.iter().map(Event::end).max().unwrap_or(0);
    let tail = (script.sound.tail * f64::from(rate)).round() as u64;
    let duration = last_sound + tail;
    Ok(Timeline {
        rate,
        sets: options.sets,
        events,
        holds,
        steps,
        duration,
        tail,
    })
}

struct Builder<'a> {
    script: &'a Script,
    options: &'a Options,
    level: &'a GuidanceLevel,
    clips: &'a ClipLengths,
    rate: u32,
    events: Vec<Event>,
    steps: Vec<StepStart>,
    holds: Vec<Hold>,
    /// Where the next line may start.
    cursor: u64,
    /// Where the last voice clip ended.
    voice_end: u64,
    set: Option<u32>,
    step: String,
}

impl Builder<'_> {
    fn frames(&self, seconds: f64) -> u64 {
        frames(seconds, self.rate)
    }

    fn length(&self, cue: &str) -> Result<u64, TimelineError> {
        self.clips
            .get(cue)
            .copied()
            .ok_or_else(|| TimelineError::MissingClip { cue: cue.into() })
    }

    fn pause(&self, pause: Pause) -> u64 {
        let p = &self.script.pacing;
        self.frames(match pause {
            Pause::LineGap => p.line_gap,
            Pause::Seconds(s) => s,
            Pause::Inhale => self.options.breath.inhale,
            Pause::Exhale => self.options.breath.exhale,
        })
    }

    /// Adds an event; past [`MAX_EVENTS`] the session is refused, which also bounds every loop.
    fn push(
        &mut self,
        frame: u64,
        layer: Layer,
        cue: &Cue,
        text: Option<&str>,
        gain: f32,
    ) -> Result<(), TimelineError> {
        if self.events.len() >= MAX_EVENTS {
            return Err(TimelineError::TooManyEvents);
        }
        let duration = self.clips.get(cue).copied().unwrap_or(0);
        self.events.push(Event {
            frame,
            layer,
            cue: cue.clone(),
            text: text.map(str::to_owned),
            duration,
            set: self.set,
            step: self.step.clone(),
            gain,
        });
        Ok(())
    }

    /// Places a voice line at `frame`, returning its end.
    fn voice_at(&mut self, line: &Line, frame: u64) -> Result<u64, TimelineError> {
        self.push(
            frame,
            Layer::Voice,
            &line.cue,
            Some(&line.text),
            self.options.voice_gain,
        )?;
        Ok(self.events.last().map_or(frame, Event::end))
    }

    /// Speaks a line at the cursor and moves the cursor past it and its pause.
    fn speak(&mut self, line: &Line) -> Result<(), TimelineError> {
        self.length(&line.cue)?;
        let end = self.voice_at(line, self.cursor)?;
        self.voice_end = end;
        self.cursor = end + self.pause(line.pause);
        Ok(())
    }

    fn chime(&mut self, chime: Chime, frame: u64) -> Result<(), TimelineError> {
        if self.options.chimes {
            let cue = Cue::from(chime);
            self.length(&cue)?;
            // Breath chimes come often: a little softer than the others.
            let gain = match chime {
                Chime::Inhale | Chime::Exhale | Chime::Hold => 0.8,
                _ => 1.0,
            } * self.options.chime_gain
                * crate::loudness::db_to_gain(self.script.sound.chime_db) as f32;
            self.push(frame, Layer::Chime, &cue, None, gain)?;
        }
        Ok(())
    }

    fn begin_step(&mut self, step: &Step, frame: u64) {
        self.step = step.id.clone();
        self.steps.push(StepStart {
            step: step.id.clone(),
            title: step.title.clone(),
            set: self.set,
            frame,
        });
    }

    /// Starts a step after a step gap, with a step chime, at or after the cursor.
    fn chimed_step(&mut self, step: &Step) -> Result<(), TimelineError> {
        let at = self
            .cursor
            .max(self.voice_end + self.frames(self.script.pacing.step_gap));
        self.begin_step(step, at);
        self.chime(Chime::Step, at)?;
        self.cursor = at + self.frames(self.script.pacing.chime_lead);
        Ok(())
    }

    /// Whether `line` is spoken with these options: props tips when tips are on, other lines
    /// when the guidance level is one of theirs; and only when every choice it depends on is
    /// chosen.
    fn speaks(&self, line: &Line) -> bool {
        let level = if line.tips {
            self.options.tips
        } else {
            line.guidance.contains(&self.level.name)
        };
        level
            && line
                .only
                .iter()
                .all(|(name, value)| self.options.choices.get(name) == Some(value))
    }

    /// The lines of `step` spoken in `set`.
    fn spoken<'s>(&self, step: &'s Step, set: u32) -> Vec<&'s Line> {
        step.lines
            .iter()
            .filter(|l| l.when.includes(set) && self.speaks(l))
            .collect()
    }

    fn speak_step(&mut self, step: &Step, set: u32) -> Result<(), TimelineError> {
        for line in self.spoken(step, set) {
            self.speak(line)?;
        }
        Ok(())
    }

    fn session(&mut self) -> Result<(), TimelineError> {
        let script = self.script;
        let sets = self.options.sets;
        self.chime(Chime::Start, 0)?;
        self.cursor = self.frames(script.pacing.chime_lead);
        let lead_in = self.options.lead_in > 0.0;
        if lead_in {
            for step in script.phase(Phase::LeadIn) {
                if self.spoken(step, 1).is_empty() {
                    continue;
                }
                self.begin_step(step, 0);
                self.speak_step(step, 1)?;
            }
            // The opening starts when the lead-in is over, and never on top of its lines.
            let gap = self.frames(script.pacing.step_gap);
            self.cursor = self.frames(self.options.lead_in).max(self.voice_end + gap);
        }
        let opening: Vec<&Step> = script
            .phase(Phase::Opening)
            .filter(|s| !self.spoken(s, 1).is_empty())
            .collect();
        for (i, step) in opening.into_iter().enumerate() {
            if i == 0 && !lead_in {
                self.begin_step(step, 0);
            } else {
                self.chimed_step(step)?;
            }
            self.speak_step(step, 1)?;
        }
        for set in 1..=sets {
            self.set = Some(set);
            for (i, step) in script.phase(Phase::Entry).enumerate() {
                self.chimed_step(step)?;
                if i == 0
                    && let Some(line) = script.announcement(set, sets)
                    && self.speaks(line)
                {
                    self.speak(line)?;
                }
                self.speak_step(step, set)?;
            }
            for step in script.phase(Phase::Hold) {
                self.hold(step, set)?;
            }
            for (i, step) in script.phase(Phase::Exit).enumerate() {
                if i == 0 {
                    // The end-of-hold chime opens the exit.
                    let at = self.voice_end;
                    self.begin_step(step, at);
                } else {
                    self.chimed_step(step)?;
                }
                self.speak_step(step, set)?;
            }
            if set < sets {
                self.rest(set)?;
            }
        }
        self.set = None;
        for step in script.phase(Phase::Closing) {
            if self.spoken(step, sets).is_empty() {
                continue;
            }
            self.chimed_step(step)?;
            self.speak_step(step, sets)?;
        }
        if script.sound.end_chime {
            let end = self.voice_end + self.frames(script.pacing.step_gap);
            self.chime(Chime::End, end)?;
        }
        Ok(())
    }

    /// The rest after `set`: from the end of the exit lines to the next set's step chime.
    fn rest(&mut self, set: u32) -> Result<(), TimelineError> {
        let rest_start = self.voice_end;
        self.cursor = rest_start + self.frames(self.script.pacing.line_gap);
        for step in self.script.phase(Phase::Rest) {
            self.begin_step(step, rest_start);
            self.speak_step(step, set)?;
        }
        // The next step chime comes a step gap after the last line at the earliest.
        let rest_end = (rest_start + self.frames(self.options.rest))
            .max(self.voice_end + self.frames(self.script.pacing.step_gap));
        self.cursor = rest_end;
        Ok(())
    }

    /// One hold: opening lines, remaining-time cues, breath pacing and the end-of-hold chime.
    fn hold(&mut self, step: &Step, set: u32) -> Result<(), TimelineError> {
        let start = self.voice_end;
        let end = start + self.frames(self.options.hold);
        let latest_voice_end = end.saturating_sub(self.frames(HOLD_END_CLEARANCE));
        self.begin_step(step, start);
        self.holds.push(Hold { set, start, end });

        // Opening lines, each only if it ends before the clearance.
        self.cursor = start + self.frames(self.script.pacing.line_gap);
        for line in self.spoken(step, set) {
            if self.cursor + self.length(&line.cue)? <= latest_voice_end {
                self.speak(line)?;
            }
        }
        let pacing_start = self.cursor.max(start);
        let gap = self.frames(HOLD_LINE_GAP);

        // Remaining-time cues at their exact times, where they fit.
        let mut busy: Vec<(u64, u64)> = Vec::new();
        let earliest = (start + self.frames(self.script.pacing.remaining_lead)).max(pacing_start);
        for cue in &self.script.hold.remaining {
            let Some(at) = end.checked_sub(self.frames(cue.at)) else {
                continue;
            };
            let len = self.length(&cue.line.cue)?;
            let clear = busy.last().is_none_or(|&(_, e)| at >= e + gap);
            if at >= earliest && at + len <= latest_voice_end && clear {
                busy.push((at, self.voice_at(&cue.line, at)?));
            }
        }

        // Interval bells at exact multiples of --bell from the start of the hold, never within
        // BELL_CLEARANCE of the end-of-hold chime.
        if let Some(every) = self.options.bell {
            let every = self.frames(every).max(1);
            let last = end.saturating_sub(self.frames(BELL_CLEARANCE));
            let mut at = start + every;
            while at < last {
                self.chime(Chime::Bell, at)?;
                at += every;
            }
        }

        self.breaths(pacing_start, end, latest_voice_end, &mut busy)?;

        self.chime(Chime::HoldEnd, end)?;
        self.voice_end = end;
        self.cursor = end + self.frames(self.script.pacing.chime_lead);
        Ok(())
    }
    /// Breath pacing in a hold: whole breaths from `pacing_start` that end by `end`, each phase
    /// with its chime, and on the first breaths (or as an occasional reminder) a spoken line where
    /// it fits its phase, ends by `latest_voice_end` and keeps clear of the `busy` voice spans.
    fn breaths(
        &mut self,
        pacing_start: u64,
        end: u64,
        latest_voice_end: u64,
        busy: &mut Vec<(u64, u64)>,
    ) -> Result<(), TimelineError> {
        let gap = self.frames(HOLD_LINE_GAP);
        // Breath pacing: whole breaths from the end of the opening lines. Phase starts are
        // cumulative seconds turned into frames once, and breath k starts exactly k periods in,
        // so pacing never drifts.
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
        let hold_cues = &self.script.hold;
        let mut breath = 0usize;
        loop {
            let at = pacing_start + breath as u64 * period;
            if at + period > end {
                break;
            }
            let spoken = breath < spoken_breaths;
            let after = breath.checked_sub(spoken_breaths);
            let remind = after.is_some_and(|n| reminder_every > 0 && (n + 1) % reminder_every == 0);
            let pick = |lines: &[Line], i: usize| -> Option<Line> {
                (!lines.is_empty()).then(|| lines[i % lines.len()].clone())
            };
            let (inhale_line, hold_line, exhale_line) = if spoken {
                (
                    pick(&hold_cues.inhale, breath),
                    pick(&hold_cues.hold, breath),
                    pick(&hold_cues.exhale, breath),
                )
            } else if remind {
                let n = after.unwrap_or(0) / reminder_every.max(1);
                (None, None, pick(&hold_cues.reminders, n))
            } else {
                (None, None, None)
            };
            let phases = [
                (offsets[0], offsets[1], Chime::Inhale, inhale_line),
                (offsets[1], offsets[2], Chime::Hold, hold_line.clone()),
                (offsets[2], offsets[3], Chime::Exhale, exhale_line),
                (offsets[3], period, Chime::Hold, hold_line),
            ];
            for (from, to, chime, line) in phases {
                if to == from {
                    continue; // no hold in this pattern
                }
                let (phase_start, phase_len) = (at + from, to - from);
                self.chime(chime, phase_start)?;
                if let Some(line) = line {
                    let len = self.length(&line.cue)?;
                    let voice_end = phase_start + len;
                    let fits = len + gap <= phase_len && voice_end <= latest_voice_end;
                    let free = busy
                        .iter()
                        .all(|&(s, e)| voice_end + gap <= s || phase_start >= e + gap);
                    if fits && free {
                        self.voice_at(&line, phase_start)?;
                        busy.push((phase_start, voice_end));
                    }
                }
            }
            breath += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{EMBEDDED, EMBEDDED_NAME};

    /// Every clip two seconds long, chimes three.
    fn lengths(script: &Script, rate: u32) -> ClipLengths {
        let mut m: ClipLengths = script
            .lines()
            .map(|l| (l.cue.clone(), 2 * u64::from(rate)))
            .collect();
        for c in Chime::ALL {
            m.insert(c.into(), 3 * u64::from(rate));
        }
        m
    }

    #[test]
    fn default_session_shape() {
        let s = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        let o = Options::defaults(&s);
        let t = build(&s, &o, &lengths(&s, 1000), 1000).unwrap();
        assert_eq!(t.holds.len(), 2);
        for h in &t.holds {
            assert_eq!(h.end - h.start, 90_000);
            let chime = t.events.iter().find(|e| e.frame == h.end).unwrap();
            assert_eq!(chime.cue, "chime-hold-end");
        }
        let cues: Vec<_> = t.events.iter().map(|e| e.cue.as_str()).collect();
        assert_eq!(cues[0], "chime-start");
        assert_eq!(*cues.last().unwrap(), "chime-end");
        for cue in [
            "set-1-of-2",
            "set-2-of-2",
            "remain-1m",
            "remain-30s",
            "remain-10s",
        ] {
            assert!(cues.contains(&cue), "{cue} missing");
        }
        assert!(cues.contains(&"breathe-in-back"));
        assert!(cues.contains(&"rest"));
        // A 90 s hold has no two-minute cue.
        assert!(!cues.contains(&"remain-2m"));
    }

    #[test]
    fn remaining_cue_is_exact() {
        let s = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        let t = build(&s, &Options::defaults(&s), &lengths(&s, 1000), 1000).unwrap();
        let h = t.holds[0];
        let e = t.events.iter().find(|e| e.cue == "remain-30s").unwrap();
        assert_eq!(e.frame, h.end - 30_000);
    }

    #[test]
    fn missing_clip_is_named() {
        let s = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        let mut l = lengths(&s, 1000);
        l.remove("arms");
        let e = build(&s, &Options::defaults(&s), &l, 1000).unwrap_err();
        assert_eq!(e, TimelineError::MissingClip { cue: "arms".into() });
    }

    #[test]
    fn sub_frame_breath_is_refused() {
        let s = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        let mut o = Options::defaults(&s);
        o.breath.inhale = 0.000001;
        o.breath.exhale = 0.000001;
        let e = build(&s, &o, &lengths(&s, 48_000), 48_000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "inhale 0.000001 s is under one frame at 48000 Hz (at least 0.000020833333333333333 s)"
        );
    }

    #[test]
    fn event_count_is_bounded() {
        let s = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        let mut o = Options {
            hold: 100_000.0,
            ..Options::defaults(&s)
        };
        o.breath.inhale = 0.001;
        o.breath.exhale = 0.001;
        let e = build(&s, &o, &lengths(&s, 1000), 1000).unwrap_err();
        assert_eq!(e, TimelineError::TooManyEvents);
    }
}
