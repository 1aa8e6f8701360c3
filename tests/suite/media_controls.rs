//! The media controls (MPRIS on the session bus) from outside: a private `dbus-daemon` per test,
//! `playerctl` as the client, and the live session on the virtual sound card, recorded and
//! measured as the live-playback tests do (and one at a time with them). The player's standard
//! input is not a terminal here: the media controls are its only controls.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::live_playback::{
    Recorder, fade_out_ms, intervals_off_plan, levels, longest_gap, player, short_session,
    sound_card,
};

/// The player's name, as `playerctl -p` takes it.
const NAME: &str = "balasana_audio";

/// A session bus of the test's own: `dbus-daemon` on a socket in a temp dir, killed (it alone)
/// when dropped.
struct PrivateBus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    /// Starts the daemon; the address it prints once it listens is the sign it is ready.
    fn start() -> PrivateBus {
        let dir = tempfile::tempdir().unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!(
                "--address=unix:path={}",
                dir.path().join("bus").display()
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        PrivateBus {
            daemon,
            address: address.trim().to_owned(),
            _dir: dir,
        }
    }

    /// Points `command` at this bus.
    fn serve<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
    }

    /// `playerctl -p balasana_audio ARGS` on this bus: what it printed, or `None` if it failed.
    fn playerctl(&self, args: &[&str]) -> Option<String> {
        let out = self
            .serve(&mut Command::new("playerctl"))
            .args(["-p", NAME])
            .args(args)
            .output()
            .unwrap();
        eprintln!(
            "playerctl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(if out.status.success() {
                &out.stdout
            } else {
                &out.stderr
            })
            .trim()
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// `playerctl ARGS` that must succeed.
    fn ask(&self, args: &[&str]) -> String {
        self.playerctl(args)
            .unwrap_or_else(|| panic!("playerctl {args:?} failed"))
    }

    /// Waits (up to 5 s) until the player is on the bus; its status then.
    fn wait_for_player(&self) -> String {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = self.playerctl(&["status"]) {
                return status;
            }
            assert!(Instant::now() < until, "the player never came onto the bus");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Whether the tools these tests need are here (a skip, or under CI a failure, if not).
fn tools() -> bool {
    require("dbus-daemon") && require("playerctl") && require("parec")
}

/// The player of `args` in `dir` on `bus`, with no terminal on its standard input.
fn spawn_on_bus(bus: &PrivateBus, dir: &Path, args: &[impl AsRef<std::ffi::OsStr>]) -> Child {
    bus.serve(&mut player(dir, args))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Sleeps until `seconds` after `start`.
fn sleep_until(start: Instant, seconds: f64) {
    let at = start + Duration::from_secs_f64(seconds);
    std::thread::sleep(at.saturating_duration_since(Instant::now()));
}

/// The title the script gives the step `id` (the short test script's).
fn step_title(id: &str) -> String {
    let (script, _) = short_script();
    script
        .steps
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.title.clone())
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The planned events: their start (seconds) and step id.
fn events(plan: &serde_json::Value) -> Vec<(f64, String)> {
    plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["start"].as_f64().unwrap(),
                e["step"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn play_pause_pauses_and_resumes_in_place_and_the_status_and_title_follow() {
    if !tools() {
        return;
    }
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, plan, planned) = short_session(dir.path());
    let (gap_start, gap_end) = longest_gap(&plan);
    assert!(gap_end - gap_start > 3.0, "no quiet stretch to pause in");
    let playing_step = events(&plan)
        .into_iter()
        .rfind(|(start, _)| *start < gap_start)
        .unwrap()
        .1;

    let bus = PrivateBus::start();
    let rec = Recorder::start();
    let mut child = spawn_on_bus(&bus, dir.path(), &args);
    let started = Instant::now();
    assert_eq!(bus.wait_for_player(), "Playing");
    sleep_until(started, (gap_start + gap_end) / 2.0 - 1.0);
    let title = bus.ask(&["metadata", "xesam:title"]);
    bus.ask(&["play-pause"]);
    std::thread::sleep(Duration::from_millis(500));
    let paused = bus.ask(&["status"]);
    std::thread::sleep(Duration::from_millis(2500));
    bus.ask(&["play-pause"]);
    std::thread::sleep(Duration::from_millis(300));
    let resumed = bus.ask(&["status"]);
    let status = child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert!(status.success(), "{status:?}");

    assert!(
        title.starts_with(&step_title(&playing_step)),
        "title {title:?} in step {playing_step}"
    );
    assert_eq!(paused, "Paused");
    assert_eq!(resumed, "Playing");
    // Every event sounds; every interval is the plan's but the one that holds the pause.
    let found = onsets(&recorded, 3000, 2400);
    assert_eq!(found.len(), planned.len(), "onsets vs plan");
    let (stretched, worst) = intervals_off_plan(&found, &planned);
    eprintln!(
        "play-pause: stretched {stretched:?}, others within {:.3} ms",
        worst * 1e3
    );
    assert_eq!(stretched.len(), 1, "{stretched:?}");
    assert!((2.5..=3.6).contains(&stretched[0].1), "{stretched:?}");
    assert!(worst <= 0.002, "max onset error {:.3} ms", worst * 1e3);
}

#[test]
fn next_starts_the_next_step_and_the_title_follows() {
    if !tools() {
        return;
    }
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, plan, planned) = short_session(dir.path());
    let (gap_start, gap_end) = longest_gap(&plan);
    let jump_at = (gap_start + gap_end) / 2.0;
    // The step playing at the jump, and the next one's first event: what lies between is skipped.
    let events = events(&plan);
    let last_before = events.iter().rposition(|(s, _)| *s < jump_at).unwrap();
    let here = events[last_before].1.clone();
    let next_first = last_before
        + 1
        + events[last_before + 1..]
            .iter()
            .position(|(_, step)| *step != here)
            .unwrap();
    let next = events[next_first].1.clone();

    let bus = PrivateBus::start();
    let rec = Recorder::start();
    let mut child = spawn_on_bus(&bus, dir.path(), &args);
    let started = Instant::now();
    bus.wait_for_player();
    sleep_until(started, jump_at);
    let before = bus.ask(&["metadata", "xesam:title"]);
    bus.ask(&["next"]);
    std::thread::sleep(Duration::from_millis(1000));
    let after = bus.ask(&["metadata", "xesam:title"]);
    let status = child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert!(status.success(), "{status:?}");

    assert!(
        before.starts_with(&step_title(&here)),
        "{before:?} in {here}"
    );
    assert!(after.starts_with(&step_title(&next)), "{after:?} in {next}");
    // The events of this step after the jump are skipped; the rest keep the plan's spacing, but
    // for the one interval across the jump, which is shorter.
    let kept: Vec<f64> = planned[..=last_before]
        .iter()
        .chain(&planned[next_first..])
        .copied()
        .collect();
    let found = onsets(&recorded, 3000, 2400);
    assert_eq!(
        found.len(),
        kept.len(),
        "onsets vs the plan less the skipped"
    );
    let (off, worst) = intervals_off_plan(&found, &kept);
    eprintln!("next: off {off:?}, others within {:.3} ms", worst * 1e3);
    assert_eq!(off.len(), 1, "{off:?}");
    assert_eq!(off[0].0, last_before + 1);
    assert!(off[0].1 < -1.0, "{off:?}");
    assert!(worst <= 0.002, "max onset error {:.3} ms", worst * 1e3);
}

#[test]
fn volume_half_is_six_db_down_and_stop_fades_out_with_exit_0() {
    if !tools() {
        return;
    }
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Long, steady clips: the volume changes, and the stop lands, inside one of them.
    make_pack(dir.path(), "tones", 48_000, 1, 6.0, &[]);
    let args = ["--pack", "tones", "--sets", "1", "--no-chimes"];
    let plan = plan_json(dir.path(), &args);
    let clip = events(&plan)
        .first()
        .map(|(start, _)| *start)
        .expect("an event");

    let bus = PrivateBus::start();
    let rec = Recorder::start();
    let mut child = spawn_on_bus(&bus, dir.path(), &args);
    let started = Instant::now();
    bus.wait_for_player();
    sleep_until(started, clip + 2.0);
    bus.ask(&["volume", "0.5"]);
    std::thread::sleep(Duration::from_millis(300));
    let volume: f64 = bus.ask(&["volume"]).parse().unwrap();
    sleep_until(started, clip + 4.0);
    let sent = Instant::now();
    bus.ask(&["stop"]);
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert_eq!(status.code(), Some(0));
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
    assert!((volume - 0.5).abs() < 1e-3, "volume reads back {volume}");

    // The change: the first window at 30–70 % of the level 100 ms before it, steady after it.
    let rms = levels(&recorded);
    let loud = rms.iter().copied().fold(0.0, f64::max);
    let steady = |w: &[f64]| {
        let (lo, hi) = w
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        hi / lo < 1.05
    };
    let median = |w: &[f64]| {
        let mut w = w.to_vec();
        w.sort_by(f64::total_cmp);
        w[w.len() / 2]
    };
    let drop = (40..rms.len() - 40)
        .find(|&i| {
            let was = rms[i - 10];
            was > loud * 0.2
                && (0.3 * was..0.7 * was).contains(&rms[i])
                && steady(&rms[i + 10..i + 40])
        })
        .expect("no drop in level");
    let (before, after) = (&rms[drop - 35..drop - 5], &rms[drop + 10..drop + 40]);
    assert!(steady(before), "level not steady before the change");
    let db = 20.0 * (median(after) / median(before)).log10();
    // The stop: from 90 % of that level to 2 % of it.
    let fade_ms = fade_out_ms(&rms, median(after));
    eprintln!("volume 0.5: {db:.2} dB; stop: fade over {fade_ms} ms, exit after {took:?}");
    assert!(
        (db + 6.0).abs() <= 0.3,
        "volume 0.5 changed the level by {db:.2} dB"
    );
    assert!((200..=700).contains(&fade_ms), "fade took {fade_ms} ms");
}

/// Plays the short session to its end with `bus_env` set on the player, no terminal on its
/// standard input: it ends when the plan does, every event in place, nothing printed on stderr.
fn plays_alone(what: &str, bus_env: impl FnOnce(&mut Command, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    let (args, plan, planned) = short_session(dir.path());
    let length = plan["duration"].as_f64().unwrap();
    let rec = Recorder::start();
    let started = Instant::now();
    let mut command = player(dir.path(), &args);
    bus_env(&mut command, dir.path());
    let out = command.stdin(Stdio::null()).output().unwrap();
    let wall = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert!(out.status.success(), "{what}: {:?}", out.status);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{what}: printed {stderr:?}");
    let found = onsets(&recorded, 3000, 2400);
    assert_eq!(found.len(), planned.len(), "{what}: onsets vs plan");
    let (off, worst) = intervals_off_plan(&found, &planned);
    eprintln!(
        "{what}: {length:.2} s session in {wall:.2} s, onsets within {:.3} ms",
        worst * 1e3
    );
    assert!(off.is_empty() && worst <= 0.002, "{what}: {off:?} {worst}");
    assert!(
        wall >= length && wall < length + 1.5,
        "{what}: ran {wall:.2} s for {length:.2} s"
    );
}

#[test]
fn without_a_bus_or_with_one_that_never_answers_a_session_plays_to_its_end_unchanged() {
    if !require("parec") {
        return;
    }
    let Some(_sink) = sound_card() else { return };
    // No session bus at all: no address, and no bus socket in the runtime folder.
    plays_alone("no bus", |command, dir| {
        let runtime = dir.join("runtime");
        std::fs::create_dir(&runtime).unwrap();
        command
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_RUNTIME_DIR", runtime);
    });
    // A socket that takes the connection and never says a word.
    let silent = tempfile::tempdir().unwrap();
    let socket = silent.path().join("bus");
    let _listener = UnixListener::bind(&socket).unwrap();
    plays_alone("a bus that never answers", |command, _| {
        command.env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", socket.display()),
        );
    });
}

#[test]
fn the_config_key_turns_the_media_controls_off() {
    if !tools() {
        return;
    }
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, _, _) = short_session(dir.path());
    let config = dir.path().join(".config/balasana-audio");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "no-media-controls = true\n").unwrap();

    let bus = PrivateBus::start();
    let mut child = spawn_on_bus(&bus, dir.path(), &args);
    // Time enough for the player to come onto the bus, as it does in the other tests.
    std::thread::sleep(Duration::from_secs(3));
    let listed = bus
        .serve(&mut Command::new("playerctl"))
        .arg("--list-all")
        .output()
        .unwrap();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.trim().is_empty(), "players on the bus: {listed}");
}

