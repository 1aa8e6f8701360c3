//! The limits table: every timed or counted session option with its range in a script's
//! `[limits]`, its unit, the bounds any script must keep within, and how it is written on the
//! command line and in the config file. Script validation, the options check, `--help` and the
//! README test all read [`LIMITS`].

use serde::Deserialize;

/// The ranges for each session option.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Hold length in seconds.
    pub hold: Range3,
    /// Number of sets.
    pub sets: Range3,
    /// Rest between sets in seconds.
    pub rest: Range3,
    /// Inhale length in seconds.
    pub inhale: Range3,
    /// Exhale length in seconds.
    pub exhale: Range3,
    /// Seconds from the start chime to the opening (`--lead-in`); 0 means none.
    #[serde(rename = "lead-in")]
    pub lead_in: Range3,
    /// Seconds of a breath hold (after the inhale or after the exhale; 0 means none).
    #[serde(rename = "breath-hold")]
    pub breath_hold: Range3,
    /// Seconds between interval bells in the hold (`--bell`); the default 0 means none.
    pub bell: Range3,
}

/// An option's allowed range (hard limit), recommended range (a note outside it) and default.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range3 {
    /// Values outside are refused.
    pub allowed: [f64; 2],
    /// Values outside get a one-line note, then the session plays.
    pub recommended: [f64; 2],
    /// Used when the option is not given.
    pub default: f64,
}

/// Where a value stands against a [`Range3`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Inside the recommended range.
    Recommended,
    /// Allowed but outside the recommended range.
    Allowed,
    /// Outside the allowed range.
    Refused,
}

impl Range3 {
    /// Classifies `value` against this range.
    pub fn fit(&self, value: f64) -> Fit {
        let inside = |[lo, hi]: [f64; 2]| value >= lo && value <= hi;
        if !inside(self.allowed) {
            Fit::Refused
        } else if !inside(self.recommended) {
            Fit::Allowed
        } else {
            Fit::Recommended
        }
    }
}

impl Limits {
    /// The range this script gives an option.
    pub fn range(&self, option: Limited) -> &Range3 {
        match option {
            Limited::Hold => &self.hold,
            Limited::Sets => &self.sets,
            Limited::Rest => &self.rest,
            Limited::Inhale => &self.inhale,
            Limited::Exhale => &self.exhale,
            Limited::LeadIn => &self.lead_in,
            Limited::BreathHold => &self.breath_hold,
            Limited::Bell => &self.bell,
        }
    }
}

/// An option a script limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// `--hold`: seconds of each hold.
    Hold,
    /// `--sets`: how many sets.
    Sets,
    /// `--rest`: seconds between sets.
    Rest,
    /// The inhale of `--breath`.
    Inhale,
    /// The exhale of `--breath`.
    Exhale,
    /// `--lead-in`: seconds from the start chime to the opening.
    LeadIn,
    /// Either breath hold of `--breath IN:HOLD:OUT:HOLD`.
    BreathHold,
    /// `--bell`: seconds between interval bells.
    Bell,
}

/// One row of the limits table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// The option.
    pub option: Limited,
    /// Its key under `[limits]` (`lead-in`).
    pub key: &'static str,
    /// The long option that sets it, which is also its config key (`lead-in`): the breath
    /// phases share `breath`.
    pub flag: &'static str,
    /// How messages name the value (`--lead-in`, `--breath inhale`).
    pub label: &'static str,
    /// Written after a value in messages and help: ` s`, or nothing for a count.
    pub unit: &'static str,
    /// The least allowed minimum and the most allowed maximum any script may set: shorter
    /// breaths or holds would be under a frame or thousands of events; longer ones absurd.
    pub bounds: [f64; 2],
    /// 0 is a value of its own, meaning none (a lead-in or breath hold): the allowed range may
    /// start at 0.
    pub zero_is_none: bool,
    /// Off unless asked for: a default of 0 means none (the bell).
    pub off_by_default: bool,
}

impl Limit {
    /// Whether the option is set on its own (`--hold`), not as a part of another (`--breath`).
    pub fn is_whole_option(&self) -> bool {
        self.label.strip_prefix("--") == Some(self.flag)
    }

    /// The default as help shows it: the value with its unit, or `none`.
    pub fn default_text(&self, range: &Range3) -> String {
        if self.off_by_default && range.default == 0.0 {
            "none".to_owned()
        } else {
            format!("{}{}", range.default, self.unit)
        }
    }

    /// `allowed LO–HI UNIT, recommended LO–HI UNIT`, as help and messages write a range.
    pub fn span(&self, range: &Range3) -> String {
        let [lo, hi] = range.allowed;
        let [rlo, rhi] = range.recommended;
        let unit = self.unit;
        format!("allowed {lo}–{hi}{unit}, recommended {rlo}–{rhi}{unit}")
    }
}

/// Every limited option, in the order options are checked and `[limits]` validated.
pub const LIMITS: [Limit; 8] = [
    limit(Limited::Hold, "hold", "hold", "--hold", " s", [1.0, 3600.0]),
    limit(Limited::Sets, "sets", "sets", "--sets", "", [1.0, 99.0]),
    limit(Limited::Rest, "rest", "rest", "--rest", " s", [1.0, 3600.0]),
    limit(
        Limited::Inhale,
        "inhale",
        "breath",
        "--breath inhale",
        " s",
        [0.5, 60.0],
    ),
    limit(
        Limited::Exhale,
        "exhale",
        "breath",
        "--breath exhale",
        " s",
        [0.5, 60.0],
    ),
    Limit {
        zero_is_none: true,
        ..limit(
            Limited::LeadIn,
            "lead-in",
            "lead-in",
            "--lead-in",
            " s",
            [0.0, 600.0],
        )
    },
    Limit {
        zero_is_none: true,
        ..limit(
            Limited::BreathHold,
            "breath-hold",
            "breath",
            "--breath hold",
            " s",
            [0.0, 60.0],
        )
    },
    Limit {
        off_by_default: true,
        ..limit(Limited::Bell, "bell", "bell", "--bell", " s", [1.0, 3600.0])
    },
];

/// A row of [`LIMITS`] whose 0 is no value of its own.
const fn limit(
    option: Limited,
    key: &'static str,
    flag: &'static str,
    label: &'static str,
    unit: &'static str,
    bounds: [f64; 2],
) -> Limit {
    Limit {
        option,
        key,
        flag,
        label,
        unit,
        bounds,
        zero_is_none: false,
        off_by_default: false,
    }
}

/// The row of the table for `option`.
pub fn limit_of(option: Limited) -> &'static Limit {
    LIMITS
        .iter()
        .find(|l| l.option == option)
        .expect("every limited option has a row")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_option_and_whole_options_are_their_flags() {
        for (i, row) in LIMITS.iter().enumerate() {
            assert_eq!(limit_of(row.option), row, "{}", row.key);
            assert!(LIMITS[..i].iter().all(|r| r.key != row.key), "{}", row.key);
            assert!(
                row.label.starts_with(&format!("--{}", row.flag)),
                "{}",
                row.key
            );
            let [least, most] = row.bounds;
            assert!(
                least < most && (least > 0.0 || row.zero_is_none),
                "{}",
                row.key
            );
        }
        let whole: Vec<&str> = LIMITS
            .iter()
            .filter(|l| l.is_whole_option())
            .map(|l| l.key)
            .collect();
        assert_eq!(whole, ["hold", "sets", "rest", "lead-in", "bell"]);
    }
}
