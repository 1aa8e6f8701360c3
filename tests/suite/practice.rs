//! A daily practice: guidance levels, variations, breath patterns, hold pacing, the interval
//! bell, the practice log, and the evening session — checked on the plan and on renders.

use std::path::Path;

use crate::common::{bin, plan_json, render_left};
use serde_json::Value;

const RATE: u64 = 48_000;

fn events(plan: &Value) -> &Vec<Value> {
    plan["events"].as_array().unwrap()
}

fn cues(plan: &Value) -> Vec<String> {
    events(plan)
        .iter()
        .map(|e| e["cue"].as_str().unwrap().to_owned())
        .collect()
}

fn frames_of(plan: &Value, cue: &str) -> Vec<u64> {
    events(plan)
        .iter()
        .filter(|e| e["cue"] == cue)
        .map(|e| e["frame"].as_u64().unwrap())
        .collect()
}

fn voice_seconds(plan: &Value) -> f64 {
    events(plan)
        .iter()
        .filter(|e| e["layer"] == "voice")
        .map(|e| e["duration"].as_f64().unwrap())
        .sum()
}

fn holds(plan: &Value) -> Vec<(u64, u64)> {
    plan["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["start_frame"].as_u64().unwrap(),
                h["end_frame"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn each_guidance_level_talks_clearly_less_and_holds_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut seconds = Vec::new();
    for level in ["full", "brief", "minimal"] {
        let plan = plan_json(dir.path(), &["--guidance", level, "--hold", "120"]);
        for (start, end) in holds(&plan) {
            assert_eq!(end - start, 120 * RATE, "{level}");
        }
        let c = cues(&plan);
        match level {
            "full" => {
                assert!(c.contains(&"welcome".into()) && c.contains(&"props-hips".into()));
                assert!(
                    c.contains(&"breathe-in-ribs".into()),
                    "three spoken breaths"
                );
            }
            "brief" => {
                assert!(!c.contains(&"welcome".into()) && !c.contains(&"props-hips".into()));
                assert!(c.contains(&"brief-kneel".into()) && c.contains(&"brief-fold".into()));
                assert_eq!(frames_of(&plan, "breathe-in-back").len(), 2, "one per hold");
                assert!(!c.contains(&"breathe-in-ribs".into()));
            }
            _ => {
                let spoken: Vec<&str> = events(&plan)
                    .iter()
                    .filter(|e| e["layer"] == "voice")
                    .map(|e| e["cue"].as_str().unwrap())
                    .collect();
                assert!(
                    spoken
                        .iter()
                        .all(|c| c.starts_with("name-") || c.starts_with("remain-")),
                    "minimal speaks step names and remaining time only: {spoken:?}"
                );
                assert!(c.contains(&"chime-inhale".into()) && c.contains(&"chime-end".into()));
            }
        }
        seconds.push(voice_seconds(&plan));
    }
    eprintln!("voice seconds full/brief/minimal: {seconds:?}");
    assert!(seconds[1] < seconds[0] * 0.5, "{seconds:?}");
    assert!(seconds[2] < seconds[1] * 0.6, "{seconds:?}");
}

#[test]
fn variations_arms_and_tips_pick_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let plain = cues(&plan_json(dir.path(), &[]));
    assert!(plain.contains(&"toes-knees".into()) && plain.contains(&"arms".into()));
    assert!(plain.contains(&"props-wide-knee".into()));
    let wide = cues(&plan_json(
        dir.path(),
        &["--variation", "wide-knee", "--arms", "back"],
    ));
    for cue in [
        "wide-knees",
        "kneel-again-wide",
        "settle-belly",
        "arms-back",
        "arms-again-back",
    ] {
        assert!(wide.contains(&cue.into()), "{cue}");
    }
    for cue in [
        "toes-knees",
        "kneel-again",
        "arms",
        "arms-forward",
        "props-wide-knee",
    ] {
        assert!(!wide.contains(&cue.into()), "{cue}");
    }
    let no_tips = cues(&plan_json(dir.path(), &["--no-tips"]));
    assert!(!no_tips.iter().any(|c| c.starts_with("props-")));
    assert!(no_tips.contains(&"welcome".into()));
    let brief_tips = cues(&plan_json(dir.path(), &["--guidance", "brief", "--tips"]));
    assert!(brief_tips.contains(&"props-hips".into()));
    assert!(!brief_tips.contains(&"welcome".into()));
}

#[test]
fn breath_patterns_keep_their_period_to_the_frame_over_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    for (breath, period, phases) in [
        ("4-7-8", 19.0, [4.0, 7.0, 8.0, 0.0]),
        ("box", 16.0, [4.0, 4.0, 4.0, 4.0]),
        ("4:2:6:2", 14.0, [4.0, 2.0, 6.0, 2.0]),
        ("4.3:6.1", 10.4, [4.3, 0.0, 6.1, 0.0]),
    ] {
        let plan = plan_json(
            dir.path(),
            &["--breath", breath, "--hold", "600", "--sets", "1"],
        );
        let (start, end) = holds(&plan)[0];
        assert_eq!(end - start, 600 * RATE);
        let inhales = frames_of(&plan, "chime-inhale");
        let period = (period * RATE as f64).round() as u64;
        assert!(inhales.len() >= 25, "{breath}: {} breaths", inhales.len());
        let first = inhales[0];
        for (k, &f) in inhales.iter().enumerate() {
            assert_eq!(f, first + k as u64 * period, "{breath}: breath {k} drifts");
        }
        assert!(inhales.last().unwrap() + period <= end);
        let at = |secs: f64| (secs * RATE as f64).round() as u64;
        let exhales = frames_of(&plan, "chime-exhale");
        let holds_at = frames_of(&plan, "chime-hold");
        for &i in &inhales {
            assert!(
                exhales.contains(&(i + at(phases[0] + phases[1]))),
                "{breath}"
            );
            assert_eq!(holds_at.contains(&(i + at(phases[0]))), phases[1] > 0.0);
            let out_hold = i + at(phases[0] + phases[1] + phases[2]);
            assert_eq!(holds_at.contains(&out_hold), phases[3] > 0.0);
        }
        if phases[1] > 0.0 {
            // A spoken "hold" line rides on the first breaths' holds.
            assert!(cues(&plan).contains(&"breathe-hold".into()), "{breath}");
        }
    }
}

