//! The Debian package (`scripts/build-deb.sh`): built once, checked by `lintian`, unpacked with
//! `dpkg-deb -x` into a temporary root (never installed on the machine), and that root's binary
//! plays a shipped pack found through `XDG_DATA_DIRS`; its man page renders and each completion
//! file is where its shell looks; the packaged binary (built without the embedded-voice
//! feature) carries no voice and plays the default pack from the shipped folder. Slow (a release
//! build): the package is built once per run.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use balasana_audio::pack::{Location, Manifest};

/// The repository.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the package into `out` with the one documented command; returns the .deb's path.
fn build(out: &Path) -> PathBuf {
    let run = Command::new("bash")
        .arg(repo().join("scripts/build-deb.sh"))
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "build-deb.sh failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let deb = PathBuf::from(String::from_utf8(run.stdout).unwrap().trim());
    assert!(
        deb.starts_with(out) && deb.is_file(),
        "build-deb.sh printed {deb:?}"
    );
    deb
}

/// The files the package must hold besides the shipped data: the binary, the man page, the
/// completions where bash-completion, zsh (Debian's vendor folder) and fish look, the desktop
/// entry and the copyright file.
const PROGRAM_FILES: &[&str] = &[
    "usr/bin/balasana-audio",
    "usr/share/man/man1/balasana-audio.1.gz",
    "usr/share/bash-completion/completions/balasana-audio",
    "usr/share/zsh/vendor-completions/_balasana-audio",
    "usr/share/fish/vendor_completions.d/balasana-audio.fish",
    "usr/share/applications/balasana-audio.desktop",
    "usr/share/doc/balasana-audio/copyright",
];

#[test]
fn the_debian_package_installs_the_program_its_packs_and_sessions() {
    let tools = [
        "cargo-deb",
        "dpkg-deb",
        "lintian",
        "man",
        "desktop-file-validate",
    ];
    if !tools.iter().all(|tool| require(tool)) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());

    let lint = Command::new("lintian").arg(&deb).output().unwrap();
    let report = String::from_utf8_lossy(&lint.stdout);
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian reports errors:\n{report}");

    let root = dir.path().join("root");
    let unpacked = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .status()
        .unwrap();
    assert!(unpacked.success());
    let installed = files_under(&root);
    for file in PROGRAM_FILES {
        assert!(
            installed.contains(&PathBuf::from(file)),
            "no {file} in the package"
        );
    }
    // Every pack file and every session script of the repository, laid out as here.
    let shared = Path::new("usr/share/balasana-audio");
    for tree in ["audio", "script"] {
        for file in files_under(&repo().join(tree)) {
            let packaged = shared.join(tree).join(&file);
            let shipped = tree == "audio" || file.extension().is_some_and(|x| x == "toml");
            assert_eq!(
                installed.contains(&packaged),
                shipped,
                "{}",
                packaged.display()
            );
        }
    }
    copyright_names_each_voice(&root.join("usr/share/doc/balasana-audio/copyright"));
    the_binary_carries_no_voice(&root.join(PROGRAM_FILES[0]));
    plays_a_system_pack_from_any_folder(&root);
    the_default_pack_is_a_shipped_folder(&root);
    man_page_and_completions_work(&root);
    let desktop = Command::new("desktop-file-validate")
        .arg(root.join(PROGRAM_FILES[5]))
        .output()
        .unwrap();
    assert!(
        desktop.status.success() && desktop.stdout.is_empty(),
        "{desktop:?}"
    );
}

/// The copyright file has one licence paragraph per shipped pack, with the licence its pack.toml
/// gives, and none for a pack that is not shipped.
fn copyright_names_each_voice(copyright: &Path) {
    let text = std::fs::read_to_string(copyright).unwrap();
    assert!(
        text.starts_with(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
        )
    );
    let mut packs = 0;
    for entry in std::fs::read_dir(repo().join("audio")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("pack.toml").is_file() {
            continue;
        }
        packs += 1;
        let manifest = Manifest::load(&Location::Folder(dir.clone())).unwrap();
        let paragraph = format!(
            "\nLicense: voice-pack-{}\n {}\n",
            manifest.name, manifest.licence
        );
        assert!(text.contains(&paragraph), "no {paragraph:?} in\n{text}");
        let files = format!(
            "\nFiles: audio/{}/*\n",
            dir.file_name().unwrap().to_str().unwrap()
        );
        assert!(text.contains(&files), "no {files:?} in\n{text}");
    }
    assert_eq!(text.matches("\nFiles: audio/").count(), packs);
}

