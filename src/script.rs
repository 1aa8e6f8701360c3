//! The session script: a TOML file of steps and spoken lines, parsed and validated.
//!
//! Every error names the file and the line:column of the offending value, so a person editing a
//! script sees at once what to fix.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::cue::Cue;
pub use crate::cue::is_cue_id;

/// The script compiled into the binary, used when no `script/` folder or `--script` is given.
pub const EMBEDDED: &str = include_str!("../script/balasana.toml");

/// Where the embedded script's errors are said to come from.
pub const EMBEDDED_NAME: &str = "<built-in script/balasana.toml>";

/// The session played when `--script` is not given.
pub const DEFAULT_SESSION: &str = "balasana";

/// The evening session, compiled in.
pub const BEDTIME: &str = include_str!("../script/bedtime.toml");

/// The sessions compiled into the binary, by name, with their sources.
pub const BUILT_IN: &[(&str, &str)] = &[(DEFAULT_SESSION, EMBEDDED), ("bedtime", BEDTIME)];

/// The largest script read: 1 MB (the built-in one is about 20 kB).
pub const MAX_SCRIPT_BYTES: u64 = 1 << 20;

/// The shortest nonzero duration anywhere in a script: 10 ms, at least one frame at any rate from
/// 100 Hz. A pause, gap or remaining time is 0 or at least this.
pub const MIN_DURATION: f64 = 0.01;

/// How far a script's `[limits]` may reach: (option, least allowed.min, most allowed.max, unit).
/// Shorter breaths or holds would be under a frame or thousands of events; longer ones absurd.
pub const LIMIT_BOUNDS: [(&str, f64, f64, &str); 8] = [
    ("hold", 1.0, 3600.0, " s"),
    ("sets", 1.0, 99.0, ""),
    ("rest", 1.0, 3600.0, " s"),
    ("inhale", 0.5, 60.0, " s"),
    ("exhale", 0.5, 60.0, " s"),
    ("lead-in", 0.0, 600.0, " s"),
    ("breath-hold", 0.0, 60.0, " s"),
    ("bell", 1.0, 3600.0, " s"),
];

/// A script that failed to parse or validate.
#[derive(Debug, thiserror::Error)]
#[error("{origin}:{line}:{column}: {message}")]
pub struct ScriptError {
    /// The file (or built-in name) the script came from.
    pub origin: String,
    /// 1-based line of the offending value.
    pub line: usize,
    /// 1-based column of the offending value.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A validated session script.
#[derive(Debug, Clone)]
pub struct Script {
    /// Where the script came from (a path or the built-in name), for messages.
    pub origin: String,
    /// Human title of the session.
    pub title: String,
    /// Allowed and recommended ranges, and defaults, of the session options.
    pub limits: Limits,
    /// Silences between lines and steps, and the shape of breath guidance.
    pub pacing: Pacing,
    /// The steps, in session order within their phase.
    pub steps: Vec<Step>,
    /// Breath cues and remaining-time cues for the hold.
    pub hold: HoldCues,
    /// "Set K of N" lines.
    pub announce: Vec<Line>,
    /// Guidance levels (how much is said), the default first.
    pub guidance: Vec<GuidanceLevel>,
    /// Named choices a line may depend on (`--variation`, `--arms`), by name.
    pub choices: BTreeMap<String, Choice>,
    /// Named breath patterns for `--breath NAME`.
    pub breath_patterns: Vec<BreathPattern>,
    /// How the session sounds as a whole.
    pub sound: Sound,
}

/// How much a guidance level says. Lines name the levels that speak them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidanceLevel {
    /// Its name, for `--guidance`.
    pub name: String,
    /// What it is for, for `--help` and messages.
    pub about: String,
    /// Breaths at the start of each hold that are spoken (with `--pacing guided`).
    pub spoken_breaths: u32,
    /// Whether reminders are spoken now and then once pacing is chime-only.
    pub reminders: bool,
    /// Whether props tips (lines with `tips = true`) are spoken unless `--tips`/`--no-tips` says.
    pub tips: bool,
}

/// A named choice such as the pose variation: its values and default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The values it may take.
    pub values: Vec<String>,
    /// The value when none is chosen.
    pub default: String,
}

/// Seconds of each phase of one breath.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreathPhases {
    /// Breathing in.
    pub inhale: f64,
    /// Holding the breath in.
    pub hold: f64,
    /// Breathing out.
    pub exhale: f64,
    /// Holding the breath out.
    pub rest: f64,
}

