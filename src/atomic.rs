//! Files and folders written whole or not at all: everything is written under a temporary name
//! beside its destination and renamed into place only when complete, so a reader (or the next
//! run) never sees half a file or half a pack, and a failure leaves what was there untouched.
//!
//! - [`AtomicFile`]: renders, transcripts, `config init` and the caches. A symlink is followed and
//!   its final target replaced (the link stays); a replaced file's permission bits (and, where
//!   allowed, owner) are kept; a new file gets the mode the umask gives.
//! - [`write_folder`] and [`copy_folder`]: a voice pack's folder (`packs make`, `packs new`,
//!   `packs install`), which replaces an older folder of the same name in one step
//!   ([`write_folder_carrying`] keeps one of its subfolders: the takes `packs record` keeps in
//!   `raw/`); [`remove_folder`] takes one away in one step (`packs remove`).
//!
//! Pipes and devices cannot be replaced; `output::target` streams into them instead.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How every temporary file and folder begins and ends, so a leftover is recognisable.
const TEMP_PREFIX: &str = ".balasana-";
/// See [`TEMP_PREFIX`].
const TEMP_SUFFIX: &str = ".partial";

/// Symlinks followed before a path is called a loop.
const MAX_LINKS: usize = 40;

/// A file being written under a temporary name in its destination's folder; nothing at the
/// destination changes until [`AtomicFile::commit`]. Dropped without committing, the temporary
/// file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl AtomicFile {
    /// Starts replacing `path` (through its symlinks: see [`resolve`]). A file already there
    /// lends the new one its permission bits, and its owner where that is allowed (as root).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dest = resolve(path)?;
        let existing = match std::fs::metadata(&dest) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        // Created with 0666 less the umask, as any new file; a replaced file's mode and owner
        // are copied below.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
        let temp = builder.tempfile_in(folder_of(&dest))?;
        if let Some(meta) = existing {
            // Ownership can only be kept where we are allowed to give it (as root); otherwise
            // the file is ours, as with any editor's save.
            let _ = std::os::unix::fs::fchown(temp.as_file(), Some(meta.uid()), Some(meta.gid()));
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(
                    meta.permissions().mode() & 0o7777,
                ))?;
        }
        Ok(AtomicFile { temp, dest })
    }

    /// The temporary file, to write into.
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// Makes the written bytes final and durable: syncs the file, renames it over the
    /// destination and syncs the folder.
    pub fn commit(self) -> io::Result<()> {
        self.temp.as_file().sync_all()?;
        let dest = self.dest.clone();
        self.commit_unsynced()?;
        File::open(folder_of(&dest))?.sync_all()
    }

    /// Renames the file into place without syncing: for caches, where a file lost in a crash
    /// costs only the time to learn it again.
    pub fn commit_unsynced(self) -> io::Result<()> {
        self.temp.persist(&self.dest).map(drop).map_err(|e| e.error)
    }
}

/// Writes `bytes` to `path` atomically and durably ([`AtomicFile`]).
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file = AtomicFile::create(path)?;
    file.file().write_all(bytes)?;
    file.commit()
}

/// Follows `path` through symlinks to the path that is finally written: the end of the chain,
/// which may not exist yet (a dangling link creates its target, as `>` in a shell does).
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
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

/// The folder a path is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Why a folder could not be written: the file or folder that failed, and how.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FolderError {
    /// The file or folder that could not be written, created or replaced.
    pub path: PathBuf,
    /// The I/O error.
    pub source: io::Error,
}

/// Writes `files` (name, bytes) as the folder `dir`: into a temporary sibling folder, every file
/// synced, then put in place in one step. A folder already at `dir` is swapped with the new one
/// (`renameat2` with `RENAME_EXCHANGE`, so the name always holds a whole folder) and then
/// removed. On a file system without that exchange, the old folder is first moved aside: `dir`
/// is then missing for an instant, but never half written.
pub fn write_folder(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), FolderError> {
    write_folder_carrying(dir, files, None)
}

