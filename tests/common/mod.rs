//! Helpers shared by the integration tests: running the binary, making small voice packs,
//! reading rendered WAV files, and skipping (or, under CI, failing) when a tool is missing.
//! `session.rs` holds the in-process session the allocator test shares.

pub mod session;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use balasana_audio::pack::Manifest;
use balasana_audio::script::{BUILT_IN, EMBEDDED, EMBEDDED_NAME, Line, Lines, Script};

/// The binary, run in `dir` (so no `script/` or `audio/` folder of the repo is picked up), with
/// its config, data and cache folders inside `dir`, the system data folders too
/// (`XDG_DATA_DIRS`, so packs installed on the machine are not found), no `BALASANA_…`
/// variables and the C locale (`LANG=C.UTF-8`, no `LC_ALL` or `LC_MESSAGES`), so the settings
/// and language of whoever runs the tests never leak in.
pub fn bin(dir: &Path) -> Command {
    bin_in(dir, dir)
}

/// [`bin`] with no audio device to be had, whatever this machine has configured: an audio server
/// that is not there, and no ALSA configuration.
pub fn bin_without_audio(dir: &Path) -> Command {
    let mut c = bin(dir);
    c.env("PULSE_SERVER", "unix:/nonexistent/balasana-test/native")
        .env("PULSE_RUNTIME_PATH", "/nonexistent/balasana-test")
        .env("ALSA_CONFIG_PATH", dir.join("no-alsa.conf"));
    c
}

/// The binary run in the repository, with the shipped `script/` and `audio/`, and its config,
/// data (the system ones too) and cache folders in `home` (a temporary folder).
pub fn bin_in_repo(home: &Path) -> Command {
    bin_in(Path::new(env!("CARGO_MANIFEST_DIR")), home)
}

/// [`bin`] run in `cwd` with its folders in `home`.
fn bin_in(cwd: &Path, home: &Path) -> Command {
    let mut c = Command::cargo_bin("balasana-audio").unwrap();
    c.current_dir(cwd)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_DATA_DIRS", home.join(".local/system"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BALASANA_") {
            c.env_remove(name);
        }
    }
    c
}

/// The built-in script.
pub fn script() -> Script {
    Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap()
}

/// Writes a WAV file of 16-bit samples (interleaved if `channels` > 1).
pub fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// A tone burst that starts at full amplitude on its first sample (a cosine), so its onset is
/// unmistakable, with a short fade at the end.
pub fn burst(freq: f64, rate: u32, seconds: f64) -> Vec<f32> {
    let n = (seconds * f64::from(rate)) as usize;
    let fade = (0.005 * f64::from(rate)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let env = if i + fade >= n {
                (n - i) as f64 / fade as f64
            } else {
                1.0
            };
            (0.5 * env * (std::f64::consts::TAU * freq * t).cos()) as f32
        })
        .collect()
}

/// Makes a pack folder `dir/audio/<name>` with one WAV burst per cue of every built-in session
/// ([`pack_lines`]; `seconds` long, at `rate` Hz and `channels` channels); `skip` cues get no
/// entry.
pub fn make_pack(
    dir: &Path,
    name: &str,
    rate: u32,
    channels: u16,
    seconds: f64,
    skip: &[&str],
) -> PathBuf {
    make_pack_of(&pack_lines(), dir, name, rate, channels, seconds, skip)
}

/// Every line a shipped voice pack speaks: those of all built-in sessions, each cue once.
pub fn pack_lines() -> Vec<Line> {
    let scripts: Vec<Script> = BUILT_IN
        .iter()
        .map(|(name, source)| Script::parse(source, name).unwrap())
        .collect();
    let refs: Vec<&Script> = scripts.iter().collect();
    Lines::of(&refs).unwrap().lines().cloned().collect()
}

/// The short session script of the live tests, and its path.
pub fn short_script() -> (Script, PathBuf) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/short-session.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    (Script::parse(&text, "short-session.toml").unwrap(), path)
}

