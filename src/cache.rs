//! Facts about a clip learned once by decoding it (its shape, its loudness), kept in the user's
//! cache folder keyed by the clip's content, so later runs need not decode or measure it again:
//! `<user cache dir>/balasana-audio/<kind>/<hash>-<bytes>`, one line of text each (`lengths`:
//! rate and frames; `loudness`: LUFS or `none`, and the peak in dBFS). A missing, unwritable or
//! unreadable cache is simply not used; it only saves time.
//!
//! Clips prepared for playing (decoded, matched to their loudness target, resampled) are kept
//! too, under `prepared/`, so a session played again reads its clips back instead of decoding
//! and resampling every one (the preparing worker's 0.19 s of a 2:50 session: docs/benchmarks.md):
//! `<hash>-<bytes>-<rate>-<target>`, a short header and the samples as 32-bit floats. The folder
//! is held under [`PREPARED_BOUND`]: the least recently written entries go first.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

    /// The clip prepared at `rate` for `target_lufs`, if it was stored whole by this build's
    /// way of preparing ([`PREPARED_VERSION`]); a short, foreign or damaged entry is not used.
    pub fn prepared(&self, rate: u32, target_lufs: f64) -> Option<Arc<[f32]>> {
        let mut file = std::fs::File::open(self.prepared_file(rate, target_lufs)?).ok()?;
        let mut header = [0; PREPARED_HEADER];
        file.read_exact(&mut header).ok()?;
        let count = u64::from_le_bytes(header[12..].try_into().ok()?);
        let whole = PREPARED_HEADER as u64 + 4 * count;
        if header != prepared_header(rate, count) || file.metadata().ok()?.len() != whole {
            return None;
        }
        // Read straight into the buffer the mixer will share: one allocation, no copy.
        let mut samples: Arc<[f32]> =
            std::iter::repeat_n(0.0, usize::try_from(count).ok()?).collect();
        let out = Arc::get_mut(&mut samples)?;
        file.read_exact(bytemuck::cast_slice_mut(out)).ok()?;
        if cfg!(target_endian = "big") {
            out.iter_mut()
                .for_each(|s| *s = f32::from_bits(u32::from_le(s.to_bits())));
        }
        Some(samples)
    }

    /// Stores the clip prepared at `rate` for `target_lufs`, then holds the folder under
    /// [`PREPARED_BOUND`]; failures are ignored.
    pub fn remember_prepared(&self, rate: u32, target_lufs: f64, samples: &[f32]) {
        let Some(path) = self.prepared_file(rate, target_lufs) else {
            return;
        };
        let header = prepared_header(rate, samples.len() as u64);
        let little_endian: Vec<u8>;
        let body: &[u8] = if cfg!(target_endian = "little") {
            bytemuck::cast_slice(samples)
        } else {
            little_endian = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
            &little_endian
        };
        if write_whole(&path, &[&header, body])
            && let Some(dir) = path.parent()
        {
            hold_under(dir, PREPARED_BOUND);
        }
    }

    /// Where the clip prepared at `rate` for `target_lufs` is kept.
    fn prepared_file(&self, rate: u32, target_lufs: f64) -> Option<PathBuf> {
        let name = format!("{}-{rate}-{target_lufs}", self.0);
        Some(crate::paths::cache("prepared")?.join(name))
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
        if let Some(path) = self.file(kind) {
            write_whole(&path, &[format!("{fact}\n").as_bytes()]);
        }
    }
}

/// The way clips are prepared, as the prepared cache knows it: raised whenever decoding, the
/// loudness match or the resampler's settings change what a clip becomes, so entries made
/// another way are never read back.
const PREPARED_VERSION: u32 = 1;
/// Bytes before a prepared clip's samples: a tag, [`PREPARED_VERSION`], the rate and the count.
const PREPARED_HEADER: usize = 20;
/// The most the prepared cache holds, in bytes: 256 MB, a little over an hour of clips at
/// 48 kHz (the seven packs' voices at two rates are about 100 MB).
pub const PREPARED_BOUND: u64 = 256 << 20;

/// A prepared clip's header: `BAPC`, the version, the rate and the sample count.
fn prepared_header(rate: u32, samples: u64) -> [u8; PREPARED_HEADER] {
    let mut header = [0; PREPARED_HEADER];
    header[..4].copy_from_slice(b"BAPC");
    header[4..8].copy_from_slice(&PREPARED_VERSION.to_le_bytes());
    header[8..12].copy_from_slice(&rate.to_le_bytes());
    header[12..].copy_from_slice(&samples.to_le_bytes());
    header
}

/// Writes `parts` one after another to `path`, whole or not at all ([`AtomicFile`]), so a reader
/// never sees half an entry; not synced, as an entry lost in a crash is only made again. Whether
/// it was written.
fn write_whole(path: &Path, parts: &[&[u8]]) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let Ok(file) = AtomicFile::create(path) else {
        return false;
    };
    let mut out = file.file();
    parts.iter().all(|p| out.write_all(p).is_ok()) && file.commit_unsynced().is_ok()
}

/// Removes the least recently written files of `dir` until it holds at most `bound` bytes.
fn hold_under(dir: &Path, bound: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let meta = e.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= bound {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_files_go_until_the_folder_is_under_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            let path = dir.path().join(name);
            std::fs::write(&path, [0u8; 100]).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(old + std::time::Duration::from_secs(i as u64))
                .unwrap();
        }
        hold_under(dir.path(), 250);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["b", "c"]);
    }

    #[test]
    fn a_prepared_clip_reads_back_as_stored_and_a_damaged_one_is_not_used() {
        // A content of this test's own, in the cache folder cargo gives the tests (under target/).
        let key = Key::of(b"a_prepared_clip_reads_back_as_stored");
        let samples = [0.5f32, -0.25, 1e-7, 0.0];
        key.remember_prepared(48_000, -23.0, &samples);
        assert_eq!(key.prepared(48_000, -23.0).as_deref(), Some(&samples[..]));
        // Another rate or loudness target is another entry.
        assert_eq!(key.prepared(44_100, -23.0), None);
        assert_eq!(key.prepared(48_000, -18.0), None);
        // Cut short, or from another version: not used.
        let path = key.prepared_file(48_000, -23.0).unwrap();
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 2]).unwrap();
        assert_eq!(key.prepared(48_000, -23.0), None);
        let mut other = whole.clone();
        other[4] ^= 0xff;
        std::fs::write(&path, &other).unwrap();
        assert_eq!(key.prepared(48_000, -23.0), None);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(key.prepared(48_000, -23.0), None);
    }

    #[test]
    fn a_prepared_header_says_its_version_rate_and_length() {
        let header = prepared_header(48_000, 3);
        assert_eq!(&header[..4], b"BAPC");
        assert_ne!(header, prepared_header(44_100, 3));
        assert_ne!(header, prepared_header(48_000, 4));
    }
}
