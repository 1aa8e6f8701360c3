//! Voice packs: checking, fallback, loudness matching, formats, creating and synthesizing.

use std::path::Path;

use crate::common::*;
use balasana_audio::loudness::{VOICE_TARGET_LUFS, measure};
use balasana_audio::pace::{sentences, words};
use balasana_audio::pack::{Location, Manifest, Pack};
use predicates::prelude::*;
use predicates::str::contains;

/// How many cues a shipped pack speaks (every built-in session's).
fn cues() -> usize {
    pack_lines().len()
}

fn pack_toml(folder: &Path) -> String {
    std::fs::read_to_string(folder.join("pack.toml")).unwrap()
}

#[test]
fn check_passes_a_complete_pack() {
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "good", 22_050, 1, 0.6, &[]);
    // Every line in 0.6 s is far too fast for either session's pace: warned, still playable.
    bin(dir.path())
        .args(["packs", "check", "good"])
        .assert()
        .success()
        .stdout(contains(format!(
            "ready: {n} of {n} cues, 2 warnings",
            n = cues()
        )))
        .stdout(contains("warning: pace: balasana is spoken at"))
        .stdout(contains("warning: pace: bedtime is spoken at"))
        .stdout(contains("loudness:"));
}

/// A pack whose every line lasts `60 / wpm` seconds per word: it speaks at exactly `wpm`.
fn pack_at_wpm(dir: &Path, name: &str, wpm: f64) {
    let rate = 22_050;
    let folder = dir.join("audio").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let mut manifest = test_manifest(name, "timed bursts");
    for line in &pack_lines() {
        let seconds = words(&line.text) as f64 * 60.0 / wpm;
        let file = format!("{}.wav", line.cue);
        write_wav(&folder.join(&file), rate, 1, &burst(440.0, rate, seconds));
        manifest.clips.insert(line.cue.to_string(), file);
    }
    write_manifest(&folder, &manifest);
}

#[test]
fn check_reports_each_sessions_pace_and_warns_outside_its_range() {
    let dir = tempfile::tempdir().unwrap();
    // 130 wpm: the middle of the day session's 120–140, too fast for bedtime's 100–120.
    pack_at_wpm(dir.path(), "steady", 130.0);
    let long = |session: &str| {
        let script = balasana_audio::library::load(Some(session), "en", dir.path()).unwrap();
        script.lines().filter(|l| words(&l.text) >= 8).count()
    };
    let (day, bed) = (long("balasana"), long("bedtime"));
    bin(dir.path())
        .args(["packs", "check", "steady"])
        .assert()
        .success()
        .stdout(contains(format!(
            "pace, balasana (120–140 wpm, {day} of {day} lines of 8+ words in range): median 130.0 wpm"
        )))
        .stdout(contains(format!(
            "pace, bedtime (100–120 wpm, 0 of {bed} lines of 8+ words in range): median 130.0 wpm"
        )))
        .stdout(contains("warning: pace: balasana").not())
        .stdout(contains(
            "warning: pace: bedtime is spoken at 130.0 wpm (median of its lines of 8+ words), outside its 100–120 wpm; furthest out: ",
        ))
        .stdout(contains(format!("ready: {n} of {n} cues, 1 warning", n = cues())));
    // 110 wpm: bedtime's middle, too slow for the day; one session checked, one report.
    pack_at_wpm(dir.path(), "slow", 110.0);
    bin(dir.path())
        .args(["packs", "check", "slow", "--script", "bedtime"])
        .assert()
        .success()
        .stdout(contains("median 110.0 wpm"))
        .stdout(contains("pace, balasana").not())
        .stdout(contains("cues, 0 warnings"));
}

