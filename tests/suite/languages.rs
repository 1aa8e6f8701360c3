//! Sessions in other languages: every translation plans as the English session does, with the
//! same cues; the language comes from `--language`, the environment, the config file or the
//! locale, in that order; the voice follows the language, and a pack in another language or a
//! language with no session is one line and its exit code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use balasana_audio::chime::Chime;
use balasana_audio::cue::Cue;
use balasana_audio::library;
use balasana_audio::pack::Manifest;
use balasana_audio::script::{BUILT_IN, Script};
use balasana_audio::timeline::{ClipLengths, Layer, Options, Pacing, build};
use predicates::prelude::*;
use predicates::str::contains;

use crate::common::*;

/// The languages the sessions are translated into.
const LANGUAGES: [&str; 4] = ["de", "es", "fr", "it"];

/// The English built-in session `name`.
fn english(name: &str) -> Script {
    let (_, source) = BUILT_IN.iter().find(|(n, _)| *n == name).unwrap();
    Script::parse(source, name).unwrap()
}

/// Every built-in translation: (language, session name, script).
fn translations() -> Vec<(&'static str, &'static str, Script)> {
    library::translations()
        .map(|(language, name, source)| {
            let origin = format!("script/{language}/{name}.toml");
            (language, name, Script::parse(source, &origin).unwrap())
        })
        .collect()
}

/// A test pack `dir/audio/<name>` with a burst for every cue, speaking `language` and `also`.
fn language_pack(dir: &Path, name: &str, language: &str, also: &[&str]) -> PathBuf {
    let folder = make_pack(dir, name, 16_000, 1, 0.5, &[]);
    let path = folder.join("pack.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut manifest = Manifest::parse(&text, "pack.toml").unwrap();
    manifest.language = language.into();
    manifest.also_speaks = also.iter().map(|l| (*l).to_owned()).collect();
    write_manifest(&folder, &manifest);
    folder
}

/// A pack that speaks all four translations (German, and the others listed in `also_speaks`).
fn multilingual_pack(dir: &Path) {
    language_pack(dir, "multi", "de-DE", &["es", "fr", "it"]);
}

/// Every option value of a script: (guidance, variation, arms, breath pattern, pacing); a choice
/// the session does not have is `None`, the breath pattern `None` is the default breath.
type Combination = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Pacing,
);

fn combinations(script: &Script) -> Vec<Combination> {
    let values = |choice: &str| -> Vec<Option<String>> {
        match script.choices.get(choice) {
            Some(c) => c.values.iter().cloned().map(Some).collect(),
            None => vec![None],
        }
    };
    let patterns: Vec<Option<String>> = std::iter::once(None)
        .chain(script.breath_patterns.iter().map(|p| Some(p.name.clone())))
        .collect();
    let mut all = Vec::new();
    for level in &script.guidance {
        for variation in values("variation") {
            for arms in values("arms") {
                for pattern in &patterns {
                    for pacing in [Pacing::Guided, Pacing::Chimes, Pacing::Silent] {
                        all.push((
                            level.name.clone(),
                            variation.clone(),
                            arms.clone(),
                            pattern.clone(),
                            pacing,
                        ));
                    }
                }
            }
        }
    }
    all
}

/// The options of one combination, a 90 s hold in two sets.
fn options(script: &Script, c: &Combination) -> Options {
    let mut o = Options::defaults(script);
    o.hold = 90.0;
    o.sets = 2;
    o.guidance = c.0.clone();
    for (choice, value) in [("variation", &c.1), ("arms", &c.2)] {
        if let Some(value) = value {
            o.choices.insert(choice.into(), value.clone());
        }
    }
    if let Some(name) = &c.3 {
        o.breath = script
            .breath_patterns
            .iter()
            .find(|p| &p.name == name)
            .unwrap()
            .phases;
    }
    o.pacing = c.4;
    o
}

/// One second for every cue and chime, at 8 kHz.
fn lengths(script: &Script) -> ClipLengths {
    script
        .lines()
        .map(|l| l.cue.clone())
        .chain(Chime::ALL.iter().map(|c| Cue::from(*c)))
        .map(|cue| (cue, 8_000))
        .collect()
}

