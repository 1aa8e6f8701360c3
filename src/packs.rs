//! The `packs` commands: list the packs there are, check one against the script, start a pack to
//! record, or make a whole pack from synthesized speech (`synth`, `import`) through the one clip
//! pipeline in [`finish`].

pub mod finish;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::{Engine, PackInfo, PacksCommand};
use crate::exit::Exit;
use crate::loudness::VOICE_TARGET_LUFS;
use crate::pack::{Clip, DEFAULT_PACK, Location, Manifest, PackError, decode, user_packs};
use crate::script::{Lines, is_cue_id};

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
    /// A command line that cannot work (a needed option missing).
    #[error("{0}")]
    Usage(String),
    /// A raw clip to import is missing, unreadable or silent.
    #[error("{path}: {message}")]
    Raw {
        /// The raw clip file.
        path: PathBuf,
        /// What is wrong.
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
            PacksError::BadName(_) | PacksError::Exists(_) | PacksError::Usage(_) => Exit::Usage,
            PacksError::Pack(_) | PacksError::Unplayable { .. } | PacksError::Raw { .. } => {
                Exit::Pack
            }
            PacksError::Write { .. } => Exit::Write,
            PacksError::EngineMissing { .. } | PacksError::EngineFailed { .. } => Exit::Engine,
        }
    }
}

/// Runs a `packs` command, printing its report to stdout.
pub fn run(command: &PacksCommand, script: &Lines, base: &Path) -> Result<(), PacksError> {
    let mut out = String::new();
    let result = match command {
        PacksCommand::List => list(script, base, &mut out),
        PacksCommand::Check { pack, .. } => {
            let location = Location::find(Some(pack), base)?;
            check(&location, script, &mut out)
        }
        PacksCommand::New { name } => new(name, script, base, &mut out),
        PacksCommand::Synth {
            name,
            engine,
            voice,
            command,
            force,
            info,
        } => {
            let speaker = Speaker::new(*engine, voice.as_deref(), command.as_deref())?;
            synth(name, &speaker, *force, info, script, base, &mut out)
        }
        PacksCommand::Import {
            name,
            from,
            force,
            info,
        } => import(name, from, *force, info, script, base, &mut out),
        PacksCommand::Cues => {
            let cues: Vec<serde_json::Value> = script
                .lines()
                .map(|l| serde_json::json!({ "cue": l.cue, "text": l.text }))
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(cues));
            Ok(())
        }
    };
    {
        use std::io::Write as _;
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }
    result
}

// ---- list ----------------------------------------------------------------------------------------

