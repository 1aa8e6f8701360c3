//! The bad-input table: every way a careful (or hostile) user can get the input wrong, each
//! ending in one clear stderr line, the documented exit code, no panic, no file left behind and
//! no existing file harmed. Odd but valid input (unusual rates and channel counts) must play.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use crate::common::*;
use balasana_audio::script::EMBEDDED;

/// How a case prepares its temp dir.
type Setup = Box<dyn Fn(&Path)>;

/// One row: a name, the arguments (run in the temp dir), the files it starts with, and what must
/// come out.
struct Case {
    name: &'static str,
    args: Vec<String>,
    files: Setup,
    code: i32,
    message: &'static str,
}

/// A row of the table; finish it with [`Case::expect`].
fn case(name: &'static str, args: &[&str], files: impl Fn(&Path) + 'static) -> Case {
    Case {
        name,
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        files: Box::new(files),
        code: -1,
        message: "",
    }
}

impl Case {
    /// The exit code and a distinctive part of the one stderr line (exit 0: stderr has no error).
    fn expect(mut self, code: i32, message: &'static str) -> Case {
        self.code = code;
        self.message = message;
        self
    }
}

/// Nothing to prepare.
fn none(_: &Path) {}

/// A file's kind, size, content hash, mode and link target: enough to see it was not touched.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The program's own cache of clip lengths and loudness (XDG_CACHE_HOME, see
            // `common::bin`) may learn a clip before the failure: it is not the user's file.
            if path == root.join(".cache") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("link {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                format!("dir {:o}", meta.mode())
            } else {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                // Sparse giants are compared by size and mtime, not read.
                if meta.len() < 16 << 20 {
                    std::fs::read(&path).unwrap().hash(&mut h);
                }
                format!(
                    "file {:o} {} {} {:x}",
                    meta.mode(),
                    meta.len(),
                    meta.mtime_nsec(),
                    h.finish()
                )
            };
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), what);
        }
    }
    out
}