#[test]
fn every_translation_plans_as_the_english_session_does_for_every_option() {
    for (language, name, translated) in translations() {
        let original = english(name);
        let texts: HashMap<&str, &str> = translated
            .lines()
            .map(|l| (l.cue.as_str(), l.text.as_str()))
            .collect();
        let combinations = combinations(&original);
        assert!(combinations.len() >= 9, "{name}: {}", combinations.len());
        for c in &combinations {
            let ours = build(
                &translated,
                &options(&translated, c),
                &lengths(&translated),
                8_000,
            )
            .unwrap_or_else(|e| panic!("{language}/{name} {c:?}: {e}"));
            let theirs = build(
                &original,
                &options(&original, c),
                &lengths(&original),
                8_000,
            )
            .unwrap();
            let shape = |t: &balasana_audio::timeline::Timeline| -> Vec<_> {
                t.events
                    .iter()
                    .map(|e| (e.frame, e.layer, e.cue.to_string(), e.set, e.step.clone()))
                    .collect()
            };
            assert_eq!(shape(&ours), shape(&theirs), "{language}/{name} {c:?}");
            assert_eq!(ours.holds, theirs.holds, "{language}/{name} {c:?}");
            for hold in &ours.holds {
                assert_eq!(hold.end - hold.start, 90 * 8_000, "{language}/{name} {c:?}");
            }
            for e in ours.events.iter().filter(|e| e.layer == Layer::Voice) {
                assert_eq!(e.text.as_deref(), Some(texts[e.cue.as_str()]));
            }
        }
    }
}

#[test]
fn the_cue_ids_and_steps_of_each_translation_are_the_english_sessions() {
    for (language, name, translated) in translations() {
        let original = english(name);
        let cues = |s: &Script| s.lines().map(|l| l.cue.to_string()).collect::<Vec<_>>();
        assert_eq!(cues(&translated), cues(&original), "{language}/{name}");
        let steps = |s: &Script| s.steps.iter().map(|st| st.id.clone()).collect::<Vec<_>>();
        assert_eq!(steps(&translated), steps(&original), "{language}/{name}");
        assert_ne!(translated.title, original.title, "{language}/{name}");
        assert_eq!(translated.language(), "en", "the folder, not a key, says");
        assert_ne!(translated.labels, original.labels, "{language}/{name}");
    }
    for language in LANGUAGES {
        assert_eq!(
            library::translations()
                .filter(|(l, ..)| *l == language)
                .count(),
            BUILT_IN.len(),
            "{language}: every built-in session is translated and built in"
        );
    }
}

#[test]
fn each_translation_plans_from_the_command_line_with_holds_exactly_hold_long() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    for (language, name, translated) in translations() {
        let texts: HashMap<&str, &str> = translated
            .lines()
            .map(|l| (l.cue.as_str(), l.text.as_str()))
            .collect();
        let all = combinations(&translated);
        for (i, c) in all.iter().enumerate() {
            // Every guidance level, variation, arm position, pattern and pacing at least once.
            if i % 7 != 0 && i + 1 != all.len() {
                continue;
            }
            let mut args: Vec<String> = ["--language", language, "--script", name]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            args.extend(["--hold", "75", "--sets", "2", "--guidance"].map(String::from));
            args.push(c.0.clone());
            for (flag, value) in [("--variation", &c.1), ("--arms", &c.2), ("--breath", &c.3)] {
                if let Some(value) = value {
                    args.extend([flag.to_owned(), value.clone()]);
                }
            }
            args.extend(["--pacing".to_owned(), c.4.name().to_owned()]);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let plan = plan_json(dir.path(), &refs);
            let holds = plan["holds"].as_array().unwrap();
            assert_eq!(holds.len(), 2, "{args:?}");
            for h in holds {
                let frames = h["end_frame"].as_u64().unwrap() - h["start_frame"].as_u64().unwrap();
                assert_eq!(frames, 75 * 48_000, "{args:?}");
            }
            for e in plan["events"].as_array().unwrap() {
                if e["layer"] == "voice" {
                    let cue = e["cue"].as_str().unwrap();
                    assert_eq!(e["text"].as_str(), Some(texts[cue]), "{args:?}");
                }
            }
        }
    }
}

