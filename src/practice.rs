//! The practice log: one JSON object a line for each live session that played at least
//! [`MIN_SECONDS`], in the user's data folder. It records; it never nags. Streaks are shown only
//! when asked for (`log --streak`), never by a session.
//!
//! Days are calendar days in the zone where each session was played (its start carries its zone),
//! so a session at 23:50 counts for that evening, DST changes no day's length in days, and moving
//! to another zone does not move past sessions to other days.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use jiff::civil::Date;
use jiff::{ToSpan, ZonedDateTime};
use serde::{Deserialize, Serialize};

/// A live session shorter than this is not logged.
pub const MIN_SECONDS: f64 = 10.0;

/// Why the log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log file could not be read.
    #[error("cannot read the practice log {path}: {source}")]
    Read {
        /// The log file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The log file could not be appended to.
    #[error("cannot write the practice log {path}: {source}")]
    Write {
        /// The log file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No data folder is known.
    #[error(
        "no data folder is known on this system (set {}=FILE)",
        crate::paths::LOG_ENV
    )]
    NoFolder,
}

/// One practised session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When it started, with the offset and time zone it was played in
    /// (`2026-11-26T07:30:00+01:00[Europe/Paris]`).
    pub start: ZonedDateTime,
    /// The session's name or path.
    pub script: String,
    /// The session's title.
    pub title: String,
    /// The options that shaped it (`--hold 90 --sets 2 …` as key = value).
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Seconds the session was planned to last.
    pub planned_seconds: f64,
    /// Seconds it played, pauses left out.
    pub played_seconds: f64,
    /// Whether it played to the end (else it was stopped).
    pub completed: bool,
}

impl Entry {
    /// The calendar day it was played, in the zone it was played in.
    pub fn day(&self) -> Date {
        self.start.date()
    }
}

/// Appends `entry` as one line, in one write to a file opened for appending, so concurrent
/// sessions never interleave their lines.
pub fn append(path: &Path, entry: &Entry) -> Result<(), LogError> {
    let fail = |source| LogError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut line = serde_json::to_string(entry).map_err(|e| fail(std::io::Error::other(e)))?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(line.as_bytes()).map_err(fail)?;
    file.sync_data().map_err(fail)
}

/// What a log file holds: its readable entries, and the lines that could not be read (kept in
/// the file as they are).
#[derive(Debug, Default)]
pub struct Log {
    /// Readable entries, in file order.
    pub entries: Vec<Entry>,
    /// (1-based line number, why) of each unreadable line.
    pub unreadable: Vec<(usize, String)>,
}

/// Reads the log; a missing file is an empty log.
pub fn read(path: &Path) -> Result<Log, LogError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Log::default()),
        Err(source) => {
            return Err(LogError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let mut log = Log::default();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => log.entries.push(entry),
            Err(e) => log.unreadable.push((i + 1, e.to_string())),
        }
    }
    Ok(log)
}

/// Minutes played on days from `from` to `today` (inclusive), each entry on its own day.
fn minutes_since(entries: &[Entry], from: Date) -> f64 {
    entries
        .iter()
        .filter(|e| e.day() >= from)
        .map(|e| e.played_seconds / 60.0)
        .sum()
}

/// The practice summary `log` prints: the most recent sessions, then minutes this week (from
/// Monday), this month and in all, counted in calendar days of `today`'s calendar.
pub fn summary(log: &Log, today: Date, recent: usize) -> String {
    let mut out = String::new();
    if log.entries.is_empty() {
        out.push_str("No sessions logged yet.\n");
        return out;
    }
    let _ = writeln!(out, "Recent sessions:");
    let start = log.entries.len().saturating_sub(recent);
    for e in &log.entries[start..] {
        let played = clock(e.played_seconds);
        let planned = clock(e.planned_seconds);
        let how = if e.completed { "completed" } else { "stopped" };
        let _ = writeln!(
            out,
            "  {}  {played} of {planned}  {}  {how}",
            e.start.strftime("%a %Y-%m-%d %H:%M %Z"),
            e.title
        );
    }
    let monday = today
        .checked_sub((today.weekday().to_monday_zero_offset() as i32).days())
        .unwrap_or(today);
    let first = today.first_of_month();
    let week = minutes_since(&log.entries, monday);
    let month = minutes_since(&log.entries, first);
    let all: f64 = log.entries.iter().map(|e| e.played_seconds / 60.0).sum();
    let n = log.entries.len();
    let _ = writeln!(
        out,
        "\nThis week {:.0} min · this month {:.0} min · in all {} ({n} session{})",
        week,
        month,
        hours(all),
        if n == 1 { "" } else { "s" }
    );
    out
}

/// `m:ss` of seconds.
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// `N min` or `H h M min`.
fn hours(minutes: f64) -> String {
    let m = minutes.round() as u64;
    if m < 60 {
        format!("{m} min")
    } else {
        format!("{} h {} min", m / 60, m % 60)
    }
}