/// Runs every row in its own temp dir; returns the failures, one line each.
fn run(cases: Vec<Case>) {
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        (c.files)(dir.path());
        let before = snapshot(dir.path());
        let out = bin(dir.path())
            .args(&c.args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().unwrap_or(-1);
        let mut wrong = Vec::new();
        if code != c.code {
            wrong.push(format!("exit {code}, expected {}", c.code));
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            wrong.push("panicked".into());
        }
        if c.code == 0 {
            if stderr.contains("error") {
                wrong.push("an error on stderr".into());
            }
        } else {
            if stderr.lines().count() != 1 || !stderr.ends_with('\n') {
                wrong.push(format!("{} stderr lines", stderr.lines().count()));
            }
            if !stderr.contains(c.message) {
                wrong.push(format!("no {:?}", c.message));
            }
        }
        let after = snapshot(dir.path());
        if after != before {
            let changed: Vec<_> = after
                .iter()
                .filter(|(p, w)| before.get(*p) != Some(w))
                .map(|(p, _)| p.display().to_string())
                .chain(
                    before
                        .keys()
                        .filter(|p| !after.contains_key(*p))
                        .map(|p| format!("{} (gone)", p.display())),
                )
                .collect();
            wrong.push(format!("files changed: {}", changed.join(", ")));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {} — stderr: {}",
                c.name,
                wrong.join("; "),
                stderr.trim_end()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---- scripts ----------------------------------------------------------------------------------

/// Writes `s.toml`: the built-in script with `from` replaced by `to` (first occurrence).
fn script_with(from: &'static str, to: &'static str) -> impl Fn(&Path) {
    move |dir: &Path| {
        assert!(EMBEDDED.contains(from), "{from}");
        std::fs::write(dir.join("s.toml"), EMBEDDED.replacen(from, to, 1)).unwrap();
    }
}

const PLAN_S: &[&str] = &["--script", "s.toml", "--plan"];

const HOLD_LIMIT: &str = "hold = { allowed = [20, 600], recommended = [60, 300], default = 90 }";
const INHALE_LIMIT: &str = "inhale = { allowed = [2, 10], recommended = [3, 6], default = 4 }";
const EXHALE_LIMIT: &str = "exhale = { allowed = [2, 15], recommended = [4, 8], default = 6 }";

#[test]
fn bad_scripts() {
    run(vec![
        case("syntax", PLAN_S, script_with("title = \"", "title = ")).expect(3, "s.toml:15:9:"),
        case("type", PLAN_S, script_with("title = \"Child's pose (Balasana) — full restorative back stretch\"", "title = 5"))
            .expect(3, "s.toml:15:9: invalid type: integer `5`, expected a string"),
        case("unknown key", PLAN_S, script_with("[pacing]\n", "[pacing]\ntempo = 3\n"))
            .expect(3, "unknown field `tempo`"),
        case("missing field", PLAN_S, script_with("line_gap = 0.8 ", "# no line gap"))
            .expect(3, "missing field `line_gap`"),
        case("no steps", PLAN_S, |d: &Path| {
            let cut = EMBEDDED.find("[[steps]]").unwrap();
            let hold = EMBEDDED.find("[hold]").unwrap();
            let text = format!("{}{}", &EMBEDDED[..cut], &EMBEDDED[hold..]);
            std::fs::write(d.join("s.toml"), text).unwrap();
        })
        .expect(3, "missing field `steps`"),
        case("bad cue id", PLAN_S, script_with("cue = \"welcome\"", "cue = \"Welcome!\""))
            .expect(3, "cue id \"Welcome!\": ids use only a-z, 0-9 and '-'"),
        case("cue used twice", PLAN_S, script_with("cue = \"why\"", "cue = \"welcome\""))
            .expect(3, "cue id \"welcome\" is used twice"),
        case("empty text", PLAN_S, script_with("text = \"Here, gravity does the work. Your back lengthens without effort, and your body settles into rest.\"", "text = \" \""))
            .expect(3, "cue \"why\" has empty text"),
        case("negative pause", PLAN_S, script_with("pause = 1.5", "pause = -1.5"))
            .expect(3, "pause must be 0 or 0.01 to 60 seconds"),
        case("pause under a frame", PLAN_S, script_with("pause = 1.5", "pause = 0.000001"))
            .expect(3, "pause must be 0 or 0.01 to 60 seconds"),
        case("nan pause", PLAN_S, script_with("pause = 1.5", "pause = nan"))
            .expect(3, "pause must be 0 or 0.01 to 60 seconds"),
        case("gap under a frame", PLAN_S, script_with("line_gap = 0.8", "line_gap = 0.00001"))
            .expect(3, "pacing.line_gap 0.00001 s: must be 0 or 0.01 to 60 s"),
        case("gap too long", PLAN_S, script_with("step_gap = 1.5", "step_gap = 61"))
            .expect(3, "pacing.step_gap 61 s: must be 0 or 0.01 to 60 s"),
        case("infinite lead-in", PLAN_S, script_with("chime_lead = 1.2", "chime_lead = inf"))
            .expect(3, "pacing.chime_lead inf s: must be 0 or 0.01 to 60 s"),
        case("remaining at 0", PLAN_S, script_with("at = 60,", "at = 0,"))
            .expect(3, "remaining time 0 s must be from 0.01 s to the longest hold (600 s)"),
        case("limits unordered", PLAN_S, script_with(HOLD_LIMIT, "hold = { allowed = [300, 20], recommended = [60, 300], default = 90 }"))
            .expect(3, "limits.hold: need 0 < allowed.min"),
        case("limits infinite", PLAN_S, script_with(HOLD_LIMIT, "hold = { allowed = [20, inf], recommended = [60, 300], default = 90 }"))
            .expect(3, "limits.hold: allowed range 20–inf s goes beyond 1–3600 s"),
        case("sub-frame breath limits", &["--script", "s.toml", "--breath", "0.000001:0.000001", "--plan"], |d: &Path| {
            let text = EMBEDDED
                .replacen(INHALE_LIMIT, "inhale = { allowed = [0.000001, 10], recommended = [0.000001, 6], default = 4 }", 1)
                .replacen(EXHALE_LIMIT, "exhale = { allowed = [0.000001, 15], recommended = [0.000001, 8], default = 6 }", 1);
            std::fs::write(d.join("s.toml"), text).unwrap();
        })
        .expect(3, "limits.inhale: allowed range 0.000001–10 s goes beyond 0.5–60 s"),
        case("too many events", &["--script", "s.toml", "--plan", "--hold", "3600", "--sets", "5", "--breath", "0.5:0.5"], |d: &Path| {
            let text = EMBEDDED
                .replacen(HOLD_LIMIT, "hold = { allowed = [20, 3600], recommended = [60, 3600], default = 90 }", 1)
                .replacen("sets = { allowed = [1, 5], recommended = [1, 3], default = 2 }", "sets = { allowed = [1, 5], recommended = [1, 5], default = 2 }", 1)
                .replacen(INHALE_LIMIT, "inhale = { allowed = [0.5, 10], recommended = [0.5, 6], default = 4 }", 1)
                .replacen(EXHALE_LIMIT, "exhale = { allowed = [0.5, 15], recommended = [0.5, 8], default = 6 }", 1);
            std::fs::write(d.join("s.toml"), text).unwrap();
        })
        .expect(2, "more than 20000 events"),
        case("script over 1 MB", PLAN_S, |d: &Path| {
            let pad = format!("# {}\n", "x".repeat(1 << 20));
            std::fs::write(d.join("s.toml"), format!("{pad}{EMBEDDED}")).unwrap();
        })
        .expect(3, "s.toml:1:1: the script is larger than 1 MB ("),
        case("script not UTF-8", PLAN_S, |d: &Path| {
            let mut bytes = EMBEDDED.as_bytes().to_vec();
            bytes.splice(0..0, *b"# \xff\xfe\n");
            std::fs::write(d.join("s.toml"), bytes).unwrap();
        })
        .expect(3, "s.toml:1:3: not UTF-8 (a script is UTF-8 text)"),
        case("script missing", PLAN_S, none).expect(3, "s.toml:1:1: cannot read script: No such file"),
        case("script is a folder", PLAN_S, |d: &Path| std::fs::create_dir(d.join("s.toml")).unwrap())
            .expect(3, "s.toml:1:1: cannot read script: it is a folder"),
    ]);
}

// ---- packs ------------------------------------------------------------------------------------

/// A pack `audio/p` of short WAV bursts, then `change` applied to its folder.
fn pack_with(change: impl Fn(&Path) + 'static) -> impl Fn(&Path) {
    move |dir: &Path| {
        let folder = make_pack(dir, "p", 16_000, 1, 0.3, &[]);
        change(&folder);
    }
}

/// Replaces `welcome`'s clip entry in `pack.toml` with `path`.
fn welcome_is(folder: &Path, path: &str) {
    let toml = std::fs::read_to_string(folder.join("pack.toml")).unwrap();
    let toml = toml.replace(
        "\nwelcome = \"welcome.wav\"",
        &format!("\nwelcome = {path:?}"),
    );
    std::fs::write(folder.join("pack.toml"), toml).unwrap();
}

/// A 16 kHz mono WAV header whose data chunk claims `claimed` bytes, followed by `held` bytes.
fn wav_claiming(claimed: u32, held: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + claimed).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&32_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&claimed.to_le_bytes());
    b.extend((0..held).map(|i| ((i * 37) % 251) as u8));
    b
}

const PLAN_P: &[&str] = &["--pack", "p", "--strict", "--plan"];

#[test]
fn bad_packs() {
    run(vec![
        case("pack path missing", &["--pack", "./nowhere", "--plan"], none)
            .expect(4, "voice pack \"./nowhere\" not found (looked in ./nowhere/pack.toml)"),
        case("pack name missing", &["--pack", "nobody", "--plan"], none)
            .expect(4, "voice pack \"nobody\" not found"),
        case("pack.toml missing", &["--pack", "./audio/p", "--plan"], pack_with(|f: &Path| {
            std::fs::remove_file(f.join("pack.toml")).unwrap();
        }))
        .expect(4, "voice pack \"./audio/p\" not found (looked in ./audio/p/pack.toml)"),
        case("pack.toml malformed", PLAN_P, pack_with(|f: &Path| {
            std::fs::write(f.join("pack.toml"), "name = \"p\"\n[clips\n").unwrap();
        }))
        .expect(4, "audio/p/pack.toml:2:"),
        case("pack.toml missing a field", PLAN_P, pack_with(|f: &Path| {
            std::fs::write(f.join("pack.toml"), "name = \"p\"\n[clips]\n").unwrap();
        }))
        .expect(4, "audio/p/pack.toml:1:1: missing field `language`"),
        case("pack.toml not UTF-8", PLAN_P, pack_with(|f: &Path| {
            let mut toml = std::fs::read(f.join("pack.toml")).unwrap();
            toml.splice(0..0, *b"# \xff\n");
            std::fs::write(f.join("pack.toml"), toml).unwrap();
        }))
        .expect(4, "audio/p/pack.toml:1:3: not UTF-8"),
        case("unknown chime", PLAN_P, pack_with(|f: &Path| {
            let toml = std::fs::read_to_string(f.join("pack.toml")).unwrap();
            std::fs::write(f.join("pack.toml"), format!("{toml}[chimes]\ngong = \"welcome.wav\"\n")).unwrap();
        }))
        .expect(4, "unknown chime \"gong\" (chimes are start, step, inhale, exhale, hold, bell, hold-end, end, pause, resume)"),
        case("clip missing", PLAN_P, pack_with(|f: &Path| {
            std::fs::remove_file(f.join("welcome.wav")).unwrap();
        }))
        .expect(4, "voice pack \"p\" has no clip for cue \"welcome\" (expected ./audio/p/welcome.wav)"),
        case("cue missing", PLAN_P, pack_with(|f: &Path| {
            let toml = std::fs::read_to_string(f.join("pack.toml")).unwrap();
            std::fs::write(f.join("pack.toml"), toml.replace("\nwelcome = \"welcome.wav\"\n", "\n")).unwrap();
        }))
        .expect(4, "voice pack \"p\" has no clip for cue \"welcome\" (expected an entry welcome = \"welcome.wav\""),
        case("clip empty", PLAN_P, pack_with(|f: &Path| {
            std::fs::write(f.join("welcome.wav"), b"").unwrap();
        }))
        .expect(4, "audio/p/welcome.wav: cannot decode clip for cue \"welcome\""),
        case("clip truncated", PLAN_P, pack_with(|f: &Path| {
            let wav = std::fs::read(f.join("welcome.wav")).unwrap();
            std::fs::write(f.join("welcome.wav"), &wav[..30]).unwrap();
        }))
        .expect(4, "audio/p/welcome.wav: cannot decode clip for cue \"welcome\""),
        case("clip corrupt", PLAN_P, pack_with(|f: &Path| {
            let noise: Vec<u8> = (0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
            std::fs::write(f.join("welcome.wav"), noise).unwrap();
        }))
        .expect(4, "audio/p/welcome.wav: cannot decode clip for cue \"welcome\""),
        case("clip is text", PLAN_P, pack_with(|f: &Path| {
            std::fs::write(f.join("welcome.wav"), "Welcome, this is not audio.\n".repeat(50)).unwrap();
        }))
        .expect(4, "audio/p/welcome.wav: cannot decode clip for cue \"welcome\""),
        case("clip header claims more data", PLAN_P, pack_with(|f: &Path| {
            std::fs::write(f.join("welcome.wav"), wav_claiming(96_000, 9_600)).unwrap();
        }))
        .expect(4, "audio/p/welcome.wav: cannot decode clip for cue \"welcome\": the WAV header claims 96000 bytes of audio but the file holds 9600"),
        case("clip path absolute", PLAN_P, pack_with(|f: &Path| welcome_is(f, "/etc/passwd")))
            .expect(4, "voice pack \"p\": clip for cue \"welcome\" is \"/etc/passwd\", outside the pack folder (clip paths are relative, without ..)"),
        case("clip path with ..", PLAN_P, pack_with(|f: &Path| {
            std::fs::copy(f.join("welcome.wav"), f.join("../outside.wav")).unwrap();
            welcome_is(f, "../outside.wav");
        }))
        .expect(4, "voice pack \"p\": clip for cue \"welcome\" is \"../outside.wav\", outside the pack folder"),
        case("clip path hidden ..", PLAN_P, pack_with(|f: &Path| welcome_is(f, "sub/../../p/welcome.wav")))
            .expect(4, "clip for cue \"welcome\" is \"sub/../../p/welcome.wav\", outside the pack folder"),
        case("clip path drive letter", PLAN_P, pack_with(|f: &Path| welcome_is(f, "C:welcome.wav")))
            .expect(4, "clip for cue \"welcome\" is \"C:welcome.wav\", outside the pack folder"),
        case("clip path backslash", PLAN_P, pack_with(|f: &Path| welcome_is(f, "..\\outside.wav")))
            .expect(4, "clip for cue \"welcome\" is \"..\\\\outside.wav\", outside the pack folder"),
        case("clip symlink out", PLAN_P, pack_with(|f: &Path| {
            std::fs::copy(f.join("welcome.wav"), f.join("../outside.wav")).unwrap();
            std::fs::remove_file(f.join("welcome.wav")).unwrap();
            symlink("../outside.wav", f.join("welcome.wav")).unwrap();
        }))
        .expect(4, "voice pack \"p\": clip for cue \"welcome\" is \"welcome.wav\", a link to /"),
        case("chime path outside", PLAN_P, pack_with(|f: &Path| {
            let toml = std::fs::read_to_string(f.join("pack.toml")).unwrap();
            std::fs::write(f.join("pack.toml"), format!("{toml}[chimes]\nstart = \"/nonexistent-balasana-test/start.wav\"\n")).unwrap();
        }))
        .expect(4, "voice pack \"p\": chime \"start\" is \"/nonexistent-balasana-test/start.wav\", outside the pack folder (chime paths are relative, without ..)"),
        case("ambience path outside", &["--pack", "p", "--plan", "--ambience", "sea"], pack_with(|f: &Path| {
            let toml = std::fs::read_to_string(f.join("pack.toml")).unwrap();
            std::fs::write(f.join("pack.toml"), format!("{toml}[ambience]\nsea = \"../../sea.ogg\"\n")).unwrap();
        }))
        .expect(4, "voice pack \"p\": ambience \"sea\" is \"../../sea.ogg\", outside the pack folder"),
        case("packs check sees a path outside", &["packs", "check", "p"], pack_with(|f: &Path| welcome_is(f, "/etc/hostname")))
            .expect(4, "voice pack \"p\": clip for cue \"welcome\" is \"/etc/hostname\", outside the pack folder"),
        case("clip over 64 MB", PLAN_P, pack_with(|f: &Path| {
            let file = std::fs::File::create(f.join("welcome.wav")).unwrap();
            file.set_len(65 << 20).unwrap();
        }))
        .expect(4, "./audio/p/welcome.wav is 65.0 MB, over the 64 MB limit for a pack file"),
        case("clip over 10 minutes", PLAN_P, pack_with(|f: &Path| {
            write_wav(&f.join("welcome.wav"), 4_000, 1, &vec![0.1; 2_404_000]);
        }))
        .expect(4, "audio/p/welcome.wav: cannot decode clip for cue \"welcome\": longer than the 10-minute limit"),
        case("no such ambience", &["--pack", "p", "--plan", "--ambience", "rain"], pack_with(|_: &Path| {}))
            .expect(4, "voice pack \"p\" has no ambience \"rain\""),
        case("odd rate, mono", &["--pack", "p", "--strict", "--plan", "-q"], |d: &Path| {
            make_pack(d, "p", 11_025, 1, 0.3, &[]);
        })
        .expect(0, ""),
        case("odd rate, 3 channels", &["--pack", "p", "--strict", "--plan", "-q"], |d: &Path| {
            make_pack(d, "p", 7_350, 3, 0.3, &[]);
        })
        .expect(0, ""),
        case("high rate, 6 channels", &["--pack", "p", "--strict", "--plan", "-q"], |d: &Path| {
            make_pack(d, "p", 96_000, 6, 0.2, &[]);
        })
        .expect(0, ""),
    ]);
}

// ---- installing a shared pack -----------------------------------------------------------------

/// A pack `src/audio/p` to install (WAV bursts), with `change` applied to its folder.
fn shared_with(change: impl Fn(&Path) + 'static) -> impl Fn(&Path) {
    move |dir: &Path| {
        let folder = make_pack(&dir.join("src"), "p", 16_000, 1, 0.3, &[]);
        change(&folder);
    }
}

/// The pack `src/audio/p` as `p.zip` (in one folder `p/`) with `extra` entries after its files.
fn zip_with(extra: impl Fn() -> Vec<Entry> + 'static) -> impl Fn(&Path) {
    move |dir: &Path| {
        let folder = make_pack(&dir.join("src"), "p", 16_000, 1, 0.3, &[]);
        let mut entries = entries_of(&folder, "p/");
        entries.extend(extra());
        write_zip(&dir.join("p.zip"), &entries);
    }
}

/// The pack `src/audio/p` as `p.tar.gz` (its files at the top) with `extra` entries after them.
fn tar_with(extra: impl Fn() -> Vec<Entry> + 'static) -> impl Fn(&Path) {
    move |dir: &Path| {
        let folder = make_pack(&dir.join("src"), "p", 16_000, 1, 0.3, &[]);
        let mut entries = entries_of(&folder, "");
        entries.extend(extra());
        write_tar_gz(&dir.join("p.tar.gz"), &entries);
    }
}

/// A file entry of `bytes` at `name`.
fn file(name: &str, bytes: &[u8]) -> Vec<Entry> {
    vec![Entry::File(name.into(), bytes.to_vec())]
}

const INSTALL_FOLDER: &[&str] = &["packs", "install", "src/audio/p"];
const INSTALL_ZIP: &[&str] = &["packs", "install", "p.zip"];
const INSTALL_TAR: &[&str] = &["packs", "install", "p.tar.gz"];

#[test]
fn bad_installs() {
    run(vec![
        case("install: no such source", &["packs", "install", "nothing.zip"], none)
            .expect(4, "nothing.zip: cannot read it: No such file or directory"),
        case("install: not an archive", &["packs", "install", "p.zip"], |d: &Path| {
            std::fs::write(d.join("p.zip"), "not a zip at all").unwrap();
        })
        .expect(4, "p.zip: not a pack folder, a .zip or a .tar.gz"),
        case("install: corrupt zip", INSTALL_ZIP, |d: &Path| {
            std::fs::write(d.join("p.zip"), b"PK\x03\x04 and then nothing of a zip").unwrap();
        })
        .expect(4, "p.zip: cannot read it:"),
        case("install: no pack.toml", INSTALL_ZIP, |d: &Path| {
            write_zip(&d.join("p.zip"), &file("README.md", b"no pack here"));
        })
        .expect(4, "p.zip: no pack.toml at its top or in its one folder"),
        case("install: pack fails its check", INSTALL_FOLDER, shared_with(|f: &Path| {
            std::fs::remove_file(f.join("welcome.wav")).unwrap();
        }))
        .expect(4, "voice pack \"p\" cannot play the script: 1 problem"),
        case("install: clip over 10 minutes", INSTALL_FOLDER, shared_with(|f: &Path| {
            write_wav(&f.join("welcome.wav"), 4_000, 1, &vec![0.1; 2_404_000]);
        }))
        .expect(4, "voice pack \"p\" cannot play the script: 1 problem"),
        case("install: pack.toml malformed", INSTALL_ZIP, |d: &Path| {
            write_zip(&d.join("p.zip"), &file("p/pack.toml", b"name = \"p\"\n[clips\n"));
        })
        .expect(4, "p.zip/p/pack.toml:2:"),
        case("install: a name that cannot be a folder", INSTALL_FOLDER, shared_with(|f: &Path| {
            let toml = std::fs::read_to_string(f.join("pack.toml")).unwrap();
            std::fs::write(f.join("pack.toml"), toml.replace("name = \"p\"", "name = \"../p\"")).unwrap();
        }))
        .expect(4, "src/audio/p/pack.toml names the pack \"../p\": a pack's name uses only a-z, 0-9 and '-'"),
        case("install: a language without sessions", INSTALL_FOLDER, shared_with(|f: &Path| {
            let toml = std::fs::read_to_string(f.join("pack.toml")).unwrap();
            std::fs::write(f.join("pack.toml"), toml.replace("language = \"en-US\"", "language = \"xx-XX\"")).unwrap();
        }))
        .expect(4, "no session in \"xx-XX\" for a voice pack to speak (looked in"),
        case("install: zip entry with ..", INSTALL_ZIP, zip_with(|| file("../evil.wav", b"x")))
            .expect(4, "p.zip: \"../evil.wav\" is outside the pack (an absolute path, or one with ..)"),
        case("install: zip entry with hidden ..", INSTALL_ZIP, zip_with(|| file("p/sub/../../../evil.wav", b"x")))
            .expect(4, "p.zip: \"p/sub/../../../evil.wav\" is outside the pack"),
        case("install: zip entry absolute", INSTALL_ZIP, zip_with(|| file("/tmp/balasana-evil.wav", b"x")))
            .expect(4, "p.zip: \"/tmp/balasana-evil.wav\" is outside the pack"),
        case("install: tarball entry with ..", INSTALL_TAR, tar_with(|| file("../evil.wav", b"x")))
            .expect(4, "p.tar.gz: \"../evil.wav\" is outside the pack"),
        case("install: tarball entry absolute", INSTALL_TAR, tar_with(|| file("/tmp/balasana-evil.wav", b"x")))
            .expect(4, "p.tar.gz: \"/tmp/balasana-evil.wav\" is outside the pack"),
        case("install: symlink in a folder", INSTALL_FOLDER, shared_with(|f: &Path| {
            std::fs::remove_file(f.join("welcome.wav")).unwrap();
            symlink("why.wav", f.join("welcome.wav")).unwrap();
        }))
        .expect(4, "src/audio/p: \"welcome.wav\" is a link; a pack holds only files and folders"),
        case("install: symlink in a zip", INSTALL_ZIP, zip_with(|| vec![Entry::Link("p/extra.wav".into(), "/etc/passwd".into())]))
            .expect(4, "p.zip: \"p/extra.wav\" is a link"),
        case("install: symlink in a tarball", INSTALL_TAR, tar_with(|| vec![Entry::Link("extra.wav".into(), "../../x".into())]))
            .expect(4, "p.tar.gz: \"extra.wav\" is a link"),
        case("install: file over 64 MB in a zip", INSTALL_ZIP, zip_with(|| file("p/ambience-huge.wav", &vec![0; 65 << 20])))
            .expect(4, "p.zip: \"p/ambience-huge.wav\" is over the 64 MB limit for a pack file (65.0 MB or more)"),
        case("install: file over 64 MB in a folder", INSTALL_FOLDER, shared_with(|f: &Path| {
            let file = std::fs::File::create(f.join("extra.wav")).unwrap();
            file.set_len(65 << 20).unwrap();
        }))
        .expect(4, "src/audio/p: \"extra.wav\" is over the 64 MB limit for a pack file"),
        case("install: installed already", INSTALL_FOLDER, |d: &Path| {
            shared_with(|_: &Path| {})(d);
            make_pack(&d.join(".local/share/balasana-audio"), "p", 8_000, 1, 0.2, &[]);
        })
        .expect(2, "voice pack \"p\" is installed already ("),
    ]);
}

// ---- the command line -------------------------------------------------------------------------

#[test]
fn bad_options() {
    run(vec![
        case("hold under range", &["--hold", "10", "--plan"], none)
            .expect(2, "--hold 10 s is outside the allowed range 20–600 s"),
        case("hold not a number", &["--hold", "ninety", "--plan"], none)
            .expect(2, "invalid value 'ninety' for '--hold <SECS>'"),
        case("hold NaN", &["--hold", "NaN", "--plan"], none)
            .expect(2, "--hold NaN s is outside the allowed range 20–600 s"),
        case("hold infinite", &["--hold", "inf", "--plan"], none)
            .expect(2, "--hold inf s is outside the allowed range 20–600 s"),
        case("sets zero", &["--sets", "0", "--plan"], none)
            .expect(2, "--sets 0 is outside the allowed range 1–5"),
        case("sets negative", &["--sets=-1", "--plan"], none)
            .expect(2, "invalid value '-1' for '--sets <N>'"),
        case("rest over range", &["--rest", "1000", "--plan"], none)
            .expect(2, "--rest 1000 s is outside the allowed range 5–300 s"),
        case("breath malformed", &["--breath", "4;6", "--plan"], none)
            .expect(2, "\"4;6\" is not IN:OUT or IN:HOLD:OUT:HOLD seconds"),
        case("breath pattern unknown", &["--breath", "4", "--plan"], none).expect(
            2,
            "--breath 4: no such pattern (patterns: 4-7-8, box, slow;",
        ),
        case("breath not a number", &["--breath", "4:x", "--plan"], none)
            .expect(2, "\"x\" in \"4:x\" is not a positive number of seconds"),
        case(
            "breath sub-frame",
            &["--breath", "0.000001:0.000001", "--plan"],
            none,
        )
        .expect(
            2,
            "--breath inhale 0.000001 s is outside the allowed range 2–10 s",
        ),
        case("lead-in negative", &["--lead-in=-1", "--plan"], none)
            .expect(2, "--lead-in -1 s is outside the allowed range 0–120 s"),
        case(
            "lead-in under a frame",
            &["--lead-in", "0.000001", "--plan"],
            none,
        )
        .expect(
            2,
            "--lead-in 0.000001 s is under a frame: use 0 for none, or at least 0.01 s",
        ),
        case(
            "volume over 100%",
            &["--voice-volume", "200%", "--plan"],
            none,
        )
        .expect(2, "\"200%\" is outside 0% to 100%"),
        case(
            "volume malformed",
            &["--chime-volume", "loud", "--plan"],
            none,
        )
        .expect(2, "\"loud\" is not a level"),
        case("plan and render", &["--plan", "--render", "x.wav"], none).expect(
            2,
            "the argument '--plan' cannot be used with '--render <FILE>'",
        ),
        case("json without plan", &["--json"], none)
            .expect(2, "the following required arguments were not provided"),
        case(
            "ambience volume alone",
            &["--ambience-volume", "50%", "--plan"],
            none,
        )
        .expect(2, "the following required arguments were not provided"),
        case("unknown option", &["--colour", "red"], none)
            .expect(2, "unexpected argument '--colour' found"),
    ]);
}

// ---- rendering (paths that are not files are another table's) ---------------------------------

const SHORT: &[&str] = &["--sets", "1", "--hold", "60", "--lead-in", "0", "-q"];

fn render_to(target: &str) -> Vec<String> {
    SHORT
        .iter()
        .map(|s| (*s).to_owned())
        .chain(["--render".to_owned(), target.to_owned()])
        .collect()
}

/// Runs `mount` with `args`; whether it worked.
fn mount(args: &[&str]) -> bool {
    Process::new("mount")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg(&self.0).status();
    }
}

#[test]
fn bad_render_targets() {
    let rows = |target: &'static str, files: fn(&Path), code, message| {
        let mut c = case("", &[], files).expect(code, message);
        c.args = render_to(target);
        c
    };
    let mut cases = vec![
        rows(
            "no/such/dir/out.wav",
            none,
            6,
            "cannot write no/such/dir/out.wav: No such file or directory",
        ),
        rows(
            "out.wav",
            |d| std::fs::create_dir(d.join("out.wav")).unwrap(),
            6,
            "cannot write out.wav:",
        ),
    ];
    cases[0].name = "missing directory";
    cases[1].name = "directory as target";
    run(cases);
}

