//! `packs export`: a pack as one `.zip` file to share.

use std::fmt::Write as _;
use std::path::Path;

use super::{PacksError, plural};
use crate::pack::{Location, Manifest, archive};
use crate::script::is_cue_id;

/// Writes the pack `spec` (a name as `--pack` finds it, or a path) as the zip archive `file`,
/// whole or not at all: its files in one folder named as its `pack.toml` names the pack, which
/// `packs install` installs.
pub fn export(spec: &str, file: &Path, base: &Path, out: &mut String) -> Result<(), PacksError> {
    if !file
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("zip"))
    {
        return Err(PacksError::Usage(format!(
            "{}: the file to write must end in .zip",
            file.display()
        )));
    }
    let location = Location::find(Some(spec), base)?;
    let manifest = Manifest::load(&location)?;
    if !is_cue_id(&manifest.name) {
        return Err(PacksError::NameInPack {
            path: location.describe("pack.toml"),
            name: manifest.name,
        });
    }
    let files = archive::export(&location, &manifest.name, file)?;
    let _ = writeln!(
        out,
        "wrote {} ({files} file{} of voice pack {:?}, {}); install it with: balasana-audio packs install {}",
        file.display(),
        plural(files),
        manifest.name,
        location.place(),
        file.display()
    );
    Ok(())
}