/// The packaged binary is built without the embedded-voice feature (issue 22: the default pack
/// is a shipped folder, not 3.9 MB inside the program): no stretch of the default voice's clips is
/// in it. Its size is measured by `bench/compare.sh` (docs/benchmarks.md), not asserted here.
fn the_binary_carries_no_voice(binary: &Path) {
    let program = std::fs::read(binary).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart");
    for clip in ["welcome.ogg", "ambience-ocean.ogg"] {
        let bytes = std::fs::read(repo.join(clip)).unwrap();
        let stretch = &bytes[bytes.len() / 2..bytes.len() / 2 + 256];
        assert!(
            !program.windows(stretch.len()).any(|w| w == stretch),
            "{} holds heart's {clip}",
            binary.display()
        );
    }
}

/// The unpacked root's binary run from an empty folder, with `system` as `XDG_DATA_DIRS` and
/// empty user folders.
fn run_installed(root: &Path, system: &Path, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(root.join("usr/bin/balasana-audio"))
        .current_dir(home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_DATA_DIRS", system)
        .args(args)
        .output()
        .unwrap()
}

/// The default pack (heart) is not compiled into the packaged binary: with the root's share
/// folder on `XDG_DATA_DIRS` a plan of the default session uses the shipped heart folder (its
/// clips' lengths, as the repository's pack gives them); with no data folder holding it, one
/// line names every place looked in, exit 4 (a missing pack), no panic.
fn the_default_pack_is_a_shipped_folder(root: &Path) {
    let plan = run_installed(
        root,
        &root.join("usr/share"),
        &["--strict", "--plan", "--json"],
    );
    assert!(plan.status.success(), "{plan:?}");
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let repo_plan = Command::new(env!("CARGO_BIN_EXE_balasana-audio"))
        .current_dir(repo())
        .args(["--pack", "./audio/heart", "--strict", "--plan", "--json"])
        .output()
        .unwrap();
    assert!(repo_plan.status.success(), "{repo_plan:?}");
    let repo_plan: serde_json::Value = serde_json::from_slice(&repo_plan.stdout).unwrap();
    assert_eq!(plan["frames"], repo_plan["frames"]);
    assert_eq!(plan["events"], repo_plan["events"]);

    let elsewhere = tempfile::tempdir().unwrap();
    let missing = run_installed(root, elsewhere.path(), &["--plan"]);
    assert_eq!(missing.status.code(), Some(4), "{missing:?}");
    let err = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    let system_heart = elsewhere.path().join("balasana-audio/audio/heart");
    assert!(
        err.contains("voice pack \"heart\" not found (looked in ")
            && err.contains(&system_heart.display().to_string())
            && err.contains("not built in"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// From an empty folder, with the unpacked root's share folder as the one system data folder,
/// `--pack slt` plays the shipped slt pack, which `packs list` shows there, and the sessions are
/// found there too.
fn plays_a_system_pack_from_any_folder(root: &Path) {
    let share = root.join("usr/share");
    let run = |args: &[&str]| run_installed(root, &share, args);
    let plan = run(&["--pack", "slt", "--strict", "--plan", "--json"]);
    assert!(plan.status.success(), "{plan:?}");
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert!(plan["events"].as_array().unwrap().len() > 10);
    let list = String::from_utf8(run(&["packs", "list"]).stdout).unwrap();
    let slt = root.join("usr/share/balasana-audio/audio/slt");
    assert!(
        list.lines()
            .any(|l| l.trim_start().starts_with("slt ") && l.ends_with(&slt.display().to_string())),
        "{list}"
    );
    let scripts = String::from_utf8(run(&["scripts", "list"]).stdout).unwrap();
    let balasana = root.join("usr/share/balasana-audio/script/balasana.toml");
    assert!(
        scripts.contains(&format!("({})", balasana.display())),
        "{scripts}"
    );
}

/// `man -l` renders the man page; bash's completion file registers a completion for the command
/// when sourced; zsh's and fish's are for the command too.
fn man_page_and_completions_work(root: &Path) {
    let man = Command::new("man")
        .env("MANWIDTH", "80")
        .args(["-P", "cat", "-l"])
        .arg(root.join(PROGRAM_FILES[1]))
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(man.status.success(), "{man:?}");
    assert!(
        page.contains("NAME") && page.contains("balasana-audio") && page.contains("--pack"),
        "{page}"
    );
    let bash = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p balasana-audio",
            root.join(PROGRAM_FILES[2]).display()
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bash.stdout)
            .trim_end()
            .ends_with(" balasana-audio"),
        "{bash:?}"
    );
    let zsh = std::fs::read_to_string(root.join(PROGRAM_FILES[3])).unwrap();
    assert!(zsh.starts_with("#compdef balasana-audio"), "{zsh}");
    let fish = std::fs::read_to_string(root.join(PROGRAM_FILES[4])).unwrap();
    assert!(fish.contains("complete -c balasana-audio"), "{fish}");
}
