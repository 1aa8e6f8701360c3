//! `packs install`: a shared pack (a folder, a `.zip` or a `.tar.gz`) checked and copied into the
//! user's data folder, whole or not at all.

use std::fmt::Write as _;
use std::path::Path;

use super::make::scratch_dir;
use super::{PacksError, check, plural};
use crate::atomic;
use crate::library;
use crate::pack::{Location, Manifest, PackError, archive};
use crate::paths;
use crate::script::{Lines, Script, is_cue_id};

/// Installs the pack in `source` as `<user packs>/NAME`, NAME being the name its `pack.toml`
/// gives. It is unpacked into a temporary folder with the guards of [`archive::unpack`], must
/// pass `packs check` against the shipped sessions of its language, and is refused when a pack of
/// that name is installed already, unless `force`. Nothing in the data folder changes until it
/// has passed, and then the pack's folder appears (or replaces the old one) in one step.
pub fn install(
    source: &Path,
    force: bool,
    base: &Path,
    out: &mut String,
) -> Result<(), PacksError> {
    let staging = scratch_dir()?;
    let root = archive::unpack(source, staging.path())?;
    let location = Location::Folder(root.clone());
    let in_source = |path: &str| {
        let inner = Path::new(path)
            .strip_prefix(staging.path())
            .unwrap_or(Path::new(path));
        source.join(inner).display().to_string()
    };
    let manifest = Manifest::load(&location).map_err(|e| match e {
        PackError::Manifest {
            path,
            line,
            column,
            message,
        } => PackError::Manifest {
            path: in_source(&path),
            line,
            column,
            message,
        },
        PackError::Read { path, source } => PackError::Read {
            path: in_source(&path),
            source,
        },
        other => other,
    })?;
    if !is_cue_id(&manifest.name) {
        return Err(PacksError::NameInPack {
            path: in_source(&location.describe("pack.toml")),
            name: manifest.name,
        });
    }
    let folder = paths::user_packs().ok_or(PacksError::NoDataFolder)?;
    let dest = folder.join(&manifest.name);
    if dest.exists() && !force {
        return Err(PacksError::Installed {
            name: manifest.name,
            dir: dest,
        });
    }
    let sessions = library::pack_sessions(&manifest.language, base)?;
    let refs: Vec<&Script> = sessions.iter().collect();
    let lines = Lines::of(&refs).map_err(PacksError::Usage)?;
    let report = check::check(&location, &lines, &check::library_cues(base))?;
    report.verdict()?;
    atomic::copy_folder(&root, &dest)?;
    let warnings = report.warnings.len();
    let _ = writeln!(
        out,
        "installed voice pack {name:?} ({language}, {voice}) in {dest}: it speaks every line of \
         {sessions} session{s}{warned}.\nPlay it with: balasana-audio {play}",
        play = how_to_play(&manifest),
        name = manifest.name,
        language = manifest.language,
        voice = manifest.voice,
        dest = dest.display(),
        sessions = sessions.len(),
        s = plural(sessions.len()),
        warned = if warnings == 0 {
            String::new()
        } else {
            format!(
                " ({warnings} warning{}: see `packs check {}`)",
                plural(warnings),
                manifest.name
            )
        },
    );
    Ok(())
}

/// The options that play an installed pack: its language for a language other than English
/// (the session and its voice follow it), else the pack by name.
fn how_to_play(manifest: &Manifest) -> String {
    match crate::language::primary(&manifest.language) {
        Some(language) if language != crate::language::ENGLISH => format!("--language {language}"),
        _ => format!("--pack {}", manifest.name),
    }
}
