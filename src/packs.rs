//! The `packs` commands: list the packs there are, check one against the script, start a pack to
//! record, or synthesize a whole pack with an installed speech engine.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::{Engine, PacksCommand};
use crate::exit::Exit;
use crate::loudness::{self, SILENCE_DBFS, VOICE_TARGET_LUFS};
use crate::pack::{Clip, DEFAULT_PACK, Location, Manifest, PackError, decode, user_packs};
use crate::script::{Script, is_cue_id};

/// Why a `packs` command failed.
#[derive(Debug, thiserror::Error)]
pub enum PacksError {
    /// The pack could not be found or read.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// `packs check` found problems that stop the pack from playing the script.
    #[error("voice pack {pack:?} cannot play the script: {summary}")]
    Unplayable {
        /// Pack name.
        pack: String,
        /// The problems, counted.
        summary: String,
    },
    /// A pack name that cannot be a folder and cue-like id.
    #[error("pack name {0:?}: use only a-z, 0-9 and '-'")]
    BadName(String),
    /// The target folder exists.
    #[error("{0} already exists (choose another name, or pass --force to replace it)")]
    Exists(PathBuf),
    /// The speech engine is not installed.
    #[error("{engine} is not installed or not on PATH ({hint})")]
    EngineMissing {
        /// The engine's program.
        engine: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// The speech engine failed on a line.
    #[error("{engine} failed on cue {cue:?}: {message}")]
    EngineFailed {
        /// The engine's program.
        engine: &'static str,
        /// The cue it was speaking.
        cue: String,
        /// What it said.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl PacksError {
    /// How the process ends: usage, pack problems, cannot write, engine missing or failed.
    pub fn exit_code(&self) -> Exit {
        match self {
            PacksError::BadName(_) | PacksError::Exists(_) => Exit::Usage,
            PacksError::Pack(_) | PacksError::Unplayable { .. } => Exit::Pack,
            PacksError::Write { .. } => Exit::Write,
            PacksError::EngineMissing { .. } | PacksError::EngineFailed { .. } => Exit::Engine,
        }
    }
}

/// Runs a `packs` command, printing its report to stdout.
pub fn run(command: &PacksCommand, script: &Script, base: &Path) -> Result<(), PacksError> {
    let mut out = String::new();
    let result = match command {
        PacksCommand::List => list(script, base, &mut out),
        PacksCommand::Check { pack } => {
            let location = Location::find(Some(pack), base)?;
            check(&location, script, &mut out)
        }
        PacksCommand::New { name } => new(name, script, base, &mut out),
        PacksCommand::Synth {
            name,
            engine,
            voice,
            force,
        } => synth(
            name,
            *engine,
            voice.as_deref(),
            *force,
            script,
            base,
            &mut out,
        ),
    };
    {
        use std::io::Write as _;
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }
    result
}

// ---- list ----------------------------------------------------------------------------------------

/// Lists every pack found: built in, under `<base>/audio/`, and in the user's packs folder.
fn list(script: &Script, base: &Path, out: &mut String) -> Result<(), PacksError> {
    let default = Location::find(None, base)?;
    let mut found = vec![Location::Embedded];
    for dir in std::iter::once(base.join("audio")).chain(user_packs()) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut folders: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pack.toml").is_file())
            .collect();
        folders.sort();
        found.extend(folders.into_iter().map(Location::Folder));
    }
    let _ = writeln!(
        out,
        "{:<2}{:<12} {:<8} {:<34} {:>5} {:>8}  {:<28} where",
        "", "name", "language", "voice", "clips", "speech", "licence"
    );
    for location in &found {
        let marker = if same(location, &default) { "* " } else { "  " };
        let place = match location {
            Location::Embedded => "built in".to_owned(),
            Location::Folder(dir) => dir.display().to_string(),
        };
        match Manifest::load(location) {
            Ok(m) => {
                let speech: f64 = m
                    .clips
                    .iter()
                    .filter(|(cue, _)| script.lines().any(|l| &l.cue == *cue))
                    .filter_map(|(_, file)| location.read(file).ok().and_then(|b| decode(b).ok()))
                    .map(|c| c.seconds())
                    .sum();
                let _ = writeln!(
                    out,
                    "{marker}{:<12} {:<8} {:<34} {:>5} {:>8}  {:<28} {place}",
                    m.name,
                    m.language,
                    shorten(&m.voice, 34),
                    m.clips.len(),
                    minutes(speech),
                    shorten(&m.licence, 28),
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{marker}unreadable pack at {place}: {e}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\n* the default (--pack {DEFAULT_PACK}). Your own packs go in {}.",
        user_packs().map_or("audio/".into(), |d| d.display().to_string())
    );
    Ok(())
}

fn same(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::Embedded, Location::Embedded) => true,
        (Location::Folder(x), Location::Folder(y)) => x == y,
        _ => false,
    }
}

fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

fn minutes(seconds: f64) -> String {
    format!("{}:{:04.1}", (seconds / 60.0) as u64, seconds % 60.0)
}

// ---- check ---------------------------------------------------------------------------------------

/// Leading or trailing silence longer than this is worth trimming.
const LONG_SILENCE: f64 = 0.5;
/// Samples at or above this magnitude count as clipped.
const CLIP_LEVEL: f32 = 0.999;

/// Seconds of silence before and after the sound (see [`sound_span`]).
fn silences(clip: &Clip) -> (f64, f64) {
    let (first, last) = sound_span(clip).unwrap_or((0, 0));
    let secs = |n: usize| n as f64 / f64::from(clip.rate);
    (secs(first), secs(clip.samples.len() - 1 - last))
}

/// The first and last samples that are sound rather than silence: above 40 dB under the clip's
/// peak (and above −60 dBFS at least). `None` for a silent clip.
fn sound_span(clip: &Clip) -> Option<(usize, usize)> {
    let floor = loudness::db_to_gain((clip.level.peak_dbfs - 40.0).max(SILENCE_DBFS)) as f32;
    let loud = |s: &f32| s.abs() > floor;
    Some((
        clip.samples.iter().position(loud)?,
        clip.samples.iter().rposition(loud)?,
    ))
}

/// Checks a pack against the script and writes a report; an error when it cannot play it.
pub fn check(location: &Location, script: &Script, out: &mut String) -> Result<(), PacksError> {
    let manifest = Manifest::load(location)?;
    let _ = writeln!(
        out,
        "voice pack {:?} at {}\n  {} · {} · licence: {}\n",
        manifest.name,
        location.describe(""),
        manifest.language,
        manifest.voice,
        manifest.licence
    );
    let _ = writeln!(
        out,
        "  {:<20} {:<24} {:>7} {:>7} {:>7}  notes",
        "cue", "file", "length", "LUFS", "peak"
    );
    let mut problems: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    let mut levels = Vec::new();
    let mut entries: Vec<(String, Option<String>)> = script
        .lines()
        .map(|l| (l.cue.clone(), manifest.clips.get(&l.cue).cloned()))
        .collect();
    entries.extend(
        manifest
            .chimes
            .iter()
            .map(|(k, f)| (format!("chime-{k}"), Some(f.clone()))),
    );
    for (cue, file) in &entries {
        let Some(file) = file.as_ref().filter(|f| location.has(f)) else {
            let note = match file {
                Some(f) => format!("missing file {f}"),
                None => "no entry in pack.toml".into(),
            };
            let _ = writeln!(
                out,
                "  {cue:<20} {:<24} {:>7} {:>7} {:>7}  {note}",
                "—", "", "", ""
            );
            missing.push(cue.clone());
            continue;
        };
        let clip = match location
            .read(file)
            .map_err(|e| e.to_string())
            .and_then(decode)
        {
            Ok(c) => c,
            Err(message) => {
                let _ = writeln!(
                    out,
                    "  {cue:<20} {file:<24} {:>7} {:>7} {:>7}  cannot decode: {message}",
                    "", "", ""
                );
                problems.push(format!("{file}: cannot decode ({message})"));
                continue;
            }
        };
        let mut notes = Vec::new();
        if clip.samples.is_empty() {
            notes.push("empty".to_owned());
            problems.push(format!("{file}: empty"));
        } else if clip.level.lufs.is_none() {
            notes.push("silent".to_owned());
            problems.push(format!(
                "{file}: silent (peak {:.0} dBFS)",
                clip.level.peak_dbfs
            ));
        } else {
            let clipped = clip
                .samples
                .iter()
                .filter(|s| s.abs() >= CLIP_LEVEL)
                .count();
            if clipped > 0 {
                notes.push(format!("clipping: {clipped} samples at full scale"));
                warnings.push(format!(
                    "{file}: clipping ({clipped} samples at full scale)"
                ));
            }
            let (lead, trail) = silences(&clip);
            for (what, secs) in [("leading", lead), ("trailing", trail)] {
                if secs > LONG_SILENCE {
                    notes.push(format!("{secs:.1} s {what} silence"));
                    warnings.push(format!(
                        "{file}: {secs:.1} s of {what} silence (trim to under {LONG_SILENCE} s)"
                    ));
                }
            }
        }
        let lufs = clip.level.lufs.map_or("—".into(), |l| format!("{l:.1}"));
        let peak = if clip.level.peak_dbfs.is_finite() {
            format!("{:.1}", clip.level.peak_dbfs)
        } else {
            "—".into()
        };
        let _ = writeln!(
            out,
            "  {cue:<20} {:<24} {:>6.2}s {lufs:>7} {peak:>7}  {}",
            shorten(file, 24),
            clip.seconds(),
            notes.join("; ")
        );
        if !cue.starts_with("chime-") {
            levels.extend(clip.level.lufs);
        }
    }
    let _ = writeln!(out);
    if !missing.is_empty() {
        problems.insert(
            0,
            format!(
                "{} cue{} without a clip: {}",
                missing.len(),
                plural(missing.len()),
                missing.join(", ")
            ),
        );
    }
    let known: Vec<&str> = entries
        .iter()
        .filter_map(|(_, f)| f.as_deref())
        .chain(manifest.ambience.values().map(String::as_str))
        .collect();
    for (name, file) in &manifest.ambience {
        if !location.has(file) {
            problems.push(format!("ambience {name:?}: missing file {file}"));
        } else if let Err(e) = location
            .read(file)
            .map_err(|e| e.to_string())
            .and_then(decode)
        {
            problems.push(format!("ambience {name:?}: {file}: cannot decode ({e})"));
        }
    }
    let unknown_files: Vec<String> = location
        .files()
        .into_iter()
        .filter(|f| f != "pack.toml" && !known.contains(&f.as_str()))
        .filter(|f| !(f.ends_with(".md") || f.ends_with(".txt")))
        .collect();
    if !unknown_files.is_empty() {
        warnings.push(format!("files no cue uses: {}", unknown_files.join(", ")));
    }
    let unknown_cues: Vec<&str> = manifest
        .clips
        .keys()
        .filter(|k| !script.lines().any(|l| &l.cue == *k))
        .map(String::as_str)
        .collect();
    if !unknown_cues.is_empty() {
        warnings.push(format!(
            "cues the script does not have (typos?): {}",
            unknown_cues.join(", ")
        ));
    }
    if let (Some(lo), Some(hi)) = (
        levels.iter().cloned().reduce(f64::min),
        levels.iter().cloned().reduce(f64::max),
    ) {
        let _ = writeln!(
            out,
            "loudness: {lo:.1} to {hi:.1} LUFS (spread {:.1} LU); each clip is matched to {VOICE_TARGET_LUFS} LUFS at load",
            hi - lo
        );
    }
    for w in &warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    for p in &problems {
        let _ = writeln!(out, "problem: {p}");
    }
    let voiced = script.lines().count() - missing.len();
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "ready: {voiced} of {} cues, {} warning{}",
            script.lines().count(),
            warnings.len(),
            plural(warnings.len())
        );
        Ok(())
    } else {
        let summary = format!(
            "{} problem{}, {} warning{} (cues voiced: {voiced} of {})",
            problems.len(),
            plural(problems.len()),
            warnings.len(),
            plural(warnings.len()),
            script.lines().count()
        );
        Err(PacksError::Unplayable {
            pack: manifest.name,
            summary,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

// ---- new -----------------------------------------------------------------------------------------

const RECORDING_GUIDE: &str = "\
# Recording this voice pack

Record one clip per cue listed in `pack.toml`, saying exactly the text in the comment above it, and
save it under the file name given there, in this folder.

- **Format**: WAV, FLAC, Ogg Vorbis or MP3; any sample rate (44.1 or 48 kHz is ideal), mono or stereo.
- **Voice**: calm and unhurried, as if to someone lying with their eyes closed. Leave a natural
  pause at commas.
- **Room**: quiet and soft (a wardrobe full of clothes works well); the microphone a hand's width
  away, a little to the side.
- **Trimming**: cut the silence before and after each line to under half a second (a tenth is
  plenty). The player adds the pauses.
- **Level**: peaks well under full scale (around −6 dBFS). The player evens out the loudness of
  every clip, so there is no need to normalize.
- **Naming**: keep the file names from `pack.toml`, or change both the file and its entry.

Check your progress at any time — it lists what is still missing and anything to fix:

    balasana-audio packs check NAME

Missing lines are spoken by the default voice until you record them; play with `--pack NAME`.
";

/// Creates `<base>/audio/NAME/` with a `pack.toml` listing every cue and its text, and a guide.
fn new(name: &str, script: &Script, base: &Path, out: &mut String) -> Result<(), PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() {
        return Err(PacksError::Exists(dir));
    }
    let mut toml = format!(
        "# Voice pack \"{name}\" for balasana-audio: record each line below (see README.md).\n\
         name = \"{name}\"\n\
         language = \"en-US\"\n\
         voice = \"{name}\"                # who speaks\n\
         licence = \"CC-BY-4.0\"           # the licence you give your recordings\n\
         credits = \"recorded by {name}\"\n\n[clips]\n"
    );
    for line in script.lines() {
        let _ = writeln!(toml, "# {}\n{} = \"{}.wav\"", line.text, line.cue, line.cue);
    }
    let guide = RECORDING_GUIDE.replace("NAME", name);
    write_folder(
        &dir,
        &[
            ("pack.toml", toml.as_bytes()),
            ("README.md", guide.as_bytes()),
        ],
    )?;
    let _ = writeln!(
        out,
        "created {}: pack.toml lists {} cues to record; README.md says how.\n\
         Check progress with: balasana-audio packs check {name}",
        dir.display(),
        script.lines().count()
    );
    Ok(())
}

/// Writes files into a new folder atomically: a temporary sibling renamed into place.
fn write_folder(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), PacksError> {
    let fail = |path: &Path, e: std::io::Error| PacksError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".balasana-pack-")
        .tempdir_in(parent)
        .map_err(|e| fail(parent, e))?;
    for (name, bytes) in files {
        let path = temp.path().join(name);
        std::fs::write(&path, bytes).map_err(|e| fail(&path, e))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| fail(dir, e))?;
    }
    let kept = temp.keep();
    std::fs::rename(&kept, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&kept);
        fail(dir, e)
    })
}