/// [`make_pack`] for the cues of any script.
pub fn make_pack_for(
    script: &Script,
    dir: &Path,
    name: &str,
    rate: u32,
    channels: u16,
    seconds: f64,
    skip: &[&str],
) -> PathBuf {
    let lines: Vec<Line> = script.lines().cloned().collect();
    make_pack_of(&lines, dir, name, rate, channels, seconds, skip)
}

/// [`make_pack`] for any lines.
fn make_pack_of(
    lines: &[Line],
    dir: &Path,
    name: &str,
    rate: u32,
    channels: u16,
    seconds: f64,
    skip: &[&str],
) -> PathBuf {
    let folder = dir.join("audio").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let mut manifest = test_manifest(name, "test bursts");
    for (i, line) in lines.iter().enumerate() {
        if skip.contains(&line.cue.as_str()) {
            continue;
        }
        let mono = burst(300.0 + 7.0 * i as f64, rate, seconds);
        let interleaved: Vec<f32> = mono
            .iter()
            .flat_map(|&s| std::iter::repeat_n(s, usize::from(channels)))
            .collect();
        let file = format!("{}.wav", line.cue);
        write_wav(&folder.join(&file), rate, channels, &interleaved);
        manifest.clips.insert(line.cue.to_string(), file);
    }
    write_manifest(&folder, &manifest);
    folder
}

/// Makes a pack folder `dir/audio/fixture` whose every clip (one per cue of every built-in
/// session) is a copy of `tests/fixtures/<fixture>`.
pub fn make_fixture_pack(dir: &Path, fixture: &str) -> PathBuf {
    let folder = dir.join("audio/fixture");
    std::fs::create_dir_all(&folder).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let ext = source.extension().unwrap().to_str().unwrap();
    let mut manifest = test_manifest("fixture", "tone");
    for line in &pack_lines() {
        let file = format!("{}.{ext}", line.cue);
        std::fs::copy(&source, folder.join(&file)).unwrap();
        manifest.clips.insert(line.cue.to_string(), file);
    }
    write_manifest(&folder, &manifest);
    folder
}

/// A manifest with no clips yet, licensed CC0 and credited to the tests.
pub fn test_manifest(name: &str, voice: &str) -> Manifest {
    Manifest {
        name: name.into(),
        language: "en-US".into(),
        also_speaks: Vec::new(),
        voice: voice.into(),
        licence: "CC0-1.0".into(),
        credits: "tests".into(),
        generated_by: None,
        synthesis: None,
        clips: Default::default(),
        ambience: Default::default(),
        chimes: Default::default(),
    }
}

/// Writes `folder/pack.toml` the one way manifests are written.
pub fn write_manifest(folder: &Path, manifest: &Manifest) {
    std::fs::write(
        folder.join("pack.toml"),
        manifest.to_toml(&Default::default()),
    )
    .unwrap();
}

/// Reads a 16-bit WAV file: (spec, interleaved samples).
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    wav_samples(&std::fs::read(path).unwrap())
}

/// The samples of a 16-bit WAV's bytes: (spec, interleaved samples).
pub fn wav_samples(bytes: &[u8]) -> (hound::WavSpec, Vec<i16>) {
    let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
    let spec = r.spec();
    let samples = r.samples::<i16>().map(Result::unwrap).collect();
    (spec, samples)
}

