//! The session's options, high level from low level (as ripgrep turns its parsed flags into the
//! arguments it runs with): the parsed command line, with the config file and environment
//! already layered beneath it, and the script's defaults, resolved into the [`Options`] the
//! timeline takes, and checked against the script's limits. Nothing is printed here: what
//! deserves a note is returned, and the caller prints it.

use crate::cli::{Breath, SessionArgs};
use crate::script::{Fit, LIMITS, Limited, MIN_DURATION, Script};
use crate::timeline::Options;

/// Options that could not be resolved: the one-line usage error, and the notes found before it
/// (the caller prints them first, as they came).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// Notes about settings before the refusal.
    pub notes: Vec<String>,
    /// What is wrong, naming where a layered value was set.
    pub message: String,
}

/// The session options from the command line (`args`, with the config file and environment
/// layered in) and the script's defaults, checked against the script's limits, with the notes
/// to print: outside the allowed range is refused, outside the recommended range a note. A
/// choice this session does not have is refused when typed, and a note when it came from the
/// config file or the environment (`layered`: config key and where it was set), where it applies
/// to every session: the session's default is used instead.
pub fn resolve(
    args: &SessionArgs,
    script: &Script,
    layered: &[(&str, String)],
) -> Result<(Options, Vec<String>), Refused> {
    let mut r = Resolver {
        layered,
        notes: Vec::new(),
    };
    match r.options(args, script) {
        Ok(options) => Ok((options, r.notes)),
        Err(message) => Err(Refused {
            notes: r.notes,
            message,
        }),
    }
}

/// Resolves options, gathering notes.
struct Resolver<'a> {
    layered: &'a [(&'a str, String)],
    notes: Vec<String>,
}

impl Resolver<'_> {
    /// Where a layered setting was set (`BALASANA_HOLD`, `…/config.toml:3`), if it was.
    fn source(&self, key: &str) -> Option<&str> {
        self.layered
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s.as_str())
    }

    /// A value this session does not offer: a note when it was layered (the default stays), an
    /// error when it was typed.
    fn refuse(&mut self, key: &str, message: String) -> Result<(), String> {
        match self.source(key) {
            Some(source) => {
                let note = format!("{message} (set by {source}); using the session's default");
                self.notes.push(note);
                Ok(())
            }
            None => Err(message),
        }
    }

    /// An error about a value, naming where it was set when that was not the command line
    /// (`--hold 1000 s is outside … (set by BALASANA_HOLD)`).
    fn usage(&self, key: &str, message: String) -> String {
        match self.source(key) {
            Some(source) => format!("{message} (set by {source})"),
            None => message,
        }
    }

    /// Every option, in the order its problems are reported.
    fn options(&mut self, args: &SessionArgs, script: &Script) -> Result<Options, String> {
        let mut o = Options::defaults(script);
        o.hold = args.hold.unwrap_or(o.hold);
        o.sets = args.sets.unwrap_or(o.sets);
        o.rest = args.rest.unwrap_or(o.rest);
        self.breath(args, script, &mut o)?;
        o.lead_in = args.lead_in.unwrap_or(o.lead_in);
        if o.lead_in > 0.0 && o.lead_in < MIN_DURATION {
            return Err(self.usage(
                "lead-in",
                format!(
                    "--lead-in {} s is under a frame: use 0 for none, or at least {MIN_DURATION} s",
                    o.lead_in
                ),
            ));
        }
        o.chimes = !args.no_chimes;
        o.voice_gain = args.voice_volume.unwrap_or(1.0);
        o.chime_gain = args.chime_volume.unwrap_or(1.0);
        self.guidance(args, script, &mut o)?;
        self.choices(args, script, &mut o)?;
        if let Some(pacing) = args.pacing {
            o.pacing = pacing.into();
        }
        if let Some(bell) = args.bell {
            o.bell = (bell != 0.0).then_some(bell);
        }
        self.limits(script, &o)?;
        Ok(o)
    }

    /// `--breath`: seconds of each phase, or one of the script's patterns.
    fn breath(
        &mut self,
        args: &SessionArgs,
        script: &Script,
        o: &mut Options,
    ) -> Result<(), String> {
        match &args.breath {
            Some(Breath::Phases(phases)) => o.breath = *phases,
            Some(Breath::Named(name)) => {
                match script.breath_patterns.iter().find(|p| &p.name == name) {
                    Some(pattern) => o.breath = pattern.phases,
                    None => {
                        let known: Vec<&str> = script
                            .breath_patterns
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect();
                        let known = if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        };
                        self.refuse(
                            "breath",
                            format!(
                                "--breath {name}: no such pattern (patterns: {known}; or IN:OUT, IN:HOLD:OUT:HOLD seconds)"
                            ),
                        )?;
                    }
                }
            }
            None => {}
        }
        Ok(())
    }

    /// `--guidance`, and the props tips it implies unless `--tips` or `--no-tips` says.
    fn guidance(
        &mut self,
        args: &SessionArgs,
        script: &Script,
        o: &mut Options,
    ) -> Result<(), String> {
        if let Some(level) = &args.guidance {
            if script.guidance.iter().any(|g| &g.name == level) {
                o.guidance = level.clone();
            } else {
                let known: Vec<&str> = script.guidance.iter().map(|g| g.name.as_str()).collect();
                self.refuse(
                    "guidance",
                    format!(
                        "--guidance {level}: the levels of this session are {}",
                        known.join(", ")
                    ),
                )?;
            }
        }
        let level = script.guidance.iter().find(|g| g.name == o.guidance);
        o.tips = if args.tips {
            true
        } else if args.no_tips {
            false
        } else {
            level.is_some_and(|g| g.tips)
        };
        Ok(())
    }

    /// `--variation` and `--arms`: a value of one of the script's choices.
    fn choices(
        &mut self,
        args: &SessionArgs,
        script: &Script,
        o: &mut Options,
    ) -> Result<(), String> {
        for (option, value) in [("variation", &args.variation), ("arms", &args.arms)] {
            let Some(value) = value else { continue };
            let message = match script.choices.get(option) {
                Some(choice) if choice.values.contains(value) => {
                    o.choices.insert(option.to_owned(), value.clone());
                    continue;
                }
                Some(choice) => format!(
                    "--{option} {value}: choose one of {}",
                    choice.values.join(", ")
                ),
                None => format!(
                    "--{option} {value}: the session {:?} has no {option} to choose",
                    script.title
                ),
            };
            self.refuse(option, message)?;
        }
        Ok(())
    }

    /// Every limited value against the script's limits ([`LIMITS`]).
    fn limits(&mut self, script: &Script, o: &Options) -> Result<(), String> {
        for limit in &LIMITS {
            let range = script.limits.range(limit.option);
            let unit = limit.unit;
            let [lo, hi] = range.allowed;
            let [rlo, rhi] = range.recommended;
            for (value, which) in limited_values(o, limit.option) {
                let name = format!("{}{which}", limit.label);
                match range.fit(value) {
                    Fit::Refused => {
                        return Err(self.usage(
                            limit.flag,
                            format!(
                                "{name} {value}{unit} is outside the allowed range {lo}–{hi}{unit} (limits in {})",
                                script.origin
                            ),
                        ));
                    }
                    Fit::Allowed => self.notes.push(format!(
                        "{name} {value}{unit} is outside the recommended {rlo}–{rhi}{unit}; playing anyway"
                    )),
                    Fit::Recommended => {}
                }
            }
        }
        Ok(())
    }
}

