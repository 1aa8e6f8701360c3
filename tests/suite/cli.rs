//! The command line: clear one-line errors, distinct exit codes, nothing half-written.

use std::time::{Duration, Instant};

use crate::common::*;
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn plan_prints_a_readable_table() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["--hold", "90", "--sets", "2", "--plan"])
        .assert()
        .success()
        .stdout(contains("2 sets × 90 s hold"))
        .stdout(contains("── Step 2 · Lean forward  (set 1 of 2) ──"))
        .stdout(contains(
            "voice  lean-exhale         And as you exhale, slowly lean forward",
        ))
        .stdout(contains("hold 2:"))
        .stdout(contains("(90.000 s)"));
}

#[test]
fn plan_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan_json(dir.path(), &["--sets", "1", "--hold", "60"]);
    assert_eq!(p["rate"], 48_000);
    assert!(p["duration"].as_f64().unwrap() > 60.0);
    let e = &p["events"][1];
    for key in [
        "start", "frame", "layer", "cue", "text", "duration", "set", "step",
    ] {
        assert!(e.get(key).is_some(), "event lacks {key}");
    }
    assert_eq!(p["events"][0]["cue"], "chime-start");
    assert!(p["events"][0]["text"].is_null());
    assert_eq!(p["holds"][0]["set"], 1);
}

#[test]
fn out_of_range_options_name_the_allowed_range() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["--hold", "10"],
            "--hold 10 s is outside the allowed range 20–600 s",
        ),
        (vec!["--hold", "601"], "allowed range 20–600 s"),
        (
            vec!["--sets", "6"],
            "--sets 6 is outside the allowed range 1–5",
        ),
        (
            vec!["--breath", "1:6"],
            "--breath inhale 1 s is outside the allowed range 2–10 s",
        ),
    ] {
        bin(dir.path())
            .args(&args)
            .arg("--plan")
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains(needle))
            .stderr(contains("panicked").not());
    }
}

#[test]
fn malformed_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["--breath", "4-6"])
        .assert()
        .code(2)
        .stderr(contains("IN:OUT"));
    bin(dir.path()).args(["--hold", "ninety"]).assert().code(2);
    bin(dir.path()).args(["--json"]).assert().code(2);
}

#[test]
fn outside_recommended_is_a_note_then_plays() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["--hold", "400", "--sets", "4", "--plan"])
        .assert()
        .success()
        .stderr(contains(
            "note: --hold 400 s is outside the recommended 60–300 s; playing anyway",
        ))
        .stderr(contains("note: --sets 4 is outside the recommended 1–3"));
}

#[test]
fn script_errors_give_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text =
        balasana_audio::script::EMBEDDED.replacen("line_gap = 0.8", "line_gap = \"slow\"", 1);
    std::fs::write(&path, &text).unwrap();
    let (line, _) = balasana_audio::script::line_column(&text, text.find("\"slow\"").unwrap());
    bin(dir.path())
        .arg("--script")
        .arg(&path)
        .arg("--plan")
        .assert()
        .code(3)
        .stderr(contains(format!("bad.toml:{line}:")))
        .stderr(contains("invalid type"));
    bin(dir.path())
        .args(["--script", "nope.toml", "--plan"])
        .assert()
        .code(3)
        .stderr(contains("nope.toml:1:1: cannot read script"));
}

#[test]
fn local_script_folder_overrides_the_built_in_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("script")).unwrap();
    let text =
        balasana_audio::script::EMBEDDED.replacen("Set one of two.", "First of two sets.", 1);
    std::fs::write(dir.path().join("script/balasana.toml"), text).unwrap();
    // The built-in pack has no clip for the changed text, but the cue id is the same.
    bin(dir.path())
        .args(["--plan"])
        .assert()
        .success()
        .stdout(contains("First of two sets."));
}

