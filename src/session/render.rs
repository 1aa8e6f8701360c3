//! A session written to a file, a pipe or standard output, at the render rate; and its plan.

use std::path::Path;

use super::describe::utc_date;
use super::prepare::Session;
use super::{SessionError, say};
use crate::codec::Format;
use crate::output::feeder::Supply;
use crate::output::live::{Ending, Signals};
use crate::output::render::{self, CHANNELS, RATE, RenderError, Spec, Written};
use crate::pack::PackError;
use crate::plan;
use crate::timeline::Timeline;
use crate::units::clock;

/// Prints the session's plan (the table, or JSON with `--json`). Nothing is mixed, but an
/// `--ambience` bed is looked for now, so a missing one is an error here and not at play time.
pub fn plan(session: &Session) -> Result<(), SessionError> {
    let timeline = session.timeline(RATE)?;
    session.write_transcript(&timeline)?;
    if let Some(name) = &session.args.ambience {
        let bed = session.pack.ambience(name, session.fallback.as_ref())?;
        bed.shape()?;
    }
    say(&if session.args.json {
        plan::json(&timeline)
    } else {
        plan::table(&timeline, &session.about(&timeline).heading())
    });
    Ok(())
}

/// Writes the session to `--render`'s destination in the chosen format. Stopped by a signal it
/// says so and ends as live playback does; a clip that cannot be prepared stops it with that
/// clip's error. A file destination is replaced only when complete.
pub fn render(
    session: &Session,
    path: &Path,
    format: Format,
    signals: &Signals,
) -> Result<Ending, SessionError> {
    let timeline = session.timeline(RATE)?;
    session.write_transcript(&timeline)?;
    let supply = Supply::new(&session.pack, RATE, true);
    let bed = session.bed(RATE)?;
    let mixer = session.with_bed(supply.mixer(&timeline, 0), &bed, &timeline);
    let spec = Spec {
        format,
        quality: session.args.quality,
        channels: CHANNELS,
        metadata: session.about(&timeline).metadata(
            &timeline,
            session.args.ambience.as_deref(),
            &session.pack.manifest.voice,
            utc_date(jiff::Timestamp::now()),
        ),
    };
    let target = render::open(path)?;
    let stop = || signals.ending().is_some() || supply.failed();
    let written = match render::render(mixer, RATE, &spec, target, path, stop) {
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
    if !session.args.quiet {
        written_line(path, format, &timeline, written);
    }
    Ok(Ending::Finished)
}

/// Says what was written: on stdout, or on stderr when the audio itself went to stdout.
fn written_line(path: &Path, format: Format, timeline: &Timeline, written: Written) {
    let line = format!(
        "wrote {} ({} of audio, {RATE} Hz, {CHANNELS} channels, {})",
        if written.to_stdout {
            "standard output".to_owned()
        } else {
            path.display().to_string()
        },
        clock(timeline.seconds(timeline.duration)),
        format.name()
    );
    if written.to_stdout {
        eprintln!("{line}");
    } else {
        say(&line);
    }
}
