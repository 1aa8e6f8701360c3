//! Facts about a clip learned once by decoding it (its shape, its loudness), kept in the user's
//! cache folder keyed by the clip's content, so later runs need not decode or measure it again:
//! `<user cache dir>/balasana-audio/<kind>/<hash>-<bytes>`, one line of text each (`lengths`:
//! rate and frames; `loudness`: LUFS or `none`, and the peak in dBFS). A missing, unwritable or
//! unreadable cache is simply not used; it only saves time.

use std::io::Write;
use std::path::PathBuf;

use crate::atomic::AtomicFile;
use crate::loudness::Level;
use crate::probe::Shape;

/// Where the facts about one clip content are kept: computed once per clip, used for each fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The key of a clip with this content: FNV-1a over the bytes, and their count (stable across
    /// builds and platforms).
    pub fn of(bytes: &[u8]) -> Key {
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Key(format!("{hash:016x}-{}", bytes.len()))
    }

    fn file(&self, kind: &str) -> Option<PathBuf> {
        Some(crate::paths::cache(kind)?.join(&self.0))
    }

    /// The clip's shape (rate and frames), if it was stored.
    pub fn shape(&self) -> Option<Shape> {
        let text = self.get("lengths")?;
        let mut parts = text.split_whitespace().map(str::parse::<u64>);
        let rate = u32::try_from(parts.next()?.ok()?).ok()?;
        let frames = parts.next()?.ok()?;
        (rate > 0 && parts.next().is_none()).then_some(Shape { rate, frames })
    }

    /// Stores the clip's decoded shape.
    pub fn remember_shape(&self, shape: Shape) {
        self.put("lengths", &format!("{} {}", shape.rate, shape.frames));
    }

    /// The clip's measured loudness and peak, if they were stored.
    pub fn level(&self) -> Option<Level> {
        let text = self.get("loudness")?;
        let mut parts = text.split_whitespace();
        let lufs = match parts.next()? {
            "none" => None,
            l => Some(l.parse::<f64>().ok().filter(|l| l.is_finite())?),
        };
        let peak_dbfs = parts.next()?.parse::<f64>().ok()?;
        (!peak_dbfs.is_nan() && peak_dbfs < f64::INFINITY && parts.next().is_none())
            .then_some(Level { lufs, peak_dbfs })
    }

    /// Stores the clip's measured loudness and peak.
    pub fn remember_level(&self, level: Level) {
        let lufs = level.lufs.map_or("none".to_owned(), |l| l.to_string());
        self.put("loudness", &format!("{lufs} {}", level.peak_dbfs));
    }

    /// The stored fact of `kind` about this clip, if there is one.
    fn get(&self, kind: &str) -> Option<String> {
        std::fs::read_to_string(self.file(kind)?).ok()
    }

    /// Stores a fact of `kind` about this clip; failures are ignored. Written whole or not at
    /// all ([`AtomicFile`]), so a reader never sees half a line; not synced, as a fact lost in a
    /// crash is only learned again.
    fn put(&self, kind: &str, fact: &str) {
        let Some(path) = self.file(kind) else {
            return;
        };
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(file) = AtomicFile::create(&path) else {
            return;
        };
        if writeln!(file.file(), "{fact}").is_ok() {
            let _ = file.commit_unsynced();
        }
    }
}
