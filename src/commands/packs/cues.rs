//! `packs cues`: the lines a pack must voice, as JSON (what `tools/make_pack.py` reads).

use crate::script::Lines;

/// A JSON array of `{"cue": …, "text": …}`, one per line of the script, and a newline.
pub fn cues(script: &Lines) -> String {
    let cues: Vec<serde_json::Value> = script
        .lines()
        .map(|l| serde_json::json!({ "cue": l.cue, "text": l.text }))
        .collect();
    format!("{}\n", serde_json::Value::Array(cues))
}