#[test]
fn check_reports_every_kind_of_problem_and_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let folder = make_pack(dir.path(), "rough", 22_050, 1, 0.6, &["arms"]);
    // A corrupt file, a silent one, a clipping one, one with long silences, and a stray file.
    std::fs::write(folder.join("welcome.wav"), b"RIFF nonsense").unwrap();
    write_wav(&folder.join("why.wav"), 22_050, 1, &vec![0.0; 22_050]);
    let loud: Vec<f32> = burst(440.0, 22_050, 0.6)
        .iter()
        .map(|s| (s * 4.0).clamp(-1.0, 1.0))
        .collect();
    write_wav(&folder.join("rest.wav"), 22_050, 1, &loud);
    let mut padded = vec![0.0; 22_050];
    padded.extend(burst(440.0, 22_050, 0.5));
    padded.extend(vec![0.0; 33_075]);
    write_wav(&folder.join("kneel.wav"), 22_050, 1, &padded);
    std::fs::write(folder.join("take2.wav"), b"").unwrap();
    let mut manifest = Manifest::load(&Location::Folder(folder.clone())).unwrap();
    manifest.clips.insert("typo-cue".into(), "x.wav".into());
    write_manifest(&folder, &manifest);

    bin(dir.path())
        .args(["packs", "check", "./audio/rough"])
        .assert()
        .code(4)
        .stdout(contains("problem: 1 cue without a clip: arms"))
        .stdout(contains("problem: welcome.wav: cannot decode"))
        .stdout(contains("problem: why.wav: silent"))
        .stdout(contains("warning: rest.wav: clipping"))
        .stdout(contains("warning: kneel.wav: 1.0 s of leading silence"))
        .stdout(contains("warning: kneel.wav: 1.5 s of trailing silence"))
        .stdout(contains("warning: files no cue uses: take2.wav"))
        .stdout(contains("cues the script does not have (typos?): typo-cue"))
        .stderr(contains(
            "voice pack \"rough\" cannot play the script: 3 problems",
        ));
}

#[test]
fn missing_cues_fall_back_to_the_default_voice_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    make_pack(
        dir.path(),
        "partial",
        48_000,
        1,
        0.4,
        &["arms", "rest", "welcome"],
    );
    let out = bin(dir.path())
        .args(["--pack", "partial", "--plan", "--json"])
        .assert()
        .success()
        .stderr(contains(
            "note: voice pack \"partial\" has no clip for 3 cues (welcome, arms, rest); the default voice speaks them",
        ))
        .get_output()
        .stdout
        .clone();
    let plan: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let frames = |cue: &str| {
        plan["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["cue"] == cue)
            .unwrap()["frames"]
            .as_u64()
            .unwrap()
    };
    // Borrowed cues have the default voice's length; the pack's own are its 0.4 s bursts.
    assert!(frames("welcome") > 48_000 * 3);
    assert_eq!(frames("why"), 19_200);
    bin(dir.path())
        .args(["--pack", "partial", "--strict", "--plan"])
        .assert()
        .code(4)
        .stderr(contains(
            "voice pack \"partial\" has no clip for cue \"welcome\"",
        ));
}

#[test]
fn clips_recorded_at_any_level_are_matched_within_one_lu() {
    let dir = tempfile::tempdir().unwrap();
    let folder = make_pack(dir.path(), "levels", 44_100, 1, 1.0, &[]);
    // Rewrite a few clips far from the target: very quiet, quiet, loud.
    for (cue, gain) in [("welcome", 0.01f32), ("why", 0.1), ("kneel", 1.8)] {
        let s: Vec<f32> = burst(330.0, 44_100, 1.5).iter().map(|x| x * gain).collect();
        write_wav(&folder.join(format!("{cue}.wav")), 44_100, 1, &s);
    }
    let pack = Pack::load(Location::Folder(folder), &script(), None).unwrap();
    let before: Vec<f64> = ["welcome", "why", "kneel"]
        .iter()
        .map(|c| pack.clips[*c].level.lufs.unwrap())
        .collect();
    assert!(before[2] - before[0] > 40.0, "{before:?}");
    let clips = pack.prepare(48_000);
    for line in script().lines() {
        let l = measure(&clips.by_cue[&line.cue], 48_000).lufs.unwrap();
        assert!(
            (l - VOICE_TARGET_LUFS).abs() <= 1.0,
            "{}: {l:.2} LUFS",
            line.cue
        );
    }
}

