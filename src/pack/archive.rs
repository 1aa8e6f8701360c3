//! A pack as one file to share, and back: a pack folder, `.zip` or `.tar.gz` unpacked into an
//! empty folder with the guards an untrusted archive needs ([`unpack`]), and a pack written as a
//! `.zip` ([`export`]).
//!
//! A shared pack is not trusted: every entry must stay inside the pack (no absolute path, no
//! `..`), be a file or a folder (no link, device or pipe), and keep to the player's limit for a
//! pack file ([`MAX_FILE_BYTES`], counted as the bytes come, whatever a header claims); a pack
//! holds at most [`MAX_FILES`] files and [`MAX_PACK_BYTES`] in all.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};

use super::{Location, MAX_FILE_BYTES, MB};
use crate::atomic::AtomicFile;

/// The most files (folders not counted) a pack may hold to be installed.
pub const MAX_FILES: usize = 2048;

/// The most bytes a pack may hold in all to be installed: 512 MB, room for every line of a session
/// recorded as uncompressed WAV several times over.
pub const MAX_PACK_BYTES: u64 = 512 << 20;

/// Bytes copied at a time.
const CHUNK: usize = 64 << 10;

/// Why a pack could not be unpacked or exported.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// An entry that would land outside the pack folder.
    #[error("{archive}: {entry:?} is outside the pack (an absolute path, or one with ..)")]
    Outside {
        /// The archive or folder.
        archive: String,
        /// The entry's path as written.
        entry: String,
    },
    /// A symbolic or hard link.
    #[error("{archive}: {entry:?} is a link; a pack holds only files and folders")]
    Link {
        /// The archive or folder.
        archive: String,
        /// The entry's path.
        entry: String,
    },
    /// A device, pipe or socket.
    #[error("{archive}: {entry:?} is not a file or a folder; a pack holds only files and folders")]
    Special {
        /// The archive or folder.
        archive: String,
        /// The entry's path.
        entry: String,
    },
    /// A file over the player's limit for a pack file.
    #[error("{archive}: {entry:?} is over the {} MB limit for a pack file ({:.1} MB or more)", MAX_FILE_BYTES >> 20, *.bytes as f64 / MB)]
    TooLarge {
        /// The archive or folder.
        archive: String,
        /// The entry's path.
        entry: String,
        /// Its size, or the bytes read before the limit was passed.
        bytes: u64,
    },
    /// More files or bytes than a pack may hold.
    #[error("{archive}: more than {MAX_FILES} files or {} MB in all, over the limits for a pack", MAX_PACK_BYTES >> 20)]
    TooMuch {
        /// The archive or folder.
        archive: String,
    },
    /// The same path twice.
    #[error("{archive}: {entry:?} is in it twice")]
    Twice {
        /// The archive.
        archive: String,
        /// The entry's path.
        entry: String,
    },
    /// A name that is not UTF-8 (pack files are named in `pack.toml`, which is UTF-8).
    #[error("{archive}: {entry:?} is not named in UTF-8")]
    Name {
        /// The folder.
        archive: String,
        /// The entry's path, as far as it reads.
        entry: String,
    },
    /// Neither `pack.toml` at the top nor one folder holding it.
    #[error("{archive}: no pack.toml at its top or in its one folder")]
    NoPack {
        /// The archive or folder.
        archive: String,
    },
    /// Not a folder, a zip or a gzip-compressed tar.
    #[error("{archive}: not a pack folder, a .zip or a .tar.gz")]
    Unknown {
        /// The file.
        archive: String,
    },
    /// The archive (or a file of the folder) could not be read.
    #[error("{archive}: cannot read it: {message}")]
    Read {
        /// The archive or file.
        archive: String,
        /// What went wrong.
        message: String,
    },
    /// The unpacked copy or the exported file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Unpacks the pack in `source` (a folder, a `.zip` or a `.tar.gz`, told apart by their first
