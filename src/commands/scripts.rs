//! `scripts list`: the sessions there are.

use std::path::Path;

use crate::app::{Error, RENDER_RATE};
use crate::library;
use crate::pack::{Clips, Location, Pack};
use crate::timeline::{self, Options};
use crate::units::clock;

/// `scripts list`: each session with its title, where it lives, and its length at its default
/// settings with the default voice.
pub fn list(base: &Path) -> Result<String, Error> {
    let default_pack = Location::find(None, base)?;
    let mut rows = Vec::new();
    for entry in library::all(base) {
        let (title, length) = match library::load(Some(&entry.name), base) {
            Ok(script) => {
                let options = Options::defaults(&script);
                let pack = Pack::load(default_pack.clone(), &script, None)?;
                let clips = Clips::prepare(&pack, RENDER_RATE);
                let timeline = timeline::build(&script, &options, &clips.lengths(), RENDER_RATE)?;
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