/// Runs `--plan --json` with `args` in `dir` and parses it.
pub fn plan_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = bin(dir)
        .args(args)
        .args(["--plan", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Frames where the level first exceeds `threshold` after at least `quiet` frames under a
/// near-silence floor: the onsets of sounds separated by silence.
pub fn onsets(x: &[i16], threshold: u16, quiet: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let mut silent = quiet;
    for (i, &s) in x.iter().enumerate() {
        if s.unsigned_abs() > threshold {
            if silent >= quiet {
                found.push(i);
            }
            silent = 0;
        } else if s.unsigned_abs() < 60 {
            silent += 1;
        }
    }
    found
}

/// Renders the session of `args` in `dir` to the WAV file `name` there (quietly) and reads it.
pub fn render_wav(dir: &Path, name: &str, args: &[&str]) -> (hound::WavSpec, Vec<i16>) {
    let wav = dir.join(name);
    bin(dir)
        .args(args)
        .arg("--render")
        .arg(&wav)
        .arg("-q")
        .assert()
        .success();
    read_wav(&wav)
}

/// Renders the session of `args` in `dir` to `session.wav` and returns its left channel.
pub fn render_left(dir: &Path, args: &[&str]) -> Vec<i16> {
    let (spec, samples) = render_wav(dir, "session.wav", args);
    samples
        .chunks_exact(usize::from(spec.channels))
        .map(|f| f[0])
        .collect()
}

/// Plans and renders the same session in `dir`: (planned event frames, rendered left channel).
pub fn plan_and_render(dir: &Path, args: &[&str]) -> (Vec<usize>, Vec<i16>) {
    let plan = plan_json(dir, args);
    let left = render_left(dir, args);
    let planned = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["frame"].as_u64().unwrap() as usize)
        .collect();
    (planned, left)
}

/// Whether `tool` is installed (an executable on `PATH`); when it is not, the test skips with the
/// reason printed, or fails under CI (`CI` set), where every tool must be there.
pub fn require(tool: &str) -> bool {
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    });
    needs(
        tool,
        if on_path {
            Ok(())
        } else {
            Err(format!("{tool} is not installed"))
        },
    )
}

/// Whether `what` a test needs is there (`state`, else why not): a skip with the reason printed,
/// or under CI (`CI` set) a failure.
pub fn needs(what: &str, state: Result<(), String>) -> bool {
    match state {
        Ok(()) => true,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("CI must have {what}: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            false
        }
    }
}

/// An entry of a test archive: a file and its bytes, a folder, or a symbolic link to a target.
pub enum Entry {
    /// A file.
    File(String, Vec<u8>),
    /// A folder.
    Folder(String),
    /// A symbolic link and its target.
    Link(String, String),
}

/// Every file of the folder `dir`, as archive entries under `prefix` (`""` or `name/`).
pub fn entries_of(dir: &Path, prefix: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let name = format!("{prefix}{}", file.file_name().unwrap().to_str().unwrap());
        entries.push(Entry::File(name, std::fs::read(&file).unwrap()));
    }
    entries
}

/// Writes a zip archive of `entries` at `path`, names as given (even `../x` or `/x`).
pub fn write_zip(path: &Path, entries: &[Entry]) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in entries {
        match entry {
            Entry::File(name, bytes) => {
                zip.start_file(name.as_str(), options).unwrap();
                zip.write_all(bytes).unwrap();
            }
            Entry::Folder(name) => zip.add_directory(name.as_str(), options).unwrap(),
            Entry::Link(name, target) => zip
                .add_symlink(name.as_str(), target.as_str(), options)
                .unwrap(),
        }
    }
    zip.finish().unwrap();
}

/// Writes a gzip-compressed tar archive of `entries` at `path`, names as given (even `../x` or
/// `/x`: written into the header as they are).
pub fn write_tar_gz(path: &Path, entries: &[Entry]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, bytes, kind) = match entry {
            Entry::File(name, bytes) => (name, bytes.as_slice(), tar::EntryType::Regular),
            Entry::Folder(name) => (name, &[][..], tar::EntryType::Directory),
            Entry::Link(name, target) => {
                header.set_link_name(target).unwrap();
                (name, &[][..], tar::EntryType::Symlink)
            }
        };
        let field = &mut header.as_old_mut().name;
        field.fill(0);
        field[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(kind);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append(&header, bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// Every file under `dir` (in its folders too), as paths relative to `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}