/// [`write_folder`], with the subfolder `carried` of the folder replaced (if there is one) put in
/// the new folder too, its files hard-linked (copied where links cannot be made), so they are in
/// the folder at every moment; files named as temporary ones are left out.
pub fn write_folder_carrying(
    dir: &Path,
    files: &[(&str, &[u8])],
    carried: Option<&str>,
) -> Result<(), FolderError> {
    fill_folder(dir, |temp| {
        for (name, bytes) in files {
            let path = temp.join(name);
            let mut file = File::create(&path).map_err(fail(&path))?;
            file.write_all(bytes).map_err(fail(&path))?;
            file.sync_all().map_err(fail(&path))?;
        }
        if let Some(sub) = carried {
            carry(&dir.join(sub), &temp.join(sub))?;
        }
        Ok(())
    })
}

/// Copies the folder `from` (its files and folders; nothing else is expected there) as the folder
/// `dir`, whole or not at all, as [`write_folder`] writes one.
pub fn copy_folder(from: &Path, dir: &Path) -> Result<(), FolderError> {
    fill_folder(dir, |temp| copy_tree(from, temp))
}

/// Copies the files and folders in `from` into the folder `to`, every file synced.
fn copy_tree(from: &Path, to: &Path) -> Result<(), FolderError> {
    for entry in std::fs::read_dir(from).map_err(fail(from))? {
        let entry = entry.map_err(fail(from))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(fail(&source))?.is_dir() {
            std::fs::create_dir(&target).map_err(fail(&target))?;
            copy_tree(&source, &target)?;
            File::open(&target)
                .and_then(|f| f.sync_all())
                .map_err(fail(&target))?;
        } else {
            std::fs::copy(&source, &target).map_err(fail(&target))?;
            File::open(&target)
                .and_then(|f| f.sync_all())
                .map_err(fail(&target))?;
        }
    }
    Ok(())
}

/// Removes the folder `dir` and everything in it: first renamed to a temporary name beside it,
/// so the name is gone in one step and a removal cut short leaves a recognisable leftover
/// rather than half a folder under its name.
pub fn remove_folder(dir: &Path) -> Result<(), FolderError> {
    let parent = folder_of(dir);
    let aside = temp_folder(parent)?;
    let place = aside.path().to_path_buf();
    // Renaming a folder over an empty one replaces it.
    std::fs::rename(dir, &place).map_err(fail(dir))?;
    aside.close().map_err(fail(&place))?;
    File::open(parent)
        .and_then(|f| f.sync_all())
        .map_err(fail(parent))
}

/// The error-maker for an I/O failure at `path`.
fn fail(path: &Path) -> impl FnOnce(io::Error) -> FolderError + use<> {
    let path = path.to_path_buf();
    move |source| FolderError { path, source }
}

/// A new temporary folder in `parent`, removed when dropped.
fn temp_folder(parent: &Path) -> Result<tempfile::TempDir, FolderError> {
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempdir_in(parent)
        .map_err(fail(parent))
}

/// Makes the folder `dir` with `fill`, which writes into an empty temporary folder beside it
/// (every file synced), then puts it in place in one step, replacing any folder there (see
/// [`write_folder`]). On a failure, `dir` is as it was and the temporary folder is removed.
fn fill_folder(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), FolderError>,
) -> Result<(), FolderError> {
    let parent = folder_of(dir);
    std::fs::create_dir_all(parent).map_err(fail(parent))?;
    let temp = temp_folder(parent)?;
    fill(temp.path())?;
    File::open(temp.path())
        .and_then(|f| f.sync_all())
        .map_err(fail(temp.path()))?;
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::rename(temp.path(), dir).map_err(fail(dir))?;
        // The folder now lives at `dir`; nothing is left to clean up.
        let _ = temp.keep();
    } else {
        swap(temp.path(), dir).map_err(fail(dir))?;
        // `temp` now holds the old folder, removed when it is dropped; a failure to remove it
        // is reported (the new folder is in place).
        let old = temp.path().to_path_buf();
        temp.close().map_err(fail(&old))?;
    }
    File::open(parent)
        .and_then(|f| f.sync_all())
        .map_err(fail(parent))
}

/// The files of the folder `from` (if it is one) linked, or else copied, into a new folder `to`.
fn carry(from: &Path, to: &Path) -> Result<(), FolderError> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    std::fs::create_dir(to).map_err(fail(to))?;
    for entry in entries {
        let entry = entry.map_err(fail(from))?;
        let name = entry.file_name();
        let temporary = name.to_string_lossy().starts_with(TEMP_PREFIX);
        if temporary || !entry.file_type().map_err(fail(&entry.path()))?.is_file() {
            continue;
        }
        let target = to.join(&name);
        if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).map_err(fail(&target))?;
            File::open(&target)
                .and_then(|f| f.sync_all())
                .map_err(fail(&target))?;
        }
    }
    File::open(to).and_then(|f| f.sync_all()).map_err(fail(to))
}