/// How many times the thread named `name` of process `pid` has gone to sleep and been woken
/// (its voluntary context switches).
fn wakes(pid: u32, name: &str) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    let task = tasks
        .map(|t| t.unwrap().path())
        .find(|t| std::fs::read_to_string(t.join("comm")).is_ok_and(|c| c.trim() == name))
        .unwrap_or_else(|| panic!("no thread {name} in {pid}"));
    let status = std::fs::read_to_string(task.join("status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

/// `gdbus ARGS` on `bus`: its output, or its error output when it fails.
fn gdbus(bus: &PrivateBus, args: &[&str]) -> Result<String, String> {
    let out = bus
        .serve(&mut Command::new("gdbus"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(text(&out.stderr))
    }
}

#[test]
fn a_second_session_takes_its_own_name_both_answer_and_an_idle_player_sleeps() {
    if !tools() || !require("gdbus") {
        return;
    }
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, plan, _) = short_session(dir.path());
    let (gap_start, gap_end) = longest_gap(&plan);
    assert!(gap_end - gap_start > 2.5, "no quiet stretch to watch");

    let bus = PrivateBus::start();
    let mut first = spawn_on_bus(&bus, dir.path(), &args);
    let started = Instant::now();
    bus.wait_for_player();
    let mut second = spawn_on_bus(&bus, dir.path(), &args);
    let instance = format!("{NAME}.instance{}", second.id());
    let until = Instant::now() + Duration::from_secs(5);
    let listed = loop {
        let listed = bus.ask(&["--list-all"]);
        if listed.lines().count() == 2 || Instant::now() > until {
            break listed;
        }
        std::thread::sleep(Duration::from_millis(100));
    };

    // Playing inside a step, nothing to announce: the first player's media thread sleeps.
    sleep_until(started, gap_start + 0.5);
    let before = wakes(first.id(), "media-controls");
    sleep_until(started, gap_start + 2.5);
    let playing_wakes = wakes(first.id(), "media-controls") - before;
    // Paused: the same.
    bus.ask(&["pause"]);
    std::thread::sleep(Duration::from_millis(500));
    let before = wakes(first.id(), "media-controls");
    std::thread::sleep(Duration::from_secs(2));
    let paused_wakes = wakes(first.id(), "media-controls") - before;

    // What a desktop shell does: introspect the object, ping it, read a property; a property
    // it does not have is an error that says so.
    let dest = format!("org.mpris.MediaPlayer2.{instance}");
    let on_instance = |what: &[&str]| {
        let mut all = vec![
            "--session",
            "--dest",
            dest.as_str(),
            "--object-path",
            "/org/mpris/MediaPlayer2",
        ];
        all.splice(0..0, what.iter().copied());
        gdbus(&bus, &all)
    };
    let introspected = on_instance(&["introspect"]).unwrap();
    let pinged = on_instance(&["call", "--method", "org.freedesktop.DBus.Peer.Ping"]);
    let identity = on_instance(&[
        "call",
        "--method",
        "org.freedesktop.DBus.Properties.Get",
        "org.mpris.MediaPlayer2",
        "Identity",
    ]);
    let missing = on_instance(&[
        "call",
        "--method",
        "org.freedesktop.DBus.Properties.Get",
        "org.mpris.MediaPlayer2.Player",
        "Lyrics",
    ]);
    let statuses = (
        bus.ask(&["status"]),
        bus.serve(&mut Command::new("playerctl"))
            .args(["-p", &instance, "status"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap(),
    );
    bus.ask(&["stop"]);
    let stopped = bus
        .serve(&mut Command::new("playerctl"))
        .args(["-p", &instance, "stop"])
        .status()
        .unwrap();
    let (first_status, second_status) = (first.wait().unwrap(), second.wait().unwrap());

    let mut names: Vec<&str> = listed.lines().collect();
    names.sort_unstable();
    assert_eq!(names, [NAME, instance.as_str()], "{listed}");
    eprintln!("media thread wakes over 2 s: {playing_wakes} playing, {paused_wakes} paused");
    assert!(playing_wakes <= 1, "{playing_wakes} wakes while playing");
    assert!(paused_wakes <= 1, "{paused_wakes} wakes while paused");
    for part in [
        "interface org.mpris.MediaPlayer2.Player {",
        "PlayPause();",
        "SetPosition(in  o TrackId,",
        "Seeked(x Position);",
        "readwrite d Volume",
        "readonly a{sv} Metadata",
    ] {
        assert!(introspected.contains(part), "{part:?} in\n{introspected}");
    }
    assert_eq!(pinged, Ok("()".into()));
    assert_eq!(identity, Ok("(<'balasana-audio'>,)".into()));
    let missing = missing.unwrap_err();
    assert!(
        missing.contains("org.freedesktop.DBus.Error.UnknownProperty"),
        "{missing}"
    );
    assert_eq!(statuses, ("Paused".into(), "Playing".into()));
    assert!(stopped.success());
    assert!(first_status.success() && second_status.success());
}