// ---- synth ---------------------------------------------------------------------------------------

impl Engine {
    fn program(self) -> &'static str {
        match self {
            Engine::Piper => "piper",
            Engine::Espeak => "espeak-ng",
            Engine::Flite => "flite",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Engine::Piper => "pip install piper-tts, and pass --voice MODEL.onnx",
            Engine::Espeak => "apt-get install espeak-ng",
            Engine::Flite => "apt-get install flite",
        }
    }

    fn default_voice(self) -> Option<&'static str> {
        match self {
            Engine::Piper => None,
            Engine::Espeak => Some("en-us"),
            Engine::Flite => Some("slt"),
        }
    }

    fn licence(self) -> &'static str {
        match self {
            Engine::Piper => "the Piper voice model's licence applies (see its model card)",
            Engine::Espeak => "espeak-ng output: GPL-3.0-or-later engine, output free to use",
            Engine::Flite => "flite voice licence (BSD-style, /usr/share/doc/flite/copyright)",
        }
    }

    /// The command that speaks `text` into `wav`.
    fn command(self, voice: &str, text: &str, wav: &Path) -> Command {
        let mut c = Command::new(self.program());
        match self {
            Engine::Piper => {
                c.args([
                    "-m",
                    voice,
                    "--length-scale",
                    "1.15",
                    "--sentence-silence",
                    "0.25",
                    "-f",
                ]);
                c.arg(wav).stdin(Stdio::piped());
            }
            Engine::Espeak => {
                c.args(["-v", voice, "-s", "145", "-w"]).arg(wav).arg(text);
            }
            Engine::Flite => {
                c.args(["-voice", voice, "-t", text, "-o"]).arg(wav);
            }
        }
        c
    }

    /// The engine's version line, or an error when it cannot be run.
    fn version(self) -> Result<String, PacksError> {
        let arg = match self {
            Engine::Flite => "--version",
            Engine::Espeak => "--version",
            Engine::Piper => "--help",
        };
        let output = Command::new(self.program())
            .arg(arg)
            .stdin(Stdio::null())
            .output()
            .map_err(|_| PacksError::EngineMissing {
                engine: self.program(),
                hint: self.hint(),
            })?;
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(match self {
            Engine::Piper => "piper".to_owned(),
            _ => text
                .lines()
                .next()
                .unwrap_or(self.program())
                .trim()
                .to_owned(),
        })
    }
}

