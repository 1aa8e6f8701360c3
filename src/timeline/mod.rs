//! Sequencing: a pure function from script, options and clip lengths to events at exact frames.
//!
//! Nothing here touches a file, a device or a clock. The guarantees — voice clips never overlap,
//! every hold lasts exactly `hold` seconds from the end of the settle instructions to the
//! end-of-hold chime, events are sorted and deterministic — are property-tested in
//! `tests/suite/timeline_props.rs`. The options and what sequencing needs of them are in
//! `options.rs`; the layout of a hold (its lines, bells and breath pacing) in `hold.rs`.

mod hold;
mod options;

use std::collections::HashMap;

use serde::Serialize;

use crate::chime::Chime;
use crate::cue::Cue;
use crate::script::{GuidanceLevel, Labels, Line, Pause, Phase, Script, Step};
use crate::units::frames;

pub use options::{Options, Pacing};

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
    /// The words the program adds to titles and the progress line, in the session's language.
    pub labels: Labels,
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

    /// A step's title with its set, as chapters, transcripts and the media controls name it:
    /// `Step 4 · Hold and breathe (set 1 of 2)`, the set in the session's language.
    pub fn step_title(&self, step: &StepStart) -> String {
        match step.set {
            Some(n) => format!("{} ({})", step.title, self.labels.set(n, self.sets)),
            None => step.title.clone(),
        }
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

/// Sequences a session. Pure: the same inputs always give the same timeline.
pub fn build(
    script: &Script,
    options: &Options,
    clips: &ClipLengths,
    rate: u32,
) -> Result<Timeline, TimelineError> {
    let level = options.check(script, rate)?;
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
        labels: script.labels.clone(),
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
