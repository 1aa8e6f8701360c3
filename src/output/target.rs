//! Where a render's bytes go, decided once before any audio is made.
//!
//! - A regular file or a new path: a temporary file in the same directory, synced and renamed over
//!   the path only when complete, with the replaced file's permission bits (a new file gets the
//!   mode the umask gives).
//! - A symlink: resolved, and its final target written the same atomic way; the link stays.
//! - `-` (standard output) or anything else that is not a regular file (a pipe, a device): the
//!   bytes are streamed straight into it; it is never removed or replaced.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Bytes buffered between the encoder and the file; large writes keep system calls few.
const BUFFER: usize = 1 << 20;

/// Symlinks followed before a path is called a loop.
const MAX_LINKS: usize = 40;

/// An opened render destination.
#[derive(Debug)]
pub struct Target {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Standard output or a pipe or device: written in place.
    Stream { file: File, stdout: bool },
    /// A regular file (or a new one) at `dest`, replaced atomically by `temp`.
    Replace {
        temp: tempfile::NamedTempFile,
        dest: PathBuf,
    },
}

impl Target {
    /// Opens the destination `path` (`-` is standard output) as described in the module docs.
    /// Nothing at `path` is changed until [`Target::commit`].
    pub fn open(path: &Path) -> io::Result<Target> {
        if path.as_os_str() == "-" {
            let fd = std::os::fd::AsFd::as_fd(&io::stdout()).try_clone_to_owned()?;
            return Ok(Target {
                kind: Kind::Stream {
                    file: File::from(fd),
                    stdout: true,
                },
            });
        }
        let dest = resolve(path)?;
        match std::fs::metadata(&dest) {
            Ok(meta) if meta.is_dir() => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )),
            Ok(meta) if !meta.is_file() => {
                // A pipe or device: opening for writing never creates or truncates anything.
                let file = OpenOptions::new().write(true).open(&dest)?;
                Ok(Target {
                    kind: Kind::Stream {
                        file,
                        stdout: false,
                    },
                })
            }
            existing => {
                let existing = match existing {
                    Ok(meta) => Some(meta),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return Err(e),
                };
                let dir = match dest.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                let mut builder = tempfile::Builder::new();
                builder.prefix(".balasana-render-").suffix(".partial");
                // Created with 0666 less the umask, as any new file; a replaced file's mode and
                // owner are copied below.
                builder.permissions(std::fs::Permissions::from_mode(0o666));
                let temp = builder.tempfile_in(dir)?;
                if let Some(meta) = existing {
                    // Ownership can only be kept where we are allowed to give it (as root);
                    // otherwise the file is ours, as with any editor's save.
                    let _ = std::os::unix::fs::fchown(
                        temp.as_file(),
                        Some(meta.uid()),
                        Some(meta.gid()),
                    );
                    temp.as_file()
                        .set_permissions(std::fs::Permissions::from_mode(
                            meta.permissions().mode() & 0o7777,
                        ))?;
                }
                Ok(Target {
                    kind: Kind::Replace { temp, dest },
                })
            }
        }
    }

    /// Whether the bytes go to standard output (so messages must go to stderr).
    pub fn is_stdout(&self) -> bool {
        matches!(self.kind, Kind::Stream { stdout: true, .. })
    }

    /// A buffered writer into the destination (the temporary file when replacing).
    pub fn writer(&self) -> BufWriter<&File> {
        let file = match &self.kind {
            Kind::Stream { file, .. } => file,
            Kind::Replace { temp, .. } => temp.as_file(),
        };
        BufWriter::with_capacity(BUFFER, file)
    }

    /// Writes `bytes` at `offset` of a file destination (a header field known only at the end);
    /// a pipe or device cannot be rewound and goes without.
    pub fn patch(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        match &self.kind {
            Kind::Stream { .. } => Ok(()),
            Kind::Replace { temp, .. } => {
                std::os::unix::fs::FileExt::write_all_at(temp.as_file(), bytes, offset)
            }
        }
    }

    /// Makes the written bytes final: syncs and renames the temporary file into place (and syncs
    /// its directory). A stream needs nothing more. Dropping a target without committing removes
    /// its temporary file.
    pub fn commit(self) -> io::Result<()> {
        match self.kind {
            Kind::Stream { .. } => Ok(()),
            Kind::Replace { temp, dest } => {
                temp.as_file().sync_all()?;
                temp.persist(&dest).map_err(|e| e.error)?;
                let dir = match dest.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                File::open(dir)?.sync_all()
            }
        }
    }
}

/// Follows `path` through symlinks to the path that is finally written: the end of the chain,
/// which may not exist yet (a dangling link creates its target, as `>` in a shell does).
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}
