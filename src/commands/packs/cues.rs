//! `packs cues`: the lines a pack must voice, as JSON (what `tools/make_pack.py` reads).

use crate::pace::{TEMPOS, sentences};
use crate::script::Lines;

/// A JSON array of `{"cue": …, "text": …}`, one per line of the script, and a newline.
pub fn cues(script: &Lines) -> String {
    let cues: Vec<serde_json::Value> = script
        .lines()
        .map(|l| serde_json::json!({ "cue": l.cue, "text": l.text }))
        .collect();
    format!("{}\n", serde_json::Value::Array(cues))
}

/// `--phrases`: what an engine speaks for `packs import` to fit each line to its pace, as JSON:
/// `{"tempos": […], "lines": [{"cue", "text", "sessions": […], "sentences": […]}]}`. Each
/// sentence is spoken at each tempo into `<cue>/<i>@<tempo>.wav` (`i` from 0, the tempo with
/// two decimals).
pub fn phrases(script: &Lines) -> String {
    let names: Vec<&str> = script.sessions().iter().map(|s| s.name.as_str()).collect();
    let lines: Vec<serde_json::Value> = script
        .spoken()
        .map(|(l, sessions)| {
            let said: Vec<String> = sentences(&l.text).into_iter().map(|s| s.text).collect();
            let sessions: Vec<&str> = sessions.iter().map(|&i| names[i]).collect();
            serde_json::json!({ "cue": l.cue, "text": l.text, "sessions": sessions, "sentences": said })
        })
        .collect();
    format!(
        "{}\n",
        serde_json::json!({ "tempos": TEMPOS, "lines": lines })
    )
}