#[test]
fn volume_options_scale_each_layer() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_json(
        dir.path(),
        &["--voice-volume", "-6dB", "--chime-volume", "50%"],
    );
    let events = plan["events"].as_array().unwrap();
    let gain = |cue: &str| {
        events.iter().find(|e| e["cue"] == cue).unwrap()["gain"]
            .as_f64()
            .unwrap()
    };
    assert!((gain("welcome") - 0.501).abs() < 0.001);
    assert!((gain("chime-step") - 0.5).abs() < 1e-6);
    assert!((gain("chime-inhale") - 0.4).abs() < 1e-6);
    bin(dir.path())
        .args(["--voice-volume", "300%", "--plan"])
        .assert()
        .code(2)
        .stderr(contains("outside 0% to 100%"));
}

/// Builds a pack whose every clip is a copy of `fixture`, renders a short voice-only session and
/// returns (planned frames, measured onsets).
fn render_fixture_pack(fixture: &str) -> (Vec<i64>, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    make_fixture_pack(dir.path(), fixture);
    let args = [
        "--pack",
        "fixture",
        "--hold",
        "30",
        "--sets",
        "1",
        "--no-chimes",
    ];
    let (planned, left) = plan_and_render(dir.path(), &args);
    let found = onsets(&left, 1500, 2400);
    let as_i64 = |v: Vec<usize>| v.into_iter().map(|f| f as i64).collect();
    (as_i64(planned), as_i64(found))
}

#[test]
fn mp3_and_flac_packs_play_at_their_planned_frames() {
    for (fixture, tolerance) in [("burst-48k-stereo.flac", 48), ("burst-44k1-mono.mp3", 48)] {
        let (planned, found) = render_fixture_pack(fixture);
        assert_eq!(planned.len(), found.len(), "{fixture}");
        let offsets: Vec<i64> = found.iter().zip(&planned).map(|(f, p)| f - p).collect();
        let (lo, hi) = (offsets.iter().min().unwrap(), offsets.iter().max().unwrap());
        eprintln!("{fixture}: onset offsets {lo}..{hi} frames");
        // Every event lands the same way (a clip's own lead-in is constant) ...
        assert_eq!(lo, hi, "{fixture}");
        // ... and within a millisecond of the plan.
        assert!((0..=tolerance).contains(lo), "{fixture}: {lo}");
    }
}

#[test]
fn new_pack_lists_every_cue_and_check_says_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["packs", "new", "mine"])
        .assert()
        .success()
        .stdout(contains(format!(
            "pack.toml lists {} cues to record",
            cues()
        )));
    let folder = dir.path().join("audio/mine");
    let toml = pack_toml(&folder);
    assert!(toml.contains("# Welcome. This is Child's pose"));
    assert!(toml.contains("props-intro = \"props-intro.wav\""));
    assert!(
        std::fs::read_to_string(folder.join("README.md"))
            .unwrap()
            .contains("packs check mine")
    );
    bin(dir.path())
        .args(["packs", "check", "mine"])
        .assert()
        .code(4)
        .stdout(contains(format!("{} cues without a clip", cues())));
    // Two lines recorded: two fewer to go, and the session already plays.
    write_wav(
        &folder.join("welcome.wav"),
        44_100,
        1,
        &burst(200.0, 44_100, 1.0),
    );
    write_wav(
        &folder.join("why.wav"),
        44_100,
        1,
        &burst(210.0, 44_100, 1.0),
    );
    bin(dir.path())
        .args(["packs", "check", "mine"])
        .assert()
        .code(4)
        .stdout(contains(format!("{} cues without a clip", cues() - 2)));
    bin(dir.path())
        .args(["--pack", "mine", "--plan"])
        .assert()
        .success()
        .stderr(contains(format!(
            "no clip for {} cues (lead-in, name-ready, props-intro,",
            script().lines().count() - 2
        )))
        .stderr(contains(format!(
            "and {} more)",
            script().lines().count() - 2 - 8
        )));
    bin(dir.path())
        .args(["packs", "new", "mine"])
        .assert()
        .code(2)
        .stderr(contains("already exists"));
    bin(dir.path())
        .args(["packs", "new", "My Pack"])
        .assert()
        .code(2)
        .stderr(contains("use only a-z"));
}

