//! The timeline made readable: a table for people, JSON for programs and tests.

use std::fmt::Write;

use serde::Serialize;

use crate::timeline::{Layer, Timeline};
use crate::units::clock;

/// The timeline as a table: a heading per step, then time, layer, cue and text per event.
pub fn table(timeline: &Timeline, heading: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{heading}");
    let _ = writeln!(out, "{:<11}  {:<5}  {:<18}  text", "time", "layer", "cue");
    let mut steps = timeline.steps.iter().peekable();
    for e in &timeline.events {
        while let Some(step) = steps.next_if(|s| s.frame <= e.frame) {
            let set = step.set.map_or(String::new(), |k| {
                format!("  ({})", timeline.labels.set(k, timeline.sets))
            });
            let _ = writeln!(out, "\n── {}{set} ──", step.title);
        }
        let layer = match e.layer {
            Layer::Voice => "voice",
            Layer::Chime => "chime",
        };
        let _ = writeln!(
            out,
            "{:<11}  {layer:<5}  {:<18}  {}",
            clock(timeline.seconds(e.frame)),
            e.cue,
            e.text.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        "\n{:<11}  end",
        clock(timeline.seconds(timeline.duration))
    );
    for h in &timeline.holds {
        let _ = writeln!(
            out,
            "hold {}: {} → {} ({:.3} s)",
            h.set,
            clock(timeline.seconds(h.start)),
            clock(timeline.seconds(h.end)),
            timeline.seconds(h.end - h.start)
        );
    }
    out
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    rate: u32,
    duration: f64,
    frames: u64,
    events: Vec<JsonEvent<'a>>,
    holds: Vec<JsonHold>,
}

#[derive(Serialize)]
struct JsonEvent<'a> {
    start: f64,
    frame: u64,
    layer: Layer,
    cue: &'a str,
    text: Option<&'a str>,
    duration: f64,
    frames: u64,
    set: Option<u32>,
    step: &'a str,
    gain: f32,
}

#[derive(Serialize)]
struct JsonHold {
    set: u32,
    start: f64,
    end: f64,
    start_frame: u64,
    end_frame: u64,
}

/// The timeline as one JSON object: `rate`, `duration`, `events`, `holds` (times in seconds,
/// with exact frames beside them).
pub fn json(timeline: &Timeline) -> String {
    let t = timeline;
    let plan = JsonPlan {
        rate: t.rate,
        duration: t.seconds(t.duration),
        frames: t.duration,
        events: t
            .events
            .iter()
            .map(|e| JsonEvent {
                start: t.seconds(e.frame),
                frame: e.frame,
                layer: e.layer,
                cue: &e.cue,
                text: e.text.as_deref(),
                duration: t.seconds(e.duration),
                frames: e.duration,
                set: e.set,
                step: &e.step,
                gain: e.gain,
            })
            .collect(),
        holds: t
            .holds
            .iter()
            .map(|h| JsonHold {
                set: h.set,
                start: t.seconds(h.start),
                end: t.seconds(h.end),
                start_frame: h.start,
                end_frame: h.end,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&plan).unwrap_or_default()
}