/// Synthesizes every line of the script with `engine` into `<base>/audio/NAME/`: silence trimmed,
/// loudness matched to −20 LUFS with peaks at most −3 dBFS, 16-bit mono WAV at the engine's rate.
fn synth(
    name: &str,
    engine: Engine,
    voice: Option<&str>,
    force: bool,
    script: &Script,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() && !force {
        return Err(PacksError::Exists(dir));
    }
    let version = engine.version()?;
    let voice = voice
        .or(engine.default_voice())
        .ok_or(PacksError::EngineMissing {
            engine: engine.program(),
            hint: engine.hint(),
        })?;
    let scratch = tempfile::tempdir().map_err(|e| PacksError::Write {
        path: std::env::temp_dir(),
        message: e.to_string(),
    })?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut clips = String::new();
    let mut total = 0.0;
    for line in script.lines() {
        let raw = scratch.path().join(format!("{}.wav", line.cue));
        let failed = |message: String| PacksError::EngineFailed {
            engine: engine.program(),
            cue: line.cue.clone(),
            message,
        };
        let mut child = engine
            .command(voice, &line.text, &raw)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(e.to_string()))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            stdin
                .write_all(line.text.as_bytes())
                .map_err(|e| failed(e.to_string()))?;
        }
        let status = child
            .wait_with_output()
            .map_err(|e| failed(e.to_string()))?;
        if !status.status.success() {
            let stderr = String::from_utf8_lossy(&status.stderr);
            return Err(failed(
                stderr
                    .lines()
                    .last()
                    .unwrap_or("no output")
                    .trim()
                    .to_owned(),
            ));
        }
        let clip = std::fs::read(&raw)
            .map_err(|e| e.to_string())
            .and_then(decode)
            .map_err(failed)?;
        let finished = finish(&clip);
        if finished.is_empty() {
            return Err(failed("the engine produced silence".into()));
        }
        total += finished.len() as f64 / f64::from(clip.rate);
        files.push((format!("{}.wav", line.cue), wav_bytes(&finished, clip.rate)));
        let _ = writeln!(clips, "{} = \"{}.wav\"", line.cue, line.cue);
    }
    let command = format!(
        "balasana-audio packs synth {name} --engine {} --voice {voice}",
        engine.program()
    );
    let manifest = format!(
        "name = \"{name}\"\nlanguage = \"en-US\"\nvoice = \"{} voice {voice}\"\nlicence = \"{}\"\n\
         credits = \"synthesized with {version}\"\ngenerated_by = \"{command}\"\n\
         synthesis = \"{version}; trim 40 dB under peak (60/120 ms kept), {VOICE_TARGET_LUFS} LUFS, peak <= -3 dBFS, fade 5 ms, 16-bit mono WAV\"\n\n[clips]\n{clips}",
        engine.program(),
        engine.licence(),
    );
    let mut all: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    all.push(("pack.toml", manifest.as_bytes()));
    write_folder(&dir, &all)?;
    let _ = writeln!(
        out,
        "synthesized {} clips ({}) with {version} into {}\ncheck it with: balasana-audio packs check {name}",
        files.len(),
        minutes(total),
        dir.display()
    );
    Ok(())
}