#[test]
fn new_pack_in_another_language_lists_that_language_s_lines() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["packs", "new", "meine", "--language", "de-DE"])
        .assert()
        .success();
    let toml = pack_toml(&dir.path().join("audio/meine"));
    assert!(toml.contains("language = \"de-DE\""), "{toml}");
    assert!(
        toml.contains("# Willkommen. Das ist die Kindhaltung"),
        "{toml}"
    );
    assert!(!toml.contains("# Welcome."), "{toml}");
    // A language with no session: one line naming it, nothing written.
    let out = bin(dir.path())
        .args(["packs", "new", "mine", "--language", "sw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("sw"), "{err}");
    assert!(!dir.path().join("audio/mine").exists());
}

#[test]
fn list_shows_built_in_local_and_user_packs() {
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "local", 16_000, 1, 0.3, &[]);
    let data = dir.path().join("data");
    make_pack(&data.join("balasana-audio"), "mine", 16_000, 1, 0.3, &[]);
    bin(dir.path())
        .env("XDG_DATA_HOME", &data)
        .args(["packs", "list"])
        .assert()
        .success()
        .stdout(contains("* heart").and(contains("built in")))
        .stdout(contains("local ").and(contains("./audio/local")))
        .stdout(contains("mine ").and(contains("data/balasana-audio/audio/mine")))
        .stdout(contains(format!("0:{:04.1}", 0.3 * cues() as f64)));
    // A pack in the user's folder plays by name.
    bin(dir.path())
        .env("XDG_DATA_HOME", &data)
        .args(["--pack", "mine", "--plan"])
        .assert()
        .success();
}

#[test]
fn synth_makes_a_pack_that_checks_clean() {
    if !require("espeak-ng") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["packs", "synth", "robot", "--engine", "espeak"])
        .assert()
        .success()
        .stdout(contains(format!("wrote {} clips", cues())));
    let folder = dir.path().join("audio/robot");
    bin(dir.path())
        .args(["packs", "check", "robot"])
        .assert()
        .success()
        .stdout(contains(format!(
            "ready: {n} of {n} cues, 0 warnings",
            n = cues()
        )));
    let manifest = Manifest::load(&Location::Folder(folder.clone())).unwrap();
    assert_eq!(
        manifest.generated_by.as_deref(),
        Some("balasana-audio packs synth robot --engine espeak --voice en-us")
    );
    assert_eq!(manifest.clips["welcome"], "welcome.ogg");
    bin(dir.path())
        .args(["packs", "synth", "robot", "--engine", "espeak"])
        .assert()
        .code(2);
    // Replacing the pack keeps an ambience bed dropped into its folder.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart/ambience-ocean.ogg"),
        folder.join("ambience-sea.ogg"),
    )
    .unwrap();
    bin(dir.path())
        .args(["packs", "synth", "robot", "--engine", "espeak", "--force"])
        .assert()
        .success();
    let manifest = Manifest::load(&Location::Folder(folder)).unwrap();
    assert_eq!(manifest.ambience["sea"], "ambience-sea.ogg");
}

/// A raw "recording": `lead` s of silence, a 0.8 s burst at `amplitude`, `tail` s of silence.
fn raw_clip(path: &Path, rate: u32, lead: f64, amplitude: f32, tail: f64) {
    let mut x = vec![0.0f32; (lead * f64::from(rate)) as usize];
    x.extend(burst(250.0, rate, 0.8).iter().map(|s| s * amplitude));
    x.extend(vec![0.0f32; (tail * f64::from(rate)) as usize]);
    write_wav(path, rate, 1, &x);
}

/// Decodes a finished clip: (seconds, LUFS, sample peak in dBFS).
fn measured(path: &Path) -> (f64, f64, f64) {
    let clip = balasana_audio::decode::decode(std::fs::read(path).unwrap()).unwrap();
    (
        clip.seconds(),
        clip.level.lufs.unwrap(),
        clip.level.peak_dbfs,
    )
}