#[test]
fn transcripts_plans_and_chapters_speak_the_sessions_language() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    bin(dir.path())
        .args(["--language", "de", "--hold", "20", "--sets", "2", "--plan"])
        .assert()
        .success()
        .stdout(contains("Kindhaltung (Balasana)"))
        .stdout(contains("(Runde 1 von 2) ──"))
        .stdout(contains("(set 1 of 2)").not());
    let wav = dir.path().join("es.wav");
    let txt = dir.path().join("es.txt");
    bin(dir.path())
        .args([
            "--language",
            "es",
            "--hold",
            "20",
            "--sets",
            "2",
            "--rest",
            "5",
        ])
        .args(["--guidance", "minimal", "--quiet", "--render"])
        .arg(&wav)
        .arg("--transcript")
        .arg(&txt)
        .assert()
        .success();
    let transcript = std::fs::read_to_string(&txt).unwrap();
    let spanish = translations()
        .into_iter()
        .find(|(l, n, _)| *l == "es" && *n == "balasana")
        .unwrap()
        .2;
    assert!(transcript.starts_with(&spanish.title), "{transcript}");
    assert!(transcript.contains("(serie 2 de 2)\n"), "{transcript}");
    let texts: Vec<&str> = spanish.lines().map(|l| l.text.as_str()).collect();
    let spoken: Vec<&str> = transcript
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, text)| text))
        .collect();
    assert!(spoken.len() > 10, "{transcript}");
    for text in spoken {
        assert!(texts.contains(&text), "not the Spanish script's: {text}");
    }
    let bytes = std::fs::read(&wav).unwrap();
    let has = |text: &str| bytes.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(
        has("(serie 1 de 2)"),
        "the WAV's chapter labels are in Spanish"
    );
    assert!(has(&spanish.title), "the WAV's title tag is Spanish");
    assert!(!has("(set 1 of 2)"));
}

/// The title the plan of `args` (run with `env`) begins with.
fn planned_title(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut command = bin(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command
        .args(args)
        .args(["--hold", "60", "--plan"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{env:?} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().next().unwrap().to_owned()
}

#[test]
fn the_locale_chooses_the_language_unless_it_is_c_or_has_no_session() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    let title = |env: &[(&str, &str)]| planned_title(dir.path(), env, &[]);
    assert!(title(&[]).starts_with("Child's pose"));
    assert!(title(&[("LANG", "de_DE.UTF-8")]).starts_with("Kindhaltung"));
    assert!(title(&[("LANG", "es_ES.UTF-8")]).starts_with("Postura del niño"));
    assert!(title(&[("LC_ALL", "C"), ("LANG", "de_DE.UTF-8")]).starts_with("Child's pose"));
    assert!(title(&[("LC_ALL", ""), ("LANG", "fr_FR.UTF-8")]).starts_with("Posture de l'enfant"));
    assert!(
        title(&[("LC_MESSAGES", "it_IT.UTF-8"), ("LANG", "de_DE.UTF-8")])
            .starts_with("Posizione del bambino")
    );
    assert!(title(&[("LANG", "sw_KE.UTF-8")]).starts_with("Child's pose"));
    assert!(title(&[("LANG", "POSIX")]).starts_with("Child's pose"));
}

#[test]
fn flag_environment_config_and_locale_choose_the_language_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    let config = dir.path().join(".config/balasana-audio/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "language = \"it\"\n").unwrap();
    let locale = ("LANG", "de_DE.UTF-8");
    let env = ("BALASANA_LANGUAGE", "es");
    let title = |env: &[(&str, &str)], args: &[&str]| planned_title(dir.path(), env, args);
    assert!(title(&[locale], &[]).starts_with("Posizione del bambino"));
    assert!(title(&[locale, env], &[]).starts_with("Postura del niño"));
    assert!(title(&[locale, env], &["--language", "fr"]).starts_with("Posture de l'enfant"));
    assert!(title(&[locale, env], &["--language", "en-GB"]).starts_with("Child's pose"));
    // A name finds the session in the chosen language, a path is the file's own.
    assert!(title(&[env], &["--script", "bedtime"]).starts_with("Postura del niño para la noche"));
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("script/de/bedtime.toml");
    let path = file.to_str().unwrap();
    assert!(title(&[env], &["--script", path]).starts_with("Kindhaltung für den Abend"));
    bin(dir.path())
        .args(["config", "show"])
        .env(env.0, env.1)
        .assert()
        .success()
        .stdout(contains("language").and(contains("BALASANA_LANGUAGE")));
}

/// The one line of stderr of `args` run in `dir`, which must exit with `code`.
fn one_line_error(dir: &Path, args: &[&str], code: i32) -> String {
    let out = bin(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    err
}

#[test]
fn packs_list_shows_every_language_a_pack_speaks() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    language_pack(dir.path(), "spanish", "es-ES", &[]);
    let out = bin(dir.path()).args(["packs", "list"]).output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| {
        list.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} not in {list}"))
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert_eq!(row("multi"), "de-DE+es,fr,it");
    assert_eq!(row("spanish"), "es-ES");
}

#[test]
fn a_pack_in_another_language_is_refused_unless_it_also_speaks_it() {
    let dir = tempfile::tempdir().unwrap();
    language_pack(dir.path(), "spanish", "es-ES", &["ca"]);
    let err = one_line_error(
        dir.path(),
        &["--language", "de", "--pack", "spanish", "--plan"],
        4,
    );
    assert!(
        err.contains("voice pack \"spanish\" speaks es-ES, ca, but the session \"Kindhaltung")
            && err.contains("is in de"),
        "{err}"
    );
    // English with heart, the default, is refused with a Spanish session too.
    one_line_error(
        dir.path(),
        &["--language", "es", "--pack", "heart", "--plan"],
        4,
    );
    // With no pack named, the session's language chooses its voice.
    let plan = plan_json(dir.path(), &["--language", "es"]);
    assert!(plan["events"].as_array().unwrap().len() > 10);
    // A pack set in the environment (or config file) that does not fit is a note, and the language's voice plays.
    bin(dir.path())
        .env("BALASANA_PACK", "heart")
        .args(["--language", "es", "--plan"])
        .assert()
        .success()
        .stderr(contains(
            "note: voice pack \"heart\" (set by BALASANA_PACK) speaks en-US, not es",
        ));
}

#[test]
fn a_language_with_no_voice_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = one_line_error(dir.path(), &["--language", "fr", "--plan"], 4);
    assert!(
        err.contains("no voice pack speaks fr")
            && err.contains("balasana-audio packs install audio/pico-fr"),
        "{err}"
    );
}

