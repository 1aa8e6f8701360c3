//! The words the program adds to what the listener reads (`[labels]` in a script): the set beside
//! a step's title in `--plan`, chapters, transcripts, tags and the media controls, and the parts
//! of the progress line, so they are in the session's language. English when a script has no
//! `[labels]`, or leaves a label out.

use serde::Deserialize;
use toml::Spanned;

/// The labels of a session, each a template with `{…}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// After a step's title: `set {set} of {sets}`.
    pub set: String,
    /// The progress line's set: `set {set}/{sets}`.
    pub set_short: String,
    /// The progress line's time left in the hold: `hold {time} left`.
    pub hold_left: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            set: "set {set} of {sets}".into(),
            set_short: "set {set}/{sets}".into(),
            hold_left: "hold {time} left".into(),
        }
    }
}

impl Labels {
    /// `set 1 of 2`, in the session's language.
    pub fn set(&self, set: u32, sets: u32) -> String {
        fill(
            &self.set,
            &[("set", &set.to_string()), ("sets", &sets.to_string())],
        )
    }

    /// `set 1/2`, in the session's language.
    pub fn set_short(&self, set: u32, sets: u32) -> String {
        fill(
            &self.set_short,
            &[("set", &set.to_string()), ("sets", &sets.to_string())],
        )
    }

    /// `hold 1:20 left`, in the session's language; `time` is written already.
    pub fn hold_left(&self, time: &str) -> String {
        fill(&self.hold_left, &[("time", time)])
    }
}

/// `template` with each `{name}` replaced by its value.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// `[labels]` as written: every label optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLabels {
    set: Option<Spanned<String>>,
    set_short: Option<Spanned<String>>,
    hold_left: Option<Spanned<String>>,
}

/// A label that cannot be used: where it is and what is wrong.
pub(super) struct BadLabel {
    /// The span of its value.
    pub span: std::ops::Range<usize>,
    /// What is wrong.
    pub message: String,
}

impl RawLabels {
    /// The labels, English where one is left out; a label must use each of its placeholders and
    /// no other.
    pub(super) fn validate(self) -> Result<Labels, BadLabel> {
        let defaults = Labels::default();
        let set = &["set", "sets"][..];
        Ok(Labels {
            set: checked("set", self.set, set)?.unwrap_or(defaults.set),
            set_short: checked("set-short", self.set_short, set)?.unwrap_or(defaults.set_short),
            hold_left: checked("hold-left", self.hold_left, &["time"])?
                .unwrap_or(defaults.hold_left),
        })
    }
}

/// A label's text, if given, once each `{…}` in it is one of `names` and each of `names` is in it.
fn checked(
    key: &str,
    raw: Option<Spanned<String>>,
    names: &[&str],
) -> Result<Option<String>, BadLabel> {
    let Some(raw) = raw else { return Ok(None) };
    let span = raw.span();
    let text = raw.into_inner();
    let wanted: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
    let bad = |message: String| BadLabel {
        span: span.clone(),
        message: format!("labels.{key}: {message} (it uses {})", wanted.join(" and ")),
    };
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(bad("a '{' is not closed".into()));
        };
        let placeholder = &rest[open..open + close + 1];
        if !wanted.iter().any(|w| w == placeholder) {
            return Err(bad(format!("unknown placeholder {placeholder}")));
        }
        rest = &rest[open + close + 1..];
    }
    if let Some(missing) = wanted.iter().find(|w| !text.contains(w.as_str())) {
        return Err(bad(format!("{missing} is missing")));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fill_their_placeholders() {
        let labels = Labels::default();
        assert_eq!(labels.set(1, 2), "set 1 of 2");
        assert_eq!(labels.set_short(2, 3), "set 2/3");
        assert_eq!(labels.hold_left("1:05"), "hold 1:05 left");
        let german = Labels {
            set: "Runde {set} von {sets}".into(),
            ..Labels::default()
        };
        assert_eq!(german.set(1, 2), "Runde 1 von 2");
    }

    fn parse(text: &str) -> Result<Labels, String> {
        let raw: RawLabels = toml::from_str(text).map_err(|e| e.to_string())?;
        raw.validate().map_err(|e| e.message)
    }

    #[test]
    fn a_label_uses_its_placeholders_and_no_other() {
        assert_eq!(
            parse("set = \"serie {set} de {sets}\"").unwrap().set,
            "serie {set} de {sets}"
        );
        assert_eq!(
            parse("set = \"serie {set}\"").unwrap_err(),
            "labels.set: {sets} is missing (it uses {set} and {sets})"
        );
        assert_eq!(
            parse("hold-left = \"{left} left\"").unwrap_err(),
            "labels.hold-left: unknown placeholder {left} (it uses {time})"
        );
        assert_eq!(
            parse("set-short = \"{set/{sets}\"").unwrap_err(),
            "labels.set-short: unknown placeholder {set/{sets} (it uses {set} and {sets})"
        );
        assert!(parse("title = \"x\"").is_err());
    }
}