#[test]
fn the_interval_bell_rings_at_exact_multiples_and_never_on_the_hold_end() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_json(
        dir.path(),
        &["--bell", "60", "--hold", "300", "--sets", "2"],
    );
    let bells = frames_of(&plan, "chime-bell");
    let mut expected = Vec::new();
    for (start, _) in holds(&plan) {
        // 60, 120, 180, 240 s; the one at 300 s would land on the end-of-hold chime.
        expected.extend((1..=4).map(|k| start + k * 60 * RATE));
    }
    assert_eq!(bells, expected);
    let plan = plan_json(
        dir.path(),
        &["--bell", "58", "--hold", "120", "--sets", "1"],
    );
    let (start, end) = holds(&plan)[0];
    // 58 s rings; 116 s is within 5 s of the end (120 s) and does not.
    assert_eq!(frames_of(&plan, "chime-bell"), vec![start + 58 * RATE]);
    assert!(end - start == 120 * RATE);
}

#[test]
fn pacing_chimes_and_silent() {
    let dir = tempfile::tempdir().unwrap();
    let spoken_breath = |c: &Vec<String>| {
        c.iter()
            .any(|c| c.starts_with("breathe-") || c.starts_with("remind-"))
    };
    let guided = cues(&plan_json(dir.path(), &["--hold", "120"]));
    assert!(spoken_breath(&guided));
    let chimes = cues(&plan_json(
        dir.path(),
        &["--hold", "120", "--pacing", "chimes"],
    ));
    assert!(!spoken_breath(&chimes) && chimes.contains(&"chime-inhale".into()));
    let silent = cues(&plan_json(
        dir.path(),
        &["--hold", "120", "--pacing", "silent", "--bell", "30"],
    ));
    assert!(!spoken_breath(&silent));
    assert!(!silent.contains(&"chime-inhale".into()) && !silent.contains(&"chime-exhale".into()));
    assert!(silent.contains(&"remain-1m".into()) && silent.contains(&"chime-bell".into()));
}

