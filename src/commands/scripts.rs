//! `scripts list`: the sessions there are.

use std::path::Path;

use crate::exit::Exit;
use crate::library;
use crate::output::render::RATE;
use crate::pack::{Clips, Location, Pack, PackError};
use crate::timeline::{self, Options, TimelineError};
use crate::units::clock;

/// Why `scripts list` could not time a session.
#[derive(Debug, thiserror::Error)]
pub enum ScriptsError {
    /// The default pack could not be found or read.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// A session could not be sequenced with the default pack.
    #[error("cannot build the session: {0}")]
    Timeline(#[from] TimelineError),
}

impl ScriptsError {
    /// How the process ends: a pack problem, or a session that cannot be sequenced.
    pub fn exit_code(&self) -> Exit {
        match self {
            ScriptsError::Pack(_) | ScriptsError::Timeline(TimelineError::MissingClip { .. }) => {
                Exit::Pack
            }
            ScriptsError::Timeline(_) => Exit::Usage,
        }
    }
}

/// `scripts list`: each session with its title, where it lives, and its length at its default
/// settings with the default voice.
pub fn list(base: &Path) -> Result<String, ScriptsError> {
    let default_pack = Location::find(None, base)?;
    let mut rows = Vec::new();
    for entry in library::all(base) {
        let (title, length) = match library::load(Some(&entry.name), base) {
            Ok(script) => {
                let options = Options::defaults(&script);
                let pack = Pack::load(default_pack.clone(), &script, None)?;
                let clips = Clips::prepare(&pack, RATE);
                let timeline = timeline::build(&script, &options, &clips.lengths(), RATE)?;
                let length = clock(timeline.seconds(timeline.duration));
                (
                    script.title,
                    length.split('.').next().unwrap_or_default().to_owned(),
                )
            }
            Err(e) => (format!("invalid: {e}"), "-".to_owned()),
        };
        let place = match &entry.origin {
            library::Origin::BuiltIn => "built in".to_owned(),
            library::Origin::File(path) => path.display().to_string(),
        };
        rows.push((entry.name, length, title, place));
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:width$}  {:>6}  title (where)\n", "name", "length");
    for (name, length, title, place) in rows {
        out.push_str(&format!("{name:width$}  {length:>6}  {title} ({place})\n"));
    }
    Ok(out)
}