#[test]
fn synth_with_a_command_engine_trims_matches_and_encodes_every_clip() {
    let dir = tempfile::tempdir().unwrap();
    // The "engine" copies one quiet raw clip with long silences to {out}; {text} is unused.
    let raw = dir.path().join("raw.wav");
    raw_clip(&raw, 22_050, 1.0, 0.02, 1.5);
    let command = format!("cp {} {{out}}", raw.display());
    bin(dir.path())
        .args(["packs", "synth", "tone", "--engine", "command", "--command"])
        .arg(&command)
        .assert()
        .success();
    let folder = dir.path().join("audio/tone");
    for line in &pack_lines() {
        let (seconds, lufs, peak) = measured(&folder.join(format!("{}.ogg", line.cue)));
        // 0.8 s of sound, 60 ms kept before and 120 ms after (the burst's own 20 ms ramps
        // fall partly under the trim threshold); a line of several sentences is longer.
        if sentences(&line.text).len() == 1 {
            assert!((seconds - 0.98).abs() < 0.02, "{}: {seconds}", line.cue);
        }
        assert!(
            (lufs - VOICE_TARGET_LUFS).abs() <= 0.15,
            "{}: {lufs}",
            line.cue
        );
        assert!(peak <= -3.0, "{}: {peak}", line.cue);
    }
    // A command without {tempo} speaks at one tempo: only the pauses are fitted, and a beep
    // per sentence is no calm pace.
    bin(dir.path())
        .args(["packs", "check", "tone"])
        .assert()
        .success()
        .stdout(contains(format!("ready: {n} of {n} cues", n = cues())))
        .stdout(contains("warning: pace: balasana"));
    bin(dir.path())
        .args([
            "packs",
            "synth",
            "x",
            "--engine",
            "command",
            "--command",
            "cp a b",
        ])
        .assert()
        .code(2)
        .stderr(contains("has no {out}"));
}

#[test]
fn piper_without_a_voice_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["packs", "synth", "p", "--engine", "piper"])
        .assert()
        .code(2)
        .stderr(contains("--engine piper needs --voice MODEL.onnx"));
}

#[test]
fn import_finishes_raw_clips_and_any_text_survives_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    for (i, line) in pack_lines().iter().enumerate() {
        raw_clip(
            &raw.join(format!("{}.wav", line.cue)),
            24_000,
            0.3,
            0.1 + 0.01 * i as f32,
            0.2,
        );
    }
    let licence_file = dir.path().join("LICENCE");
    std::fs::write(&licence_file, "Licence text, verbatim.\n").unwrap();
    let voice = "Zoë \"the voice\" \\ back\nslash\ttab = [x] # not a comment";
    bin(dir.path())
        .args([
            "packs",
            "import",
            "zoe",
            "--from",
            "raw",
            "--licence",
            "CC0-1.0",
        ])
        .args(["--voice-name", voice, "--generated-by", "make it 'so' \\"])
        .arg("--licence-file")
        .arg(&licence_file)
        .assert()
        .success()
        .stdout(contains(format!("wrote {} clips", cues())));
    let folder = dir.path().join("audio/zoe");
    let manifest = Manifest::load(&Location::Folder(folder.clone())).unwrap();
    assert_eq!(manifest.voice, voice);
    assert_eq!(manifest.generated_by.as_deref(), Some("make it 'so' \\"));
    assert_eq!(
        std::fs::read_to_string(folder.join("LICENSE.txt")).unwrap(),
        "Licence text, verbatim.\n"
    );
    assert!(
        std::fs::read_to_string(folder.join("README.md"))
            .unwrap()
            .contains("make it 'so'")
    );
    // Whole recorded lines are taken as they are: 0.8 s each is too fast, and said so.
    bin(dir.path())
        .args(["packs", "check", "zoe"])
        .assert()
        .success()
        .stdout(contains(format!(
            "ready: {n} of {n} cues, 2 warnings",
            n = cues()
        )))
        .stdout(contains("warning: pace: bedtime"));
    // Louder and quieter raw clips all come out at the target.
    for line in &pack_lines() {
        let (_, lufs, _) = measured(&folder.join(format!("{}.ogg", line.cue)));
        assert!(
            (lufs - VOICE_TARGET_LUFS).abs() <= 0.15,
            "{}: {lufs}",
            line.cue
        );
    }

    std::fs::remove_file(raw.join("why.wav")).unwrap();
    bin(dir.path())
        .args([
            "packs",
            "import",
            "zoe2",
            "--from",
            "raw",
            "--licence",
            "CC0-1.0",
        ])
        .assert()
        .code(4)
        .stderr(contains(
            "raw/why.wav: cannot read the raw clip for cue \"why\"",
        ));
    assert!(!dir.path().join("audio/zoe2").exists());
    bin(dir.path())
        .args(["packs", "import", "zoe3", "--from", "raw"])
        .assert()
        .code(2)
        .stderr(contains("packs import needs --licence"));
}

