//! `packs remove`: a pack taken out of the user's data folder; system and built-in packs stay.

use std::fmt::Write as _;
use std::path::Path;

use super::PacksError;
use crate::atomic;
use crate::pack::Location;
use crate::paths::{self, Place};
use crate::script::is_cue_id;

/// Removes the pack NAME from the user's data folder, in one step, and says which pack of that
/// name `--pack NAME` finds now, if any. A pack found only in a system folder, the working folder
/// or built in is refused, saying where it is.
pub fn remove(name: &str, base: &Path, out: &mut String) -> Result<(), PacksError> {
    if !is_cue_id(name) {
        return Err(PacksError::BadName(name.into()));
    }
    let folder = paths::user_packs().ok_or(PacksError::NoDataFolder)?;
    let dir = folder.join(name);
    if !dir.join("pack.toml").is_file() {
        let place = match Location::find(Some(name), base)? {
            #[cfg(feature = "embedded-voice")]
            Location::Embedded => "built in".to_owned(),
            Location::Folder(found) => {
                let place = paths::data_folders(base)
                    .into_iter()
                    .find(|f| found.starts_with(f.packs()))
                    .map_or(Place::Working, |f| f.place);
                format!("in {} ({})", place.describe(), found.display())
            }
        };
        return Err(PacksError::NotYours {
            name: name.into(),
            place,
            folder,
        });
    }
    atomic::remove_folder(&dir)?;
    let _ = writeln!(out, "removed voice pack {name:?} from {}", dir.display());
    if let Ok(location) = Location::find(Some(name), base) {
        let _ = writeln!(out, "--pack {name} now plays {}", location.place());
    }
    Ok(())
}