/// Trims silence (keeping 60 ms before and 120 ms after the sound), matches loudness to the voice
/// target with peaks at most −3 dBFS, and fades the ends over 5 ms.
fn finish(clip: &Clip) -> Vec<f32> {
    let Some((first, last)) = sound_span(clip) else {
        return Vec::new();
    };
    let rate = clip.rate as usize;
    let start = first.saturating_sub(rate * 60 / 1000);
    let end = (last + rate * 120 / 1000).min(clip.samples.len() - 1);
    let mut samples = clip.samples[start..=end].to_vec();
    let level = loudness::measure(&samples, clip.rate);
    let gain = loudness::matching_gain(level, VOICE_TARGET_LUFS)
        .min(loudness::db_to_gain(-3.0 - level.peak_dbfs) as f32);
    samples.iter_mut().for_each(|s| *s *= gain);
    let fade = (rate * 5 / 1000).min(samples.len() / 2);
    let n = samples.len();
    for i in 0..fade {
        let g = i as f32 / fade as f32;
        samples[i] *= g;
        samples[n - 1 - i] *= g;
    }
    samples
}

/// 16-bit mono WAV file bytes.
fn wav_bytes(samples: &[f32], rate: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        // Writing to memory cannot fail.
        let mut w = hound::WavWriter::new(&mut bytes, spec).expect("in-memory WAV");
        for &s in samples {
            w.write_sample(crate::output::render::to_i16(s))
                .expect("in-memory WAV");
        }
        w.finalize().expect("in-memory WAV");
    }
    bytes.into_inner()
}
