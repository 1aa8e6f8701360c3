//! The shell conventions: config file and environment with their precedence, `config show`,
//! completions, the man page, transcripts and the session library.

use std::path::{Path, PathBuf};

use crate::common::{bin, plan_json, script};
use balasana_audio::script::LIMITS;

/// The config file `bin` reads for a test run in `dir`.
fn config_file(dir: &Path) -> PathBuf {
    dir.join(".config/balasana-audio/config.toml")
}

fn write_config(dir: &Path, text: &str) {
    let path = config_file(dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The hold of the first set in `--plan --json`, in seconds.
fn planned_hold(plan: &serde_json::Value) -> f64 {
    let h = &plan["holds"][0];
    h["end"].as_f64().unwrap() - h["start"].as_f64().unwrap()
}

#[test]
fn precedence_in_every_combination() {
    // Command line 101 > environment 102 > config file 103 > the script's default 90.
    for mask in 0..8u8 {
        let dir = tempfile::tempdir().unwrap();
        let (cli, env, file) = (mask & 1 != 0, mask & 2 != 0, mask & 4 != 0);
        if file {
            write_config(dir.path(), "hold = 103\n");
        }
        let mut cmd = bin(dir.path());
        if env {
            cmd.env("BALASANA_HOLD", "102");
        }
        if cli {
            cmd.args(["--hold", "101"]);
        }
        let out = cmd.args(["--plan", "--json"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected = if cli {
            101.0
        } else if env {
            102.0
        } else if file {
            103.0
        } else {
            90.0
        };
        assert!(
            (planned_hold(&plan) - expected).abs() < 1e-9,
            "cli {cli} env {env} file {file}: hold {}",
            planned_hold(&plan)
        );
    }
}

#[test]
fn config_show_names_each_source() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "# mine\nsets = 3\nbreath = \"4:8\"\nno-chimes = true\n",
    );
    let out = bin(dir.path())
        .env("BALASANA_SETS", "1")
        .env("BALASANA_VOICE_VOLUME", "-6dB")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |key: &str| -> Vec<String> {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let file = config_file(dir.path()).display().to_string();
    assert_eq!(row("sets"), ["sets", "1", "BALASANA_SETS"]);
    assert_eq!(
        row("voice-volume"),
        ["voice-volume", "-6dB", "BALASANA_VOICE_VOLUME"]
    );
    assert_eq!(row("breath"), ["breath", "4:8", &format!("{file}:3")]);
    assert_eq!(
        row("no-chimes"),
        ["no-chimes", "true", &format!("{file}:4")]
    );
    assert_eq!(row("hold"), ["hold", "90", "default"]);
    assert_eq!(row("lead-in"), ["lead-in", "5", "default"]);
    assert!(
        text.starts_with(&format!("config file: {file}\n")),
        "{text}"
    );
}

#[test]
fn a_bad_config_file_is_one_line_with_line_and_column() {
    let cases = [
        (
            "sets = 2\nholdd = 3\n",
            "config.toml:2:1: unknown key \"holdd\"",
        ),
        (
            "hold = \"abc\"\n",
            "config.toml:1:8: hold: invalid value 'abc'",
        ),
        (
            "hold = [1]\n",
            "config.toml:1:8: hold: expected a number or a string, found array",
        ),
        (
            "strict = \"yes\"\n",
            "config.toml:1:10: strict: expected true or false",
        ),
        ("hold = \n", "config.toml:1:8:"),
        (
            "voice-volume = \"200%\"\n",
            "config.toml:1:16: voice-volume: invalid value '200%'",
        ),
    ];
    for (text, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), text);
        let out = bin(dir.path()).arg("--plan").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{text:?}: {err}");
        assert!(err.contains(expected), "{text:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_bad_environment_variable_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .env("BALASANA_BREATH", "4-6")
        .arg("--plan")
        .output()
        .unwrap();
    // A pattern this session does not have, set for every session: a note naming where it was
    // set, and the session plays with its own default.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("note: --breath 4-6: no such pattern")
            && err.contains("(set by BALASANA_BREATH); using the session's default"),
        "{err}"
    );
    // The same on the command line is an error.
    let out = bin(dir.path())
        .args(["--breath", "4-6", "--plan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin(dir.path())
        .env("BALASANA_BREATH", "4;6")
        .arg("--plan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BALASANA_BREATH=\"4;6\""));
    let out = bin(dir.path())
        .env("BALASANA_STRICT", "maybe")
        .arg("--plan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected true or false"));
}

#[test]
fn a_guidance_level_from_the_config_file_that_a_session_lacks_is_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "guidance = \"brief\"\nvariation = \"wide-knee\"\n",
    );
    let out = bin(dir.path())
        .args(["--script", "bedtime", "--plan"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("--guidance brief: the levels of this session are full"),
        "{err}"
    );
    assert!(err.contains("--variation wide-knee: the session"), "{err}");
    // The day session takes both.
    let out = bin(dir.path()).arg("--plan").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("brief guidance · variation wide-knee"));
}