impl BreathPhases {
    /// Seconds of one whole breath.
    pub fn period(&self) -> f64 {
        self.inhale + self.hold + self.exhale + self.rest
    }
}

/// A breath pattern with a name, for `--breath NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct BreathPattern {
    /// Its name, e.g. `4-7-8` or `box`.
    pub name: String,
    /// Its phases.
    pub phases: BreathPhases,
}

/// The sound of the session as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sound {
    /// Chime level in dB relative to the standard (e.g. -6 for a quieter evening session).
    #[serde(default)]
    pub chime_db: f64,
    /// Whether the session ends with the closing chime.
    #[serde(default = "yes")]
    pub end_chime: bool,
    /// Seconds the session goes on after its last sound, the ambience bed fading out over them
    /// (0: it ends with its last sound).
    #[serde(default)]
    pub tail: f64,
}

impl Default for Sound {
    fn default() -> Self {
        Sound {
            chime_db: 0.0,
            end_chime: true,
            tail: 0.0,
        }
    }
}

fn yes() -> bool {
    true
}

/// The ranges for each session option.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Hold length in seconds.
    pub hold: Range3,
    /// Number of sets.
    pub sets: Range3,
    /// Rest between sets in seconds.
    pub rest: Range3,
    /// Inhale length in seconds.
    pub inhale: Range3,
    /// Exhale length in seconds.
    pub exhale: Range3,
    /// Seconds from the start chime to the opening (`--lead-in`); 0 means none.
    #[serde(rename = "lead-in")]
    pub lead_in: Range3,
    /// Seconds of a breath hold (after the inhale or after the exhale; 0 means none).
    #[serde(rename = "breath-hold")]
    pub breath_hold: Range3,
    /// Seconds between interval bells in the hold (`--bell`); the default 0 means none.
    pub bell: Range3,
}

/// An option's allowed range (hard limit), recommended range (a note outside it) and default.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range3 {
    /// Values outside are refused.
    pub allowed: [f64; 2],
    /// Values outside get a one-line note, then the session plays.
    pub recommended: [f64; 2],
    /// Used when the option is not given.
    pub default: f64,
}

/// Where a value stands against a [`Range3`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Inside the recommended range.
    Recommended,
    /// Allowed but outside the recommended range.
    Allowed,
    /// Outside the allowed range.
    Refused,
}

impl Range3 {
    /// Classifies `value` against this range.
    pub fn fit(&self, value: f64) -> Fit {
        let inside = |[lo, hi]: [f64; 2]| value >= lo && value <= hi;
        if !inside(self.allowed) {
            Fit::Refused
        } else if !inside(self.recommended) {
            Fit::Allowed
        } else {
            Fit::Recommended
        }
    }
}

/// Silences and breath-guidance shape, in seconds unless said otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pacing {
    /// Silence between two spoken lines.
    pub line_gap: f64,
    /// Silence before a new step's chime.
    pub step_gap: f64,
    /// From a step chime to the step's first line.
    pub chime_lead: f64,
    /// After the spoken breaths, every Nth breath's exhale carries a spoken reminder (0: never).
    pub reminder_every: u32,
    /// A remaining-time cue is given only this long after the hold began.
    pub remaining_lead: f64,
}

/// The part of the session a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Once, at the very start, while the listener gets onto the mat (`--lead-in`).
    #[serde(rename = "lead-in")]
    LeadIn,
    /// Once, before the first set.
    Opening,
    /// Each set, before the hold.
    Entry,
    /// Each set: the hold itself (its lines open the hold).
    Hold,
    /// Each set, after the hold.
    Exit,
    /// Between sets.
    Rest,
    /// Once, after the last set.
    Closing,
}

/// A step of the session: a titled group of lines.
#[derive(Debug, Clone)]
pub struct Step {
    /// Stable id, used in the timeline and plan.
    pub id: String,
    /// Shown in the progress display.
    pub title: String,
    /// Where in the session it plays.
    pub phase: Phase,
    /// Spoken lines in order.
    pub lines: Vec<Line>,
}

/// Which sets a line is spoken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// Every set.
    #[default]
    Always,
    /// Only the first set.
    First,
    /// Every set but the first.
    Later,
}

impl When {
    /// Whether a line with this `when` is spoken in set `set` (1-based).
    pub fn includes(self, set: u32) -> bool {
        match self {
            When::Always => true,
            When::First => set == 1,
            When::Later => set > 1,
        }
    }
}

