//! Writing a pack from raw clips (for `synth` and `import`): each clip through the pipeline, then
//! the folder, whole or not at all.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{PacksError, minutes};
use crate::atomic;
use crate::cli::PackInfo;
use crate::cue::Cue;
use crate::decode::Clip;
use crate::pack::{Location, Manifest};
use crate::pipeline;
use crate::script::{Lines, is_cue_id};

/// What pack.toml says when the command line does not.
pub(super) struct Defaults {
    /// Who speaks.
    pub voice: String,
    /// The licence of the voice and clips.
    pub licence: String,
    /// Credits.
    pub credits: String,
    /// The command that made the pack.
    pub generated_by: String,
    /// How the clips were made.
    pub synthesis: String,
}

/// `<base>/audio/NAME`, checked: a valid name, and not there yet unless `force`.
pub(super) fn target(name: &str, force: bool, base: &Path) -> Result<PathBuf, PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let dir = base.join("audio").join(name);
    if dir.exists() && !force {
        return Err(PacksError::Exists(dir));
    }
    Ok(dir)
}

/// A temporary folder for an engine's raw output.
pub(super) fn scratch_dir() -> Result<tempfile::TempDir, PacksError> {
    tempfile::tempdir().map_err(|e| PacksError::Write {
        path: std::env::temp_dir(),
        message: e.to_string(),
    })
}

/// A manifest's files by name (its beds, or its chimes).
type FilesByName = BTreeMap<String, String>;

/// The clips of a new pack, finished: file names and bytes, which file speaks each cue, and what
/// they measure.
struct Finished {
    /// (file name, bytes) of every clip, then of every kept bed and chime.
    files: Vec<(String, Vec<u8>)>,
    /// The clip file of each cue.
    clips: BTreeMap<String, String>,
    /// The raw clips' sample rates, each once.
    rates: Vec<u32>,
    /// Seconds of speech in all.
    seconds: f64,
    /// The quietest and loudest clip, in LUFS.
    lufs: (f64, f64),
}

/// Finishes every raw clip (see [`pipeline`]) and writes the pack folder, whole or not at all:
/// the clips, `pack.toml`, `README.md`, `LICENSE.txt` when given, and the ambience beds and
/// chimes of the pack it replaces.
pub(super) fn make_pack(
    name: &str,
    dir: &Path,
    raw: Vec<(Cue, Clip)>,
    info: &PackInfo,
    defaults: Defaults,
    script: &Lines,
    out: &mut String,
) -> Result<(), PacksError> {
    let mut made = finish(raw, out)?;
    let (ambience, chimes) = keep_extras(dir, &mut made.files)?;
    let rates: Vec<String> = made.rates.iter().map(|r| format!("{r} Hz")).collect();
    let manifest = Manifest {
        name: name.to_owned(),
        language: info.language.clone(),
        also_speaks: Vec::new(),
        voice: info.voice_name.clone().unwrap_or(defaults.voice),
        licence: info.licence.clone().unwrap_or(defaults.licence),
        credits: info.credits.clone().unwrap_or(defaults.credits),
        generated_by: Some(info.generated_by.clone().unwrap_or(defaults.generated_by)),
        synthesis: Some(format!(
            "{}; {} {}",
            info.synthesis.clone().unwrap_or(defaults.synthesis),
            pipeline::describe(),
            rates.join(", ")
        )),
        clips: made.clips,
        ambience,
        chimes,
    };
    let mut files = made.files;
    if let Some(path) = &info.licence_file {
        let text = std::fs::read(path).map_err(|e| PacksError::Raw {
            path: path.clone(),
            message: format!("cannot read the licence file: {e}"),
        })?;
        files.push(("LICENSE.txt".into(), text));
    }
    let readme = readme(&manifest, info.licence_file.is_some(), made.seconds);
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
    let (lo, hi) = made.lufs;
    let _ = writeln!(
        out,
        "wrote {} clips ({}, {lo:.1} to {hi:.1} LUFS) into {}\ncheck it with: balasana-audio packs check {name}",
        manifest.clips.len(),
        minutes(made.seconds),
        dir.display()
    );
    Ok(())
}

/// Every raw clip through the pipeline, as `<cue>.ogg`, with a table row of what it measures.
fn finish(raw: Vec<(Cue, Clip)>, out: &mut String) -> Result<Finished, PacksError> {
    let mut made = Finished {
        files: Vec::new(),
        clips: BTreeMap::new(),
        rates: Vec::new(),
        seconds: 0.0,
        lufs: (f64::INFINITY, f64::NEG_INFINITY),
    };
    let _ = writeln!(
        out,
        "  {:<20} {:>7} {:>7} {:>7} {:>8}",
        "cue", "length", "LUFS", "peak", "limiter"
    );
    for (cue, clip) in raw {
        let done = pipeline::finish(&clip.samples, clip.rate, pipeline::serial_for(&cue)).map_err(
            |e| PacksError::Raw {
                path: PathBuf::from(format!("{cue}.wav")),
                message: format!("cue {cue:?}: {e}"),
            },
        )?;
        let _ = writeln!(
            out,
            "  {cue:<20} {:>6.2}s {:>7.1} {:>7.1} {:>6.1}dB",
            done.seconds, done.lufs, done.true_peak_dbfs, done.limited_db
        );
        made.seconds += done.seconds;
        made.lufs = (made.lufs.0.min(done.lufs), made.lufs.1.max(done.lufs));
        if !made.rates.contains(&clip.rate) {
            made.rates.push(clip.rate);
        }
        let file = format!("{cue}.ogg");
        made.clips.insert(cue.to_string(), file.clone());
        made.files.push((file, done.ogg));
    }
    Ok(made)
}

/// Ambience beds and chimes are not made from the script: those of the pack at `dir` that is
/// replaced are kept (their files added to `files`), with the beds `tools/make_ambience.py` put
/// into its folder (`ambience-NAME.ogg`). Returns the beds and chimes by name.
fn keep_extras(
    dir: &Path,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(FilesByName, FilesByName), PacksError> {
    let (mut ambience, mut chimes) = (BTreeMap::new(), BTreeMap::new());
    let old = Location::Folder(dir.to_path_buf());
    let Ok(mut previous) = Manifest::load(&old) else {
        return Ok((ambience, chimes));
    };
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
    Ok((ambience, chimes))
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

/// Writes files as the pack folder `dir`, whole or not at all, replacing an older one in one
/// step ([`atomic::write_folder_carrying`]); the takes of `packs record` in its `raw/` folder
/// stay.
pub(super) fn write_folder(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), PacksError> {
    Ok(atomic::write_folder_carrying(
        dir,
        files,
        Some(super::RAW_FOLDER),
    )?)
}

/// Each cue's text, for the comments above the clips in `pack.toml`.
pub(super) fn texts(script: &Lines) -> BTreeMap<String, String> {
    script
        .lines()
        .map(|l| (l.cue.to_string(), l.text.clone()))
        .collect()
}