/// Lists every pack found: built in, under `<base>/audio/`, and in the user's packs folder.
fn list(script: &Lines, base: &Path, out: &mut String) -> Result<(), PacksError> {
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

/// Seconds of silence before and after the sound (as [`finish::sound_span`] finds it).
fn silences(clip: &Clip) -> (f64, f64) {
    let (first, last) = finish::sound_span(&clip.samples, clip.rate).unwrap_or((0, 0));
    let secs = |n: usize| n as f64 / f64::from(clip.rate);
    (secs(first), secs(clip.samples.len() - 1 - last))
}

/// Checks a pack against the script and writes a report; an error when it cannot play it.
pub fn check(location: &Location, script: &Lines, out: &mut String) -> Result<(), PacksError> {
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
fn new(name: &str, script: &Lines, base: &Path, out: &mut String) -> Result<(), PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() {
        return Err(PacksError::Exists(dir));
    }
    let manifest = Manifest {
        name: name.into(),
        language: "en-US".into(),
        voice: name.into(),
        licence: "CC-BY-4.0".into(),
        credits: format!("recorded by {name}"),
        generated_by: None,
        synthesis: None,
        clips: script
            .lines()
            .map(|l| (l.cue.clone(), format!("{}.wav", l.cue)))
            .collect(),
        ambience: BTreeMap::new(),
        chimes: BTreeMap::new(),
    };
    let toml = format!(
        "# Voice pack {name:?} for balasana-audio: record the line above each clip (see README.md).\n\
         # Set voice (who speaks), licence (of your recordings) and credits as you like.\n{}",
        manifest.to_toml(&texts(script))
    );
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

/// Each cue's text, for the comments above the clips in `pack.toml`.
fn texts(script: &Lines) -> BTreeMap<String, String> {
    script
        .lines()
        .map(|l| (l.cue.clone(), l.text.clone()))
        .collect()
}

// ---- synth and import ----------------------------------------------------------------------------

/// flite's `duration_stretch` (> 1 is slower): slt's own pace, about 0.069 s of speech per letter
/// of this script, becomes about 0.073, close to the joe voice's.
const FLITE_DURATION_STRETCH: &str = "1.05";
/// espeak-ng words per minute (its default, 175, is brisk for a guided session).
const ESPEAK_SPEED: &str = "150";
/// Piper's `--length-scale` (> 1 is slower) and seconds between sentences.
const PIPER_PACE: [&str; 4] = ["--length-scale", "1.15", "--sentence-silence", "0.25"];

/// An engine ready to speak: which one, which voice, and for `command` the argument template.
#[derive(Debug)]
struct Speaker {
    engine: Engine,
    voice: String,
    template: Vec<String>,
}

impl Speaker {
    /// Checks the options the engine needs: a voice for piper, a command with `{out}` for
    /// `command`.
    fn new(engine: Engine, voice: Option<&str>, command: Option<&str>) -> Result<Self, PacksError> {
        let usage = |m: &str| PacksError::Usage(m.to_owned());
        let template = match (engine, command) {
            (Engine::Command, None) => {
                return Err(usage(
                    "--engine command needs --command 'PROGRAM ARGS…' with {out} (and {text}, else the line goes to its stdin)",
                ));
            }
            (Engine::Command, Some(c)) => {
                let words = shlex::split(c)
                    .filter(|w| !w.is_empty())
                    .ok_or_else(|| usage(&format!("--command {c:?}: unbalanced quotes")))?;
                if !words.iter().any(|w| w.contains("{out}")) {
                    return Err(usage(&format!(
                        "--command {c:?} has no {{out}} (where the WAV file goes)"
                    )));
                }
                words
            }
            (_, Some(_)) => return Err(usage("--command is only for --engine command")),
            (_, None) => Vec::new(),
        };
        let voice = match (engine, voice) {
            (_, Some(v)) => v.to_owned(),
            (Engine::Piper, None) => {
                return Err(usage(
                    "--engine piper needs --voice MODEL.onnx (a Piper voice model; its .onnx.json beside it)",
                ));
            }
            (Engine::Espeak, None) => "en-us".into(),
            (Engine::Flite, None) => "slt".into(),
            (Engine::Command, None) => String::new(),
        };
        Ok(Speaker {
            engine,
            voice,
            template,
        })
    }

    fn program(&self) -> String {
        match self.engine {
            Engine::Piper => "piper".into(),
            Engine::Espeak => "espeak-ng".into(),
            Engine::Flite => "flite".into(),
            Engine::Command => self.template[0].clone(),
        }
    }

    fn hint(&self) -> &'static str {
        match self.engine {
            Engine::Piper => "pip install piper-tts",
            Engine::Espeak => "apt-get install espeak-ng",
            Engine::Flite => "apt-get install flite",
            Engine::Command => "check the program in --command",
        }
    }

    fn licence(&self) -> &'static str {
        match self.engine {
            Engine::Piper => "the Piper voice model's licence applies (see its model card)",
            Engine::Espeak => "espeak-ng output: GPL-3.0-or-later engine, output free to use",
            Engine::Flite => "flite voice licence (BSD-style, /usr/share/doc/flite/copyright)",
            Engine::Command => "the licence of the command's voice applies",
        }
    }

    /// The arguments that speak `text` into `wav`, and whether the text goes to stdin.
    fn args(&self, text: &str, wav: &str) -> (Vec<String>, bool) {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match self.engine {
            Engine::Piper => {
                let mut a = owned(&["-m", &self.voice]);
                a.extend(owned(&PIPER_PACE));
                a.extend(owned(&["-f", wav]));
                (a, true)
            }
            Engine::Espeak => {
                // A line starting with '-' would read as an option.
                let text = if text.starts_with('-') {
                    format!(" {text}")
                } else {
                    text.to_owned()
                };
                let mut a = owned(&["-v", &self.voice, "-s", ESPEAK_SPEED, "-w", wav]);
                a.push(text);
                (a, false)
            }
            Engine::Flite => {
                let stretch = format!("duration_stretch={FLITE_DURATION_STRETCH}");
                let a = owned(&[
                    "-voice",
                    &self.voice,
                    "--setf",
                    &stretch,
                    "-t",
                    text,
                    "-o",
                    wav,
                ]);
                (a, false)
            }
            Engine::Command => {
                let stdin = !self.template.iter().any(|w| w.contains("{text}"));
                let a = self.template[1..]
                    .iter()
                    .map(|w| w.replace("{out}", wav).replace("{text}", text))
                    .collect();
                (a, stdin)
            }
        }
    }

    /// The command line for the record, with TEXT and OUT.wav in place of each line's.
    fn describe(&self) -> String {
        let (args, stdin) = self.args("TEXT", "OUT.wav");
        let line = shlex::try_join(
            std::iter::once(self.program().as_str()).chain(args.iter().map(String::as_str)),
        )
        .unwrap_or_default();
        if stdin {
            format!("echo TEXT | {line}")
        } else {
            line
        }
    }

    /// The engine's version line, or an error when it cannot be run.
    fn version(&self) -> Result<String, PacksError> {
        let missing = || PacksError::EngineMissing {
            engine: match self.engine {
                Engine::Piper => "piper",
                Engine::Espeak => "espeak-ng",
                Engine::Flite => "flite",
                Engine::Command => "the --command program",
            },
            hint: self.hint(),
        };
        if self.engine == Engine::Command {
            return which(&self.program())
                .then(|| self.program())
                .ok_or_else(missing);
        }
        let arg = if self.engine == Engine::Piper {
            "--help"
        } else {
            "--version"
        };
        let output = Command::new(self.program())
            .arg(arg)
            .stdin(Stdio::null())
            .output()
            .map_err(|_| missing())?;
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(match self.engine {
            Engine::Piper => "piper".to_owned(),
            _ => text
                .lines()
                .find(|l| l.to_lowercase().contains("version") || l.contains(':'))
                .or(text.lines().next())
                .unwrap_or("")
                .trim()
                .to_owned(),
        })
    }

    /// Speaks one line into `wav`.
    fn speak(&self, cue: &str, text: &str, wav: &Path) -> Result<Clip, PacksError> {
        let failed = |message: String| PacksError::EngineFailed {
            engine: match self.engine {
                Engine::Piper => "piper",
                Engine::Espeak => "espeak-ng",
                Engine::Flite => "flite",
                Engine::Command => "the --command program",
            },
            cue: cue.to_owned(),
            message,
        };
        let (args, stdin) = self.args(text, &wav.display().to_string());
        let mut child = Command::new(self.program())
            .args(&args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(e.to_string()))?;
        if let Some(mut pipe) = child.stdin.take() {
            use std::io::Write as _;
            // A program that does not read its input closes the pipe: that is its choice.
            match pipe.write_all(text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(failed(e.to_string()));
                }
                _ => {}
            }
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
        std::fs::read(wav)
            .map_err(|e| e.to_string())
            .and_then(decode)
            .map_err(failed)
    }
}

