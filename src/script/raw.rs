//! The script as written: a serde model that keeps the span of every value a message may point
//! at, validated section by section into a [`Script`]. The first problem found is the error,
//! with its file and line:column.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::labels::RawLabels;
use super::limits::{Fit, LIMITS, Limits, Range3};
use super::{
    BreathPattern, BreathPhases, Choice, GuidanceLevel, HoldCues, Line, MAX_SCRIPT_BYTES,
    MIN_DURATION, Pacing, Pause, Phase, RemainingCue, Script, ScriptError, Sound, Step, When,
    line_column,
};
use crate::cue::{Cue, is_cue_id};
use crate::pace::{Pace, RawPace};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    title: String,
    #[serde(default)]
    language: Option<Spanned<String>>,
    limits: Spanned<Limits>,
    pacing: Spanned<Pacing>,
    steps: Vec<RawStep>,
    hold: RawHold,
    announce: RawAnnounce,
    guidance: Spanned<RawGuidance>,
    #[serde(default)]
    choices: BTreeMap<Spanned<String>, Choice>,
    #[serde(default)]
    breath: RawBreath,
    #[serde(default)]
    sound: Option<Spanned<Sound>>,
    #[serde(default)]
    pace: Option<Spanned<RawPace>>,
    #[serde(default)]
    labels: RawLabels,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuidance {
    levels: Vec<GuidanceLevel>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBreath {
    patterns: Vec<Spanned<RawPattern>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    name: String,
    inhale: f64,
    #[serde(default)]
    hold: f64,
    exhale: f64,
    #[serde(default)]
    rest: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    title: String,
    phase: Phase,
    lines: Vec<RawLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    cue: Spanned<String>,
    text: Spanned<String>,
    #[serde(default)]
    pause: Option<Spanned<RawPause>>,
    #[serde(default)]
    when: When,
    #[serde(default)]
    guidance: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    tips: bool,
    #[serde(default)]
    only: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPause {
    Seconds(f64),
    Breath(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHold {
    inhale: Vec<RawLine>,
    exhale: Vec<RawLine>,
    #[serde(default)]
    hold: Vec<RawLine>,
    reminders: Vec<RawLine>,
    remaining: Vec<RawRemaining>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemaining {
    at: Spanned<f64>,
    cue: Spanned<String>,
    text: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnnounce {
    /// The guidance levels that announce sets (each line may say otherwise).
    #[serde(default)]
    guidance: Option<Vec<String>>,
    sets: Vec<RawLine>,
}

/// Turns byte offsets into line:column positions of one source text.
struct Locator<'a> {
    origin: &'a str,
    source: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Option<Range<usize>>, message: impl fmt::Display) -> ScriptError {
        let (line, column) = span.map_or((1, 1), |s| line_column(self.source, s.start));
        ScriptError {
            origin: self.origin.to_owned(),
            line,
            column,
            message: message.to_string(),
        }
    }
}

/// Parses and validates a script; `origin` names it in messages. A source over
/// [`MAX_SCRIPT_BYTES`] is refused before parsing.
pub(super) fn parse(source: &str, origin: &str) -> Result<Script, ScriptError> {
    let at = Locator { origin, source };
    if source.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(at.error(
            None,
            format!(
                "the script is larger than {} MB ({} bytes)",
                MAX_SCRIPT_BYTES >> 20,
                source.len()
            ),
        ));
    }
    let raw: RawScript = toml::from_str(source).map_err(|e| {
        let message = e.message().trim().to_owned();
        at.error(e.span(), message)
    })?;
    raw.validate(&at)
}

impl RawScript {
    /// Each section in turn, in the order its problems are reported.
    fn validate(self, at: &Locator) -> Result<Script, ScriptError> {
        let guidance = guidance(self.guidance, at)?;
        let choices = choices(self.choices, at)?;
        let mut lines = LineChecker {
            at,
            seen: HashSet::new(),
            levels: guidance.iter().map(|l| l.name.clone()).collect(),
            choices: &choices,
        };
        let limits = limits(self.limits, at)?;
        let pacing = pacing(self.pacing, at)?;
        let steps = steps(self.steps, &mut lines)?;
        let hold = hold(self.hold, &limits, &mut lines)?;
        let announce = announce(self.announce, &mut lines)?;
        let breath_patterns = breath_patterns(self.breath, &limits, at)?;
        let sound = sound(self.sound, at)?;
        let pace = pace(self.pace, at)?;
        let labels = self
            .labels
            .validate()
            .map_err(|bad| at.error(Some(bad.span), bad.message))?;
        let language = language(self.language, at)?;
        Ok(Script {
            origin: at.origin.to_owned(),
            title: self.title,
            limits,
            pacing,
            steps,
            hold,
            announce,
            guidance,
            choices,
            breath_patterns,
            sound,
            pace,
            labels,
            language,
        })
    }
}

/// `[pace]`: one range within its bounds and usable pauses ([`RawPace::check`]).
/// The `language` key: a BCP 47 tag whose primary subtag is two or three letters (`de`, `de-DE`).
fn language(raw: Option<Spanned<String>>, at: &Locator) -> Result<Option<String>, ScriptError> {
    let Some(raw) = raw else { return Ok(None) };
    if crate::language::primary(raw.get_ref()).is_none() {
        return Err(at.error(
            Some(raw.span()),
            format!(
                "language {:?} is not a language tag (e.g. \"de\" or \"de-DE\")",
                raw.get_ref()
            ),
        ));
    }
    Ok(Some(raw.into_inner()))
}

fn pace(raw: Option<Spanned<RawPace>>, at: &Locator) -> Result<Option<Pace>, ScriptError> {
    raw.map(|raw| {
        let span = raw.span();
        raw.into_inner()
            .check()
            .map_err(|message| at.error(Some(span), message))
    })
    .transpose()
}

/// `[guidance]`: at least one level, each named uniquely as an id.
fn guidance(raw: Spanned<RawGuidance>, at: &Locator) -> Result<Vec<GuidanceLevel>, ScriptError> {
    let span = raw.span();
    let levels = raw.into_inner().levels;
    if levels.is_empty() {
        return Err(at.error(Some(span), "guidance: at least one level is needed"));
    }
    let mut names = HashSet::new();
    for level in &levels {
        if !is_cue_id(&level.name) || !names.insert(level.name.clone()) {
            return Err(at.error(
                Some(span),
                format!(
                    "guidance level {:?}: names are unique, a-z, 0-9 and '-'",
                    level.name
                ),
            ));
        }
    }
    Ok(levels)
}

/// `[choices]`: each named as an id, with values and a default among them.
fn choices(
    raw: BTreeMap<Spanned<String>, Choice>,
    at: &Locator,
) -> Result<BTreeMap<String, Choice>, ScriptError> {
    let mut choices = BTreeMap::new();
    for (name, choice) in raw {
        let span = name.span();
        let name = name.into_inner();
        if !is_cue_id(&name) || choice.values.is_empty() || !choice.values.contains(&choice.default)
        {
            return Err(at.error(
                Some(span),
                format!("choice {name:?}: needs values (a-z, 0-9, '-') and a default among them"),
            ));
        }
        choices.insert(name, choice);
    }
    Ok(choices)
}

/// `[limits]`: every range within the table's bounds ([`LIMITS`]), ordered, its default inside.
fn limits(raw: Spanned<Limits>, at: &Locator) -> Result<Limits, ScriptError> {
    let span = raw.span();
    let limits = raw.into_inner();
    for limit in LIMITS {
        let (name, unit, [least, most]) = (limit.key, limit.unit, limit.bounds);
        let r = limits.range(limit.option);
        let [lo, hi] = r.allowed;
        if !(lo >= least && hi <= most) {
            return Err(at.error(
                Some(span),
                format!(
                    "limits.{name}: allowed range {lo}–{hi}{unit} goes beyond {least}–{most}{unit}"
                ),
            ));
        }
        let [rlo, rhi] = r.recommended;
        // The lead-in and breath holds may be 0 (none); a bell's default of 0 means none;
        // everything else must last.
        let least_ok = if limit.zero_is_none {
            0.0 <= lo
        } else {
            0.0 < lo
        };
        let default_ok =
            r.fit(r.default) != Fit::Refused || (limit.off_by_default && r.default == 0.0);
        let ordered = least_ok && lo <= rlo && rlo <= rhi && rhi <= hi;
        if !ordered || !default_ok {
            let least = if limit.zero_is_none { "0 <=" } else { "0 <" };
            return Err(at.error(
                Some(span),
                format!(
                    "limits.{name}: need {least} allowed.min <= recommended.min <= \
                     recommended.max <= allowed.max, and the default inside allowed"
                ),
            ));
        }
    }
    Ok(limits)
}

/// `[pacing]`: every gap a usable duration.
fn pacing(raw: Spanned<Pacing>, at: &Locator) -> Result<Pacing, ScriptError> {
    let span = raw.span();
    let pacing = raw.into_inner();
    for (name, t) in [
        ("line_gap", pacing.line_gap),
        ("step_gap", pacing.step_gap),
        ("chime_lead", pacing.chime_lead),
        ("remaining_lead", pacing.remaining_lead),
    ] {
        if !is_duration(t) {
            return Err(at.error(
                Some(span),
                format!("pacing.{name} {t} s: must be 0 or {MIN_DURATION} to 60 s"),
            ));
        }
    }
    Ok(pacing)
}

/// `[[steps]]`: unique ids, valid lines, and at least an entry and a hold step.
fn steps(raw: Vec<RawStep>, lines: &mut LineChecker) -> Result<Vec<Step>, ScriptError> {
    let mut steps = Vec::new();
    let mut step_ids = HashSet::new();
    for raw in raw {
        let span = raw.id.span();
        let id = raw.id.into_inner();
        if !is_cue_id(&id) {
            return Err(lines
                .at
                .error(Some(span), format!("step id {id:?}: {CUE_ID_RULE}")));
        }
        if !step_ids.insert(id.clone()) {
            return Err(lines
                .at
                .error(Some(span), format!("step id {id:?} is used twice")));
        }
        steps.push(Step {
            id,
            title: raw.title,
            phase: raw.phase,
            lines: lines.all(raw.lines)?,
        });
    }
    for phase in [Phase::Entry, Phase::Hold] {
        if !steps.iter().any(|s| s.phase == phase) {
            return Err(lines
                .at
                .error(None, format!("the script has no {phase:?} step")));
        }
    }
    Ok(steps)
}

/// `[hold]`: the breath lines, the reminders, and the remaining-time lines (sorted, latest
/// first), each time within the longest hold the limits allow.
fn hold(raw: RawHold, limits: &Limits, lines: &mut LineChecker) -> Result<HoldCues, ScriptError> {
    let inhale = lines.all(raw.inhale)?;
    let exhale = lines.all(raw.exhale)?;
    let breath_holds = lines.all(raw.hold)?;
    let reminders = lines.all(raw.reminders)?;
    let longest = limits.hold.allowed[1];
    let mut remaining = Vec::new();
    for raw in raw.remaining {
        let at_span = raw.at.span();
        let secs = raw.at.into_inner();
        if !(secs >= MIN_DURATION && secs <= longest) {
            return Err(lines.at.error(
                Some(at_span),
                format!(
                    "remaining time {secs} s must be from {MIN_DURATION} s to the longest hold ({longest} s)"
                ),
            ));
        }
        let line = lines.check(RawLine {
            cue: raw.cue,
            text: raw.text,
            pause: None,
            when: When::Always,
            guidance: None,
            tips: false,
            only: None,
        })?;
        remaining.push(RemainingCue { at: secs, line });
    }
    remaining.sort_by(|a, b| b.at.total_cmp(&a.at));
    Ok(HoldCues {
        inhale,
        exhale,
        hold: breath_holds,
        reminders,
        remaining,
    })
}

/// `[announce]`: the "set K of N" lines, spoken at the section's guidance levels unless a line
/// names its own.
fn announce(raw: RawAnnounce, lines: &mut LineChecker) -> Result<Vec<Line>, ScriptError> {
    raw.sets
        .into_iter()
        .map(|line| {
            let explicit = line.guidance.is_some();
            let mut l = lines.check(line)?;
            if let (false, Some(levels)) = (explicit, &raw.guidance) {
                l.guidance = levels.clone();
            }
            Ok(l)
        })
        .collect()
}

/// `[breath]`: named patterns, each name unique and without ':', each phase within its limits.
fn breath_patterns(
    raw: RawBreath,
    limits: &Limits,
    at: &Locator,
) -> Result<Vec<BreathPattern>, ScriptError> {
    let mut patterns: Vec<BreathPattern> = Vec::new();
    for raw in raw.patterns {
        let span = raw.span();
        let p = raw.into_inner();
        let phases = BreathPhases {
            inhale: p.inhale,
            hold: p.hold,
            exhale: p.exhale,
            rest: p.rest,
        };
        let fits =
            |v: f64, r: &Range3, zero_ok: bool| (zero_ok && v == 0.0) || r.fit(v) != Fit::Refused;
        let ok = fits(phases.inhale, &limits.inhale, false)
            && fits(phases.exhale, &limits.exhale, false)
            && fits(phases.hold, &limits.breath_hold, true)
            && fits(phases.rest, &limits.breath_hold, true);
        if !ok || patterns.iter().any(|b| b.name == p.name) || p.name.contains(':') {
            return Err(at.error(
                Some(span),
                format!(
                    "breath pattern {:?}: a unique name without ':', and phases within \
                     limits.inhale, limits.exhale and limits.breath-hold",
                    p.name
                ),
            ));
        }
        patterns.push(BreathPattern {
            name: p.name,
            phases,
        });
    }
    Ok(patterns)
}

/// `[sound]`: the chime level and the tail within their ranges (the defaults when absent).
fn sound(raw: Option<Spanned<Sound>>, at: &Locator) -> Result<Sound, ScriptError> {
    let Some(raw) = raw else {
        return Ok(Sound::default());
    };
    let span = raw.span();
    let sound = raw.into_inner();
    if !(-30.0..=6.0).contains(&sound.chime_db) || !(0.0..=120.0).contains(&sound.tail) {
        return Err(at.error(
            Some(span),
            "sound: chime_db must be from -30 to 6, tail from 0 to 120 seconds",
        ));
    }
    Ok(sound)
}

/// Whether `t` seconds is a usable pause or gap: 0, or from [`MIN_DURATION`] to 60 s.
fn is_duration(t: f64) -> bool {
    t == 0.0 || (MIN_DURATION..=60.0).contains(&t)
}

const CUE_ID_RULE: &str = "ids use only a-z, 0-9 and '-' (they name clip files)";

/// Checks lines against what the script declares, each cue used once in the whole script.
struct LineChecker<'a> {
    at: &'a Locator<'a>,
    /// Cue ids used so far.
    seen: HashSet<String>,
    /// The guidance levels a line may name, the default first.
    levels: Vec<String>,
    /// The choices a line may depend on.
    choices: &'a BTreeMap<String, Choice>,
}

impl LineChecker<'_> {
    /// Every line of a list, checked in order.
    fn all(&mut self, raw: Vec<RawLine>) -> Result<Vec<Line>, ScriptError> {
        raw.into_iter().map(|line| self.check(line)).collect()
    }

    /// One line: a new cue id that is not a chime's, some text, a usable pause, known guidance
    /// levels and choices.
    fn check(&mut self, raw: RawLine) -> Result<Line, ScriptError> {
        let at = self.at;
        let span = raw.cue.span();
        let id = raw.cue.into_inner();
        let cue = Cue::line(id.clone())
            .map_err(|why| at.error(Some(span.clone()), format!("cue id {id:?}: {why}")))?;
        if !self.seen.insert(id) {
            return Err(at.error(Some(span), format!("cue id {cue:?} is used twice")));
        }
        let text_span = raw.text.span();
        let text = raw.text.into_inner();
        if text.trim().is_empty() {
            return Err(at.error(Some(text_span), format!("cue {cue:?} has empty text")));
        }
        Ok(Line {
            pause: pause(raw.pause, at)?,
            guidance: self.guidance(raw.guidance, &cue)?,
            only: self.only(raw.only, &cue)?,
            cue,
            text,
            when: raw.when,
            tips: raw.tips,
        })
    }

    /// The levels a line names (each one of the script's), or the default level.
    fn guidance(
        &self,
        raw: Option<Spanned<Vec<String>>>,
        cue: &Cue,
    ) -> Result<Vec<String>, ScriptError> {
        let Some(raw) = raw else {
            return Ok(self.levels.first().cloned().into_iter().collect());
        };
        let span = raw.span();
        let levels = raw.into_inner();
        if let Some(bad) = levels.iter().find(|l| !self.levels.contains(l)) {
            return Err(self.at.error(
                Some(span),
                format!(
                    "cue {cue:?}: unknown guidance level {bad:?} (levels: {})",
                    self.levels.join(", ")
                ),
            ));
        }
        Ok(levels)
    }

    /// The choices a line depends on, each a choice of the script with one of its values.
    fn only(
        &self,
        raw: Option<Spanned<BTreeMap<String, String>>>,
        cue: &Cue,
    ) -> Result<BTreeMap<String, String>, ScriptError> {
        let Some(raw) = raw else {
            return Ok(BTreeMap::new());
        };
        let span = raw.span();
        let only = raw.into_inner();
        for (name, value) in &only {
            let known = self
                .choices
                .get(name)
                .is_some_and(|c| c.values.contains(value));
            if !known {
                return Err(self.at.error(
                    Some(span),
                    format!("cue {cue:?}: only {name} = {value:?} is not a choice of the script"),
                ));
            }
        }
        Ok(only)
    }
}

/// A line's pause: the line gap when absent, else seconds (0 or a usable duration) or one breath.
fn pause(raw: Option<Spanned<RawPause>>, at: &Locator) -> Result<Pause, ScriptError> {
    let Some(raw) = raw else {
        return Ok(Pause::LineGap);
    };
    let span = raw.span();
    match raw.into_inner() {
        RawPause::Seconds(s) if is_duration(s) => Ok(Pause::Seconds(s)),
        RawPause::Breath(b) if b == "inhale" => Ok(Pause::Inhale),
        RawPause::Breath(b) if b == "exhale" => Ok(Pause::Exhale),
        _ => Err(at.error(
            Some(span),
            format!("pause must be 0 or {MIN_DURATION} to 60 seconds, \"inhale\" or \"exhale\""),
        )),
    }
}