/// bytes, not their names) into the empty folder `into`, and returns the pack's folder there:
/// `into` itself, or the one folder the archive holds when `pack.toml` is in it. Nothing is
/// written outside `into`; on an error, `into` may hold part of the pack.
pub fn unpack(source: &Path, into: &Path) -> Result<PathBuf, ArchiveError> {
    let mut unpacking = Unpacking {
        archive: source.display().to_string(),
        into,
        files: 0,
        bytes: 0,
    };
    let read = |e: io::Error| ArchiveError::Read {
        archive: source.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(source).map_err(read)?;
    if meta.is_dir() {
        unpacking.folder_tree(source, Path::new(""))?;
    } else {
        let mut file = File::open(source).map_err(read)?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(read)?;
        drop(file);
        match &magic[..n] {
            [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6] => unpacking.zip(source)?,
            [0x1f, 0x8b, ..] => unpacking.tar_gz(source)?,
            _ => {
                return Err(ArchiveError::Unknown {
                    archive: unpacking.archive,
                });
            }
        }
    }
    pack_root(into).ok_or(ArchiveError::NoPack {
        archive: unpacking.archive,
    })
}

/// The pack's folder in an unpacked tree: `into` with a `pack.toml`, or its only entry, a folder
/// with one.
fn pack_root(into: &Path) -> Option<PathBuf> {
    if into.join("pack.toml").is_file() {
        return Some(into.to_path_buf());
    }
    let mut entries = std::fs::read_dir(into).ok()?;
    let only = entries.next()?.ok()?.path();
    (entries.next().is_none() && only.join("pack.toml").is_file()).then_some(only)
}

/// An unpacking under way: where to, and what has been written, against the limits.
struct Unpacking<'a> {
    /// The source, as messages name it.
    archive: String,
    /// The folder unpacked into.
    into: &'a Path,
    /// Files written.
    files: usize,
    /// Bytes written.
    bytes: u64,
}

