//! Installed like a tool: packs and sessions found along the search path (the user's data folder,
//! `XDG_DATA_DIRS`, the working folder, built in), and `packs install`, `remove` and `export`.
//! The refusals of `packs install` are rows of the bad-input table (`bad_input.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use balasana_audio::script::EMBEDDED;
use predicates::str::contains;

/// The length in frames (at the plan's 48 kHz) of the `why` line, which tells the test packs
/// apart: their clips are bursts of different lengths.
fn why_frames(plan: &serde_json::Value) -> u64 {
    plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cue"] == "why")
        .unwrap()["frames"]
        .as_u64()
        .unwrap()
}

/// Writes a session `name` titled `title` (the built-in script retitled) into the data folder
/// `root`.
fn session(root: &Path, name: &str, title: &str) {
    let folder = root.join("script");
    std::fs::create_dir_all(&folder).unwrap();
    let text = EMBEDDED.replace(
        "title = \"Child's pose (Balasana) — full restorative back stretch\"",
        &format!("title = {title:?}"),
    );
    std::fs::write(folder.join(format!("{name}.toml")), text).unwrap();
}

/// The line of `text` that starts (after its marker) with `name` and ends with `place`.
fn row<'a>(text: &'a str, name: &str, place: &str) -> Option<&'a str> {
    text.lines().find(|l| {
        l.trim_start_matches(['*', ' ']).split_whitespace().next() == Some(name)
            && l.trim_end().ends_with(place)
    })
}

#[test]
fn packs_and_sessions_are_found_along_the_search_path_and_shadowing_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let (first, second) = (home.join("sys-1"), home.join("sys-2"));
    make_pack(&first.join("balasana-audio"), "shared", 16_000, 1, 0.2, &[]);
    make_pack(
        &second.join("balasana-audio"),
        "shared",
        16_000,
        1,
        0.3,
        &[],
    );
    session(
        &first.join("balasana-audio"),
        "evening",
        "Evening from the first",
    );
    session(
        &second.join("balasana-audio"),
        "evening",
        "Evening from the second",
    );
    // A relative entry is ignored, as the XDG specification says.
    let dirs = format!("relative/ignored:{}:{}", first.display(), second.display());
    let run = |args: &[&str]| {
        let out = bin(home)
            .env("XDG_DATA_DIRS", &dirs)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    let plan = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&run(&[args, &["--plan", "--json"]].concat())).unwrap()
    };

    // Found by name in the first system folder that has them.
    let found = plan(&["--pack", "shared", "--strict", "--script", "evening"]);
    assert_eq!(why_frames(&found), 9_600, "the first folder's 0.2 s clips");
    let text = run(&["--pack", "shared", "--script", "evening", "--plan"]);
    assert!(text.starts_with("Evening from the first"), "{text}");

    // Both are listed, the second one shadowed.
    let packs = run(&["packs", "list"]);
    let pack_in =
        |folder: &Path| format!("{}", folder.join("balasana-audio/audio/shared").display());
    assert!(row(&packs, "shared", &pack_in(&first)).is_some(), "{packs}");
    assert!(
        row(
            &packs,
            "shared",
            &format!("{} (shadowed)", pack_in(&second))
        )
        .is_some(),
        "{packs}"
    );
    let scripts = run(&["scripts", "list"]);
    let script_in = |folder: &Path, shadowed: &str| {
        format!(
            "{}{shadowed})",
            folder.join("balasana-audio/script/evening.toml").display()
        )
    };
    assert!(
        row(&scripts, "evening", &script_in(&first, "")).is_some(),
        "{scripts}"
    );
    assert!(
        row(&scripts, "evening", &script_in(&second, "; shadowed")).is_some(),
        "{scripts}"
    );

    // The working folder's ./audio comes after the system folders.
    make_pack(home, "shared", 16_000, 1, 0.5, &[]);
    assert_eq!(why_frames(&plan(&["--pack", "shared"])), 9_600);
    assert!(
        row(
            &run(&["packs", "list"]),
            "shared",
            "./audio/shared (shadowed)"
        )
        .is_some(),
        "the working folder's pack is not listed as shadowed"
    );

    // The user's data folder (XDG_DATA_HOME) wins over them all.
    let user = home.join(".local/share/balasana-audio");
    make_pack(&user, "shared", 16_000, 1, 0.4, &[]);
    session(&user, "evening", "Evening of my own");
    assert_eq!(why_frames(&plan(&["--pack", "shared"])), 19_200);
    let text = run(&["--script", "evening", "--plan"]);
    assert!(text.starts_with("Evening of my own"), "{text}");
    let packs = run(&["packs", "list"]);
    let mine = row(
        &packs,
        "shared",
        &format!("{}", user.join("audio/shared").display()),
    );
    assert!(mine.is_some_and(|r| !r.contains("shadowed")), "{packs}");
    assert!(
        row(&packs, "shared", &format!("{} (shadowed)", pack_in(&first))).is_some(),
        "{packs}"
    );
    let scripts = run(&["scripts", "list"]);
    assert!(
        row(&scripts, "evening", &script_in(&first, "; shadowed")).is_some(),
        "{scripts}"
    );
}

