//! Where a render's (or a transcript's) bytes go, decided once before any audio is made.
//!
//! - A regular file or a new path: written whole or not at all ([`AtomicFile`]: a temporary file
//!   beside it, renamed over it only when complete, keeping the replaced file's permission bits;
//!   a symlink's final target is written, and the link stays).
//! - `-` (standard output) or anything else that is not a regular file (a pipe, a device): the
//!   bytes are streamed straight into it; it is never removed or replaced.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::atomic::{self, AtomicFile};

/// Bytes buffered between the encoder and the file; large writes keep system calls few.
const BUFFER: usize = 1 << 20;

/// Bytes written to a replaced file before the kernel is asked to start writing them to disk
/// (see [`WriteBehind`]).
const WRITE_BEHIND: u64 = 8 << 20;

/// An opened render destination.
#[derive(Debug)]
pub struct Target {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Standard output or a pipe or device: written in place.
    Stream { file: File, stdout: bool },
    /// A regular file (or a new one), replaced atomically.
    Replace(AtomicFile),
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
        let dest = atomic::resolve(path)?;
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
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(Target {
                kind: Kind::Replace(AtomicFile::create(&dest)?),
            }),
        }
    }

    /// Whether the bytes go to standard output (so messages must go to stderr).
    pub fn is_stdout(&self) -> bool {
        matches!(self.kind, Kind::Stream { stdout: true, .. })
    }

    /// A buffered writer into the destination (the temporary file when replacing, with its
    /// write-back started as it grows: [`WriteBehind`]).
    pub fn writer(&self) -> BufWriter<WriteBehind<'_>> {
        BufWriter::with_capacity(BUFFER, self.unbuffered())
    }

    /// The destination without a buffer, for an encoder that gathers large writes itself (WAV):
    /// a buffer would only copy every byte once more.
    pub fn unbuffered(&self) -> WriteBehind<'_> {
        match &self.kind {
            Kind::Stream { file, .. } => WriteBehind::new(file, false),
            Kind::Replace(atomic) => WriteBehind::new(atomic.file(), true),
        }
    }

    /// Writes `bytes` at `offset` of a file destination (a header field known only at the end);
    /// a pipe or device cannot be rewound and goes without.
    pub fn patch(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        match &self.kind {
            Kind::Stream { .. } => Ok(()),
            Kind::Replace(atomic) => {
                std::os::unix::fs::FileExt::write_all_at(atomic.file(), bytes, offset)
            }
        }
    }

    /// Makes the written bytes final: syncs and renames the temporary file into place (and syncs
    /// its directory). A stream needs nothing more. Dropping a target without committing removes
    /// its temporary file.
    pub fn commit(self) -> io::Result<()> {
        match self.kind {
            Kind::Stream { .. } => Ok(()),
            Kind::Replace(atomic) => atomic.commit(),
        }
    }
}

/// Writes into a file and, for a file that will be synced (a replaced one), asks the kernel to
/// start writing each [`WRITE_BEHIND`] bytes to disk as soon as they are written
/// (`sync_file_range` with `SYNC_FILE_RANGE_WRITE`, which does not wait): the disk works while
/// the rest is mixed, so the closing `fsync` finds little left. The guarantee is unchanged: the
/// file is still synced whole before it is renamed into place.
#[derive(Debug)]
pub struct WriteBehind<'a> {
    file: &'a File,
    /// Bytes written so far.
    written: u64,
    /// Bytes whose write-back has been started.
    started: u64,
    /// Whether to start write-back at all (not for pipes and devices).
    behind: bool,
}

impl<'a> WriteBehind<'a> {
    /// Writes into `file`, starting its write-back as it grows if `behind`.
    fn new(file: &'a File, behind: bool) -> WriteBehind<'a> {
        WriteBehind {
            file,
            written: 0,
            started: 0,
            behind,
        }
    }

    /// Starts the write-back of what was written since the last start.
    fn start_write_back(&mut self) {
        let (offset, len) = (self.started, self.written - self.started);
        // SAFETY: a plain system call on a descriptor we hold open; it reads no memory of ours.
        let done = unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                offset as libc::off64_t,
                len as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            )
        };
        // A file system without it (or a refusal) only loses the head start: the final fsync
        // writes everything anyway.
        self.behind = done == 0;
        self.started = self.written;
    }
}

impl Write for WriteBehind<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.behind && self.written - self.started >= WRITE_BEHIND {
            self.start_write_back();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