/// Whether `program` can be run: a path to a file, or a name found on `PATH`.
fn which(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Synthesizes every line of the script with `speaker` and makes the pack from it.
fn synth(
    name: &str,
    speaker: &Speaker,
    force: bool,
    info: &PackInfo,
    script: &Lines,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    let dir = target(name, force, base)?;
    let version = speaker.version()?;
    let scratch = scratch_dir()?;
    let mut clips = Vec::new();
    for line in script.lines() {
        let wav = scratch.path().join(format!("{}.wav", line.cue));
        clips.push((
            line.cue.clone(),
            speaker.speak(&line.cue, &line.text, &wav)?,
        ));
        let _ = std::fs::remove_file(&wav);
    }
    let mut command = format!(
        "balasana-audio packs synth {name} --engine {}",
        clap::ValueEnum::to_possible_value(&speaker.engine)
            .map_or(String::new(), |v| v.get_name().to_owned())
    );
    if speaker.engine == Engine::Command {
        let template =
            shlex::try_join(speaker.template.iter().map(String::as_str)).unwrap_or_default();
        let _ = write!(
            command,
            " --command {}",
            shlex::try_quote(&template).unwrap_or_default()
        );
    } else {
        let _ = write!(
            command,
            " --voice {}",
            shlex::try_quote(&speaker.voice).unwrap_or_default()
        );
    }
    let defaults = Defaults {
        voice: if speaker.engine == Engine::Command {
            format!("{} voice", speaker.program())
        } else {
            format!("{} voice {}", speaker.program(), speaker.voice)
        },
        licence: speaker.licence().to_owned(),
        credits: format!("synthesized with {version}"),
        generated_by: command,
        synthesis: format!("{version}, one call per line: {}", speaker.describe()),
    };
    make_pack(name, &dir, clips, info, defaults, script, out)
}

/// Makes a pack from raw speech: `<from>/<cue>.wav` for every line of the script.
fn import(
    name: &str,
    from: &Path,
    force: bool,
    info: &PackInfo,
    script: &Lines,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    let Some(licence) = info.licence.clone() else {
        return Err(PacksError::Usage(
            "packs import needs --licence TEXT (the licence of the voice and its clips)".into(),
        ));
    };
    let dir = target(name, force, base)?;
    let mut clips = Vec::new();
    for line in script.lines() {
        let path = from.join(format!("{}.wav", line.cue));
        let raw = |message: String| PacksError::Raw {
            path: path.clone(),
            message,
        };
        let bytes = std::fs::read(&path).map_err(|e| {
            raw(format!(
                "cannot read the raw clip for cue {:?}: {e}",
                line.cue
            ))
        })?;
        let clip = decode(bytes).map_err(|e| raw(format!("cannot decode: {e}")))?;
        clips.push((line.cue.clone(), clip));
    }
    let defaults = Defaults {
        voice: name.to_owned(),
        licence,
        credits: String::new(),
        generated_by: format!(
            "balasana-audio packs import {name} --from {}",
            from.display()
        ),
        synthesis: "imported raw speech".into(),
    };
    make_pack(name, &dir, clips, info, defaults, script, out)
}

/// What pack.toml says when the command line does not.
struct Defaults {
    voice: String,
    licence: String,
    credits: String,
    generated_by: String,
    synthesis: String,
}

/// `<base>/audio/NAME`, checked: a valid name, and not there yet unless `force`.
fn target(name: &str, force: bool, base: &Path) -> Result<PathBuf, PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() && !force {
        return Err(PacksError::Exists(dir));
    }
    Ok(dir)
}