#[test]
fn script_text_with_quotes_backslashes_newlines_and_non_ascii_survives_new_and_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("script")).unwrap();
    let odd = r#"text = "Say \"om\" \\ then\nrest — naïve café ✓ # [clips] x = \"y\"""#;
    let script_text = balasana_audio::script::EMBEDDED.replace(
        r#"text = "Welcome. This is Child's pose, Balasana: a restorative stretch that lengthens your whole back and invites deep relaxation.""#,
        odd,
    );
    assert_ne!(script_text, balasana_audio::script::EMBEDDED);
    std::fs::write(dir.path().join("script/balasana.toml"), script_text).unwrap();
    bin(dir.path())
        .args(["packs", "new", "odd"])
        .assert()
        .success();
    let toml = pack_toml(&dir.path().join("audio/odd"));
    assert!(
        toml.contains("# Say \"om\" \\ then rest — naïve café ✓"),
        "{toml}"
    );
    bin(dir.path())
        .args(["packs", "check", "odd"])
        .assert()
        .code(4)
        .stdout(contains(format!("{} cues without a clip", cues())))
        .stderr(contains("cannot play the script"));
    let cues_json: serde_json::Value = serde_json::from_slice(
        &bin(dir.path())
            .args(["packs", "cues"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let welcome = cues_json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cue"] == "welcome")
        .unwrap();
    assert_eq!(
        welcome["text"],
        "Say \"om\" \\ then\nrest — naïve café ✓ # [clips] x = \"y\""
    );
}

#[test]
fn every_shipped_pack_covers_the_script_at_each_sessions_pace() {
    // No warning: every clip clean, and the pack inside the [pace] range of every session (the
    // lengths of its clips and the words of their lines; no recogniser).
    let home = tempfile::tempdir().unwrap();
    for pack in ["heart", "joe", "slt"] {
        bin_in_repo(home.path())
            .args(["packs", "check", pack])
            .assert()
            .success()
            .stdout(contains("pace, balasana (120–140 wpm"))
            .stdout(contains("pace, bedtime (100–120 wpm"))
            .stdout(contains(format!(
                "ready: {n} of {n} cues, 0 warnings",
                n = cues()
            )));
        bin_in_repo(home.path())
            .args([
                "--pack", pack, "--strict", "--hold", "90", "--sets", "2", "--plan",
            ])
            .assert()
            .success()
            .stderr("");
    }
}

#[test]
fn a_pack_may_bring_its_own_chimes() {
    let dir = tempfile::tempdir().unwrap();
    let folder = make_pack(dir.path(), "bells", 48_000, 1, 0.4, &[]);
    write_wav(
        &folder.join("bell.wav"),
        48_000,
        1,
        &burst(880.0, 48_000, 1.25),
    );
    let mut manifest = Manifest::load(&Location::Folder(folder.clone())).unwrap();
    manifest.chimes.insert("step".into(), "bell.wav".into());
    write_manifest(&folder, &manifest);
    let text = pack_toml(&folder);
    let plan = plan_json(dir.path(), &["--pack", "bells"]);
    let events = plan["events"].as_array().unwrap();
    let frames = |cue: &str| {
        events.iter().find(|e| e["cue"] == cue).unwrap()["frames"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(frames("chime-step"), 60_000);
    assert_ne!(
        frames("chime-start"),
        60_000,
        "other chimes stay synthesized"
    );
    std::fs::write(folder.join("pack.toml"), text.replace("step = ", "gong = ")).unwrap();
    bin(dir.path())
        .args(["--pack", "bells", "--plan"])
        .assert()
        .code(4)
        .stderr(contains("pack.toml:").and(contains("unknown chime \"gong\"")));
}

#[test]
fn a_cue_another_session_of_the_library_speaks_is_no_typo() {
    // joe voices every built-in session; checked against one, the other's cues are no typos.
    let home = tempfile::tempdir().unwrap();
    bin_in_repo(home.path())
        .args(["packs", "check", "joe", "--script", "bedtime"])
        .assert()
        .success()
        .stdout(contains("typos?").not())
        .stdout(contains("cues, 0 warnings"));
}

#[test]
fn a_long_line_shared_by_sessions_of_different_paces_is_refused() {
    // One clip cannot be at the day's 120–140 wpm and bedtime's 100–120: bedtime speaking the
    // day's 15-word exit-why under the same cue is a script error naming it and both sessions.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("script")).unwrap();
    let bedtime = balasana_audio::script::BUILT_IN[1]
        .1
        .replace("bed-exit-why", "exit-why");
    std::fs::write(dir.path().join("script/bedtime.toml"), bedtime).unwrap();
    bin(dir.path())
        .args(["packs", "cues"])
        .assert()
        .code(3)
        .stderr(contains("cue \"exit-why\" (15 words) is spoken in "))
        .stderr(contains("balasana.toml> (120–140 wpm) and "))
        .stderr(contains(
            "bedtime.toml (100–120 wpm), whose pace ranges do not overlap",
        ));
    // A short line ("Breathe in, into your back.") may be shared whatever the paces.
    let shared = balasana_audio::script::BUILT_IN[1].1;
    assert!(shared.contains("cue = \"breathe-in-back\""));
    std::fs::write(dir.path().join("script/bedtime.toml"), shared).unwrap();
    bin(dir.path()).args(["packs", "cues"]).assert().success();
}

/// Speech for a take: 0.2 s of silence, then bursts of `sounds` seconds with 0.15 s of silence
/// between them (an engine's gap at a comma), then 0.3 s of silence.
fn take(path: &Path, sounds: &[f64]) {
    let rate = 24_000;
    let silence = |s: f64| vec![0.0f32; (s * f64::from(rate)) as usize];
    let mut x = silence(0.2);
    for (i, &s) in sounds.iter().enumerate() {
        if i > 0 {
            x.extend(silence(0.15));
        }
        x.extend(burst(220.0, rate, s).iter().map(|v| v * 0.3));
    }
    x.extend(silence(0.3));
    write_wav(path, rate, 1, &x);
}

#[test]
fn import_fits_each_line_to_its_pace_from_takes_at_several_tempos() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    // Every other line: each sentence once, at tempo 1.
    for line in pack_lines() {
        let folder = raw.join(line.cue.as_str());
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..sentences(&line.text).len() {
            take(&folder.join(format!("{i}@1.00.wav")), &[0.5]);
        }
    }
    // "Sit on your heels, for a breath or two.": 9 words, one comma. At 130 wpm it lasts
    // 60 × 9 / 130 = 4.154 s: 0.18 s of pads and 0.45 s of comma pause leave 3.524 s of sound,
    // which the take at tempo 0.80 has; at tempo 1 it is 0.8 as long (156.6 wpm).
    let sit = raw.join("exit-sit");
    take(&sit.join("0@0.80.wav"), &[1.5, 2.0238]);
    take(&sit.join("0@1.00.wav"), &[1.2, 1.619]);
    let out = bin(dir.path())
        .args([
            "packs",
            "import",
            "fit",
            "--from",
            "raw",
            "--licence",
            "CC0-1.0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    // The fit's table: cue, tempo kept, pause scale, wpm, syl/s.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let row: Vec<&str> = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("exit-sit ") && l.contains('×'))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(row[1..3], ["0.80", "1.0×"], "{stdout}");
    let wpm: f64 = row[3].parse().unwrap();
    assert!((wpm - 130.0).abs() < 1.0, "{wpm}");
    // The detector's 5 ms window widens each sound by a few ms; the clip stays within 40 ms.
    let (seconds, _, _) = measured(&dir.path().join("audio/fit/exit-sit.ogg"));
    assert!((seconds - 4.154).abs() < 0.04, "{seconds}");
    bin(dir.path())
        .args(["packs", "check", "fit"])
        .assert()
        .success()
        .stdout(contains("exit-sit"));
}