/// The values of `option` in `o` that its limits apply to, each with the words that tell it apart
/// in messages: the two breath holds, when there are any; the bell, when it rings.
fn limited_values(o: &Options, option: Limited) -> Vec<(f64, &'static str)> {
    let b = o.breath;
    match option {
        Limited::Hold => vec![(o.hold, "")],
        Limited::Sets => vec![(f64::from(o.sets), "")],
        Limited::Rest => vec![(o.rest, "")],
        Limited::Inhale => vec![(b.inhale, "")],
        Limited::Exhale => vec![(b.exhale, "")],
        Limited::LeadIn => vec![(o.lead_in, "")],
        Limited::BreathHold => [
            (b.hold, " (after the inhale)"),
            (b.rest, " (after the exhale)"),
        ]
        .into_iter()
        .filter(|(v, _)| *v > 0.0)
        .collect(),
        Limited::Bell => o.bell.map(|bell| (bell, "")).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn script() -> Script {
        Script::parse(crate::script::EMBEDDED, "balasana.toml").unwrap()
    }

    /// The session arguments of a command line.
    fn args(line: &[&str]) -> SessionArgs {
        let all = std::iter::once("balasana-audio").chain(line.iter().copied());
        crate::cli::Cli::try_parse_from(all).unwrap().session
    }

    #[test]
    fn typed_values_override_the_defaults_and_out_of_recommended_is_a_note() {
        let (o, notes) = resolve(&args(&["--hold", "400", "--sets", "1"]), &script(), &[]).unwrap();
        assert_eq!((o.hold, o.sets), (400.0, 1));
        assert_eq!(
            notes,
            ["--hold 400 s is outside the recommended 60–300 s; playing anyway"]
        );
    }

    #[test]
    fn a_layered_choice_the_session_lacks_is_a_note_and_a_typed_one_an_error() {
        let layered = [("guidance", "BALASANA_GUIDANCE".to_owned())];
        let (o, notes) = resolve(&args(&["--guidance", "chatty"]), &script(), &layered).unwrap();
        assert_eq!(o.guidance, "full");
        assert_eq!(
            notes,
            [
                "--guidance chatty: the levels of this session are full, brief, minimal \
                 (set by BALASANA_GUIDANCE); using the session's default"
            ]
        );
        let refused = resolve(&args(&["--guidance", "chatty"]), &script(), &[]).unwrap_err();
        assert_eq!(
            refused.message,
            "--guidance chatty: the levels of this session are full, brief, minimal"
        );
    }

    #[test]
    fn a_refusal_keeps_the_notes_before_it_and_names_where_the_value_was_set() {
        let layered = [
            ("guidance", "BALASANA_GUIDANCE".to_owned()),
            ("hold", "BALASANA_HOLD".to_owned()),
        ];
        let line = args(&["--guidance", "chatty", "--hold", "1000"]);
        let refused = resolve(&line, &script(), &layered).unwrap_err();
        assert_eq!(refused.notes.len(), 1, "{refused:?}");
        assert_eq!(
            refused.message,
            "--hold 1000 s is outside the allowed range 20–600 s (limits in balasana.toml) \
             (set by BALASANA_HOLD)"
        );
    }

    #[test]
    fn each_breath_hold_is_checked_and_named_apart() {
        let refused = resolve(&args(&["--breath", "4:2:6:20"]), &script(), &[]).unwrap_err();
        assert!(
            refused
                .message
                .starts_with("--breath hold (after the exhale) 20 s is outside the allowed range"),
            "{refused:?}"
        );
        let (o, _) = resolve(&args(&["--breath", "box", "--bell", "0"]), &script(), &[]).unwrap();
        assert_eq!(o.breath.period(), 16.0);
        assert_eq!(o.bell, None);
    }
}
