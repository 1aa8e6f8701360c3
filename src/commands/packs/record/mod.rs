//! `packs record`: a voice pack read aloud into the microphone, one line at a time, on a full
//! screen; each take kept in the pack's `raw/` folder as it ends, and the pack made from them
//! through the one clip pipeline when every line has a take (or on `--finish`).
//!
//! The lines are those the pack commands work on (`app::pack_lines`: the `--script` session,
//! else every built-in session), so a language filter there reaches recording too. The flow
//! itself ([`flow`]) is a state machine over the [`Microphone`] and [`Playback`] traits, tested
//! with a mock microphone; this file opens the real ones, asks who speaks, runs the screen and
//! makes the pack.

mod flow;
mod levels;
mod screen;
mod takes;

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::make::{Defaults, make_pack};
use super::{PacksError, RAW_FOLDER, check};
use crate::capture::{CpalMicrophone, Microphone};
use crate::cli::{PackInfo, RecordArgs};
use crate::decode::decode;
use crate::output::live::{Ending, Signals};
use crate::output::preview::{Playback, Speakers};
use crate::pack::Location;
use crate::script::{Line, Lines, When, is_cue_id};
use crate::terminal::{FullScreen, Keys};
use flow::{Entry, Flow, Key};
use screen::Heading;
use takes::{Draft, Takes};

/// How often the screen is drawn again (and the microphone read) when no key wakes the loop.
const TICK: Duration = Duration::from_millis(100);
/// The licence offered when the speaker is asked, as `packs new` writes it.
const DEFAULT_LICENCE: &str = "CC-BY-4.0";
/// The pack's language when neither `--language` nor the takes so far say one.
const LANGUAGE: &str = "en-US";

/// The language `packs record NAME` records in: `--language`, else the one the takes so far were
/// recorded in, else [`LANGUAGE`].
pub fn language(args: &RecordArgs, base: &Path) -> String {
    let recorded = is_cue_id(&args.name)
        .then(|| Takes::of(&base.join("audio").join(&args.name)).draft())
        .flatten();
    chosen_language(args, recorded.as_ref())
}

/// `--language`, else the language of the draft `known` (the takes so far), else [`LANGUAGE`].
fn chosen_language(args: &RecordArgs, known: Option<&Draft>) -> String {
    args.language
        .clone()
        .or_else(|| known.map(|d| d.language.clone()))
        .unwrap_or_else(|| LANGUAGE.into())
}

/// Runs `packs record`: the flow on the microphone, then the pack made when every line has a
/// take; with `--finish`, only the making. Prints its report.
pub fn record(args: &RecordArgs, script: &Lines, base: &Path) -> Result<Ending, PacksError> {
    let dir = folder(&args.name, base)?;
    let entries = entries(script);
    let start = match &args.line {
        Some(cue) => Some(line_index(&entries, cue)?),
        None => None,
    };
    let takes = Takes::of(&dir);
    if args.finish {
        let draft = speaker(args, &takes)?;
        return report(finish(&args.name, &dir, script, &draft, base)).map(|()| Ending::Finished);
    }
    // The microphone first: without one, nothing is asked and nothing written.
    let mic = CpalMicrophone::open().map_err(|e| PacksError::NoMicrophone(e.to_string()))?;
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(PacksError::Usage(
            "packs record reads keys and draws on a terminal: run it in one (or make the pack \
             from the takes with --finish)"
                .into(),
        ));
    }
    let draft = speaker(args, &takes)?;
    takes.write_draft(&draft).map_err(|e| PacksError::Write {
        path: takes.dir().to_path_buf(),
        message: e.to_string(),
    })?;
    let signals = Signals::install().map_err(|e| PacksError::System(e.to_string()))?;
    let heading = Heading {
        pack: args.name.clone(),
        speaker: format!("{} · {}", draft.voice, draft.licence),
        folder: format!("{}/", takes.dir().display()),
    };
    let flow = Flow::new(
        mic,
        Speakers::default(),
        takes.clone(),
        entries,
        start,
        Duration::ZERO,
    )
    .map_err(|e| PacksError::NoMicrophone(e.to_string()))?;
    let (ending, summary) = run(flow, &heading, &signals)?;
    let mut out = summary;
    let _ = write!(out, "{}", next_step(ending, &args.name));
    print(&out);
    match ending {
        flow::Ending::Finish => {
            report(finish(&args.name, &dir, script, &draft, base)).map(|()| Ending::Finished)
        }
        flow::Ending::Quit => Ok(Ending::Quit),
        flow::Ending::Interrupted => Ok(Ending::Interrupted),
        flow::Ending::Terminated => Ok(Ending::Terminated),
    }
}

/// `<base>/audio/NAME`, checked: a valid name, and a folder that is new or holds takes.
fn folder(name: &str, base: &Path) -> Result<PathBuf, PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() && !dir.join(RAW_FOLDER).is_dir() {
        return Err(PacksError::Usage(format!(
            "{} exists and holds no takes (no {RAW_FOLDER}/ folder): record under another name",
            dir.display()
        )));
    }
    Ok(dir)
}

