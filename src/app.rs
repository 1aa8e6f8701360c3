//! What a command line does, from arguments to an ending: the only place that ties the pure core
//! (script, timeline, mixer) to the edges (files, device, terminal).

use std::io::Write;
use std::path::Path;

use crate::chime::Chime;
use crate::cli::{Breath, Command, PacksCommand, ScriptsCommand, SessionArgs};
use crate::config::{ConfigError, Settings, Source};
use crate::exit::Exit;
use std::sync::Arc;

use crate::codec::{Chapter, Metadata};
use crate::library::{self, LibraryError};
use crate::mix::{MixError, Mixer};
use crate::output::feeder::Supply;
use crate::output::live::{Ending, LiveError, Player, Signals};
use crate::output::render::{self, RenderError, Spec, render};
use crate::pack::{Location, PackError, PackFiles};
use crate::plan;
use crate::script::{BreathPhases, Fit, LIMITS, Limited, Lines, Script, ScriptError};
use crate::terminal::{Keys, Progress};
use crate::timeline::{self, Options, Timeline, TimelineError};
use crate::{commands, practice, transcript};

/// Everything that can end a run early, each with its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option outside what the script allows.
    #[error("{0}")]
    Usage(String),
    /// The script could not be read or is invalid.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The voice pack could not be found, read or decoded.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The script and pack cannot be sequenced.
    #[error("cannot build the session: {0}")]
    Timeline(#[from] TimelineError),
    /// The clips do not fit the timeline.
    #[error("cannot mix the session: {0}")]
    Mix(#[from] MixError),
    /// No audio device, or it failed.
    #[error(transparent)]
    Live(#[from] LiveError),
    /// The WAV file could not be written.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A `packs` command found a problem or could not finish.
    #[error(transparent)]
    Packs(#[from] crate::commands::packs::PacksError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    /// The config file or a `BALASANA_…` variable is invalid, or `config init` failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No such session in the library.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The transcript file could not be written.
    #[error("cannot write transcript {path}: {source}")]
    Transcript {
        /// The transcript path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The practice log could not be read.
    #[error(transparent)]
    Log(#[from] practice::LogError),

    /// Standard output could not be written.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
}

impl Error {
    /// How the process ends for this error.
    pub fn exit_code(&self) -> Exit {
        match self {
            Error::Usage(_) | Error::Config(_) => Exit::Usage,
            Error::Script(_) | Error::Library(_) => Exit::Script,
            Error::Timeline(TimelineError::MissingClip { .. }) => Exit::Pack,
            Error::Timeline(_) => Exit::Usage,
            Error::Pack(_) | Error::Mix(_) => Exit::Pack,
            Error::Live(_) => Exit::Device,
            Error::Render(_) | Error::Transcript { .. } | Error::Stdout(_) | Error::Log(_) => {
                Exit::Write
            }
            Error::Packs(e) => e.exit_code(),
            Error::Signals(_) => Exit::System,
        }
    }
}

/// Runs one command line; `base` is the folder where `script/` and `audio/` are looked for.
pub fn run(settings: &Settings, base: &Path) -> Result<Ending, Error> {
    let cli = &settings.cli;
    match &cli.command {
        Some(Command::Packs(command)) => {
            let spec = match command.as_ref() {
                PacksCommand::Check { script, .. } => script.as_deref(),
                _ => None,
            };
            commands::packs::run(command, &pack_lines(spec, base)?, base)?;
        }
        Some(Command::Scripts(ScriptsCommand::List)) => {
            let (listing, notes) = commands::scripts::list(base)?;
            for note in notes {
                eprintln!("note: {note}");
            }
            print(&listing)?;
        }
        Some(Command::Config(command)) => {
            let script = load_script(&cli.session, base)?;
            print(&commands::config::run(command, settings, &script)?)?;
        }
        Some(Command::Completions { shell }) => {
            write_stdout(&commands::completions::completions(*shell))?
        }
        Some(Command::Log {
            json,
            streak,
            recent,
        }) => print(&commands::log::show(*json, *streak, *recent)?)?,
        Some(Command::Man) => write_stdout(&commands::man::man().map_err(Error::Stdout)?)?,
        None => return session(settings, base),
    }
    Ok(Ending::Finished)
}

/// The lines a pack command works on: those of the session `spec` names, or else of every
/// built-in session (the default one as found: `./script/` may override it), which a shipped pack
/// must cover.
fn pack_lines(spec: Option<&str>, base: &Path) -> Result<Lines, Error> {
    let scripts = match spec {
        Some(spec) => vec![library::load(Some(spec), base)?],
        None => crate::script::BUILT_IN
            .iter()
            .map(|(name, _)| library::load(Some(name), base))
            .collect::<Result<_, _>>()?,
    };
    let refs: Vec<&Script> = scripts.iter().collect();
    Lines::of(&refs).map_err(Error::Usage)
}

/// Writes `text` to standard output as is; a closed pipe ends quietly.
fn print(text: &str) -> Result<(), Error> {
    write_stdout(text.as_bytes())
}

/// Writes bytes to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Plans, renders or plays the session.
fn session(settings: &Settings, base: &Path) -> Result<Ending, Error> {
    let cli = &settings.cli.session;
    let transcript_format = match &cli.transcript {
        Some(path) => Some(transcript::Format::from_path(path).ok_or_else(|| {
            Error::Usage(format!(
                "--transcript {}: unknown extension; use {}",
                path.display(),
                transcript::EXTENSIONS
            ))
        })?),
        None => None,
    };
    let script = load_script(cli, base)?;
    // Settings from the config file or the environment apply to every session; one that a
    // session does not offer (a guidance level, a variation) is a note there, not an error.
    let layered: Vec<(&str, String)> = settings
        .settings
        .iter()
        .filter(|s| matches!(s.source, Source::Environment(_) | Source::File { .. }))
        .map(|s| (s.key.as_str(), s.source.to_string()))
        .collect();
    let options = options(cli, &script, &layered)?;
    let format = match &cli.render {
        Some(path) => Some(
            render::choose_format(path, cli.format.map(Into::into), cli.quality)
                .map_err(Error::Usage)?,
        ),
        None => None,
    };
    let location = Location::find(cli.pack.as_deref(), base)?;
    let fallback = match (cli.strict, location.is_default()) {
        (false, false) => Some(Location::find(None, base)?),
        _ => None,
    };
    let pack = PackFiles::open(location, &script, fallback.as_ref())?;
    if !pack.borrowed.is_empty() {
        let n = pack.borrowed.len();
        let mut listed = pack
            .borrowed
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if n > 8 {
            listed.push_str(&format!(", and {} more", n - 8));
        }
        let (s, them) = if n == 1 { ("", "it") } else { ("s", "them") };
        eprintln!(
            "note: voice pack {:?} has no clip for {n} cue{s} ({listed}); the default voice speaks {them}",
            pack.manifest.name
        );
    }
    let signals = Signals::install().map_err(Error::Signals)?;

    if cli.plan || cli.render.is_some() {
        let timeline = timeline::build(
            &script,
            &options,
            &pack.lengths(render::RATE)?,
            render::RATE,
        )?;
        write_transcript(cli, transcript_format, &timeline, &script)?;
        if cli.plan {
            if let Some(name) = &cli.ambience {
                // Not mixed into a plan, but a missing bed is an error now, not at play time.
                let bed = pack.ambience(name, fallback.as_ref())?;
                bed.shape()?;
            }
            let out = if cli.json {
                plan::json(&timeline)
            } else {
                plan::table(&timeline, &heading(&script, &options, &pack, &timeline))
            };
            say(&out);
        } else if let (Some(path), Some(format)) = (&cli.render, format) {
            let supply = Supply::new(&pack, render::RATE, true);
            let bed = bed(cli, &pack, fallback.as_ref(), render::RATE)?;
            let mixer = with_bed(supply.mixer(&timeline, 0), &bed, cli, &timeline);
            let spec = Spec {
                format,
                quality: cli.quality,
                channels: render::CHANNELS,
                metadata: metadata(&script, &options, &pack, &timeline, cli),
            };
            let target = render::open(path)?;
            let written = match render(mixer, render::RATE, &spec, target, path, || {
                signals.ending().is_some() || supply.failed()
            }) {
                // A clip could not be prepared: nothing was written.
                Err(RenderError::Interrupted { .. }) if supply.failed() => {
                    let e = supply
                        .error()
                        .unwrap_or(PackError::Worker("a clip failed".into()));
                    return Err(e.into());
                }
                // Stopped by a signal: say so, and end as live playback does (130 or 143).
                Err(e @ RenderError::Interrupted { .. }) => {
                    eprintln!("balasana-audio: {e}");
                    return Ok(signals.ending().unwrap_or(Ending::Interrupted));
                }
                result => result?,
            };
            if !cli.quiet {
                let line = format!(
                    "wrote {} ({} of audio, {} Hz, {} channels, {})",
                    if written.to_stdout {
                        "standard output".to_owned()
                    } else {
                        path.display().to_string()
                    },
                    crate::units::clock(timeline.seconds(timeline.duration)),
                    render::RATE,
                    render::CHANNELS,
                    format.name()
                );
                // Audio on stdout: every message goes to stderr.
                if written.to_stdout {
                    eprintln!("{line}");
                } else {
                    say(&line);
                }
            }
        }
        return Ok(Ending::Finished);
    }

    // The device opens first (clips are prepared at its rate); the session starts as soon as
    // its first second is ready, and the rest is prepared while it plays.
    let mut player = Player::open()?;
    let rate = player.rate();
    let timeline = timeline::build(&script, &options, &pack.lengths(rate)?, rate)?;
    let supply = Supply::new(&pack, rate, false);
    let bed = bed(cli, &pack, fallback.as_ref(), rate)?;
    write_transcript(cli, transcript_format, &timeline, &script)?;
    let tones = (
        supply.clip(&crate::cue::Cue::from(Chime::Pause))?,
        supply.clip(&crate::cue::Cue::from(Chime::Resume))?,
    );
    let make = |from: u64| {
        let mut mixer = with_bed(supply.mixer(&timeline, from), &bed, cli, &timeline);
        mixer.wait_ready(crate::units::frames(START_READY_SECS, rate));
        mixer
    };
    if !cli.quiet {
        say(&heading(&script, &options, &pack, &timeline));
    }
    let keys = Keys::start();
    if !cli.quiet {
        say(if keys.is_some() {
            "Close your eyes; the voice will guide you.\r\n\
             Keys: space pause · → next step · ← restart step · +/- volume · q quit\r"
        } else {
            "Close your eyes; the voice will guide you. Ctrl-C stops with a short fade."
        });
    }
    let mut progress = Progress::new(cli.quiet, &timeline);
    // Whole seconds: the log is for people.
    let started = jiff::ZonedDateTime::now();
    let started = started.round(jiff::Unit::Second).unwrap_or(started);
    // Time listened: wall time between progress reports, pauses left out.
    let mut listened = std::time::Duration::ZERO;
    let mut last_report = std::time::Instant::now();
    let ending = player.play(
        make,
        &supply,
        &timeline,
        tones,
        &signals,
        keys.as_ref().map(Keys::requests),
        |status| {
            let now = std::time::Instant::now();
            if !status.paused && !status.reconnecting {
                listened += now - last_report;
            }
            last_report = now;
            progress.show(status);
        },
    );
    // The terminal leaves raw mode before anything more is printed.
    drop(keys);
    progress.finish();
    if let Some(e) = supply.error() {
        return Err(e.into());
    }
    let ending = ending?;
    if !cli.quiet {
        match ending {
            Ending::Finished => say("Session complete."),
            Ending::Quit | Ending::Interrupted | Ending::Terminated => say("Session stopped."),
        }
    }
    let played = listened
        .as_secs_f64()
        .min(timeline.seconds(timeline.duration));
    if !cli.no_log && played >= practice::MIN_SECONDS {
        let entry = practice::Entry {
            start: started,
            script: cli
                .script
                .clone()
                .unwrap_or_else(|| crate::script::DEFAULT_SESSION.to_owned()),
            title: script.title.clone(),
            options: logged_options(&script, &options, &pack),
            planned_seconds: timeline.seconds(timeline.duration),
            played_seconds: (played * 10.0).round() / 10.0,
            completed: ending == Ending::Finished,
        };
        // A session is never spoiled by its log: a failure to write it is a note.
        match crate::paths::log_file() {
            Some(path) => {
                if let Err(e) = practice::append(&path, &entry) {
                    eprintln!("note: {e}");
                }
            }
            None => eprintln!("note: {}", practice::LogError::NoFolder),
        }
    }
    Ok(ending)
}

/// The options a practice-log entry records.
fn logged_options(
    script: &Script,
    o: &Options,
    pack: &PackFiles,
) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("hold".into(), o.hold.into());
    m.insert("sets".into(), o.sets.into());
    m.insert("rest".into(), o.rest.into());
    m.insert("breath".into(), breath_text(script, &o.breath).into());
    m.insert("guidance".into(), o.guidance.clone().into());
    for (name, value) in &o.choices {
        m.insert(name.clone(), value.clone().into());
    }
    m.insert("tips".into(), o.tips.into());
    m.insert("pacing".into(), o.pacing.name().into());
    if let Some(bell) = o.bell {
        m.insert("bell".into(), bell.into());
    }
    m.insert("voice".into(), pack.manifest.name.clone().into());
    m
}

/// How much of the session must be prepared before live playback starts, in seconds.
const START_READY_SECS: f64 = 1.0;

/// The `--ambience` bed, if one is asked for, prepared at `rate`.
fn bed(
    cli: &SessionArgs,
    pack: &PackFiles,
    fallback: Option<&Location>,
    rate: u32,
) -> Result<Option<Arc<[f32]>>, Error> {
    let Some(name) = &cli.ambience else {
        return Ok(None);
    };
    let file = pack.ambience(name, fallback)?;
    Ok(Some(file.prepare(rate, &mut Default::default())?))
}

/// The mixer with the ambience bed under it, if there is one.
fn with_bed(
    mixer: Mixer,
    bed: &Option<Arc<[f32]>>,
    cli: &SessionArgs,
    timeline: &Timeline,
) -> Mixer {
    match bed {
        Some(bed) => mixer.with_bed(bed.clone(), cli.ambience_volume.unwrap_or(1.0), timeline),
        None => mixer,
    }
}

/// Tags and one chapter per step for a rendered file.
fn metadata(
    script: &Script,
    o: &Options,
    pack: &PackFiles,
    t: &Timeline,
    cli: &SessionArgs,
) -> Metadata {
    let summary = heading(script, o, pack, t);
    let mut comment = summary.lines().nth(1).unwrap_or_default().to_owned();
    if !o.chimes {
        comment.push_str(" · no chimes");
    }
    if let Some(bed) = &cli.ambience {
        comment.push_str(&format!(" · ambience {bed}"));
    }
    comment.push_str(concat!(" · balasana-audio ", env!("CARGO_PKG_VERSION")));
    let chapters = t
        .steps
        .iter()
        .map(|s| Chapter {
            // The step's first event, where the plan shows the step begin.
            frame: t
                .events
                .get(t.events.partition_point(|e| e.frame < s.frame))
                .map_or(s.frame, |e| e.frame),
            title: match s.set {
                Some(n) => format!("{} (set {n} of {})", s.title, t.sets),
                None => s.title.clone(),
            },
        })
        .collect();
    Metadata {
        title: script.title.clone(),
        artist: pack.manifest.voice.clone(),
        album: "balasana-audio".to_owned(),
        date: utc_date(jiff::Timestamp::now()),
        comment,
        chapters,
    }
}

/// `YYYY-MM-DD` (UTC) of a moment, for the DATE tag.
fn utc_date(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// Prints a line to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn say(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// The session `--script` names (a name in the library or a path), or the default session.
fn load_script(cli: &SessionArgs, base: &Path) -> Result<Script, Error> {
    Ok(library::load(cli.script.as_deref(), base)?)
}

/// Writes the `--transcript` file, if one is asked for, from the timeline about to be played.
fn write_transcript(
    cli: &SessionArgs,
    format: Option<transcript::Format>,
    timeline: &Timeline,
    script: &Script,
) -> Result<(), Error> {
    let (Some(path), Some(format)) = (&cli.transcript, format) else {
        return Ok(());
    };
    let text = transcript::render(timeline, format, &script.title);
    let fail = |source| Error::Transcript {
        path: path.display().to_string(),
        source,
    };
    // Written like a render: a file atomically (through a symlink, keeping its mode), a pipe or
    // device in place.
    let target = crate::output::target::Target::open(path).map_err(fail)?;
    let mut writer = target.writer();
    writer.write_all(text.as_bytes()).map_err(fail)?;
    writer.flush().map_err(fail)?;
    drop(writer);
    target.commit().map_err(fail)
}

/// The session options from the command line and the script's defaults, checked against the
/// script's limits: outside the allowed range is an error, outside the recommended one a note.
fn options(
    cli: &SessionArgs,
    script: &Script,
    layered: &[(&str, String)],
) -> Result<Options, Error> {
    let mut o = Options::defaults(script);
    // A choice this session does not have: an error when typed, a note when it came from the
    // config file or the environment (the session's default is used instead).
    let source = |key: &str| layered.iter().find(|(k, _)| *k == key).map(|(_, s)| s);
    let refuse = |key: &str, message: String| -> Result<(), Error> {
        match source(key) {
            Some(source) => {
                eprintln!("note: {message} (set by {source}); using the session's default");
                Ok(())
            }
            None => Err(Error::Usage(message)),
        }
    };
    // A value out of range names where it was set when that was not the command line
    // (`--hold 1000 s is outside … (set by BALASANA_HOLD)`).
    let usage = |key: &str, message: String| {
        Error::Usage(match source(key) {
            Some(source) => format!("{message} (set by {source})"),
            None => message,
        })
    };
    let l = &script.limits;
    o.hold = cli.hold.unwrap_or(o.hold);
    o.sets = cli.sets.unwrap_or(o.sets);
    o.rest = cli.rest.unwrap_or(o.rest);
    match &cli.breath {
        Some(Breath::Phases(phases)) => o.breath = *phases,
        Some(Breath::Named(name)) => {
            match script.breath_patterns.iter().find(|p| &p.name == name) {
                Some(pattern) => o.breath = pattern.phases,
                None => {
                    let known: Vec<&str> = script
                        .breath_patterns
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect();
                    refuse(
                        "breath",
                        format!(
                            "--breath {name}: no such pattern (patterns: {}; or IN:OUT, IN:HOLD:OUT:HOLD seconds)",
                            if known.is_empty() {
                                "none".to_owned()
                            } else {
                                known.join(", ")
                            }
                        ),
                    )?;
                }
            }
        }
        None => {}
    }
    o.lead_in = cli.lead_in.unwrap_or(o.lead_in);
    if o.lead_in > 0.0 && o.lead_in < crate::script::MIN_DURATION {
        return Err(usage(
            "lead-in",
            format!(
                "--lead-in {} s is under a frame: use 0 for none, or at least {} s",
                o.lead_in,
                crate::script::MIN_DURATION
            ),
        ));
    }
    o.chimes = !cli.no_chimes;
    o.voice_gain = cli.voice_volume.unwrap_or(1.0);
    o.chime_gain = cli.chime_volume.unwrap_or(1.0);
    if let Some(level) = &cli.guidance {
        if script.guidance.iter().any(|g| &g.name == level) {
            o.guidance = level.clone();
        } else {
            let known: Vec<&str> = script.guidance.iter().map(|g| g.name.as_str()).collect();
            refuse(
                "guidance",
                format!(
                    "--guidance {level}: the levels of this session are {}",
                    known.join(", ")
                ),
            )?;
        }
    }
    let level = script.guidance.iter().find(|g| g.name == o.guidance);
    o.tips = if cli.tips {
        true
    } else if cli.no_tips {
        false
    } else {
        level.is_some_and(|g| g.tips)
    };
    for (option, value) in [("variation", &cli.variation), ("arms", &cli.arms)] {
        let Some(value) = value else { continue };
        let message = match script.choices.get(option) {
            Some(choice) if choice.values.contains(value) => {
                o.choices.insert(option.to_owned(), value.clone());
                continue;
            }
            Some(choice) => format!(
                "--{option} {value}: choose one of {}",
                choice.values.join(", ")
            ),
            None => format!(
                "--{option} {value}: the session {:?} has no {option} to choose",
                script.title
            ),
        };
        refuse(option, message)?;
    }
    if let Some(pacing) = cli.pacing {
        o.pacing = pacing.into();
    }
    if let Some(bell) = cli.bell {
        o.bell = (bell != 0.0).then_some(bell);
    }
    for limit in &LIMITS {
        let range = l.range(limit.option);
        let (key, unit) = (limit.flag, limit.unit);
        let [lo, hi] = range.allowed;
        let [rlo, rhi] = range.recommended;
        for (value, which) in limited_values(&o, limit.option) {
            let name = format!("{}{which}", limit.label);
            match range.fit(value) {
                Fit::Refused => {
                    return Err(usage(
                        key,
                        format!(
                            "{name} {value}{unit} is outside the allowed range {lo}–{hi}{unit} (limits in {})",
                            script.origin
                        ),
                    ));
                }
                Fit::Allowed => eprintln!(
                    "note: {name} {value}{unit} is outside the recommended {rlo}–{rhi}{unit}; playing anyway"
                ),
                Fit::Recommended => {}
            }
        }
    }
    Ok(o)
}

/// The values of `option` in `o` that its limits apply to, each with the words that tell it apart
/// in messages: the two breath holds, when there are any; the bell, when it rings.
fn limited_values(o: &Options, option: Limited) -> Vec<(f64, &'static str)> {
    let b = o.breath;
    match option {
        Limited::Hold => vec![(o.hold, "")],
        Limited::Sets => vec![(f64::from(o.sets), "")],
        Limited::Rest => vec![(o.rest, "")],
        Limited::Inhale => vec![(b.inhale, "")],
        Limited::Exhale => vec![(b.exhale, "")],
        Limited::LeadIn => vec![(o.lead_in, "")],
        Limited::BreathHold => [
            (b.hold, " (after the inhale)"),
            (b.rest, " (after the exhale)"),
        ]
        .into_iter()
        .filter(|(v, _)| *v > 0.0)
        .collect(),
        Limited::Bell => o.bell.map(|bell| (bell, "")).into_iter().collect(),
    }
}

/// How the breath reads in the heading: `4:6`, `4:7:8:0`, or a pattern's name with its seconds.
fn breath_text(script: &Script, b: &BreathPhases) -> String {
    let seconds = if b.hold == 0.0 && b.rest == 0.0 {
        format!("{}:{}", b.inhale, b.exhale)
    } else {
        format!("{}:{}:{}:{}", b.inhale, b.hold, b.exhale, b.rest)
    };
    match script.breath_patterns.iter().find(|p| p.phases == *b) {
        Some(p) => format!("{} ({seconds})", p.name),
        None => seconds,
    }
}

fn heading(script: &Script, o: &Options, pack: &PackFiles, t: &Timeline) -> String {
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
    // What differs from the session's defaults, in the order of the options.
    let defaults = Options::defaults(script);
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
        "{}\n{sets} × {} s hold{rest} · breath {}{extras} · voice {} · {} in all",
        script.title,
        o.hold,
        breath_text(script, &o.breath),
        pack.manifest.name,
        crate::units::clock(t.seconds(t.duration))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        let at = |s| jiff::Timestamp::from_second(s).unwrap();
        assert_eq!(utc_date(at(0)), "1970-01-01");
        assert_eq!(utc_date(at(951_782_400)), "2000-02-29");
        assert_eq!(utc_date(at(1_798_761_599)), "2026-12-31");
    }
}