#[test]
fn bad_daily_options_name_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    for (args, message) in [
        (
            vec!["--breath", "4-7-9"],
            "--breath 4-7-9: no such pattern (patterns: 4-7-8, box, slow;",
        ),
        (
            vec!["--breath", "4:20:6:0"],
            "--breath hold (after the inhale) 20 s is outside the allowed range 0–12 s",
        ),
        (vec!["--breath", "4:6:8"], "has 3 parts"),
        (
            vec!["--guidance", "chatty"],
            "--guidance chatty: the levels of this session are full, brief, minimal",
        ),
        (
            vec!["--variation", "lotus"],
            "--variation lotus: choose one of standard, wide-knee",
        ),
        (
            vec!["--arms", "up"],
            "--arms up: choose one of either, forward, back",
        ),
        (
            vec!["--bell", "5"],
            "--bell 5 s is outside the allowed range 10–600 s",
        ),
        (
            vec!["--pacing", "loud"],
            "invalid value 'loud' for '--pacing <HOW>'",
        ),
    ] {
        let out = bin(dir.path()).args(&args).arg("--plan").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

/// A log line for a session that started at `start` (RFC 9557) and played `played` seconds.
fn log_line(start: &str, played: f64) -> String {
    format!(
        "{{\"start\":\"{start}\",\"script\":\"balasana\",\"title\":\"Child's pose\",\"options\":{{}},\
         \"planned_seconds\":391.9,\"played_seconds\":{played},\"completed\":true}}\n"
    )
}

fn write_log(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join(".local/share/balasana-audio/log.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn log_shows_recent_sessions_minutes_and_keeps_a_corrupt_line() {
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::ZonedDateTime::now().in_tz("Asia/Tokyo").unwrap();
    let text = format!(
        "{}{{not json\n{}",
        log_line(&now.to_string(), 300.0),
        log_line(&now.to_string(), 120.0)
    );
    let path = write_log(dir.path(), &text);
    let out = bin(dir.path())
        .env("TZ", "Asia/Tokyo")
        .arg("log")
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(shown.contains("This week 7 min"), "{shown}");
    assert!(shown.contains("(2 sessions)"), "{shown}");
    assert!(
        !shown.to_lowercase().contains("streak"),
        "never unasked: {shown}"
    );
    assert!(
        err.contains("log.jsonl:2: unreadable entry, kept as it is"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "the file is untouched"
    );

    let out = bin(dir.path()).args(["log", "--json"]).output().unwrap();
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[1]["played_seconds"], 120.0);
}

#[test]
fn streak_counts_local_days_back_from_today_or_yesterday() {
    let dir = tempfile::tempdir().unwrap();
    let zone = "America/New_York";
    let now = jiff::ZonedDateTime::now().in_tz(zone).unwrap();
    // Three evenings in a row ending yesterday, each at 23:50 local time (just before midnight).
    let evening = |days_ago: i64| {
        let date = now
            .date()
            .checked_sub(jiff::Span::new().days(days_ago))
            .unwrap();
        date.at(23, 50, 0, 0).in_tz(zone).unwrap().to_string()
    };
    let text: String = [3, 2, 1]
        .iter()
        .map(|&d| log_line(&evening(d), 300.0))
        .collect();
    write_log(dir.path(), &text);
    let out = bin(dir.path())
        .env("TZ", zone)
        .args(["log", "--streak"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown, "Current streak: 3 days · longest: 3 days\n");
}

#[test]
fn the_bedtime_session_renders_slow_soft_and_ends_in_a_fade() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--script", "bedtime", "--ambience", "ocean"];
    let plan = plan_json(dir.path(), &args);
    let c = cues(&plan);
    assert!(!c.contains(&"chime-end".into()), "no closing chime");
    assert!(
        !c.contains(&"closing-up".into()),
        "no get-up-and-go closing"
    );
    let (start, end) = holds(&plan)[0];
    assert_eq!(end - start, 180 * RATE, "a longer default hold");
    // Chimes 8 dB under the day session's.
    let gain = |plan: &Value, cue: &str| {
        events(plan).iter().find(|e| e["cue"] == cue).unwrap()["gain"]
            .as_f64()
            .unwrap()
    };
    let day = plan_json(dir.path(), &[]);
    let ratio = gain(&plan, "chime-step") / gain(&day, "chime-step");
    assert!((ratio - 10f64.powf(-8.0 / 20.0)).abs() < 1e-4, "{ratio}");
    // The last voice ends 30 s before the end: the quiet tail.
    let frames = plan["frames"].as_u64().unwrap();
    let last_sound = events(&plan)
        .iter()
        .map(|e| e["frame"].as_u64().unwrap() + e["frames"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(frames - last_sound, 30 * RATE);

    let left = render_left(dir.path(), &args);
    assert_eq!(left.len() as u64, frames);
    // Planned and rendered, never logged (session::log decides; its unit tests say why).
    assert!(!dir.path().join(".local/share/balasana-audio").exists());
    // The ocean fades out over the tail: loud at its start, near silence at its very end.
    let rms =
        |x: &[i16]| (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    let tail = &left[last_sound as usize..];
    let second = RATE as usize;
    let (first, last) = (rms(&tail[..second]), rms(&tail[tail.len() - second / 10..]));
    assert!(
        first > 30.0 && last < first * 0.05,
        "tail RMS {first:.1} → {last:.1}"
    );
    // It fades over the whole tail (the ocean swells, so thirds, not seconds): each 10 s is
    // quieter than the one before.
    let thirds: Vec<f64> = tail.chunks(10 * second).map(rms).collect();
    assert!(thirds.windows(2).all(|w| w[1] < w[0] * 0.8), "{thirds:?}");
}