impl Unpacking<'_> {
    /// Where the entry `name` goes under [`Unpacking::into`]: refused when absolute or with a
    /// `..`; `None` for the top itself (`./`).
    fn place(&self, name: &Path) -> Result<Option<PathBuf>, ArchiveError> {
        let mut relative = PathBuf::new();
        for component in name.components() {
            match component {
                Component::Normal(part) => relative.push(part),
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) | Component::ParentDir => {
                    return Err(ArchiveError::Outside {
                        archive: self.archive.clone(),
                        entry: name.display().to_string(),
                    });
                }
            }
        }
        Ok((!relative.as_os_str().is_empty()).then(|| self.into.join(relative)))
    }

    /// A folder entry.
    fn folder(&mut self, name: &Path) -> Result<(), ArchiveError> {
        if let Some(path) = self.place(name)? {
            std::fs::create_dir_all(&path)
                .map_err(|source| ArchiveError::Write { path, source })?;
        }
        Ok(())
    }

    /// A file entry whose header says it holds `claimed` bytes, read from `content` up to the
    /// limit for a pack file, whatever the claim.
    fn file(&mut self, name: &Path, claimed: u64, content: impl Read) -> Result<(), ArchiveError> {
        let too_large = |bytes| ArchiveError::TooLarge {
            archive: self.archive.clone(),
            entry: name.display().to_string(),
            bytes,
        };
        if claimed > MAX_FILE_BYTES {
            return Err(too_large(claimed));
        }
        let Some(path) = self.place(name)? else {
            return Err(ArchiveError::Outside {
                archive: self.archive.clone(),
                entry: name.display().to_string(),
            });
        };
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(ArchiveError::TooMuch {
                archive: self.archive.clone(),
            });
        }
        let write = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ArchiveError::Write { path, source }
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write(parent))?;
        }
        let mut out = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(out) => out,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(ArchiveError::Twice {
                    archive: self.archive.clone(),
                    entry: name.display().to_string(),
                });
            }
            Err(e) => return Err(write(&path)(e)),
        };
        let copied = copy_limited(content, &mut out, MAX_FILE_BYTES).map_err(|e| match e {
            Copy::Read(e) => ArchiveError::Read {
                archive: self.archive.clone(),
                message: format!("{}: {e}", name.display()),
            },
            Copy::Write(e) => write(&path)(e),
            Copy::Over(bytes) => too_large(bytes),
        })?;
        self.bytes += copied;
        if self.bytes > MAX_PACK_BYTES {
            return Err(ArchiveError::TooMuch {
                archive: self.archive.clone(),
            });
        }
        Ok(())
    }

    /// Copies the folder `dir` (at `name` in the pack) and everything in it.
    fn folder_tree(&mut self, dir: &Path, name: &Path) -> Result<(), ArchiveError> {
        let read = |path: &Path| {
            let archive = path.display().to_string();
            move |e: io::Error| ArchiveError::Read {
                archive,
                message: e.to_string(),
            }
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(read(dir))?
            .collect::<Result<_, _>>()
            .map_err(read(dir))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let inner = name.join(entry.file_name());
            let meta = std::fs::symlink_metadata(&path).map_err(read(&path))?;
            if meta.file_type().is_symlink() {
                return Err(ArchiveError::Link {
                    archive: self.archive.clone(),
                    entry: inner.display().to_string(),
                });
            } else if meta.is_dir() {
                self.folder(&inner)?;
                self.folder_tree(&path, &inner)?;
            } else if meta.is_file() {
                let file = File::open(&path).map_err(read(&path))?;
                self.file(&inner, meta.len(), file)?;
            } else {
                return Err(ArchiveError::Special {
                    archive: self.archive.clone(),
                    entry: inner.display().to_string(),
                });
            }
        }
        Ok(())
    }

    /// Unpacks a zip archive.
    fn zip(&mut self, source: &Path) -> Result<(), ArchiveError> {
        let archive = self.archive.clone();
        let corrupt = |e: zip::result::ZipError| ArchiveError::Read {
            archive: archive.clone(),
            message: e.to_string(),
        };
        let file = File::open(source).map_err(|e| corrupt(e.into()))?;
        let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(corrupt)?;
        for i in 0..zip.len() {
            let entry = zip.by_index(i).map_err(corrupt)?;
            let name = PathBuf::from(entry.name());
            // The file type bits of the entry's Unix mode, where the zip has one.
            let kind = entry.unix_mode().map_or(0, |mode| mode & 0o170_000);
            if entry.is_symlink() {
                return Err(self.link(&name));
            } else if entry.is_dir() || kind == 0o040_000 {
                self.folder(&name)?;
            } else if kind == 0 || kind == 0o100_000 {
                let claimed = entry.size();
                self.file(&name, claimed, entry)?;
            } else {
                return Err(ArchiveError::Special {
                    archive: self.archive.clone(),
                    entry: name.display().to_string(),
                });
            }
        }
        Ok(())
    }

    /// Unpacks a gzip-compressed tar archive. Everything it holds, headers included, is read
    /// through a limit of [`MAX_PACK_BYTES`] (plus room for the headers), so a crafted long name
    /// cannot make it read without end.
    fn tar_gz(&mut self, source: &Path) -> Result<(), ArchiveError> {
        let archive = self.archive.clone();
        let corrupt = |e: io::Error| ArchiveError::Read {
            archive: archive.clone(),
            message: e.to_string(),
        };
        let file = File::open(source).map_err(corrupt)?;
        let inflated = flate2::read::GzDecoder::new(BufReader::new(file));
        let limit = MAX_PACK_BYTES + (MAX_FILES as u64 + 1) * 4096;
        let mut archive = tar::Archive::new(Limited {
            inner: inflated,
            left: limit,
        });
        for entry in archive.entries().map_err(corrupt)? {
            let entry = entry.map_err(corrupt)?;
            let name = entry.path().map_err(corrupt)?.into_owned();
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                return Err(self.link(&name));
            } else if kind.is_dir() {
                self.folder(&name)?;
            } else if kind.is_file() || kind.is_contiguous() {
                let claimed = entry.size();
                self.file(&name, claimed, entry)?;
            } else if !kind.is_pax_global_extensions() {
                return Err(ArchiveError::Special {
                    archive: self.archive.clone(),
                    entry: name.display().to_string(),
                });
            }
        }
        Ok(())
    }

    /// The refusal of a link at `name`.
    fn link(&self, name: &Path) -> ArchiveError {
        ArchiveError::Link {
            archive: self.archive.clone(),
            entry: name.display().to_string(),
        }
    }
}