/// The lines to record, with what each is for.
fn entries(script: &Lines) -> Vec<Entry> {
    script
        .placed()
        .map(|(place, line)| Entry {
            cue: line.cue.clone(),
            text: line.text.clone(),
            place: place.to_owned(),
            guidance: line.guidance.clone(),
            condition: condition(line),
        })
        .collect()
}

/// What else a line depends on: choices (`variation wide-knee`), the set, props tips.
fn condition(line: &Line) -> Option<String> {
    let mut parts: Vec<String> = line.only.iter().map(|(k, v)| format!("{k} {v}")).collect();
    match line.when {
        When::First => parts.push("first set only".into()),
        When::Later => parts.push("later sets only".into()),
        When::Always => {}
    }
    if line.tips {
        parts.push("a props tip".into());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The index of the line `--line` names.
fn line_index(entries: &[Entry], cue: &str) -> Result<usize, PacksError> {
    entries.iter().position(|e| e.cue == cue).ok_or_else(|| {
        let some: Vec<&str> = entries.iter().take(4).map(|e| e.cue.as_str()).collect();
        PacksError::Usage(format!(
            "--line {cue:?}: no line to record has that cue ({} lines: {}, …)",
            entries.len(),
            some.join(", ")
        ))
    })
}

/// Who speaks and the licence: from the options, else from the draft in `raw/`, else asked
/// once on the terminal (the licence offering [`DEFAULT_LICENCE`]).
fn speaker(args: &RecordArgs, takes: &Takes) -> Result<Draft, PacksError> {
    let known = takes.draft();
    let voice = args
        .speaker
        .clone()
        .or_else(|| known.as_ref().map(|d| d.voice.clone()));
    let licence = args
        .licence
        .clone()
        .or_else(|| known.as_ref().map(|d| d.licence.clone()));
    let language = chosen_language(args, known.as_ref());
    if let (Some(voice), Some(licence)) = (&voice, &licence) {
        return Ok(Draft {
            voice: voice.clone(),
            licence: licence.clone(),
            language,
        });
    }
    let needed = || {
        PacksError::Usage(format!(
            "packs record {} needs --speaker NAME and --licence SPDX-ID the first time (or a \
             terminal to ask on)",
            args.name
        ))
    };
    if !std::io::stdin().is_terminal() {
        return Err(needed());
    }
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout());
    let mut ask = |question: &str, default: Option<&str>| {
        ask(question, default, &mut input, &mut output).ok_or_else(needed)
    };
    let voice = match voice {
        Some(v) => v,
        None => ask("Who is speaking? (the pack's voice, e.g. your name)", None)?,
    };
    let licence = match licence {
        Some(l) => l,
        None => ask(
            "The licence of the recordings (an SPDX id, e.g. CC-BY-4.0 or CC0-1.0)",
            Some(DEFAULT_LICENCE),
        )?,
    };
    Ok(Draft {
        voice,
        licence,
        language,
    })
}

/// Asks `question` until an answer comes (the `default` for an empty one); `None` at the end of
/// the input.
fn ask(
    question: &str,
    default: Option<&str>,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Option<String> {
    loop {
        let offer = default.map_or(String::new(), |d| format!(" [{d}]"));
        let _ = write!(output, "{question}{offer}: ");
        let _ = output.flush();
        let mut answer = String::new();
        if input.read_line(&mut answer).ok()? == 0 {
            return None;
        }
        match (answer.trim(), default) {
            ("", Some(d)) => return Some(d.to_owned()),
            ("", None) => continue,
            (given, _) => return Some(given.to_owned()),
        }
    }
}

/// The key a press means in the flow, if any.
fn key_for(key: KeyEvent) -> Option<Key> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c') | KeyCode::Char('d'))
            .then_some(Key::Interrupt);
    }
    Some(match key.code {
        KeyCode::Char(' ') | KeyCode::Enter => Key::Toggle,
        KeyCode::Char('p') => Key::Play,
        KeyCode::Char('r') => Key::Again,
        KeyCode::Right | KeyCode::Char('n') => Key::Next,
        KeyCode::Left | KeyCode::Char('b') => Key::Back,
        KeyCode::Char('s') => Key::Skip,
        KeyCode::Char('q') => Key::Quit,
        _ => return None,
    })
}

