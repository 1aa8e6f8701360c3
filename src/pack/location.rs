//! Where a pack's files live: a folder on disk or (with the `embedded-voice` feature, on by
//! default) the default pack compiled into the binary, found by name or path; its files read
//! with a size limit.

use std::path::{Path, PathBuf};

#[cfg(feature = "embedded-voice")]
use include_dir::{Dir, include_dir};

use super::{DEFAULT_PACK, Manifest, PackError};
use crate::paths;

/// The largest pack file (clip, bed or `pack.toml`) that is read: 64 MB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The default pack, compiled in so that a `cargo install`ed binary needs no files. The Debian
/// package builds without it (the binary stays under 8 MB) and ships the pack as a folder.
#[cfg(feature = "embedded-voice")]
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/audio/heart");

/// Whether `dir` holds a pack (a `pack.toml`).
fn is_pack(dir: &Path) -> bool {
    dir.join("pack.toml").is_file()
}

/// Where a pack's files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Compiled into the binary (the `embedded-voice` feature).
    #[cfg(feature = "embedded-voice")]
    Embedded,
    /// A folder on disk.
    Folder(PathBuf),
}

impl Location {
    /// Finds a pack. `spec` is a path (it contains a slash or starts with `.`) or a name, looked
    /// for as `audio/NAME` in each data folder along the search path
    /// ([`paths::data_folders`]); the default name falls back to the built-in pack when it is
    /// compiled in. No spec means the default pack.
    pub fn find(spec: Option<&str>, base: &Path) -> Result<Location, PackError> {
        let name = spec.unwrap_or(DEFAULT_PACK);
        if name.contains(['/', '\\']) || name.starts_with('.') {
            let dir = PathBuf::from(name);
            return if is_pack(&dir) {
                Ok(Location::Folder(dir))
            } else {
                Err(PackError::NotFound {
                    name: name.into(),
                    looked: dir.join("pack.toml").display().to_string(),
                })
            };
        }
        let candidates: Vec<PathBuf> = paths::data_folders(base)
            .iter()
            .map(|folder| folder.packs().join(name))
            .collect();
        if let Some(dir) = candidates.iter().find(|d| is_pack(d)) {
            return Ok(Location::Folder(dir.clone()));
        }
        #[cfg(feature = "embedded-voice")]
        if name == DEFAULT_PACK {
            return Ok(Location::Embedded);
        }
        let mut looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
        if cfg!(not(feature = "embedded-voice")) && name == DEFAULT_PACK {
            looked.push("not built in: this build has no embedded-voice feature".to_owned());
        }
        Err(PackError::NotFound {
            name: name.into(),
            looked: looked.join(", "),
        })
    }

    /// Every pack found by name, in search order: the pack folders of each data folder (sorted
    /// by name within one), then the built-in pack. A name found again later is listed too: the
    /// first one is the one `--pack NAME` plays.
    pub fn all(base: &Path) -> Vec<(String, Location)> {
        let mut found = Vec::new();
        for folder in paths::data_folders(base) {
            let Ok(entries) = std::fs::read_dir(folder.packs()) else {
                continue;
            };
            let mut packs: Vec<(String, PathBuf)> = entries
                .filter_map(Result::ok)
                .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
                .filter(|(_, dir)| is_pack(dir))
                .collect();
            packs.sort();
            found.extend(
                packs
                    .into_iter()
                    .map(|(name, dir)| (name, Location::Folder(dir))),
            );
        }
        #[cfg(feature = "embedded-voice")]
        found.push((DEFAULT_PACK.to_owned(), Location::Embedded));
        found
    }

    /// The voice a session in `language` (a primary subtag) plays with when no pack is chosen:
    /// for English the default pack ([`Location::find`] with no name); for another language the
    /// first pack in search order ([`Location::all`], a shadowed one skipped) that speaks it
    /// ([`Manifest::speaks`]), else [`PackError::NoVoice`].
    pub fn for_language(language: &str, base: &Path) -> Result<Location, PackError> {
        if language == crate::language::ENGLISH {
            return Location::find(None, base);
        }
        let found = Location::all(base);
        found
            .iter()
            .enumerate()
            .filter(|(i, (name, _))| !found[..*i].iter().any(|(earlier, _)| earlier == name))
            .map(|(_, (_, location))| location)
            .find(|location| Manifest::load(location).is_ok_and(|m| m.speaks(language)))
            .cloned()
            .ok_or_else(|| PackError::NoVoice {
                language: language.to_owned(),
            })
    }