#[test]
fn a_range_error_from_the_config_file_names_the_allowed_range() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "hold = 1000\n");
    let out = bin(dir.path()).arg("--plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("allowed range 20–600"), "{err}");
    assert!(
        err.contains("(set by ") && err.contains("config.toml:1)"),
        "{err}"
    );
}

#[test]
fn config_init_writes_every_key_commented_and_each_value_works_uncommented() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path()).args(["config", "init"]).assert().success();
    let path = config_file(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    for key in [
        "hold",
        "sets",
        "rest",
        "breath",
        "pack",
        "lead-in",
        "ambience",
        "voice-volume",
    ] {
        assert!(
            text.contains(&format!("\n# {key} = ")),
            "{key} missing:\n{text}"
        );
    }
    // A second init refuses to replace it.
    let out = bin(dir.path()).args(["config", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    // Every example value, uncommented, is accepted (ambience aside: no default bed).
    let uncommented: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.contains(" = ") && !l.starts_with("ambience"))
        .map(|l| format!("{l}\n"))
        .collect();
    write_config(dir.path(), &uncommented);
    bin(dir.path()).arg("--plan").assert().success();
    let out = bin(dir.path()).args(["config", "path"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.display().to_string()
    );
}

#[test]
fn completions_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = bin(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("balasana-audio"), "{shell}");
        for word in ["hold", "breath", "transcript", "packs", "scripts"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
    }
    let out = bin(dir.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// What bash offers for the words typed so far (the last one being completed), with the
/// program's bash completion script sourced.
fn bash_completes(script: &Path, words: &[&str]) -> String {
    let line = words.join(" ");
    let program = format!(
        "source {script}
         COMP_WORDS=({line}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}
         f=$(complete -p balasana-audio | sed -E 's/.* -F ([^ ]+) .*/\\1/')
         \"$f\" balasana-audio {current} {previous}
         echo \"${{COMPREPLY[*]}}\"",
        script = script.display(),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completes_subcommands_and_their_options() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("balasana-audio.bash");
    let out = bin(dir.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    std::fs::write(&script, out.stdout).unwrap();
    assert_eq!(
        bash_completes(&script, &["balasana-audio", "--pa"]).trim(),
        "--pacing --pack"
    );
    assert_eq!(
        bash_completes(&script, &["balasana-audio", "packs", "ins"]).trim(),
        "install"
    );
    let install = bash_completes(&script, &["balasana-audio", "packs", "install", "--"]);
    assert!(
        install.split_whitespace().any(|w| w == "--force"),
        "{install}"
    );
}

#[test]
fn man_page_is_roff_with_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path()).arg("man").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(".TH balasana-audio 1"), "{}", &text[..200]);
    for option in ["hold", "sets", "breath", "transcript", "render"] {
        assert!(text.contains(&format!("\\-\\-{option}")), "{option}");
    }
    assert!(
        text.contains("allowed 20–600"),
        "ranges come from the script"
    );
}

#[test]
fn help_ranges_come_from_the_script_limits() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap().replace('\n', " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let l = script().limits;
    // Every option of the limits table that is set on its own.
    for limit in LIMITS.iter().filter(|l| l.is_whole_option()) {
        let (r, unit) = (l.range(limit.option), limit.unit);
        let default = if limit.off_by_default {
            "none".to_owned()
        } else {
            format!("{}{unit}", r.default)
        };
        let text = format!(
            "[default: {default}; allowed {}–{}{unit}, recommended {}–{}{unit}]",
            r.allowed[0], r.allowed[1], r.recommended[0], r.recommended[1]
        );
        assert!(help.contains(&text), "{}: {text} not in help", limit.label);
    }
    assert!(help.contains("Examples:"), "help ends with examples");
}

#[test]
fn readme_ranges_match_the_script_limits() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let l = script().limits;
    // Every option of the limits table that is set on its own and has a default.
    for limit in LIMITS
        .iter()
        .filter(|l| l.is_whole_option() && !l.off_by_default)
    {
        let (option, r) = (limit.label, l.range(limit.option));
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{option} ")))
            .unwrap_or_else(|| panic!("README has no row for {option}"));
        let want = format!(
            "default {}, allowed {}–{}, recommended {}–{}",
            r.default, r.allowed[0], r.allowed[1], r.recommended[0], r.recommended[1]
        );
        assert!(
            row.contains(&want),
            "README row for {option} should say {want:?}: {row}"
        );
    }
}

/// Parses `hh:mm:ss,mmm` or `hh:mm:ss.mmm` into seconds.
fn stamp(text: &str) -> f64 {
    let text = text.replace(',', ".");
    let parts: Vec<f64> = text.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[test]
fn transcript_times_equal_the_plan_for_every_spoken_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--hold", "60", "--sets", "2"];
    let plan = plan_json(dir.path(), &args);
    let spoken: Vec<(f64, f64, String)> = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["layer"] == "voice")
        .map(|e| {
            let start = e["start"].as_f64().unwrap();
            let end = start + e["duration"].as_f64().unwrap();
            (start, end, e["text"].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(spoken.len() > 40);
    for ext in ["srt", "vtt", "txt"] {
        let path = dir.path().join(format!("session.{ext}"));
        bin(dir.path())
            .args(args)
            .args(["--plan", "--transcript"])
            .arg(&path)
            .assert()
            .success();
        let text = std::fs::read_to_string(&path).unwrap();
        let cues: Vec<(f64, f64, String)> = match ext {
            "txt" => text
                .lines()
                .filter_map(|l| {
                    let rest = l.strip_prefix('[')?;
                    let (times, words) = rest.split_once("] ")?;
                    let (a, b) = times.split_once(" → ")?;
                    Some((stamp(a), stamp(b), words.to_owned()))
                })
                .collect(),
            _ => text
                .split("\n\n")
                .filter_map(|block| {
                    let mut lines = block.lines().skip_while(|l| !l.contains(" --> "));
                    let (a, b) = lines.next()?.split_once(" --> ")?;
                    let words = lines.collect::<Vec<_>>().join("\n");
                    Some((stamp(a), stamp(b), words))
                })
                .collect(),
        };
        assert_eq!(cues.len(), spoken.len(), "{ext}");
        for ((a, b, words), (start, end, line)) in cues.iter().zip(&spoken) {
            assert_eq!(words, line, "{ext}");
            assert!((a - start).abs() <= 0.0005, "{ext}: {a} vs {start}");
            assert!((b - end).abs() <= 0.0005, "{ext}: {b} vs {end}");
        }
        if ext == "vtt" {
            assert!(text.starts_with("WEBVTT\n\n"));
        }
        if ext == "srt" {
            assert!(text.starts_with("1\n00:00:"));
        }
    }
}

#[test]
fn transcript_with_an_unknown_extension_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .args(["--plan", "--transcript", "t.doc"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".srt, .vtt or .txt"));
    assert!(out.stdout.is_empty());
    assert!(!dir.path().join("t.doc").exists());
}

#[test]
fn transcript_is_written_like_a_render_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("kept/real.srt");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("link.srt")).unwrap();
    bin(dir.path())
        .args(["--plan", "--transcript", "link.srt"])
        .assert()
        .success();
    let link = dir.path().join("link.srt");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .starts_with("1\n00:00:")
    );
}