fn scratch_dir() -> Result<tempfile::TempDir, PacksError> {
    tempfile::tempdir().map_err(|e| PacksError::Write {
        path: std::env::temp_dir(),
        message: e.to_string(),
    })
}

/// Finishes every raw clip (see [`finish`]) and writes the pack folder atomically: the clips,
/// `pack.toml`, `README.md`, `LICENSE.txt` when given, and the ambience beds and chimes of the
/// pack it replaces.
fn make_pack(
    name: &str,
    dir: &Path,
    raw: Vec<(String, Clip)>,
    info: &PackInfo,
    defaults: Defaults,
    script: &Lines,
    out: &mut String,
) -> Result<(), PacksError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut clips = BTreeMap::new();
    let mut rates = Vec::new();
    let (mut total, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    let _ = writeln!(
        out,
        "  {:<20} {:>7} {:>7} {:>7} {:>8}",
        "cue", "length", "LUFS", "peak", "limiter"
    );
    for (cue, clip) in raw {
        let done =
            finish::finish(&clip.samples, clip.rate, finish::serial_for(&cue)).map_err(|e| {
                PacksError::Raw {
                    path: PathBuf::from(format!("{cue}.wav")),
                    message: format!("cue {cue:?}: {e}"),
                }
            })?;
        let _ = writeln!(
            out,
            "  {cue:<20} {:>6.2}s {:>7.1} {:>7.1} {:>6.1}dB",
            done.seconds, done.lufs, done.true_peak_dbfs, done.limited_db
        );
        total += done.seconds;
        lo = lo.min(done.lufs);
        hi = hi.max(done.lufs);
        if !rates.contains(&clip.rate) {
            rates.push(clip.rate);
        }
        let file = format!("{cue}.ogg");
        clips.insert(cue, file.clone());
        files.push((file, done.ogg));
    }
    // Ambience beds and chimes are not made from the script: keep those of the pack replaced.
    let (mut ambience, mut chimes) = (BTreeMap::new(), BTreeMap::new());
    let old = Location::Folder(dir.to_path_buf());
    if let Ok(mut previous) = Manifest::load(&old) {
        // Beds made by tools/make_ambience.py into the folder (ambience-NAME.ogg) count too.
        for file in old.files() {
            if let Some(bed) = file
                .strip_prefix("ambience-")
                .and_then(|f| f.strip_suffix(".ogg"))
                .filter(|bed| is_cue_id(bed) && !previous.ambience.values().any(|f| *f == file))
            {
                previous.ambience.insert(bed.to_owned(), file.clone());
            }
        }
        for (kind, map, keep) in [
            ("ambience", &previous.ambience, &mut ambience),
            ("chime", &previous.chimes, &mut chimes),
        ] {
            for (key, file) in map {
                let bytes = old.read(file).map_err(|e| PacksError::Raw {
                    path: dir.join(file),
                    message: format!("cannot keep {kind} {key:?}: {e}"),
                })?;
                keep.insert(key.clone(), file.clone());
                files.push((file.clone(), bytes));
            }
        }
    }
    let rates: Vec<String> = rates.iter().map(|r| format!("{r} Hz")).collect();
    let manifest = Manifest {
        name: name.to_owned(),
        language: info.language.clone(),
        voice: info.voice_name.clone().unwrap_or(defaults.voice),
        licence: info.licence.clone().unwrap_or(defaults.licence),
        credits: info.credits.clone().unwrap_or(defaults.credits),
        generated_by: Some(info.generated_by.clone().unwrap_or(defaults.generated_by)),
        synthesis: Some(format!(
            "{}; {} {}",
            info.synthesis.clone().unwrap_or(defaults.synthesis),
            finish::describe(),
            rates.join(", ")
        )),
        clips,
        ambience,
        chimes,
    };
    if let Some(path) = &info.licence_file {
        let text = std::fs::read(path).map_err(|e| PacksError::Raw {
            path: path.clone(),
            message: format!("cannot read the licence file: {e}"),
        })?;
        files.push(("LICENSE.txt".into(), text));
    }
    let readme = readme(&manifest, info.licence_file.is_some(), total);
    files.push(("README.md".into(), readme.into_bytes()));
    files.push((
        "pack.toml".into(),
        manifest.to_toml(&texts(script)).into_bytes(),
    ));
    let all: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    write_folder(dir, &all)?;
    let _ = writeln!(
        out,
        "wrote {} clips ({}, {lo:.1} to {hi:.1} LUFS) into {}\ncheck it with: balasana-audio packs check {name}",
        manifest.clips.len(),
        minutes(total),
        dir.display()
    );
    Ok(())
}

/// The README of a generated pack: what it is, its licence, how it was made and how to remake it.
fn readme(m: &Manifest, has_licence_file: bool, seconds: f64) -> String {
    let mut text = format!(
        "# Voice pack `{}`\n\n\
         Spoken cues for balasana-audio's guided session: one Ogg Vorbis clip per line of the \
         session script ({} clips, {} of speech), spoken by {}. `pack.toml` maps cue ids to files \
         and records the voice, licence, credits and how the clips were made.\n\n\
         Licence: {}.",
        m.name,
        m.clips.len(),
        minutes(seconds),
        m.voice,
        m.licence
    );
    if has_licence_file {
        text.push_str(" See `LICENSE.txt`.");
    }
    let _ = write!(
        text,
        "\n\nCredits: {}.\n\nMade with: {}.\n\n\
         Regenerate (from the repository root):\n\n```sh\n{}\n```\n\n\
         Check it: `balasana-audio packs check {}`.\n",
        m.credits.trim_end_matches('.'),
        m.synthesis.as_deref().unwrap_or(""),
        m.generated_by.as_deref().unwrap_or(""),
        m.name
    );
    text
}