    /// Whether this is the default pack (built in, or its folder under `audio/`).
    pub fn is_default(&self) -> bool {
        match self {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => true,
            Location::Folder(dir) => dir.file_name().is_some_and(|n| n == DEFAULT_PACK),
        }
    }

    /// Whether the pack has `file`.
    pub fn has(&self, file: &str) -> bool {
        match self {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => EMBEDDED.get_file(file).is_some(),
            Location::Folder(dir) => dir.join(file).is_file(),
        }
    }

    /// Every file name in the pack folder (not recursive).
    pub fn files(&self) -> Vec<String> {
        match self {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => EMBEDDED
                .files()
                .filter_map(|f| f.path().to_str().map(str::to_owned))
                .collect(),
            Location::Folder(dir) => std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().is_file())
                        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Where the pack is, for people: its folder, or `built in`.
    pub fn place(&self) -> String {
        match self {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => "built in".to_owned(),
            Location::Folder(dir) => dir.display().to_string(),
        }
    }

    /// How the location reads in messages.
    pub fn describe(&self, file: &str) -> String {
        match self {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => format!("<built-in audio/{DEFAULT_PACK}>/{file}"),
            Location::Folder(dir) => dir.join(file).display().to_string(),
        }
    }

    /// Reads one file of the pack.
    pub fn read(&self, file: &str) -> Result<Vec<u8>, PackError> {
        match self {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => EMBEDDED
                .get_file(file)
                .map(|f| f.contents().to_vec())
                .ok_or_else(|| PackError::Read {
                    path: self.describe(file),
                    source: std::io::ErrorKind::NotFound.into(),
                }),
            Location::Folder(dir) => {
                use std::io::Read;
                let fail = |source| PackError::Read {
                    path: self.describe(file),
                    source,
                };
                let too_large = |bytes| PackError::TooLarge {
                    path: self.describe(file),
                    bytes,
                };
                let f = std::fs::File::open(dir.join(file)).map_err(fail)?;
                let size = f.metadata().map_err(fail)?.len();
                if size > MAX_FILE_BYTES {
                    return Err(too_large(size));
                }
                // The size can lie (a file still growing, a device): never read past the limit.
                let mut bytes = Vec::with_capacity(size as usize);
                f.take(MAX_FILE_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(fail)?;
                if bytes.len() as u64 > MAX_FILE_BYTES {
                    return Err(too_large(bytes.len() as u64));
                }
                Ok(bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the embedded-voice feature the default pack is only ever a folder: none on the
    /// search path is one line naming each place looked in, and saying it is not built in.
    #[cfg(not(feature = "embedded-voice"))]
    #[test]
    fn without_the_embedded_voice_a_missing_default_pack_names_where_it_looked() {
        let empty = tempfile::tempdir().unwrap();
        let err = Location::find(None, empty.path()).unwrap_err().to_string();
        assert!(
            err.starts_with("voice pack \"heart\" not found (looked in "),
            "{err}"
        );
        assert!(
            err.contains(&empty.path().join("audio/heart").display().to_string()),
            "{err}"
        );
        assert!(err.contains("not built in"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    /// With the feature, the default pack is found with no data folder at all, and listed last.
    #[cfg(feature = "embedded-voice")]
    #[test]
    fn with_the_embedded_voice_the_default_pack_is_always_found() {
        let empty = tempfile::tempdir().unwrap();
        let found = Location::find(None, empty.path()).unwrap();
        assert!(found.is_default());
        assert!(found.has("pack.toml"));
        let all = Location::all(empty.path());
        assert_eq!(
            all.last(),
            Some(&(DEFAULT_PACK.to_owned(), Location::Embedded))
        );
    }
}
