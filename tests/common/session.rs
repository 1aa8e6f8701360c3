//! The built-in session in-process, for tests that drive the mixer and the live source by hand.

use std::sync::Arc;

use balasana_audio::chime::Chime;
use balasana_audio::pack::{Location, PackFiles};
use balasana_audio::script::{EMBEDDED, EMBEDDED_NAME, Script};
use balasana_audio::timeline::{self, Options, Timeline};

/// Frames per second of the in-process session.
pub const RATE: u32 = 48_000;

/// The built-in session with the default pack, two sets of `hold` seconds: its script, timeline
/// and clip files.
pub fn session(hold: f64) -> (Script, Timeline, PackFiles) {
    let script = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
    // The repository's default pack: the built-in one when compiled in.
    let heart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart");
    let files = PackFiles::open(Location::Folder(heart), &script, None).unwrap();
    let mut options = Options::defaults(&script);
    options.hold = hold;
    options.sets = 2;
    let t = timeline::build(&script, &options, &files.lengths(RATE).unwrap(), RATE).unwrap();
    (script, t, files)
}

/// The pause and resume tones of live playback.
pub fn tones() -> (Arc<[f32]>, Arc<[f32]>) {
    (
        Chime::Pause.synthesize(RATE),
        Chime::Resume.synthesize(RATE),
    )
}
