//! What a command line does, from arguments to an ending: the only place that ties the pure core
//! (script, timeline, mixer) to the edges (files, device, terminal).

use std::io::Write;
use std::path::Path;

use crate::chime::Chime;
use crate::cli::{Cli, Command, SessionArgs};
use crate::exit::Exit;
use std::sync::Arc;

use crate::mix::{MixError, Mixer};
use crate::output::feeder::Supply;
use crate::output::live::{Ending, LiveError, Player, Signals};
use crate::output::render::{RenderError, render};
use crate::pack::{Location, PackError, PackFiles};
use crate::plan;
use crate::script::{self, Fit, Range3, Script, ScriptError};
use crate::terminal::{Keys, Progress};
use crate::timeline::{self, Options, Timeline, TimelineError};

/// Sample rate of renders and of `--plan`.
pub const RENDER_RATE: u32 = 48_000;
/// Channels of renders.
pub const RENDER_CHANNELS: u16 = 2;

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
    Packs(#[from] crate::packs::PacksError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
}

impl Error {
    /// How the process ends for this error.
    pub fn exit_code(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Script(_) => Exit::Script,
            Error::Timeline(TimelineError::MissingClip { .. }) => Exit::Pack,
            Error::Timeline(_) => Exit::Usage,
            Error::Pack(_) | Error::Mix(_) => Exit::Pack,
            Error::Live(_) => Exit::Device,
            Error::Render(_) => Exit::Write,
            Error::Packs(e) => e.exit_code(),
            Error::Signals(_) => Exit::System,
        }
    }
}

/// Runs one command line; `base` is the folder where `script/` and `audio/` are looked for.
pub fn run(cli: &Cli, base: &Path) -> Result<Ending, Error> {
    match &cli.command {
        Some(Command::Packs(command)) => {
            let script = load_script(&cli.session, base)?;
            crate::packs::run(command, &script, base)?;
            Ok(Ending::Finished)
        }
        None => session(&cli.session, base),
    }
}

/// Plans, renders or plays the session.
fn session(cli: &SessionArgs, base: &Path) -> Result<Ending, Error> {
    let script = load_script(cli, base)?;
    let options = options(cli, &script)?;
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
        let timeline =
            timeline::build(&script, &options, &pack.lengths(RENDER_RATE)?, RENDER_RATE)?;
        if cli.plan {
            if let Some(name) = &cli.ambience {
                // Not mixed into a plan, but a missing bed is an error now, not at play time.
                let bed = pack.ambience(name, fallback.as_ref())?;
                bed.shape(&format!("ambience {name}"))?;
            }
            let out = if cli.json {
                plan::json(&timeline)
            } else {
                plan::table(&timeline, &heading(&script, &options, &pack, &timeline))
            };
            say(&out);
        } else if let Some(path) = &cli.render {
            let supply = Supply::new(&pack, RENDER_RATE, true);
            let bed = bed(cli, &pack, fallback.as_ref(), RENDER_RATE)?;
            let mixer = with_bed(supply.mixer(&timeline, 0), &bed, cli, &timeline);
            match render(mixer, RENDER_RATE, RENDER_CHANNELS, path, || {
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
            }
            if !cli.quiet {
                say(&format!(
                    "wrote {} ({} of audio, {} Hz, {} channels)",
                    path.display(),
                    plan::clock(timeline.seconds(timeline.duration)),
                    RENDER_RATE,
                    RENDER_CHANNELS
                ));
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
    let tones = (
        supply.clip(Chime::Pause.cue())?,
        supply.clip(Chime::Resume.cue())?,
    );
    let make = |from: u64| {
        let mut mixer = with_bed(supply.mixer(&timeline, from), &bed, cli, &timeline);
        mixer.wait_ready(timeline::frames(START_READY_SECS, rate));
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
    let ending = player.play(
        make,
        || supply.failed(),
        &timeline,
        tones,
        &signals,
        keys.as_ref().map(Keys::requests),
        |status| progress.show(status),
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
    Ok(ending)
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
    Ok(Some(file.prepare(
        &format!("ambience {name}"),
        rate,
        &mut Default::default(),
    )?))
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

/// Prints a line to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn say(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn load_script(cli: &SessionArgs, base: &Path) -> Result<Script, Error> {
    if let Some(path) = &cli.script {
        return Ok(Script::read(path)?);
    }
    let local = base.join("script/balasana.toml");
    if local.is_file() {
        return Ok(Script::read(&local)?);
    }
    Ok(Script::parse(script::EMBEDDED, script::EMBEDDED_NAME)?)
}

/// The session options from the command line and the script's defaults, checked against the
/// script's limits: outside the allowed range is an error, outside the recommended one a note.
fn options(cli: &SessionArgs, script: &Script) -> Result<Options, Error> {
    let mut o = Options::defaults(script);
    let l = &script.limits;
    o.hold = cli.hold.unwrap_or(o.hold);
    o.sets = cli.sets.unwrap_or(o.sets);
    o.rest = cli.rest.unwrap_or(o.rest);
    if let Some((inhale, exhale)) = cli.breath {
        o.inhale = inhale;
        o.exhale = exhale;
    }
    o.lead_in = cli.lead_in.unwrap_or(o.lead_in);
    if !(0.0..=120.0).contains(&o.lead_in) {
        return Err(Error::Usage(format!(
            "--lead-in {} s is outside the allowed range 0–120 s",
            o.lead_in
        )));
    }
    if o.lead_in > 0.0 && o.lead_in < script::MIN_DURATION {
        return Err(Error::Usage(format!(
            "--lead-in {} s is under a frame: use 0 for none, or {}–120 s",
            o.lead_in,
            script::MIN_DURATION
        )));
    }
    o.chimes = !cli.no_chimes;
    o.voice_gain = cli.voice_volume.unwrap_or(1.0);
    o.chime_gain = cli.chime_volume.unwrap_or(1.0);
    let checks: [(&str, f64, &Range3, &str); 5] = [
        ("--hold", o.hold, &l.hold, " s"),
        ("--sets", f64::from(o.sets), &l.sets, ""),
        ("--rest", o.rest, &l.rest, " s"),
        ("--breath inhale", o.inhale, &l.inhale, " s"),
        ("--breath exhale", o.exhale, &l.exhale, " s"),
    ];
    for (name, value, range, unit) in checks {
        let [lo, hi] = range.allowed;
        let [rlo, rhi] = range.recommended;
        match range.fit(value) {
            Fit::Refused => {
                return Err(Error::Usage(format!(
                    "{name} {value}{unit} is outside the allowed range {lo}–{hi}{unit} (limits in {})",
                    script.origin
                )));
            }
            Fit::Allowed => eprintln!(
                "note: {name} {value}{unit} is outside the recommended {rlo}–{rhi}{unit}; playing anyway"
            ),
            Fit::Recommended => {}
        }
    }
    Ok(o)
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
    format!(
        "{}\n{sets} × {} s hold{rest} · breath {}:{} · voice {} · {} in all",
        script.title,
        o.hold,
        o.inhale,
        o.exhale,
        pack.manifest.name,
        plan::clock(t.seconds(t.duration))
    )
}
