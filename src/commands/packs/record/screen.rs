//! What the recording screen shows, as rows of text: the pack, progress, the line and what it is
//! for, the state with a level meter, the latest notes and the keys. Drawing them is the
//! terminal's (`terminal::FullScreen`).

use super::flow::{Shown, View};
use super::levels::{self, CLIP_DBFS};

/// The keys, as the last row says them.
pub const KEYS: &str =
    "space/Enter start·stop · p play · r again · →/n next · ←/b back · s skip · q quit";

/// Width of the level meter, in characters.
const METER: usize = 30;

/// What the screen heading says of the pack: its name, who speaks and where the takes go.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The pack's name.
    pub pack: String,
    /// Who speaks, and the licence.
    pub speaker: String,
    /// The takes' folder, as shown.
    pub folder: String,
}

/// The screen's rows for `view`, `width` columns wide.
pub fn rows(heading: &Heading, view: &View, width: usize) -> Vec<String> {
    let entry = view.entry;
    let (rate, channels) = view.format;
    let mut rows = vec![
        format!(
            "Recording voice pack \"{}\" · {} · into {}",
            heading.pack, heading.speaker, heading.folder
        ),
        format!(
            "{} / {} recorded · line {} of {} · microphone {rate} Hz, {channels} ch{}",
            view.recorded,
            view.count,
            view.index + 1,
            view.count,
            view.room.map_or(String::new(), |r| format!(
                " · room {} RMS",
                levels::dbfs(r)
            ))
        ),
        String::new(),
        format!(
            "{} · cue {} · guidance: {}{}",
            entry.place,
            entry.cue,
            entry.guidance.join(", "),
            entry
                .condition
                .as_ref()
                .map_or(String::new(), |c| format!(" · {c}"))
        ),
        String::new(),
    ];
    let text = format!("“{}”", entry.text);
    rows.extend(wrap(&text, width.saturating_sub(8).max(20)).map(|l| format!("    {l}")));
    rows.push(String::new());
    rows.push(state(view));
    rows.push(String::new());
    for note in view.notes {
        let mark = if note.warning { "warning: " } else { "" };
        rows.extend(wrap(&format!("{mark}{}", note.text), width.max(20)));
    }
    rows.push(String::new());
    rows.push(KEYS.into());
    rows
}

/// The state row: what is happening, and the meter while the microphone listens.
fn state(view: &View) -> String {
    let meter = format!(
        "{}  {}{}",
        levels::meter(view.level, METER),
        levels::dbfs(view.level),
        if view.level >= CLIP_DBFS {
            "  CLIP"
        } else {
            ""
        }
    );
    match view.shown {
        Shown::Room { left } => format!(
            "… measuring the room: stay quiet for {:.0} s   {meter}",
            left.as_secs_f64().ceil()
        ),
        Shown::Taking {
            seconds,
            stopping: false,
        } => format!("● REC {seconds:5.1} s   {meter}"),
        Shown::Taking { seconds, .. } => format!("● stopping {seconds:5.1} s   {meter}"),
        Shown::Ready { playing: true } => "▶ playing the take (p stops)".into(),
        Shown::Ready { playing: false } if view.has_take => {
            format!("○ this line has a take (p plays it, r records it again, space too)   {meter}")
        }
        Shown::Ready { playing: false } => {
            format!("○ no take yet: space starts one   {meter}")
        }
        Shown::Lost => "✕ no microphone: waiting for it to come back (q quits)".into(),
    }
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> impl Iterator<Item = String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.into_iter()
}

#[cfg(test)]
mod tests {
    use super::super::flow::{Entry, Note};
    use super::*;
    use std::time::Duration;

    #[test]
    fn words_wrap_at_the_width() {
        let lines: Vec<String> = wrap("one two three four", 9).collect();
        assert_eq!(lines, ["one two", "three", "four"]);
        assert_eq!(wrap("", 9).collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn the_screen_shows_the_line_what_it_is_for_and_the_state() {
        let entry = Entry {
            cue: "settle-belly".into(),
            text: "Let your belly rest heavy on your thighs.".into(),
            place: "Settle".into(),
            guidance: vec!["full".into(), "brief".into()],
            condition: Some("variation wide-knee".into()),
        };
        let notes = [Note {
            text: "the take clips".into(),
            warning: true,
        }];
        let view = View {
            entry: &entry,
            index: 36,
            count: 107,
            recorded: 36,
            has_take: false,
            shown: Shown::Taking {
                seconds: 3.3,
                stopping: false,
            },
            level: -12.0,
            room: Some(-63.0),
            notes: &notes,
            format: (48_000, 1),
        };
        let heading = Heading {
            pack: "mine".into(),
            speaker: "Ana · CC-BY-4.0".into(),
            folder: "audio/mine/raw/".into(),
        };
        let rows = rows(&heading, &view, 40);
        let screen = rows.join("\n");
        assert!(
            screen.contains("36 / 107 recorded · line 37 of 107"),
            "{screen}"
        );
        assert!(screen.contains("room -63.0 dBFS RMS"), "{screen}");
        assert!(
            screen.contains(
                "Settle · cue settle-belly · guidance: full, brief · variation wide-knee"
            ),
            "{screen}"
        );
        assert!(
            screen.contains("    “Let your belly rest heavy on"),
            "{screen}"
        );
        assert!(
            screen.contains("● REC   3.3 s   ████████████████████"),
            "{screen}"
        );
        assert!(screen.contains("warning: the take clips"), "{screen}");
        assert_eq!(rows.last().unwrap(), KEYS);
        let room = View {
            shown: Shown::Room {
                left: Duration::from_millis(2100),
            },
            ..view
        };
        assert!(state(&room).starts_with("… measuring the room: stay quiet for 3 s"));
    }
}