/// Streaks of consecutive practice days: (current, longest). The current streak runs back from
/// `today`, or from yesterday when today has no session yet (a day not over is no break).
pub fn streaks(entries: &[Entry], today: Date) -> (u32, u32) {
    let days: BTreeSet<Date> = entries.iter().map(Entry::day).collect();
    let mut longest = 0;
    let mut run = 0;
    let mut previous: Option<Date> = None;
    for &day in &days {
        run = match previous {
            Some(p) if p.tomorrow().ok() == Some(day) => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        previous = Some(day);
    }
    let mut current = 0;
    let mut day = if days.contains(&today) {
        Some(today)
    } else {
        today.yesterday().ok()
    };
    while let Some(d) = day.filter(|d| days.contains(d)) {
        current += 1;
        day = d.yesterday().ok();
    }
    (current, longest)
}

/// What `log --streak` prints.
pub fn streak_text(entries: &[Entry], today: Date) -> String {
    let (current, longest) = streaks(entries, today);
    let days = |n: u32| {
        if n == 1 {
            "1 day".to_owned()
        } else {
            format!("{n} days")
        }
    };
    format!(
        "Current streak: {} · longest: {}\n",
        days(current),
        days(longest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(start: &str, played: f64) -> Entry {
        Entry {
            start: start.parse().unwrap(),
            script: "balasana".into(),
            title: "Child's pose".into(),
            options: serde_json::Map::new(),
            planned_seconds: 391.9,
            played_seconds: played,
            completed: true,
        }
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_session_before_midnight_counts_for_that_day() {
        let e = entry("2026-11-25T23:55:00+01:00[Europe/Paris]", 400.0);
        assert_eq!(e.day(), date("2026-11-25"));
        // The same instant seen from Tokyo would be the next day, but it was played in Paris.
        let (current, _) = streaks(&[e], date("2026-11-26"));
        assert_eq!(
            current, 1,
            "yesterday's session keeps the streak going today"
        );
    }

    #[test]
    fn streaks_cross_dst_changes_by_calendar_days() {
        // Europe/Paris leaves summer time on 2026-10-25 (a 25-hour day).
        let entries = [
            entry("2026-10-24T21:00:00+02:00[Europe/Paris]", 300.0),
            entry("2026-10-25T21:00:00+01:00[Europe/Paris]", 300.0),
            entry("2026-10-26T07:00:00+01:00[Europe/Paris]", 300.0),
        ];
        assert_eq!(streaks(&entries, date("2026-10-26")), (3, 3));
        // And the spring change (a 23-hour day), 2026-03-29.
        let spring = [
            entry("2026-03-28T23:30:00+01:00[Europe/Paris]", 300.0),
            entry("2026-03-29T23:30:00+02:00[Europe/Paris]", 300.0),
        ];
        assert_eq!(streaks(&spring, date("2026-03-29")), (2, 2));
    }

    #[test]
    fn a_zone_change_keeps_each_session_on_its_own_day() {
        // Evening in New York, then the next evening in Tokyo (a flight crossed the date line).
        let entries = [
            entry("2026-11-20T20:00:00-05:00[America/New_York]", 300.0),
            entry("2026-11-21T20:00:00+09:00[Asia/Tokyo]", 300.0),
            entry("2026-11-22T20:00:00+09:00[Asia/Tokyo]", 300.0),
        ];
        assert_eq!(streaks(&entries, date("2026-11-22")), (3, 3));
    }

    #[test]
    fn a_gap_breaks_the_streak_and_today_not_yet_practised_does_not() {
        let entries = [
            entry("2026-11-01T08:00:00+00:00[UTC]", 300.0),
            entry("2026-11-02T08:00:00+00:00[UTC]", 300.0),
            entry("2026-11-03T08:00:00+00:00[UTC]", 300.0),
            entry("2026-11-05T08:00:00+00:00[UTC]", 300.0),
        ];
        assert_eq!(streaks(&entries, date("2026-11-05")), (1, 3));
        assert_eq!(streaks(&entries, date("2026-11-06")), (1, 3));
        assert_eq!(streaks(&entries, date("2026-11-07")), (0, 3));
        assert_eq!(streaks(&[], date("2026-11-07")), (0, 0));
    }

    #[test]
    fn summary_counts_week_month_and_all() {
        let log = Log {
            entries: vec![
                entry("2026-10-30T08:00:00+00:00[UTC]", 600.0),
                entry("2026-11-02T08:00:00+00:00[UTC]", 120.0),
                entry("2026-11-23T08:00:00+00:00[UTC]", 300.0),
                entry("2026-11-26T08:00:00+00:00[UTC]", 390.0),
            ],
            unreadable: Vec::new(),
        };
        // 2026-11-26 is a Thursday: the week began on Monday the 23rd.
        let text = summary(&log, date("2026-11-26"), 10);
        assert!(
            text.contains("This week 12 min · this month 14 min · in all 24 min (4 sessions)"),
            "{text}"
        );
        assert!(
            text.contains("Thu 2026-11-26 08:00 UTC  6:30 of 6:32"),
            "{text}"
        );
        assert!(
            !text.to_lowercase().contains("streak"),
            "no streaks unless asked"
        );
    }

    #[test]
    fn corrupt_lines_are_reported_and_the_rest_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        append(&path, &entry("2026-11-25T08:00:00+00:00[UTC]", 300.0)).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"start\": broken\n\n");
        std::fs::write(&path, &text).unwrap();
        append(&path, &entry("2026-11-26T08:00:00+00:00[UTC]", 300.0)).unwrap();
        let log = read(&path).unwrap();
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.unreadable.len(), 1);
        assert_eq!(log.unreadable[0].0, 2);
        // Kept as it was.
        assert!(std::fs::read_to_string(&path).unwrap().contains("broken"));
    }

    #[test]
    fn entries_round_trip_with_their_zone() {
        let e = entry("2026-07-01T06:15:00-07:00[America/Los_Angeles]", 61.5);
        let line = serde_json::to_string(&e).unwrap();
        assert!(
            line.contains("2026-07-01T06:15:00-07:00[America/Los_Angeles]"),
            "{line}"
        );
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e);
    }
}
