//! Languages as the program compares them: the primary subtag of a BCP 47 tag (`de` for `de-DE`)
//! or of a POSIX locale (`de` for `de_DE.UTF-8@euro`), and the locale rule that picks the
//! session's language when none is chosen. Pure functions: the caller reads the environment.

/// The language of the sessions at the top of `script/`, of the built-in voice, and the one
/// played when no other fits.
pub const ENGLISH: &str = "en";

/// The locale variables that name the language of messages, in the order POSIX consults them.
pub const LOCALE_VARIABLES: [&str; 3] = ["LC_ALL", "LC_MESSAGES", "LANG"];

/// The primary subtag of a BCP 47 language tag or a POSIX locale name, lower case: `de` for
/// `de-DE`, `de_DE.UTF-8@euro` or `DE`. `None` for the `C` and `POSIX` locales (and `C.UTF-8`),
/// and for anything whose first part is not two or three ASCII letters.
pub fn primary(tag: &str) -> Option<String> {
    let name = tag.split(['.', '@']).next().unwrap_or_default();
    if name == "C" || name == "POSIX" {
        return None;
    }
    let first = name.split(['-', '_']).next().unwrap_or_default();
    let letters = (2..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic());
    letters.then(|| first.to_ascii_lowercase())
}

/// Whether two tags name the same language (their primary subtags are equal): `de-DE` and `de`
/// do, `en-US` and `en-GB` do, `de` and `fr` do not.
pub fn same(a: &str, b: &str) -> bool {
    match (primary(a), primary(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The language the locale asks for, reading each variable with `var`: the first of `LC_ALL`,
/// `LC_MESSAGES` and `LANG` that is set and not empty decides, as POSIX says (so `LC_ALL=C` over
/// a German `LANG` is the C locale); `None` when none is set or it names no language (`C`,
/// `POSIX`).
pub fn from_locale(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    LOCALE_VARIABLES
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.is_empty())
        .and_then(|value| primary(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_primary_subtag_of_tags_and_locales() {
        assert_eq!(primary("de_DE.UTF-8@euro").as_deref(), Some("de"));
        assert_eq!(primary("de-DE").as_deref(), Some("de"));
        assert_eq!(primary("es_ES.UTF-8").as_deref(), Some("es"));
        assert_eq!(primary("FR").as_deref(), Some("fr"));
        assert_eq!(primary("fr_CA").as_deref(), Some("fr"));
        assert_eq!(primary("ast_ES").as_deref(), Some("ast"));
        assert_eq!(primary("sw_KE").as_deref(), Some("sw"));
        assert_eq!(primary("C.UTF-8"), None);
        assert_eq!(primary("C"), None);
        assert_eq!(primary("POSIX"), None);
        assert_eq!(primary(""), None);
        assert_eq!(primary("d"), None);
        assert_eq!(primary("deutsch"), None);
        assert_eq!(primary("12_DE"), None);
    }

    #[test]
    fn same_language_compares_primary_subtags() {
        assert!(same("de-DE", "de"));
        assert!(same("en-US", "en-GB"));
        assert!(!same("de", "fr"));
        assert!(!same("C", "C"));
    }

    /// The variables of a locale, as `from_locale` reads them.
    fn locale(vars: &[(&str, &str)]) -> Option<String> {
        from_locale(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn the_first_set_locale_variable_decides() {
        assert_eq!(locale(&[("LANG", "de_DE.UTF-8")]).as_deref(), Some("de"));
        assert_eq!(locale(&[("LC_ALL", "C"), ("LANG", "de_DE.UTF-8")]), None);
        assert_eq!(
            locale(&[("LC_MESSAGES", "it_IT.UTF-8"), ("LANG", "de_DE.UTF-8")]).as_deref(),
            Some("it")
        );
        assert_eq!(
            locale(&[("LC_ALL", ""), ("LC_MESSAGES", ""), ("LANG", "fr_FR")]).as_deref(),
            Some("fr"),
            "empty values are skipped"
        );
        assert_eq!(locale(&[("LANG", "C.UTF-8")]), None);
        assert_eq!(locale(&[]), None);
    }
}