/// The silence after a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pause {
    /// The script's line gap.
    LineGap,
    /// A fixed number of seconds.
    Seconds(f64),
    /// One inhale of the listener's breath.
    Inhale,
    /// One exhale of the listener's breath.
    Exhale,
}

/// One spoken line: a cue id and its exact text.
#[derive(Debug, Clone)]
pub struct Line {
    /// Cue id; a voice pack maps it to a clip.
    pub cue: Cue,
    /// The words, verbatim: transcript and synthesis input.
    pub text: String,
    /// Silence after the line.
    pub pause: Pause,
    /// Which sets speak it.
    pub when: When,
    /// The guidance levels that speak it.
    pub guidance: Vec<String>,
    /// A props tip: spoken when tips are on, whatever the guidance level.
    pub tips: bool,
    /// Choices it depends on: spoken only when each named choice has the given value.
    pub only: BTreeMap<String, String>,
}

/// A line spoken when `at` seconds of the hold remain.
#[derive(Debug, Clone)]
pub struct RemainingCue {
    /// Seconds left in the hold when the line starts.
    pub at: f64,
    /// The line itself.
    pub line: Line,
}

/// Spoken material of the hold.
#[derive(Debug, Clone)]
pub struct HoldCues {
    /// Inhale lines for the first breaths, used in turn.
    pub inhale: Vec<Line>,
    /// Exhale lines for the first breaths, used in turn.
    pub exhale: Vec<Line>,
    /// Breath-hold lines for the first breaths of a pattern with holds, used in turn.
    pub hold: Vec<Line>,
    /// Occasional reminders once pacing is chime-only.
    pub reminders: Vec<Line>,
    /// Remaining-time lines.
    pub remaining: Vec<RemainingCue>,
}

// ---- raw serde model, with spans for messages ----------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    title: String,
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

/// The spoken lines of one or more sessions, each cue once, in session order: what a voice pack
/// must cover to speak them all.
#[derive(Debug, Clone)]
pub struct Lines {
    lines: Vec<Line>,
}

impl Lines {
    /// Every line of `scripts`; a cue that two sessions share must have the same text in both
    /// (one clip speaks it), else the error names the cue and both sessions.
    pub fn of(scripts: &[&Script]) -> Result<Lines, String> {
        let mut lines: Vec<Line> = Vec::new();
        let mut from: Vec<&str> = Vec::new();
        for script in scripts {
            for line in script.lines() {
                match lines.iter().position(|l| l.cue == line.cue) {
                    Some(i) if lines[i].text != line.text => {
                        return Err(format!(
                            "cue {:?} has one text in {} and another in {}; one clip cannot speak both",
                            line.cue, from[i], script.origin
                        ));
                    }
                    Some(_) => {}
                    None => {
                        lines.push(line.clone());
                        from.push(&script.origin);
                    }
                }
            }
        }
        Ok(Lines { lines })
    }

    /// The lines, each cue once.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter()
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Script {
    /// Parses and validates a script; `origin` names it in messages. A source over
    /// [`MAX_SCRIPT_BYTES`] is refused before parsing.
    pub fn parse(source: &str, origin: &str) -> Result<Script, ScriptError> {
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

    /// Every spoken line of the script, each cue once, in script order.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.steps
            .iter()
            .flat_map(|s| s.lines.iter())
            .chain(&self.hold.inhale)
            .chain(&self.hold.exhale)
            .chain(&self.hold.hold)
            .chain(&self.hold.reminders)
            .chain(self.hold.remaining.iter().map(|r| &r.line))
            .chain(&self.announce)
    }

    /// The "set K of N" line, if the script has one.
    pub fn announcement(&self, set: u32, sets: u32) -> Option<&Line> {
        let cue = format!("set-{set}-of-{sets}");
        self.announce.iter().find(|l| l.cue == cue)
    }

    /// The steps of one phase, in script order.
    pub fn phase(&self, phase: Phase) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }
}