/// A reader that fails once it has given `left` bytes.
struct Limited<R> {
    /// The reader.
    inner: R,
    /// Bytes it may still give.
    left: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(format!(
                "it holds more than the {} MB a pack may",
                MAX_PACK_BYTES >> 20
            )));
        }
        let most = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..most])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Why a limited copy stopped.
enum Copy {
    /// Reading failed.
    Read(io::Error),
    /// Writing failed.
    Write(io::Error),
    /// More than the limit came: this many bytes.
    Over(u64),
}

/// Copies `from` into `to`, failing once more than `limit` bytes have come; returns the bytes
/// copied.
fn copy_limited(mut from: impl Read, to: &mut impl Write, limit: u64) -> Result<u64, Copy> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        total += n as u64;
        if total > limit {
            return Err(Copy::Over(total));
        }
        to.write_all(&buf[..n]).map_err(Copy::Write)?;
    }
}

/// Writes the pack at `location` as a zip archive at `file`, whole or not at all: every file of
/// the pack (with its folders) inside one folder named `name`, so that unzipping it anywhere
/// makes the pack's folder and [`unpack`] reads it back. A link, device or pipe in the pack is
/// refused, as [`unpack`] would refuse it. Returns how many files it holds.
pub fn export(location: &Location, name: &str, file: &Path) -> Result<usize, ArchiveError> {
    let files = match location {
        #[cfg(feature = "embedded-voice")]
        Location::Embedded => location.files(),
        Location::Folder(dir) => {
            let mut files = Vec::new();
            tree(dir, "", &mut files)?;
            files
        }
    };
    let write = |source| ArchiveError::Write {
        path: file.to_path_buf(),
        source,
    };
    let zip_error = |e: zip::result::ZipError| write(io::Error::other(e));
    let out = AtomicFile::create(file).map_err(write)?;
    let mut zip = zip::ZipWriter::new(out.file());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for inner in &files {
        let bytes = location.read(inner).map_err(|e| ArchiveError::Read {
            archive: location.describe(inner),
            message: e.to_string(),
        })?;
        zip.start_file(format!("{name}/{inner}"), options)
            .map_err(zip_error)?;
        zip.write_all(&bytes).map_err(write)?;
    }
    zip.finish().map_err(zip_error)?;
    out.commit().map_err(write)?;
    Ok(files.len())
}

/// The files under `dir` (at `prefix` in the pack, `""` at its top) as pack paths
/// (`sub/file.ogg`), sorted; a link or anything else that is not a file or a folder is refused.
fn tree(dir: &Path, prefix: &str, files: &mut Vec<String>) -> Result<(), ArchiveError> {
    let archive = || dir.display().to_string();
    let read = |e: io::Error| ArchiveError::Read {
        archive: archive(),
        message: e.to_string(),
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read)?
        .collect::<Result<_, _>>()
        .map_err(read)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(file_name) = entry.file_name().into_string() else {
            return Err(ArchiveError::Name {
                archive: archive(),
                entry: entry.file_name().to_string_lossy().into_owned(),
            });
        };
        let inner = format!("{prefix}{file_name}");
        let kind = entry.file_type().map_err(read)?;
        if kind.is_symlink() {
            return Err(ArchiveError::Link {
                archive: archive(),
                entry: inner,
            });
        } else if kind.is_dir() {
            tree(&entry.path(), &format!("{inner}/"), files)?;
        } else if kind.is_file() {
            files.push(inner);
        } else {
            return Err(ArchiveError::Special {
                archive: archive(),
                entry: inner,
            });
        }
    }
    Ok(())
}
