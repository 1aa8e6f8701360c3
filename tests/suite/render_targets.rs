//! Where a render's bytes go: regular files are replaced atomically with their mode kept,
//! symlinks are written through, and `-`, pipes and devices are streamed into, never replaced.
//! Every symlink, FIFO and device node here is made inside a private temp dir, never under /dev.

use std::ffi::CString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

/// The short test session (about half a minute) with a pack of tone bursts made in `dir`.
fn args(dir: &Path) -> Vec<String> {
    let (script, path) = short_script();
    if !dir.join("audio/bursts").exists() {
        make_pack_for(&script, dir, "bursts", 48_000, 1, 0.3, &[]);
    }
    [
        "--script",
        &path.display().to_string(),
        "--hold",
        "10",
        "--pack",
        "bursts",
    ]
    .map(String::from)
    .to_vec()
}

/// The binary as a plain `Command`, in `dir`, for the tests that wire stdin/stdout themselves.
fn raw(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_balasana-audio"));
    c.current_dir(dir).args(args(dir));
    c
}

/// Renders the session to `name` in `dir` and returns the file's bytes: the reference.
fn reference(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    bin(dir)
        .args(args(dir))
        .arg("--render")
        .arg(&path)
        .arg("-q")
        .assert()
        .success();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    bytes
}

/// Decodes a 16-bit WAV held in memory: (spec, samples).
fn decode_wav(bytes: &[u8]) -> (hound::WavSpec, Vec<i16>) {
    let r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
    let spec = r.spec();
    (spec, r.into_samples().map(Result::unwrap).collect())
}

/// Makes a character device node `major,minor` at `path`, or says why not (then the test skips).
fn mknod(path: &Path, major: u32, minor: u32) -> Result<(), String> {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let dev = libc::makedev(major, minor);
    // SAFETY: a valid NUL-terminated path; mknod only creates the node.
    let r = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, dev) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("partial"))
        .collect()
}

#[test]
fn a_symlink_is_written_through_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), "ref.wav");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let target = elsewhere.join("real.wav");
    std::fs::write(&target, b"old contents").unwrap();
    let link = dir.path().join("link.wav");
    std::os::unix::fs::symlink("elsewhere/real.wav", &link).unwrap();

    bin(dir.path())
        .args(args(dir.path()))
        .args(["--render", "link.wav", "-q"])
        .assert()
        .success();
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("elsewhere/real.wav")
    );
    assert_eq!(std::fs::read(&target).unwrap(), want);
    assert!(leftovers(dir.path()).is_empty() && leftovers(&elsewhere).is_empty());
}

#[test]
fn a_dangling_symlink_creates_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.wav");
    std::os::unix::fs::symlink("new.wav", &link).unwrap();
    bin(dir.path())
        .args(args(dir.path()))
        .args(["--render", "link.wav", "-q"])
        .assert()
        .success();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let (spec, _) = read_wav(&dir.path().join("new.wav"));
    assert_eq!(spec.channels, 2);
}

#[test]
fn a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private.wav");
    std::fs::write(&private, b"old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    bin(dir.path())
        .args(args(dir.path()))
        .args(["--render", "private.wav", "-q"])
        .assert()
        .success();
    assert_eq!(mode(&private), 0o600);
    assert_ne!(std::fs::read(&private).unwrap(), b"old");

    for (umask, want) in [("077", 0o600), ("022", 0o644), ("002", 0o664)] {
        let name = format!("new-{umask}.wav");
        let status = Command::new("sh")
            .current_dir(dir.path())
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_balasana-audio"))
            .args(args(dir.path()))
            .args(["--render", &name, "-q"])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(mode(&dir.path().join(&name)), want, "umask {umask}");
    }
}

#[test]
fn dash_streams_the_file_to_stdout_and_every_message_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), "ref.wav");
    // Not quiet: the closing line must still stay off stdout.
    let out = raw(dir.path()).args(["--render", "-"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrote standard output"), "{stderr}");
    assert_eq!(out.stdout.len(), want.len());
    assert!(out.stdout == want, "stdout differs from the file render");
    let (spec, got) = decode_wav(&out.stdout);
    let (_, expected) = decode_wav(&want);
    assert_eq!((spec.channels, spec.sample_rate), (2, 48_000));
    assert_eq!(got, expected);
    assert!(!dir.path().join("-").exists(), "a file named - was made");
}

#[test]
fn a_closed_pipe_on_stdout_is_exit_6_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = raw(dir.path())
        .args(["--render", "-", "-q"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"RIFF");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("cannot write standard output"),
        "{stderr}"
    );
    assert!(lines[0].contains("Broken pipe"), "{stderr}");
}

#[test]
fn a_fifo_is_streamed_into_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), "ref.wav");
    let fifo = dir.path().join("pipe.wav");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let status = raw(dir.path())
        .args(["--render", "pipe.wav", "-q"])
        .status()
        .unwrap();
    assert!(status.success());
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
    let got = reader.join().unwrap();
    assert!(
        got == want,
        "the FIFO carried other bytes than the file render"
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_fifo_without_an_extension_takes_format() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let status = raw(dir.path())
        .args(["--render", "pipe", "--format", "flac", "-q"])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(&reader.join().unwrap()[..4], b"fLaC");
}

#[test]
fn a_null_device_is_written_into_and_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("null.wav");
    if let Err(e) = mknod(&node, 1, 3) {
        println!("skipped: cannot make a device node in a temp dir ({e})");
        return;
    }
    bin(dir.path())
        .args(args(dir.path()))
        .args(["--render", "null.wav", "-q"])
        .assert()
        .success();
    let meta = std::fs::symlink_metadata(&node).unwrap();
    assert!(meta.file_type().is_char_device(), "the device was replaced");
    assert_eq!(meta.rdev(), libc::makedev(1, 3));
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_full_device_is_exit_6_naming_it_and_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("full.wav");
    if let Err(e) = mknod(&node, 1, 7) {
        println!("skipped: cannot make a device node in a temp dir ({e})");
        return;
    }
    let out = raw(dir.path())
        .args(["--render", "full.wav", "-q"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("cannot write full.wav"), "{stderr}");
    assert!(lines[0].contains("No space left on device"), "{stderr}");
    let meta = std::fs::symlink_metadata(&node).unwrap();
    assert!(meta.file_type().is_char_device(), "the device was replaced");
    assert_eq!(meta.rdev(), libc::makedev(1, 7));
}

#[test]
fn a_directory_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.wav");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let out = raw(dir.path())
        .args(["--render", "out.wav", "-q"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("cannot write out.wav"), "{stderr}");
    assert!(stderr.contains("directory"), "{stderr}");
    assert_eq!(std::fs::read(target.join("keep")).unwrap(), b"x");
    assert!(leftovers(dir.path()).is_empty());
}