impl RawScript {
    fn validate(self, at: &Locator) -> Result<Script, ScriptError> {
        let guidance_span = self.guidance.span();
        let guidance = self.guidance.into_inner().levels;
        if guidance.is_empty() {
            return Err(at.error(
                Some(guidance_span),
                "guidance: at least one level is needed",
            ));
        }
        let mut names = HashSet::new();
        for level in &guidance {
            if !is_cue_id(&level.name) || !names.insert(level.name.clone()) {
                return Err(at.error(
                    Some(guidance_span),
                    format!(
                        "guidance level {:?}: names are unique, a-z, 0-9 and '-'",
                        level.name
                    ),
                ));
            }
        }
        let mut choices = BTreeMap::new();
        for (name, choice) in self.choices {
            let span = name.span();
            let name = name.into_inner();
            if !is_cue_id(&name)
                || choice.values.is_empty()
                || !choice.values.contains(&choice.default)
            {
                return Err(at.error(
                    Some(span),
                    format!(
                        "choice {name:?}: needs values (a-z, 0-9, '-') and a default among them"
                    ),
                ));
            }
            choices.insert(name, choice);
        }
        let context = LineContext {
            levels: guidance.iter().map(|l| l.name.clone()).collect(),
            choices: &choices,
        };
        let mut seen = HashSet::new();
        let mut line =
            |raw: RawLine| -> Result<Line, ScriptError> { raw.validate(at, &mut seen, &context) };

        let limits_span = self.limits.span();
        let limits = self.limits.into_inner();
        let ranges = [
            &limits.hold,
            &limits.sets,
            &limits.rest,
            &limits.inhale,
            &limits.exhale,
            &limits.lead_in,
            &limits.breath_hold,
            &limits.bell,
        ];
        for ((name, least, most, unit), r) in LIMIT_BOUNDS.into_iter().zip(ranges) {
            let [lo, hi] = r.allowed;
            if !(lo >= least && hi <= most) {
                return Err(at.error(
                    Some(limits_span.clone()),
                    format!(
                        "limits.{name}: allowed range {lo}–{hi}{unit} goes beyond {least}–{most}{unit}"
                    ),
                ));
            }
            let [rlo, rhi] = r.recommended;
            // The lead-in and breath holds may be 0 (none); a bell's default of 0 means none;
            // everything else must last.
            let may_be_zero = matches!(name, "lead-in" | "breath-hold");
            let least_ok = if may_be_zero { 0.0 <= lo } else { 0.0 < lo };
            let default_ok =
                r.fit(r.default) != Fit::Refused || (name == "bell" && r.default == 0.0);
            let ordered = least_ok && lo <= rlo && rlo <= rhi && rhi <= hi;
            if !ordered || !default_ok {
                let least = if may_be_zero { "0 <=" } else { "0 <" };
                return Err(at.error(
                    Some(limits_span.clone()),
                    format!(
                        "limits.{name}: need {least} allowed.min <= recommended.min <= \
                         recommended.max <= allowed.max, and the default inside allowed"
                    ),
                ));
            }
        }

        let pacing_span = self.pacing.span();
        let pacing = self.pacing.into_inner();
        for (name, t) in [
            ("line_gap", pacing.line_gap),
            ("step_gap", pacing.step_gap),
            ("chime_lead", pacing.chime_lead),
            ("remaining_lead", pacing.remaining_lead),
        ] {
            if !is_duration(t) {
                return Err(at.error(
                    Some(pacing_span),
                    format!("pacing.{name} {t} s: must be 0 or {MIN_DURATION} to 60 s"),
                ));
            }
        }

        let mut steps = Vec::new();
        let mut step_ids = HashSet::new();
        for raw in self.steps {
            let span = raw.id.span();
            let id = raw.id.into_inner();
            if !is_cue_id(&id) {
                return Err(at.error(Some(span), format!("step id {id:?}: {CUE_ID_RULE}")));
            }
            if !step_ids.insert(id.clone()) {
                return Err(at.error(Some(span), format!("step id {id:?} is used twice")));
            }
            let lines = raw
                .lines
                .into_iter()
                .map(&mut line)
                .collect::<Result<_, _>>()?;
            steps.push(Step {
                id,
                title: raw.title,
                phase: raw.phase,
                lines,
            });
        }
        for phase in [Phase::Entry, Phase::Hold] {
            if !steps.iter().any(|s| s.phase == phase) {
                return Err(at.error(None, format!("the script has no {phase:?} step")));
            }
        }

        let inhale = self
            .hold
            .inhale
            .into_iter()
            .map(&mut line)
            .collect::<Result<_, _>>()?;
        let exhale = self
            .hold
            .exhale
            .into_iter()
            .map(&mut line)
            .collect::<Result<_, _>>()?;
        let breath_holds = self
            .hold
            .hold
            .into_iter()
            .map(&mut line)
            .collect::<Result<_, _>>()?;
        let reminders =
            (self.hold.reminders.into_iter().map(&mut line)).collect::<Result<_, _>>()?;
        let mut remaining = Vec::new();
        for raw in self.hold.remaining {
            let at_span = raw.at.span();
            let secs = raw.at.into_inner();
            if !(secs >= MIN_DURATION && secs <= limits.hold.allowed[1]) {
                return Err(at.error(
                    Some(at_span),
                    format!(
                        "remaining time {secs} s must be from {MIN_DURATION} s to the longest hold ({} s)",
                        limits.hold.allowed[1]
                    ),
                ));
            }
            let l = line(RawLine {
                cue: raw.cue,
                text: raw.text,
                pause: None,
                when: When::Always,
                guidance: None,
                tips: false,
                only: None,
            })?;
            remaining.push(RemainingCue { at: secs, line: l });
        }
        remaining.sort_by(|a, b| b.at.total_cmp(&a.at));

        let announce_levels = self.announce.guidance;
        let announce = self
            .announce
            .sets
            .into_iter()
            .map(|raw| {
                let explicit = raw.guidance.is_some();
                let mut l = line(raw)?;
                if let (false, Some(levels)) = (explicit, &announce_levels) {
                    l.guidance = levels.clone();
                }
                Ok(l)
            })
            .collect::<Result<Vec<_>, ScriptError>>()?;

        let mut breath_patterns: Vec<BreathPattern> = Vec::new();
        for raw in self.breath.patterns {
            let span = raw.span();
            let p = raw.into_inner();
            let phases = BreathPhases {
                inhale: p.inhale,
                hold: p.hold,
                exhale: p.exhale,
                rest: p.rest,
            };
            let fits = |v: f64, r: &Range3, zero_ok: bool| {
                (zero_ok && v == 0.0) || r.fit(v) != Fit::Refused
            };
            let ok = fits(phases.inhale, &limits.inhale, false)
                && fits(phases.exhale, &limits.exhale, false)
                && fits(phases.hold, &limits.breath_hold, true)
                && fits(phases.rest, &limits.breath_hold, true);
            if !ok || breath_patterns.iter().any(|b| b.name == p.name) || p.name.contains(':') {
                return Err(at.error(
                    Some(span),
                    format!(
                        "breath pattern {:?}: a unique name without ':', and phases within \
                         limits.inhale, limits.exhale and limits.breath-hold",
                        p.name
                    ),
                ));
            }
            breath_patterns.push(BreathPattern {
                name: p.name,
                phases,
            });
        }
        let sound = match self.sound {
            Some(raw) => {
                let span = raw.span();
                let sound = raw.into_inner();
                if !(-30.0..=6.0).contains(&sound.chime_db) || !(0.0..=120.0).contains(&sound.tail)
                {
                    return Err(at.error(
                        Some(span),
                        "sound: chime_db must be from -30 to 6, tail from 0 to 120 seconds",
                    ));
                }
                sound
            }
            None => Sound::default(),
        };

        Ok(Script {
            origin: at.origin.to_owned(),
            title: self.title,
            limits,
            pacing,
            steps,
            hold: HoldCues {
                inhale,
                exhale,
                hold: breath_holds,
                reminders,
                remaining,
            },
            announce,
            guidance,
            choices,
            breath_patterns,
            sound,
        })
    }
}