/// A read-only folder (a read-only tmpfs: as root, permission bits stop nothing) and a full disk
/// (a 64 KiB tmpfs): one line, exit 6, nothing left behind, the old file untouched.
#[test]
fn render_to_read_only_and_full_filesystems() {
    let probe = tempfile::tempdir().unwrap();
    let mounted = mount(&[
        "-t",
        "tmpfs",
        "-o",
        "size=64k",
        "none",
        probe.path().to_str().unwrap(),
    ]);
    let rights = mounted
        .then_some(())
        .ok_or_else(|| "cannot mount a tmpfs here (needs root and mount rights)".to_owned());
    if !needs("tmpfs mounts", rights) {
        return;
    }
    drop(Mounted(probe.path().to_path_buf()));
    for (name, options, message) in [
        ("read-only", "ro,size=64k", "Read-only file system"),
        ("full", "size=64k", "No space left on device"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let fs = dir.path().join("fs");
        std::fs::create_dir(&fs).unwrap();
        assert!(mount(&[
            "-t",
            "tmpfs",
            "-o",
            "size=64k",
            "none",
            fs.to_str().unwrap()
        ]));
        let mounted = Mounted(fs.clone());
        std::fs::write(fs.join("old.wav"), b"an older render").unwrap();
        std::fs::set_permissions(fs.join("old.wav"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
        if options.starts_with("ro") {
            assert!(mount(&["-o", "remount,ro", fs.to_str().unwrap()]));
        }
        let before = snapshot(dir.path());
        let out = bin(dir.path())
            .args(render_to("fs/old.wav"))
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains("cannot write fs/old.wav"),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert_eq!(snapshot(dir.path()), before, "{name}: files changed");
        drop(mounted);
    }
}
