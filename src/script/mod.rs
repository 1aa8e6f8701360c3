//! The session script: a TOML file of steps and spoken lines, parsed and validated.
//!
//! Every error names the file and the line:column of the offending value, so a person editing a
//! script sees at once what to fix. The types of a valid script are here; `raw.rs` holds the
//! script as written and its validation, section by section, and `limits.rs` the one table of
//! limited options ([`LIMITS`]).

mod labels;
mod limits;
mod raw;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cue::Cue;
pub use crate::cue::is_cue_id;
use crate::pace::{LONG_LINE_WORDS, Pace, words};
pub use labels::Labels;
pub use limits::{Fit, LIMITS, Limit, Limited, Limits, Range3, limit_of};

/// The script compiled into the binary, used when no `script/` folder or `--script` is given.
pub const EMBEDDED: &str = include_str!("../../script/balasana.toml");

/// Where the embedded script's errors are said to come from.
pub const EMBEDDED_NAME: &str = "<built-in script/balasana.toml>";

/// The session played when `--script` is not given.
pub const DEFAULT_SESSION: &str = "balasana";

/// The evening session, compiled in.
pub const BEDTIME: &str = include_str!("../../script/bedtime.toml");

/// The sessions compiled into the binary, by name, with their sources.
pub const BUILT_IN: &[(&str, &str)] = &[(DEFAULT_SESSION, EMBEDDED), ("bedtime", BEDTIME)];

/// The largest script read: 1 MB (the built-in one is about 20 kB).
pub const MAX_SCRIPT_BYTES: u64 = 1 << 20;

/// The shortest nonzero duration anywhere in a script: 10 ms, at least one frame at any rate from
/// 100 Hz. A pause, gap or remaining time is 0 or at least this.
pub const MIN_DURATION: f64 = 0.01;

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
    /// How fast its lines are spoken, for making and checking packs (`[pace]`; none: no fit).
    pub pace: Option<Pace>,
    /// The words the program adds to what the listener reads (`[labels]`), in the session's
    /// language.
    pub labels: Labels,
    /// The session's language: the script's `language` key, else (set by the library) the
    /// folder it was found in; read it with [`Script::language`].
    pub language: Option<String>,
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

/// The spoken lines of one or more sessions, each cue once, in session order: what a voice pack
/// must cover to speak them all, with the sessions that speak each line and their paces.
#[derive(Debug, Clone)]
pub struct Lines {
    lines: Vec<Line>,
    /// Where each line is first spoken ([`Script::placed_lines`]), beside it.
    places: Vec<String>,
    sessions: Vec<Session>,
    /// For each line, the indices in `sessions` of the sessions that speak it.
    spoken_in: Vec<Vec<usize>>,
}

/// A session whose lines are in a [`Lines`]: its name and its pace.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The session's name (its script's file stem).
    pub name: String,
    /// Its `[pace]`, if it has one.
    pub pace: Option<Pace>,
}

impl Lines {
    /// Every line of `scripts`. A cue that two sessions share must have the same text in both
    /// (one clip speaks it), and, when it has [`LONG_LINE_WORDS`] words or more, sessions whose
    /// pace ranges overlap (one clip cannot be at two paces); else the error names the cue and
    /// both sessions.
    pub fn of(scripts: &[&Script]) -> Result<Lines, String> {
        let mut all = Lines {
            lines: Vec::new(),
            places: Vec::new(),
            sessions: Vec::new(),
            spoken_in: Vec::new(),
        };
        for (index, script) in scripts.iter().enumerate() {
            all.sessions.push(Session {
                name: script.name(),
                pace: script.pace,
            });
            for (place, line) in script.placed_lines() {
                match all.lines.iter().position(|l| l.cue == line.cue) {
                    Some(i) => all.share(i, index, line, scripts)?,
                    None => {
                        all.lines.push(line.clone());
                        all.places.push(place.to_owned());
                        all.spoken_in.push(vec![index]);
                    }
                }
            }
        }
        Ok(all)
    }

    /// Records that session `index` speaks line `i` too, if it may.
    fn share(
        &mut self,
        i: usize,
        index: usize,
        line: &Line,
        scripts: &[&Script],
    ) -> Result<(), String> {
        let first = self.spoken_in[i][0];
        if self.lines[i].text != line.text {
            return Err(format!(
                "cue {:?} has one text in {} and another in {}; one clip cannot speak both",
                line.cue, scripts[first].origin, scripts[index].origin
            ));
        }
        if words(&line.text) >= LONG_LINE_WORDS {
            for &other in &self.spoken_in[i] {
                if let (Some(a), Some(b)) = (scripts[other].pace, scripts[index].pace)
                    && a.overlap(&b).is_none()
                {
                    return Err(format!(
                        "cue {:?} ({} words) is spoken in {} ({}) and {} ({}), whose pace ranges do not overlap; one clip cannot be at both paces: give each session its own cue",
                        line.cue,
                        words(&line.text),
                        scripts[other].origin,
                        a.describe(),
                        scripts[index].origin,
                        b.describe()
                    ));
                }
            }
        }
        if !self.spoken_in[i].contains(&index) {
            self.spoken_in[i].push(index);
        }
        Ok(())
    }

    /// Every line, each cue once.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter()
    }

    /// The lines with where each is first spoken: a step's title, or a part of the hold.
    pub fn placed(&self) -> impl Iterator<Item = (&str, &Line)> {
        self.places.iter().map(String::as_str).zip(&self.lines)
    }

    /// The sessions the lines come from, in the order given.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Every line with the sessions that speak it (indices into [`Lines::sessions`]).
    pub fn spoken(&self) -> impl Iterator<Item = (&Line, &[usize])> {
        self.lines
            .iter()
            .zip(self.spoken_in.iter().map(Vec::as_slice))
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
        raw::parse(source, origin)
    }

    /// The session's name: its script's file stem (`bedtime` for `<built-in
    /// script/bedtime.toml>` and for `script/bedtime.toml`).
    pub fn name(&self) -> String {
        let file = self
            .origin
            .trim_matches(['<', '>'])
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("");
        file.strip_suffix(".toml").unwrap_or(file).to_owned()
    }

    /// Every spoken line of the script, each cue once, in script order.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.placed_lines().map(|(_, line)| line)
    }

    /// [`Script::lines`] with where each is spoken: its step's title, or the part of the hold
    /// (breathing in, breathing out, holding the breath, reminders, time remaining), or the set
    /// announcements.
    pub fn placed_lines(&self) -> impl Iterator<Item = (&str, &Line)> {
        fn placed<'a>(
            place: &'a str,
            lines: &'a [Line],
        ) -> impl Iterator<Item = (&'a str, &'a Line)> {
            lines.iter().map(move |l| (place, l))
        }
        let hold = &self.hold;
        self.steps
            .iter()
            .flat_map(|s| s.lines.iter().map(|l| (s.title.as_str(), l)))
            .chain(placed("Hold · breathing in", &hold.inhale))
            .chain(placed("Hold · breathing out", &hold.exhale))
            .chain(placed("Hold · holding the breath", &hold.hold))
            .chain(placed("Hold · reminders", &hold.reminders))
            .chain(
                hold.remaining
                    .iter()
                    .map(|r| ("Hold · time remaining", &r.line)),
            )
            .chain(placed("Set announcements", &self.announce))
    }

    /// The primary subtag of the session's language (`de`): see [`Script::language`]'s field;
    /// English when nothing says otherwise.
    pub fn language(&self) -> String {
        self.language
            .as_deref()
            .and_then(crate::language::primary)
            .unwrap_or_else(|| crate::language::ENGLISH.to_owned())
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
