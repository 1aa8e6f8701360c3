//! Transcripts: every spoken line of a timeline with its start and end, as SubRip (`.srt`),
//! WebVTT (`.vtt`) or plain text (`.txt`). The text is the script's, verbatim.

use std::fmt::Write;
use std::path::Path;

use crate::timeline::{Layer, Timeline};

/// A transcript file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SubRip subtitles: numbered cues, `00:00:01,000 --> 00:00:04,500`.
    Srt,
    /// WebVTT subtitles: `WEBVTT`, cues `00:00:01.000 --> 00:00:04.500`.
    Vtt,
    /// Plain text for reading: step headings, then `[00:01] line` per line.
    Txt,
}

/// The extensions a transcript may have.
pub const EXTENSIONS: &str = ".srt, .vtt or .txt";

impl Format {
    /// The format a file's extension asks for.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "srt" => Some(Format::Srt),
            "vtt" => Some(Format::Vtt),
            "txt" => Some(Format::Txt),
            _ => None,
        }
    }
}

/// `hh:mm:ss` + `sep` + `mmm` of a frame of `timeline`.
fn stamp(timeline: &Timeline, frame: u64, sep: char) -> String {
    crate::units::timestamp(frame, timeline.rate, sep)
}

/// The transcript of `timeline` in `format`; `title` heads the plain-text one.
pub fn render(timeline: &Timeline, format: Format, title: &str) -> String {
    let spoken = timeline
        .events
        .iter()
        .filter(|e| e.layer == Layer::Voice)
        .filter_map(|e| Some((e, e.text.as_deref()?)));
    let mut out = String::new();
    match format {
        Format::Srt => {
            for (i, (e, text)) in spoken.enumerate() {
                let _ = writeln!(
                    out,
                    "{}\n{} --> {}\n{text}\n",
                    i + 1,
                    stamp(timeline, e.frame, ','),
                    stamp(timeline, e.end(), ',')
                );
            }
        }
        Format::Vtt => {
            out.push_str("WEBVTT\n\n");
            for (e, text) in spoken {
                let _ = writeln!(
                    out,
                    "{} --> {}\n{text}\n",
                    stamp(timeline, e.frame, '.'),
                    stamp(timeline, e.end(), '.')
                );
            }
        }
        Format::Txt => {
            let _ = writeln!(out, "{title}");
            let mut steps = timeline.steps.iter().peekable();
            for (e, text) in spoken {
                while let Some(step) = steps.next_if(|s| s.frame <= e.frame) {
                    let _ = writeln!(out, "\n{}", timeline.step_title(step));
                }
                let _ = writeln!(
                    out,
                    "[{} → {}] {text}",
                    stamp(timeline, e.frame, '.'),
                    stamp(timeline, e.end(), '.')
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Event, StepStart};

    fn timeline() -> Timeline {
        let voice = |frame, text: &str| Event {
            frame,
            layer: Layer::Voice,
            cue: "c".into(),
            text: Some(text.into()),
            duration: 1500,
            set: None,
            step: "s".into(),
            gain: 1.0,
        };
        let chime = Event {
            layer: Layer::Chime,
            text: None,
            ..voice(0, "")
        };
        Timeline {
            rate: 1000,
            sets: 1,
            events: vec![
                chime,
                voice(500, "Hello, \"you\"."),
                voice(3_723_004, "Bye."),
            ],
            holds: Vec::new(),
            steps: vec![StepStart {
                step: "s".into(),
                title: "Welcome".into(),
                set: None,
                frame: 0,
            }],
            duration: 3_724_504,
            tail: 0,
            labels: Default::default(),
        }
    }

    #[test]
    fn srt_numbers_cues_with_comma_milliseconds() {
        let srt = render(&timeline(), Format::Srt, "T");
        assert_eq!(
            srt,
            "1\n00:00:00,500 --> 00:00:02,000\nHello, \"you\".\n\n\
             2\n01:02:03,004 --> 01:02:04,504\nBye.\n\n"
        );
    }

    #[test]
    fn vtt_has_header_and_dot_milliseconds() {
        let vtt = render(&timeline(), Format::Vtt, "T");
        assert!(vtt.starts_with("WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nHello"));
    }

    #[test]
    fn txt_has_title_and_step_headings() {
        let txt = render(&timeline(), Format::Txt, "Title");
        assert_eq!(
            txt,
            "Title\n\nWelcome\n[00:00:00.500 → 00:00:02.000] Hello, \"you\".\n\
             [01:02:03.004 → 01:02:04.504] Bye.\n"
        );
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::from_path(Path::new("a.SRT")), Some(Format::Srt));
        assert_eq!(Format::from_path(Path::new("a.vtt")), Some(Format::Vtt));
        assert_eq!(Format::from_path(Path::new("a.txt")), Some(Format::Txt));
        assert_eq!(Format::from_path(Path::new("a.doc")), None);
        assert_eq!(Format::from_path(Path::new("a")), None);
    }
}