#[test]
fn without_xdg_data_dirs_the_system_folders_are_the_xdg_defaults() {
    // An empty XDG_DATA_DIRS means /usr/local/share:/usr/share: a pack that is nowhere is looked
    // for there, and the message names them.
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .env("XDG_DATA_DIRS", "")
        .args(["--pack", "nosuch-pack-anywhere", "--plan"])
        .assert()
        .code(4)
        .stderr(contains(
            "/usr/local/share/balasana-audio/audio/nosuch-pack-anywhere",
        ))
        .stderr(contains(
            "/usr/share/balasana-audio/audio/nosuch-pack-anywhere",
        ));
}

/// Every file under `dir`, by path inside it, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(dir.join(&file)).unwrap();
            (file, bytes)
        })
        .collect()
}

/// The user's packs folder of the binary run with `home` (see `common::bin`).
fn user_packs(home: &Path) -> PathBuf {
    home.join(".local/share/balasana-audio/audio")
}

#[test]
fn a_pack_installs_from_a_folder_a_zip_and_a_tarball_and_then_plays_by_name() {
    let sources = tempfile::tempdir().unwrap();
    let pack = make_pack(sources.path(), "shared", 16_000, 1, 0.3, &[]);
    // A zip with the pack in one folder, its folder entry first (as most zip tools make it), and a
    // tarball with the pack's files at its top.
    let mut zipped = vec![Entry::Folder("shared/".into())];
    zipped.extend(entries_of(&pack, "shared/"));
    write_zip(&sources.path().join("shared.zip"), &zipped);
    write_tar_gz(
        &sources.path().join("shared.tar.gz"),
        &entries_of(&pack, ""),
    );
    for source in ["audio/shared", "shared.zip", "shared.tar.gz"] {
        let home = tempfile::tempdir().unwrap();
        let tmp = home.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        bin(home.path())
            .env("TMPDIR", &tmp)
            .args(["packs", "install"])
            .arg(sources.path().join(source))
            .assert()
            .success()
            .stdout(contains(format!(
                "installed voice pack \"shared\" (en-US, test bursts) in {}",
                user_packs(home.path()).join("shared").display()
            )))
            .stdout(contains("it speaks every line of 2 sessions"));
        assert_eq!(
            files(&user_packs(home.path()).join("shared")),
            files(&pack),
            "{source}: the installed pack is not the shared one"
        );
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "{source}: a temporary folder was left behind"
        );
        // It plays by name from any folder.
        let elsewhere = tempfile::tempdir().unwrap();
        let out = bin(elsewhere.path())
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .args(["--pack", "shared", "--strict", "--plan", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{source}: {out:?}");
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(why_frames(&plan), 14_400, "{source}");
    }
}

#[test]
fn force_replaces_an_installed_pack_export_round_trips_and_remove_takes_only_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let first = make_pack(&home.join("v1"), "shared", 16_000, 1, 0.3, &[]);
    let second = make_pack(&home.join("v2"), "shared", 16_000, 1, 0.4, &[]);
    let installed = user_packs(home).join("shared");
    bin(home)
        .args(["packs", "install"])
        .arg(&first)
        .assert()
        .success();
    bin(home)
        .args(["packs", "install", "--force"])
        .arg(&second)
        .assert()
        .success();
    assert_eq!(files(&installed), files(&second));

    // Exported, it holds the pack in one folder and installs the same files elsewhere.
    bin(home)
        .args(["packs", "export", "shared", "out.zip"])
        .assert()
        .success()
        .stdout(contains("wrote out.zip"));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(home.join("out.zip")).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    assert!(names.iter().all(|n| n.starts_with("shared/")), "{names:?}");
    assert_eq!(names.len(), files(&second).len());
    {
        use std::io::Read;
        let mut toml = String::new();
        zip.by_name("shared/pack.toml")
            .unwrap()
            .read_to_string(&mut toml)
            .unwrap();
        assert_eq!(
            toml,
            std::fs::read_to_string(second.join("pack.toml")).unwrap()
        );
    }
    let other = tempfile::tempdir().unwrap();
    bin(other.path())
        .args(["packs", "install"])
        .arg(home.join("out.zip"))
        .assert()
        .success();
    assert_eq!(
        files(&user_packs(other.path()).join("shared")),
        files(&second)
    );

    // Removed from the user's folder; the system's pack of the same name stays, and plays now.
    let system = home.join("system");
    make_pack(
        &system.join("balasana-audio"),
        "shared",
        16_000,
        1,
        0.2,
        &[],
    );
    let system_pack = system.join("balasana-audio/audio/shared");
    bin(home)
        .env("XDG_DATA_DIRS", &system)
        .args(["packs", "remove", "shared"])
        .assert()
        .success()
        .stdout(contains(format!(
            "removed voice pack \"shared\" from {}",
            installed.display()
        )))
        .stdout(contains(format!(
            "--pack shared now plays {}",
            system_pack.display()
        )));
    assert!(!installed.exists());
    assert_eq!(
        std::fs::read_dir(user_packs(home)).unwrap().count(),
        0,
        "a temporary folder was left behind"
    );
    bin(home)
        .env("XDG_DATA_DIRS", &system)
        .args(["packs", "remove", "shared"])
        .assert()
        .code(2)
        .stderr(contains(format!(
            "voice pack \"shared\" is in a system folder ({}): `packs remove` removes only packs in your data folder",
            system_pack.display()
        )));
    assert!(system_pack.join("pack.toml").is_file());
    bin(home)
        .args(["packs", "remove", "heart"])
        .assert()
        .code(2)
        .stderr(contains("voice pack \"heart\" is built in"));
    bin(home)
        .args(["packs", "remove", "nobody"])
        .assert()
        .code(4)
        .stderr(contains("voice pack \"nobody\" not found"));
}

#[test]
fn the_built_in_pack_exports_whole() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["packs", "export", "heart", "heart.zip"])
        .assert()
        .success()
        .stdout(contains("of voice pack \"heart\", built in"));
    let unzipped = dir.path().join("unzipped");
    std::fs::create_dir(&unzipped).unwrap();
    zip::ZipArchive::new(std::fs::File::open(dir.path().join("heart.zip")).unwrap())
        .unwrap()
        .extract(&unzipped)
        .unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart");
    assert_eq!(files(&unzipped.join("heart")), files(&shipped));
    bin(dir.path())
        .args(["packs", "export", "heart", "heart.tar"])
        .assert()
        .code(2)
        .stderr(contains("heart.tar: the file to write must end in .zip"));
}
