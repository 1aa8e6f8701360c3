//! The options a listener chooses, with the script's defaults, and what the timeline needs of
//! them to sequence a session at all: finite, signed right, and no duration under one frame.

use std::collections::BTreeMap;

use super::TimelineError;
use crate::script::{BreathPhases, GuidanceLevel, Script};
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

    /// Whether the options can be sequenced for `script` at `rate`, and their guidance level.
    /// Every duration must be finite and positive (holds, rest and lead-in may be 0) and, once
    /// turned into frames, at least one (a 0 breath hold or lead-in: none). These hold for any
    /// caller; the command line's own limits ([`crate::script::LIMITS`]) are narrower.
    pub fn check<'s>(
        &self,
        script: &'s Script,
        rate: u32,
    ) -> Result<&'s GuidanceLevel, TimelineError> {
        self.check_signs(rate)?;
        let level = script
            .guidance
            .iter()
            .find(|g| g.name == self.guidance)
            .ok_or_else(|| {
                TimelineError::BadOptions(format!("no guidance level {:?}", self.guidance))
            })?;
        self.check_frames(rate)?;
        Ok(level)
    }

    /// Every value finite and of the right sign.
    fn check_signs(&self, rate: u32) -> Result<(), TimelineError> {
        let positive = |x: f64| x.is_finite() && x > 0.0 && x < 1e6;
        if rate == 0 || self.sets == 0 || !positive(self.hold) {
            return Err(TimelineError::BadOptions(
                "rate, sets and hold must be positive".into(),
            ));
        }
        let rest_ok = self.rest.is_finite() && self.rest >= 0.0;
        let b = &self.breath;
        let not_negative = |x: f64| x.is_finite() && (0.0..1e6).contains(&x);
        let breath_ok = positive(b.inhale) && positive(b.exhale) && not_negative(b.hold);
        let lead_in_ok = self.lead_in.is_finite() && self.lead_in >= 0.0;
        if !breath_ok || !not_negative(b.rest) || !rest_ok || !lead_in_ok {
            return Err(TimelineError::BadOptions(
                "breath must be positive, holds, rest and lead-in not negative".into(),
            ));
        }
        if self.bell.is_some_and(|s| !positive(s)) {
            return Err(TimelineError::BadOptions(
                "the bell interval must be positive".into(),
            ));
        }
        Ok(())
    }

    /// Every duration that becomes frames is at least one frame at `rate` (0 breath holds and
    /// lead-in: none).
    fn check_frames(&self, rate: u32) -> Result<(), TimelineError> {
        let under = |x: f64| frames(x, rate) < 1;
        let least = 1.0 / f64::from(rate);
        for (name, value) in [
            ("hold", self.hold),
            ("inhale", self.breath.inhale),
            ("exhale", self.breath.exhale),
        ] {
            if under(value) {
                return Err(TimelineError::BadOptions(format!(
                    "{name} {value} s is under one frame at {rate} Hz (at least {least} s)"
                )));
            }
        }
        for (name, value) in [
            ("breath hold", self.breath.hold),
            ("breath hold (after the exhale)", self.breath.rest),
        ] {
            if value > 0.0 && under(value) {
                return Err(TimelineError::BadOptions(format!(
                    "{name} {value} s is under one frame at {rate} Hz (0 for none, or at least {least} s)"
                )));
            }
        }
        if self.bell.is_some_and(under) {
            return Err(TimelineError::BadOptions(format!(
                "the bell interval is under one frame at {rate} Hz"
            )));
        }
        if self.lead_in > 0.0 && under(self.lead_in) {
            return Err(TimelineError::BadOptions(format!(
                "lead-in {} s is under one frame at {rate} Hz (0 for none, or at least {least} s)",
                self.lead_in
            )));
        }
        Ok(())
    }
}