#[test]
fn an_unknown_language_lists_those_there_are() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--language", "sw", "--plan"][..],
        &["scripts", "list", "--language", "sw"][..],
    ] {
        let err = one_line_error(dir.path(), args, 2);
        assert!(
            err.contains(
                "--language sw: no session is in that language (languages: de, en, es, fr, it)"
            ),
            "{err}"
        );
    }
    let out = bin(dir.path())
        .env("BALASANA_LANGUAGE", "xx")
        .arg("--plan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(set by BALASANA_LANGUAGE)"));
}

#[test]
fn scripts_and_packs_list_show_languages_and_scripts_list_filters() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    let out = bin(dir.path())
        .args(["scripts", "list", "--language", "it"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(columns[1], "it", "{row}");
        assert_ne!(columns[2], "-", "the multilingual pack times it: {row}");
    }
    let all = bin(dir.path()).args(["scripts", "list"]).output().unwrap();
    let all = String::from_utf8(all.stdout).unwrap();
    for language in ["en", "de", "es", "fr", "it"] {
        let n = all
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(language))
            .count();
        assert_eq!(n, 2, "{language}: {all}");
    }
    bin(dir.path())
        .args(["packs", "list"])
        .assert()
        .success()
        .stdout(contains("language"))
        .stdout(contains("multi").and(contains("de-DE")));
}

#[test]
fn packs_check_and_cues_take_the_packs_or_the_given_language() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    let cues = |language: &str| -> serde_json::Value {
        let out = bin(dir.path())
            .args(["packs", "cues", "--language", language])
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (german, english) = (cues("de"), cues("en"));
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l["cue"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&german), ids(&english));
    assert_ne!(german[0]["text"], english[0]["text"]);
    for language in ["de", "fr"] {
        bin(dir.path())
            .args(["packs", "check", "multi", "--language", language])
            .assert()
            .success()
            .stdout(contains(format!(
                "ready: {n} of {n} cues",
                n = pack_lines().len()
            )));
    }
}

/// Every pack shipped in `audio/` in a language other than English checks clean against both
/// of its language's sessions: no missing cue, no warning.
#[test]
fn every_language_pack_checks_clean_against_both_of_its_sessions() {
    let home = tempfile::tempdir().unwrap();
    let audio = Path::new(env!("CARGO_MANIFEST_DIR")).join("audio");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&audio).unwrap() {
        let folder = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(folder.join("pack.toml")) else {
            continue;
        };
        let manifest = Manifest::parse(&text, "pack.toml").unwrap();
        if manifest.speaks("en") {
            continue;
        }
        let name = manifest.name.clone();
        bin_in_repo(home.path())
            .args(["packs", "check", &name])
            .assert()
            .success()
            .stdout(contains("pace, balasana ("))
            .stdout(contains("pace, bedtime ("))
            .stdout(contains(format!(
                "ready: {n} of {n} cues, 0 warnings",
                n = pack_lines().len()
            )));
        checked.push(name);
    }
    eprintln!("language packs checked: {checked:?}");
}

