//! Whether a session goes into the practice log and what its entry says ([`log_entry`], pure),
//! and the writing of it ([`append`]).

use std::time::Duration;

use jiff::ZonedDateTime;

use super::describe::About;
use crate::output::live::Ending;
use crate::practice::{self, Entry};
use crate::script::Script;
use crate::timeline::Options;

/// How a session went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Its plan was printed.
    Planned,
    /// It was written to a file, a pipe or standard output.
    Rendered,
    /// It played live.
    Played(Played),
}

/// A live session as it was heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Played {
    /// When it started, in the zone it was played in, to the second.
    pub started: ZonedDateTime,
    /// Time listened: wall time while playing, pauses and reconnections left out.
    pub listened: Duration,
    /// How it ended.
    pub ending: Ending,
    /// Seconds the session lasts at the rate it played at.
    pub seconds: f64,
}

/// The practice-log entry for the session of `script` with `options` in the pack named `voice`,
/// played by the name or path `name`, that went as `outcome`; `None` when nothing is logged.
/// Plans and renders are never logged; a live session is, unless `no_log`, once at least
/// [`practice::MIN_SECONDS`] of it were heard. What was heard counts (to a tenth of a second),
/// never more than the session's length.
pub fn log_entry(
    script: &Script,
    options: &Options,
    voice: &str,
    name: &str,
    no_log: bool,
    outcome: &Outcome,
) -> Option<Entry> {
    let Outcome::Played(played) = outcome else {
        return None;
    };
    let about = About {
        script,
        options,
        voice,
        seconds: played.seconds,
    };
    let heard = played.listened.as_secs_f64().min(about.seconds);
    if no_log || heard < practice::MIN_SECONDS {
        return None;
    }
    Some(Entry {
        start: played.started.clone(),
        script: name.to_owned(),
        title: script.title.clone(),
        options: about.logged_options(),
        planned_seconds: about.seconds,
        played_seconds: (heard * 10.0).round() / 10.0,
        completed: played.ending == Ending::Finished,
    })
}

/// Appends `entry` to the practice log. A session is never spoiled by its log: a failure comes
/// back as a note to print, not as an error.
pub fn append(entry: &Entry) -> Option<String> {
    let Some(path) = crate::paths::log_file() else {
        return Some(practice::LogError::NoFolder.to_string());
    };
    practice::append(&path, entry).err().map(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn played(seconds: f64, ending: Ending) -> Outcome {
        Outcome::Played(Played {
            started: "2026-11-26T07:30:00+01:00[Europe/Paris]".parse().unwrap(),
            listened: Duration::from_secs_f64(seconds),
            ending,
            seconds: 400.0,
        })
    }

    /// Logs a session of 400 s that went as `outcome`.
    fn entry(no_log: bool, outcome: &Outcome) -> Option<Entry> {
        let script = Script::parse(crate::script::EMBEDDED, "balasana.toml").unwrap();
        let options = Options::defaults(&script);
        log_entry(&script, &options, "heart", "balasana", no_log, outcome)
    }

    #[test]
    fn plans_and_renders_are_never_logged() {
        assert_eq!(entry(false, &Outcome::Planned), None);
        assert_eq!(entry(false, &Outcome::Rendered), None);
    }

    #[test]
    fn a_live_session_is_logged_with_what_was_heard() {
        let e = entry(false, &played(123.456, Ending::Finished)).unwrap();
        assert_eq!(e.played_seconds, 123.5);
        assert_eq!(e.planned_seconds, 400.0);
        assert!(e.completed);
        assert_eq!(e.script, "balasana");
        assert_eq!(e.options["voice"], "heart");
        assert_eq!(
            e.start.to_string(),
            "2026-11-26T07:30:00+01:00[Europe/Paris]"
        );
        // Stopped early: logged, not completed; never more heard than the session lasts.
        let e = entry(false, &played(900.0, Ending::Quit)).unwrap();
        assert!(!e.completed);
        assert_eq!(e.played_seconds, 400.0);
    }

    #[test]
    fn no_log_and_short_sessions_are_not_logged() {
        assert_eq!(entry(true, &played(300.0, Ending::Finished)), None);
        assert_eq!(entry(false, &played(9.9, Ending::Interrupted)), None);
        assert!(entry(false, &played(10.0, Ending::Terminated)).is_some());
    }
}
