//! [`Cue`]: the id of a clip, a spoken line's (`settle`) or a chime's (`chime-start`). The one
//! place that knows the `chime-` prefix: a chime's cue id is the prefix and the chime's
//! [`Chime::key`].

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::Serialize;

use crate::chime::Chime;

/// Every chime's cue id starts with this; script lines may not.
pub const CHIME_PREFIX: &str = "chime-";

/// A cue id. Serializes, displays and debug-prints (quoted) as the plain id, so messages read
/// `cue "settle"`; looks up in maps keyed by `str`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Cue(String);

impl Cue {
    /// A script line's cue id, checked: a valid id (see [`is_cue_id`]) that is not a chime's.
    /// The error says why, without the id.
    pub fn line(id: String) -> Result<Cue, &'static str> {
        if !is_cue_id(&id) {
            return Err("ids use only a-z, 0-9 and '-' (they name clip files)");
        }
        let cue = Cue(id);
        if cue.is_chime() {
            return Err("ids starting with 'chime-' are kept for chimes");
        }
        Ok(cue)
    }

    /// The cue of a pack's `[chimes]` entry (`start` → `chime-start`).
    pub fn chime_key(key: &str) -> Cue {
        Cue(format!("{CHIME_PREFIX}{key}"))
    }

    /// Whether this cue is a chime's (built in or from a pack), not a spoken line's.
    pub fn is_chime(&self) -> bool {
        self.0.starts_with(CHIME_PREFIX)
    }

    /// The built-in chime this cue names, if any.
    pub fn chime(&self) -> Option<Chime> {
        let key = self.0.strip_prefix(CHIME_PREFIX)?;
        Chime::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `id` is a valid cue or step id: non-empty, lowercase ASCII letters, digits and dashes.
pub fn is_cue_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl From<Chime> for Cue {
    fn from(chime: Chime) -> Cue {
        Cue::chime_key(chime.key())
    }
}

/// Any id, unchecked (tests, and ids read from elsewhere); script lines go through [`Cue::line`].
impl From<&str> for Cue {
    fn from(id: &str) -> Cue {
        Cue(id.to_owned())
    }
}

impl Deref for Cue {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Cue {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Cue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Cue {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Cue {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Cue {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl fmt::Debug for Cue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chime_cue_is_a_chime_and_names_its_chime() {
        for chime in Chime::ALL {
            let cue = Cue::from(chime);
            assert!(cue.is_chime(), "{cue}");
            assert_eq!(cue.chime(), Some(chime));
            assert_eq!(Cue::chime_key(chime.key()), cue);
        }
        assert_eq!(Cue::chime_key("gong").chime(), None);
        assert!(Cue::chime_key("gong").is_chime());
    }

    #[test]
    fn script_lines_are_checked_and_never_chimes() {
        let settle = Cue::line("settle-2".into()).unwrap();
        assert!(!settle.is_chime());
        assert_eq!(settle.chime(), None);
        assert_eq!(
            Cue::line("chime-start".into()),
            Err("ids starting with 'chime-' are kept for chimes")
        );
        assert_eq!(
            Cue::line("Settle".into()),
            Err("ids use only a-z, 0-9 and '-' (they name clip files)")
        );
        assert!(Cue::line(String::new()).is_err());
    }

    #[test]
    fn displays_pads_and_serializes_as_the_plain_id() {
        let cue = Cue::from("rest");
        assert_eq!(format!("[{cue:<6}]"), "[rest  ]");
        assert_eq!(format!("{cue:?}"), "\"rest\"");
        assert_eq!(serde_json::to_string(&cue).unwrap(), "\"rest\"");
        let map: std::collections::HashMap<Cue, u8> = [(cue.clone(), 1)].into();
        assert_eq!(map.get("rest"), Some(&1));
    }
}
