//! A session played live on the default output device, with keys, the media controls, progress
//! and signals.

use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

use super::log::Played;
use super::prepare::Session;
use super::{SessionError, say};
use crate::chime::Chime;
use crate::cue::Cue;
use crate::media::{MediaControls, Tracks};
use crate::output::feeder::Supply;
use crate::output::live::{Ending, Player, Request, Signals, Status};
use crate::terminal::{Keys, Progress};
use crate::timeline::Timeline;
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
    // Keys, media controls and signals send into one channel; the play loop wakes on any. The
    // signals' flags are still read if their thread could not start.
    let (send, requests) = channel();
    let _ = Signals::forward(send.clone());
    let media = media_controls(session, &timeline, &send);
    let keys = Keys::start(send);
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
        &requests,
        |status| {
            listening.report(status);
            progress.show(status);
            if let Some(media) = &media {
                media.show(status);
            }
        },
    );
    if let Some(media) = &media {
        media.end();
    }
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

/// The session's media controls, unless `--no-media-controls`: its steps as tracks of the
/// session's title, spoken by its voice, sending what a client asks for into `send`.
fn media_controls(
    session: &Session,
    timeline: &Timeline,
    send: &Sender<Request>,
) -> Option<MediaControls> {
    (!session.args.no_media_controls).then(|| {
        let tracks = Tracks::new(
            timeline,
            &session.script.title,
            &session.pack.manifest.voice,
        );
        MediaControls::start(tracks, send.clone())
    })
}

/// Time listened: wall time between progress reports, pauses and reconnections left out. A
/// stretch counts by what the session was doing at its start (the report before it), so a pause
/// is left out however long after it the next report comes.
struct Listening {
    listened: Duration,
    last_report: Instant,
    /// Whether the session was playing at the last report.
    playing: bool,
}

impl Listening {
    fn new() -> Listening {
        Listening {
            listened: Duration::ZERO,
            last_report: Instant::now(),
            playing: true,
        }
    }

    /// Counts the time since the last report if the session was playing then.
    fn report(&mut self, status: &Status) {
        let now = Instant::now();
        if self.playing {
            self.listened += now - self.last_report;
        }
        self.last_report = now;
        self.playing = !status.paused && !status.reconnecting;
    }
}
