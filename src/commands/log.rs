//! `log`: the practice log, as a summary, JSON or streaks.

use crate::practice;

/// `log`: the summary, the JSON array, or the streaks; unreadable lines are noted and kept.
pub fn show(json: bool, streak: bool, recent: usize) -> Result<String, practice::LogError> {
    let path = crate::paths::log_file().ok_or(practice::LogError::NoFolder)?;
    let log = practice::read(&path)?;
    for (line, why) in &log.unreadable {
        eprintln!(
            "note: {}:{line}: unreadable entry, kept as it is ({why})",
            path.display()
        );
    }
    let today = jiff::ZonedDateTime::now().date();
    Ok(if json {
        let mut text = serde_json::to_string_pretty(&log.entries).unwrap_or_default();
        text.push('\n');
        text
    } else if streak {
        practice::streak_text(&log.entries, today)
    } else {
        practice::summary(&log, today, recent)
    })
}
