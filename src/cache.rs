//! Facts about a clip learned once by decoding it (its length, its loudness), kept in the user's
//! cache folder keyed by the clip's content, so later runs need not decode or measure it again:
//! `<user cache dir>/balasana-audio/<kind>/<hash>-<bytes>`, one line of text each. A missing or
//! unwritable cache is simply not used; it only saves time.

use std::io::Write;
use std::path::PathBuf;

use crate::atomic::AtomicFile;

/// Where the facts about one clip content are kept: computed once per clip, used for each fact.
#[derive(Debug, Clone)]
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

    /// The stored fact of `kind` about this clip, if there is one.
    pub fn get(&self, kind: &str) -> Option<String> {
        std::fs::read_to_string(self.file(kind)?).ok()
    }

    /// Stores a fact of `kind` about this clip; failures are ignored. Written whole or not at
    /// all ([`AtomicFile`]), so a reader never sees half a line; not synced, as a fact lost in a
    /// crash is only learned again.
    pub fn put(&self, kind: &str, fact: &str) {
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