#[test]
fn packs_install_takes_every_language_pack_at_once_and_each_then_plays_from_any_folder() {
    let made = tempfile::tempdir().unwrap();
    let german = language_pack(made.path(), "stimme-de", "de-DE", &[]);
    let french = language_pack(made.path(), "voix-fr", "fr-FR", &[]);
    let home = tempfile::tempdir().unwrap();
    bin(home.path())
        .args(["packs", "install"])
        .arg(&german)
        .arg(&french)
        .assert()
        .success()
        .stdout(contains("installed voice pack \"stimme-de\" (de-DE"))
        .stdout(contains("Play it with: balasana-audio --language de"))
        .stdout(contains("installed voice pack \"voix-fr\" (fr-FR"));
    for (language, title) in [("de", "Kindhaltung"), ("fr", "Posture de l'enfant")] {
        let plan = planned_title(home.path(), &[], &["--language", language]);
        assert!(plan.starts_with(title), "{plan}");
    }
}

#[test]
fn a_script_file_says_its_language_with_a_key_or_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    language_pack(dir.path(), "stimme", "de-DE", &[]);
    let german = library::translations()
        .find(|(l, n, _)| *l == "de" && *n == "balasana")
        .unwrap()
        .2;
    // Copied anywhere, a translation is taken for English: the English voice is chosen ...
    std::fs::write(dir.path().join("mine.toml"), german).unwrap();
    bin(dir.path())
        .args(["--script", "./mine.toml", "--plan"])
        .assert()
        .success()
        .stdout(contains("voice heart"));
    // ... unless a key says otherwise, or it sits in script/de/.
    let keyed = format!("language = \"de-DE\"\n{german}");
    std::fs::write(dir.path().join("keyed.toml"), &keyed).unwrap();
    let plan = planned_title(dir.path(), &[], &["--script", "./keyed.toml"]);
    assert!(plan.starts_with("Kindhaltung"), "{plan}");
    let folder = dir.path().join("elsewhere/script/de");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("mine.toml"), german).unwrap();
    let path = folder.join("mine.toml");
    bin(dir.path())
        .args(["--plan", "--script"])
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("voice stimme"));
    bin(dir.path())
        .args(["--plan", "--script", "./keyed.toml"])
        .assert()
        .success()
        .stdout(contains("voice stimme"));
    // A key that is no language tag is the script's error, with its place.
    std::fs::write(
        dir.path().join("bad.toml"),
        format!("language = \"C\"\n{german}"),
    )
    .unwrap();
    let err = one_line_error(dir.path(), &["--script", "./bad.toml", "--plan"], 3);
    assert!(
        err.contains("bad.toml:1:12: language \"C\" is not a language tag"),
        "{err}"
    );
}

#[test]
fn the_live_progress_line_speaks_the_sessions_language() {
    let Some(_card) = crate::live_playback::sound_card() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (short, path) = short_script();
    let folder = make_pack_for(&short, dir.path(), "stimme", 48_000, 1, 0.25, &[]);
    let text = std::fs::read_to_string(folder.join("pack.toml")).unwrap();
    let mut manifest = Manifest::parse(&text, "pack.toml").unwrap();
    manifest.language = "de-DE".into();
    write_manifest(&folder, &manifest);
    let source = std::fs::read_to_string(path).unwrap();
    let german = format!(
        "language = \"de\"\n{source}\n[labels]\nset-short = \"Runde {{set}}/{{sets}}\"\n\
         hold-left = \"noch {{time}}\"\n"
    );
    let script = dir.path().join("kurz.toml");
    std::fs::write(&script, german).unwrap();
    let out = crate::live_playback::player(dir.path(), &["--hold", "10", "--no-chimes"])
        .arg("--script")
        .arg(&script)
        .stdout(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" · Runde 1/1"), "{stdout}");
    assert!(!stdout.contains("set 1/1"), "{stdout}");
}

#[test]
fn a_translation_in_your_data_folder_comes_before_the_built_in_one() {
    let dir = tempfile::tempdir().unwrap();
    multilingual_pack(dir.path());
    let german = library::translations()
        .find(|(l, n, _)| *l == "de" && *n == "balasana")
        .unwrap()
        .2;
    let folder = dir.path().join(".local/share/balasana-audio/script/de");
    std::fs::create_dir_all(&folder).unwrap();
    let mine = german.replacen("title = \"Kindhaltung", "title = \"Meine Kindhaltung", 1);
    std::fs::write(folder.join("balasana.toml"), mine).unwrap();
    let plan = planned_title(dir.path(), &[], &["--language", "de"]);
    assert!(plan.starts_with("Meine Kindhaltung"), "{plan}");
    let out = bin(dir.path())
        .args(["scripts", "list", "--language", "de"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("balasana "))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].contains("Meine Kindhaltung") && !rows[0].contains("shadowed"),
        "{text}"
    );
    assert!(rows[1].ends_with("(built in; shadowed)"), "{text}");
}