#[test]
fn transcript_alongside_a_render() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args([
            "--hold",
            "20",
            "--sets",
            "1",
            "--render",
            "s.wav",
            "--transcript",
            "s.srt",
            "-q",
        ])
        .assert()
        .success();
    let srt = std::fs::read_to_string(dir.path().join("s.srt")).unwrap();
    assert!(srt.contains("Get onto your mat"));
}

/// The row of `scripts list`'s output for the session `name`.
fn listed(text: &str, name: &str) -> String {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .to_owned()
}

#[test]
fn scripts_list_shows_built_in_local_and_user_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join(".local/share/balasana-audio/script");
    std::fs::create_dir_all(&user).unwrap();
    let mine = balasana_audio::script::EMBEDDED.replace(
        "title = \"Child's pose (Balasana) — full restorative back stretch\"",
        "title = \"My own Child's pose\"",
    );
    std::fs::write(user.join("mine.toml"), &mine).unwrap();
    std::fs::write(user.join("broken.toml"), "title = 3\n").unwrap();
    let out = bin(dir.path()).args(["scripts", "list"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| listed(&text, name);
    assert!(row("balasana").contains("full restorative back stretch (built in)"));
    let planned = plan_json(dir.path(), &[])["duration"].as_f64().unwrap() as u64;
    let length = format!("{:02}:{:02}", planned / 60, planned % 60);
    assert!(
        row("balasana").contains(&length),
        "default length {length}: {}",
        row("balasana")
    );
    assert!(row("bedtime").contains("for the evening") && row("bedtime").contains("(built in)"));
    assert!(row("mine").contains("My own Child's pose"));
    assert!(row("broken").contains("invalid"));
    // Found by name.
    let plan = bin(dir.path())
        .args(["--script", "mine", "--plan"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&plan.stdout).starts_with("My own Child's pose"));
    // A local ./script/ file of the same name comes after the user's (the search path's order),
    // listed as shadowed; alone, it is found.
    std::fs::create_dir_all(dir.path().join("script")).unwrap();
    std::fs::write(
        dir.path().join("script/mine.toml"),
        mine.replace("My own", "The local"),
    )
    .unwrap();
    let plan_mine = || {
        let plan = bin(dir.path())
            .args(["--script", "mine", "--plan"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&plan.stdout).into_owned()
    };
    assert!(plan_mine().starts_with("My own Child's pose"));
    let out = bin(dir.path()).args(["scripts", "list"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("The local Child's pose")
                && l.ends_with("script/mine.toml; shadowed)")),
        "{text}"
    );
    std::fs::remove_file(user.join("mine.toml")).unwrap();
    assert!(plan_mine().starts_with("The local Child's pose"));
}

#[test]
fn an_unknown_session_names_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .args(["--script", "nosuch", "--plan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no session \"nosuch\""), "{err}");
    assert!(err.contains("script/nosuch.toml"), "{err}");
    assert!(err.contains("built in: balasana"), "{err}");
}

#[test]
fn scripts_list_times_sessions_from_headers_and_notes_one_the_default_voice_cannot_speak() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join(".local/share/balasana-audio/script");
    std::fs::create_dir_all(&user).unwrap();
    let unvoiced =
        balasana_audio::script::EMBEDDED.replacen("cue = \"welcome\"", "cue = \"welcome-mine\"", 1);
    std::fs::write(user.join("unvoiced.toml"), unvoiced).unwrap();
    let out = bin(dir.path()).args(["scripts", "list"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| listed(&text, name);
    assert!(row("balasana").contains("(built in)"), "{text}");
    assert!(row("bedtime").contains("(built in)"), "{text}");
    let unvoiced = row("unvoiced");
    assert_eq!(unvoiced.split_whitespace().nth(1), Some("en"), "{unvoiced}");
    assert_eq!(unvoiced.split_whitespace().nth(2), Some("-"), "{unvoiced}");
    assert!(
        unvoiced.contains("full restorative back stretch"),
        "{unvoiced}"
    );
    // Besides the note about the languages no pack speaks here (de, es, fr, it).
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.lines()
            .nth(1)
            .unwrap()
            .starts_with("note: no voice pack speaks de, es, fr, it,"),
        "{err}"
    );
    assert!(
        err.starts_with("note: session \"unvoiced\" has no length:")
            && err.contains("no clip for cue \"welcome-mine\""),
        "{err}"
    );
    // Lengths come from the clips' headers: nothing was decoded, so no loudness was measured.
    assert!(
        !dir.path().join(".cache/balasana-audio/loudness").exists(),
        "scripts list decoded clips"
    );
}