/// Runs the flow on the full screen until it ends: keys as they come, the microphone read and
/// the screen drawn every [`TICK`], signals polled. Returns how it ended and what to print once
/// the screen is gone.
fn run<M: Microphone, P: Playback>(
    mut flow: Flow<M, P>,
    heading: &Heading,
    signals: &Signals,
) -> Result<(flow::Ending, String), PacksError> {
    let (send, pressed) = std::sync::mpsc::channel();
    let keys = Keys::start_with(send, key_for)
        .ok_or_else(|| PacksError::System("the terminal would not take raw mode".into()))?;
    let mut screen = FullScreen::enter().map_err(|e| PacksError::System(e.to_string()))?;
    let clock = Instant::now();
    let ending = loop {
        match pressed.recv_timeout(TICK) {
            Ok(key) => flow.press(key, clock.elapsed()),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(TICK),
        }
        while let Ok(key) = pressed.try_recv() {
            flow.press(key, clock.elapsed());
        }
        flow.tick(clock.elapsed());
        if let Some(signal) = signals.ending() {
            flow.end(match signal {
                Ending::Terminated => flow::Ending::Terminated,
                _ => flow::Ending::Interrupted,
            });
        }
        if let Some(ending) = flow.ending() {
            break ending;
        }
        let width = screen.width();
        let _ = screen.draw(&screen::rows(heading, &flow.view(clock.elapsed()), width));
    };
    // The screen goes, then raw mode, before anything is printed.
    drop(screen);
    drop(keys);
    let (recorded, count) = flow.progress();
    let mut summary = format!(
        "{recorded} of {count} lines have a take in {}\n",
        heading.folder
    );
    if let Some(cue) = flow.discarded() {
        let _ = writeln!(summary, "the take of {cue} that was running is not kept");
    }
    Ok((ending, summary))
}

/// What to run next, after the flow ended with `ending`.
fn next_step(ending: flow::Ending, name: &str) -> String {
    match ending {
        flow::Ending::Finish => "every line has a take: making the pack\n".into(),
        _ => format!(
            "go on with: balasana-audio packs record {name}\n\
             make the pack from the takes so far: balasana-audio packs record {name} --finish\n"
        ),
    }
}

/// Makes the pack in `dir` from its takes through the one pipeline (lines without a take are
/// left out), keeping `raw/`, then checks it: the report is returned with the outcome.
fn finish(
    name: &str,
    dir: &Path,
    script: &Lines,
    draft: &Draft,
    base: &Path,
) -> (String, Result<(), PacksError>) {
    let mut out = String::new();
    let result = make(name, dir, script, draft, &mut out).and_then(|()| {
        let location = Location::Folder(dir.to_path_buf());
        let report = check::check(&location, script, &check::library_cues(base))?;
        let _ = write!(out, "\n{report}");
        report.verdict()
    });
    (out, result)
}

/// Decodes every take and makes the pack from them ([`make_pack`]).
fn make(
    name: &str,
    dir: &Path,
    script: &Lines,
    draft: &Draft,
    out: &mut String,
) -> Result<(), PacksError> {
    let takes = Takes::of(dir);
    let mut raw = Vec::new();
    for line in script.lines().filter(|l| takes.has(&l.cue)) {
        let path = takes.path(&line.cue);
        let unreadable = |message: String| PacksError::Raw {
            path: path.clone(),
            message,
        };
        let bytes = std::fs::read(&path).map_err(|e| unreadable(e.to_string()))?;
        let clip = decode(bytes).map_err(|e| unreadable(format!("cannot decode: {e}")))?;
        raw.push((line.cue.clone(), clip));
    }
    if raw.is_empty() {
        return Err(PacksError::Usage(format!(
            "no takes in {} yet: record some with balasana-audio packs record {name}",
            takes.dir().display()
        )));
    }
    let info = PackInfo {
        voice_name: None,
        language: draft.language.clone(),
        licence: None,
        licence_file: None,
        credits: None,
        generated_by: None,
        synthesis: None,
    };
    let defaults = Defaults {
        voice: draft.voice.clone(),
        licence: draft.licence.clone(),
        credits: format!("recorded by {}", draft.voice),
        generated_by: format!("balasana-audio packs record {name}"),
        synthesis: "read aloud into a microphone (balasana-audio packs record)".into(),
    };
    make_pack(name, dir, raw, &info, defaults, script, out)
}

/// Prints a report and passes its outcome on.
fn report((out, result): (String, Result<(), PacksError>)) -> Result<(), PacksError> {
    print(&out);
    result
}

/// Writes `text` to standard output.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(language: Option<&str>) -> RecordArgs {
        RecordArgs {
            name: "mine".into(),
            script: None,
            language: language.map(Into::into),
            line: None,
            finish: false,
            speaker: None,
            licence: None,
        }
    }

    #[test]
    fn the_language_is_the_option_else_the_takes_else_english() {
        let base = tempfile::tempdir().unwrap();
        assert_eq!(language(&args(None), base.path()), "en-US");
        let takes = Takes::of(&base.path().join("audio/mine"));
        let draft = Draft {
            voice: "Ana".into(),
            licence: "CC0-1.0".into(),
            language: "es-ES".into(),
        };
        takes.write_draft(&draft).unwrap();
        assert_eq!(language(&args(None), base.path()), "es-ES");
        assert_eq!(language(&args(Some("de-DE")), base.path()), "de-DE");
    }
}