#[test]
fn missing_cue_names_pack_cue_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = make_pack(dir.path(), "gappy", 16_000, 1, 0.2, &["arms"]);
    bin(dir.path())
        .args(["--pack", "gappy", "--strict", "--plan"])
        .assert()
        .code(4)
        .stderr(contains(
            "voice pack \"gappy\" has no clip for cue \"arms\"",
        ))
        .stderr(contains(
            "expected an entry arms = \"arms.wav\" in ./audio/gappy/pack.toml",
        ));
    // Listed but not recorded: the message names the file.
    std::fs::remove_file(folder.join("why.wav")).unwrap();
    let text =
        std::fs::read_to_string(folder.join("pack.toml")).unwrap() + "arms = \"arms.flac\"\n";
    std::fs::write(folder.join("pack.toml"), text).unwrap();
    bin(dir.path())
        .args(["--pack", "gappy", "--strict", "--plan"])
        .assert()
        .code(4)
        .stderr(contains(
            "no clip for cue \"why\" (expected ./audio/gappy/why.wav)",
        ));
}

#[test]
fn corrupt_clip_and_unknown_pack_are_pack_errors() {
    let dir = tempfile::tempdir().unwrap();
    let folder = make_pack(dir.path(), "broken", 16_000, 1, 0.2, &[]);
    std::fs::write(folder.join("welcome.wav"), b"not audio at all").unwrap();
    bin(dir.path())
        .args(["--pack", "broken", "--plan"])
        .assert()
        .code(4)
        .stderr(contains(
            "welcome.wav: cannot decode clip for cue \"welcome\"",
        ));
    bin(dir.path())
        .args(["--pack", "nobody", "--plan"])
        .assert()
        .code(4)
        .stderr(contains("voice pack \"nobody\" not found"));
    std::fs::write(
        folder.join("pack.toml"),
        "name = \"broken\"\nlanguage = 3\n",
    )
    .unwrap();
    bin(dir.path())
        .args(["--pack", "./audio/broken", "--plan"])
        .assert()
        .code(4)
        .stderr(contains("pack.toml:2:12:"));
}

#[test]
fn render_failure_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-dir/s.wav");
    bin(dir.path())
        .args(["--sets", "1", "--hold", "20", "--render"])
        .arg(&target)
        .assert()
        .code(6)
        .stderr(contains("cannot write"))
        .stderr(contains("missing-dir"));
    assert!(!target.exists());
    // A bad option never touches an existing file either.
    let existing = dir.path().join("keep.wav");
    std::fs::write(&existing, b"precious").unwrap();
    bin(dir.path())
        .args(["--hold", "5", "--render"])
        .arg(&existing)
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn no_audio_device_is_one_clear_line_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = bin(dir.path())
        .args(["--hold", "30", "--sets", "1"])
        // An audio server that is not there, whatever this machine has configured.
        .env("PULSE_SERVER", "unix:/nonexistent/balasana-test/native")
        .env("PULSE_RUNTIME_PATH", "/nonexistent/balasana-test")
        .env("ALSA_CONFIG_PATH", dir.path().join("no-alsa.conf"))
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("note:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("no audio output device"), "{stderr}");
    assert!(lines[0].contains("--render FILE.wav"), "{stderr}");
    // Startup decodes the pack (a debug build here); the device probe itself is quick.
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn terminated_render_exits_143_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("long.wav");
    // About an hour of audio: far longer to render than the moment before the signal.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_balasana-audio"))
        .current_dir(dir.path())
        .args([
            "--hold", "600", "--sets", "5", "--rest", "300", "-q", "--render",
        ])
        .arg(&target)
        .spawn()
        .unwrap();
    // Wait until the temporary file exists, so the signal lands mid-render.
    let started = Instant::now();
    while !std::fs::read_dir(dir.path())
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().contains("partial"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "render never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    assert!(!target.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "leftovers"
    );
}

#[test]
fn help_lists_the_exit_codes_of_the_enum() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(contains(balasana_audio::exit::Exit::help()));
}