/// Whether `t` seconds is a usable pause or gap: 0, or from [`MIN_DURATION`] to 60 s.
fn is_duration(t: f64) -> bool {
    t == 0.0 || (MIN_DURATION..=60.0).contains(&t)
}

const CUE_ID_RULE: &str = "ids use only a-z, 0-9 and '-' (they name clip files)";

/// What a line's `guidance` and `only` may name.
struct LineContext<'a> {
    levels: Vec<String>,
    choices: &'a BTreeMap<String, Choice>,
}

impl RawLine {
    fn validate(
        self,
        at: &Locator,
        seen: &mut HashSet<String>,
        context: &LineContext,
    ) -> Result<Line, ScriptError> {
        let span = self.cue.span();
        let id = self.cue.into_inner();
        let cue = Cue::line(id.clone())
            .map_err(|why| at.error(Some(span.clone()), format!("cue id {id:?}: {why}")))?;
        if !seen.insert(id) {
            return Err(at.error(Some(span), format!("cue id {cue:?} is used twice")));
        }
        let text_span = self.text.span();
        let text = self.text.into_inner();
        if text.trim().is_empty() {
            return Err(at.error(Some(text_span), format!("cue {cue:?} has empty text")));
        }
        let pause = match self.pause {
            None => Pause::LineGap,
            Some(p) => {
                let span = p.span();
                match p.into_inner() {
                    RawPause::Seconds(s) if is_duration(s) => Pause::Seconds(s),
                    RawPause::Breath(b) if b == "inhale" => Pause::Inhale,
                    RawPause::Breath(b) if b == "exhale" => Pause::Exhale,
                    _ => {
                        return Err(at.error(
                            Some(span),
                            format!(
                                "pause must be 0 or {MIN_DURATION} to 60 seconds, \"inhale\" or \"exhale\""
                            ),
                        ));
                    }
                }
            }
        };
        let guidance = match self.guidance {
            None => context.levels.first().cloned().into_iter().collect(),
            Some(g) => {
                let span = g.span();
                let levels = g.into_inner();
                if let Some(bad) = levels.iter().find(|l| !context.levels.contains(l)) {
                    return Err(at.error(
                        Some(span),
                        format!(
                            "cue {cue:?}: unknown guidance level {bad:?} (levels: {})",
                            context.levels.join(", ")
                        ),
                    ));
                }
                levels
            }
        };
        let only = match self.only {
            None => BTreeMap::new(),
            Some(o) => {
                let span = o.span();
                let only = o.into_inner();
                for (name, value) in &only {
                    let known = context
                        .choices
                        .get(name)
                        .is_some_and(|c| c.values.contains(value));
                    if !known {
                        return Err(at.error(
                            Some(span),
                            format!(
                                "cue {cue:?}: only {name} = {value:?} is not a choice of the script"
                            ),
                        ));
                    }
                }
                only
            }
        };
        Ok(Line {
            cue,
            text,
            pause,
            when: self.when,
            guidance,
            tips: self.tips,
            only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_script_is_valid() {
        let s = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        assert!(s.lines().count() > 40);
        assert_eq!(s.limits.hold.allowed, [20.0, 600.0]);
        assert_eq!(s.limits.sets.recommended, [1.0, 3.0]);
        for n in 1..=5 {
            for k in 1..=n {
                assert!(s.announcement(k, n).is_some(), "set {k} of {n}");
            }
        }
    }

    #[test]
    fn duplicate_cue_points_at_second_use() {
        let src = EMBEDDED.replacen("cue = \"why\"", "cue = \"welcome\"", 1);
        let e = Script::parse(&src, "s.toml").unwrap_err();
        assert!(e.message.contains("\"welcome\" is used twice"), "{e}");
        let (line, col) = line_column(&src, src.find("cue = \"welcome\", text = \"Here").unwrap());
        assert_eq!((e.line, e.column), (line, col + 6));
    }

    #[test]
    fn syntax_error_has_position() {
        let e = Script::parse("title = \"x\"\nlimits = [\n", "bad.toml").unwrap_err();
        assert_eq!(e.origin, "bad.toml");
        assert!(e.line >= 2, "{e}");
    }

    #[test]
    fn bad_pause_is_refused() {
        let src = EMBEDDED.replacen("pause = \"inhale\"", "pause = \"hold\"", 1);
        let e = Script::parse(&src, "s.toml").unwrap_err();
        assert!(e.message.contains("pause must be"), "{e}");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_column("x", 0), (1, 1));
    }

    #[test]
    fn sub_frame_breath_limits_are_refused() {
        let src = EMBEDDED.replacen(
            "inhale = { allowed = [2, 10]",
            "inhale = { allowed = [0.000001, 10]",
            1,
        );
        let e = Script::parse(&src, "s.toml").unwrap_err();
        assert_eq!(
            e.message,
            "limits.inhale: allowed range 0.000001–10 s goes beyond 0.5–60 s"
        );
    }

    #[test]
    fn sub_frame_pause_is_refused() {
        let src = EMBEDDED.replacen("pause = 1.5", "pause = 1e-9", 1);
        let e = Script::parse(&src, "s.toml").unwrap_err();
        assert!(
            e.message.starts_with("pause must be 0 or 0.01 to 60"),
            "{e}"
        );
        let src = EMBEDDED.replacen("pause = 1.5", "pause = 0", 1);
        assert!(Script::parse(&src, "s.toml").is_ok());
    }

    #[test]
    fn oversized_script_is_refused_before_parsing() {
        let src = format!("{}{EMBEDDED}", " ".repeat(MAX_SCRIPT_BYTES as usize));
        let e = Script::parse(&src, "big.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "big.toml:1:1: the script is larger than 1 MB ({} bytes)",
                src.len()
            )
        );
    }
}
