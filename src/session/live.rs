//! A session played live on the default output device, with keys, progress and signals.

use std::time::{Duration, Instant};

use super::log::Played;
use super::prepare::Session;
use super::{SessionError, say};
use crate::chime::Chime;
use crate::cue::Cue;
use crate::output::feeder::Supply;
use crate::output::live::{Ending, Player, Signals, Status};
use crate::terminal::{Keys, Progress};
use crate::units::frames;

/// How much of the session must be prepared before live playback starts, in seconds.
const START_READY_SECS: f64 = 1.0;

/// Plays the session to its end, a quit or a signal, and says how it went. The device opens
/// first (clips are prepared at its rate); the session starts as soon as its first second is
/// ready, and the rest is prepared while it plays.
pub fn play(session: &Session, signals: &Signals) -> Result<Played, SessionError> {
    let mut player = Player::open()?;
    let rate = player.rate();
    let timeline = session.timeline(rate)?;
    let supply = Supply::new(&session.pack, rate, false);
    let bed = session.bed(rate)?;
    session.write_transcript(&timeline)?;
    let tones = (
        supply.clip(&Cue::from(Chime::Pause))?,
        supply.clip(&Cue::from(Chime::Resume))?,
    );
    let make = |from: u64| {
        let mut mixer = session.with_bed(supply.mixer(&timeline, from), &bed, &timeline);
        mixer.wait_ready(frames(START_READY_SECS, rate));
        mixer
    };
    let quiet = session.args.quiet;
    if !quiet {
        say(&session.about(&timeline).heading());
    }
    let keys = Keys::start();
    if !quiet {
        say(if keys.is_some() {
            "Close your eyes; the voice will guide you.\r\n\
             Keys: space pause · → next step · ← restart step · +/- volume · q quit\r"
        } else {
            "Close your eyes; the voice will guide you. Ctrl-C stops with a short fade."
        });
    }
    let mut progress = Progress::new(quiet, &timeline);
    // Whole seconds: the log is for people.
    let started = jiff::ZonedDateTime::now();
    let started = started.round(jiff::Unit::Second).unwrap_or(started);
    let mut listening = Listening::new();
    let ending = player.play(
        make,
        &supply,
        &timeline,
        tones,
        signals,
        keys.as_ref().map(Keys::requests),
        |status| {
            listening.report(status);
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
    if !quiet {
        say(match ending {
            Ending::Finished => "Session complete.",
            Ending::Quit | Ending::Interrupted | Ending::Terminated => "Session stopped.",
        });
    }
    Ok(Played {
        started,
        listened: listening.listened,
        ending,
        seconds: timeline.seconds(timeline.duration),
    })
}

/// Time listened: wall time between progress reports, pauses and reconnections left out.
struct Listening {
    listened: Duration,
    last_report: Instant,
}

impl Listening {
    fn new() -> Listening {
        Listening {
            listened: Duration::ZERO,
            last_report: Instant::now(),
        }
    }

    /// Counts the time since the last report if the session was playing.
    fn report(&mut self, status: &Status) {
        let now = Instant::now();
        if !status.paused && !status.reconnecting {
            self.listened += now - self.last_report;
        }
        self.last_report = now;
    }
}
