//! What a session is, said once and read everywhere: the plan's heading, a render's tags and
//! chapters, and the options a practice-log entry records all come from one [`About`] value,
//! never from each other's text.

use crate::codec::{Chapter, Metadata};
use crate::script::{BreathPhases, Script};
use crate::timeline::{Options, Timeline};
use crate::units::clock;

/// A session as it is described: its script, options, voice and length.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The session's script.
    pub script: &'a Script,
    /// The options it plays with.
    pub options: &'a Options,
    /// The voice pack's name.
    pub voice: &'a str,
    /// Seconds it lasts.
    pub seconds: f64,
}

impl About<'_> {
    /// The plan's and live playback's heading: the title, then [`About::summary`].
    pub fn heading(&self) -> String {
        format!("{}\n{}", self.script.title, self.summary())
    }

    /// One line: sets, hold, rest, breath, what differs from the session's defaults (in the
    /// order of the options), the voice and the length.
    pub fn summary(&self) -> String {
        let o = self.options;
        let sets = if o.sets == 1 {
            "1 set".to_owned()
        } else {
            format!("{} sets", o.sets)
        };
        let rest = if o.sets > 1 {
            format!(" · rest {} s", o.rest)
        } else {
            String::new()
        };
        let defaults = Options::defaults(self.script);
        let mut extras = String::new();
        if o.guidance != defaults.guidance {
            extras.push_str(&format!(" · {} guidance", o.guidance));
        }
        for (name, value) in &o.choices {
            if defaults.choices.get(name) != Some(value) {
                extras.push_str(&format!(" · {name} {value}"));
            }
        }
        if o.pacing != defaults.pacing {
            extras.push_str(&format!(" · {} pacing", o.pacing.name()));
        }
        if let Some(bell) = o.bell {
            extras.push_str(&format!(" · bell every {bell} s"));
        }
        format!(
            "{sets} × {} s hold{rest} · breath {}{extras} · voice {} · {} in all",
            o.hold,
            self.breath(),
            self.voice,
            clock(self.seconds)
        )
    }

    /// How the breath reads: `4:6`, `4:7:8:0`, or a pattern's name with its seconds.
    pub fn breath(&self) -> String {
        let b: &BreathPhases = &self.options.breath;
        let seconds = if b.hold == 0.0 && b.rest == 0.0 {
            format!("{}:{}", b.inhale, b.exhale)
        } else {
            format!("{}:{}:{}:{}", b.inhale, b.hold, b.exhale, b.rest)
        };
        match self.script.breath_patterns.iter().find(|p| p.phases == *b) {
            Some(p) => format!("{} ({seconds})", p.name),
            None => seconds,
        }
    }

    /// A render's tags and one chapter per step of `timeline`: the comment is the summary, with
    /// no chimes and the ambience bed said when they apply; `artist` is who speaks, `date` the
    /// render's.
    pub fn metadata(
        &self,
        timeline: &Timeline,
        ambience: Option<&str>,
        artist: &str,
        date: String,
    ) -> Metadata {
        let mut comment = self.summary();
        if !self.options.chimes {
            comment.push_str(" · no chimes");
        }
        if let Some(bed) = ambience {
            comment.push_str(&format!(" · ambience {bed}"));
        }
        comment.push_str(concat!(" · balasana-audio ", env!("CARGO_PKG_VERSION")));
        Metadata {
            title: self.script.title.clone(),
            artist: artist.to_owned(),
            album: "balasana-audio".to_owned(),
            date,
            comment,
            chapters: chapters(timeline),
        }
    }

    /// The options a practice-log entry records, by name.
    pub fn logged_options(&self) -> serde_json::Map<String, serde_json::Value> {
        let o = self.options;
        let mut m = serde_json::Map::new();
        m.insert("hold".into(), o.hold.into());
        m.insert("sets".into(), o.sets.into());
        m.insert("rest".into(), o.rest.into());
        m.insert("breath".into(), self.breath().into());
        m.insert("guidance".into(), o.guidance.clone().into());
        for (name, value) in &o.choices {
            m.insert(name.clone(), value.clone().into());
        }
        m.insert("tips".into(), o.tips.into());
        m.insert("pacing".into(), o.pacing.name().into());
        if let Some(bell) = o.bell {
            m.insert("bell".into(), bell.into());
        }
        m.insert("voice".into(), self.voice.into());
        m
    }
}

/// One chapter per step, at the step's first event (where the plan shows the step begin).
fn chapters(t: &Timeline) -> Vec<Chapter> {
    t.steps
        .iter()
        .map(|s| Chapter {
            frame: t
                .events
                .get(t.events.partition_point(|e| e.frame < s.frame))
                .map_or(s.frame, |e| e.frame),
            title: t.step_title(s),
        })
        .collect()
}

/// `YYYY-MM-DD` (UTC) of a moment, for the DATE tag.
pub fn utc_date(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script() -> Script {
        Script::parse(crate::script::EMBEDDED, "balasana.toml").unwrap()
    }

    #[test]
    fn heading_comment_and_log_say_the_same_from_one_value() {
        let script = script();
        let mut options = Options::defaults(&script);
        options.sets = 1;
        options.breath = script.breath_patterns[0].phases;
        options.bell = Some(60.0);
        options.chimes = false;
        let about = About {
            script: &script,
            options: &options,
            voice: "joe",
            seconds: 125.5,
        };
        let summary = "1 set × 90 s hold · breath 4-7-8 (4:7:8:0) · bell every 60 s · voice joe \
                       · 02:05.500 in all";
        assert_eq!(about.heading(), format!("{}\n{summary}", script.title));
        let timeline = Timeline {
            rate: 1000,
            sets: 1,
            events: Vec::new(),
            holds: Vec::new(),
            steps: Vec::new(),
            duration: 125_500,
            tail: 0,
            labels: Default::default(),
        };
        let meta = about.metadata(&timeline, Some("ocean"), "Joe", "2026-01-02".into());
        assert_eq!(
            meta.comment,
            format!(
                "{summary} · no chimes · ambience ocean · balasana-audio {}",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(
            (meta.artist.as_str(), meta.date.as_str()),
            ("Joe", "2026-01-02")
        );
        let logged = about.logged_options();
        assert_eq!(logged["breath"], "4-7-8 (4:7:8:0)");
        assert_eq!(logged["bell"], 60.0);
        assert_eq!(logged["voice"], "joe");
        assert_eq!(logged["sets"], 1);
    }

    #[test]
    fn dates_are_civil_utc() {
        let at = |s| jiff::Timestamp::from_second(s).unwrap();
        assert_eq!(utc_date(at(0)), "1970-01-01");
        assert_eq!(utc_date(at(951_782_400)), "2000-02-29");
        assert_eq!(utc_date(at(1_798_761_599)), "2026-12-31");
    }
}