/// Exchanges the folders at `a` and `b` in one step, or where the file system cannot, moves `b`
/// aside, `a` to `b`, and the old `b` to `a`.
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            let aside = a.with_extension("old");
            std::fs::rename(b, &aside)?;
            if let Err(e) = std::fs::rename(a, b) {
                // Put the old folder back: the failure leaves things as they were.
                let _ = std::fs::rename(&aside, b);
                return Err(e);
            }
            std::fs::rename(&aside, a)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A pack folder's files: 20 small clips and a `pack.toml` saying which version it is.
    fn version(v: u8) -> Vec<(String, Vec<u8>)> {
        (0..20)
            .map(|i| (format!("clip-{i}.ogg"), vec![v; 64]))
            .chain([("pack.toml".to_owned(), vec![v; 8])])
            .collect()
    }

    fn write(dir: &Path, files: &[(String, Vec<u8>)]) {
        let files: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        write_folder(dir, &files).unwrap();
    }

    /// Failed before (a reader found no whole pack tens of thousands of times over ten
    /// replacements) when the old folder was removed before the new one was renamed into place.
    #[test]
    fn a_folder_is_replaced_in_one_step() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("p");
        let (a, b) = (version(1), version(2));
        write(&dir, &a);
        // Someone reading the pack meanwhile always finds a whole one, old or new.
        let stop = Arc::new(AtomicBool::new(false));
        let missing = Arc::new(AtomicUsize::new(0));
        let reader = {
            let (dir, stop, missing) = (dir.clone(), stop.clone(), missing.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if !dir.join("pack.toml").is_file() || !dir.join("clip-19.ogg").is_file() {
                        missing.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        for round in 0..10 {
            write(&dir, if round % 2 == 0 { &b } else { &a });
        }
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
        assert_eq!(missing.load(Ordering::Relaxed), 0, "the pack was missing");
        assert_eq!(std::fs::read(dir.join("pack.toml")).unwrap(), vec![1; 8]);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 21);
        let left: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["p"], "temporary folders left behind");
    }

    #[test]
    fn a_carried_subfolder_survives_the_replacement() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("p");
        write(&dir, &version(1));
        std::fs::create_dir(dir.join("raw")).unwrap();
        std::fs::write(dir.join("raw/take.wav"), b"take").unwrap();
        std::fs::write(dir.join("raw/.balasana-x.partial"), b"half").unwrap();
        write_folder_carrying(&dir, &[("pack.toml", b"new")], Some("raw")).unwrap();
        assert_eq!(std::fs::read(dir.join("pack.toml")).unwrap(), b"new");
        assert_eq!(std::fs::read(dir.join("raw/take.wav")).unwrap(), b"take");
        let raw: Vec<_> = std::fs::read_dir(dir.join("raw")).unwrap().collect();
        assert_eq!(raw.len(), 1, "the temporary file is left out");
        assert!(!dir.join("clip-0.ogg").exists());
        // Without the subfolder, nothing is carried and nothing fails.
        write_folder_carrying(&root.path().join("q"), &[("pack.toml", b"q")], Some("raw")).unwrap();
        assert!(!root.path().join("q/raw").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_failed_folder_leaves_the_old_one_and_no_temporary_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("p");
        write(&dir, &version(1));
        let e = write_folder(&dir, &[("pack.toml", b"new"), ("sub/clip.ogg", b"x")]).unwrap_err();
        assert!(e.path.ends_with("sub/clip.ogg"), "{e}");
        assert_eq!(std::fs::read(dir.join("pack.toml")).unwrap(), vec![1; 8]);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_through_a_symlink_keeps_the_link_and_the_mode() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real.txt");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = root.path().join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        let file = AtomicFile::create(&link).unwrap();
        file.file().write_all(b"new").unwrap();
        assert_eq!(
            std::fs::read(&real).unwrap(),
            b"old",
            "untouched until committed"
        );
        file.commit().unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        // Dropped without a commit, nothing changes and nothing is left.
        drop(AtomicFile::create(&link).unwrap());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 2);
    }
}
