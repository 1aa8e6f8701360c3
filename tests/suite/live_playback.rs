//! Live playback through a real (virtual) sound card: what the device plays is recorded from the
//! sink's monitor and measured.
//!
//! Needs a PulseAudio server with a `harness` null sink and `parec` (see
//! `scripts/virtual-sound-card.sh`, which the test script and CI run first). Without it the tests
//! skip with a printed reason; under CI (`CI` set) a missing sound card is a failure instead.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const RATE: usize = 48_000;

/// The tests share one sink: one at a time.
static SINK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The sound card held by one test.
pub(crate) type SoundCard = std::sync::MutexGuard<'static, ()>;

/// The sound card, for one test at a time; `None` (the test skips) when there is none.
pub(crate) fn sound_card() -> Option<SoundCard> {
    let guard = SINK.lock().unwrap_or_else(|p| p.into_inner());
    let card = sound_card_state()
        .map_err(|why| format!("{why} (run: eval \"$(scripts/virtual-sound-card.sh)\")"));
    needs("the virtual sound card", card).then_some(guard)
}

/// Whether the virtual sound card is there; otherwise why not.
fn sound_card_state() -> Result<(), String> {
    let ok = Command::new("pactl")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("pactl not runnable ({e})"))?
        .success();
    if !ok {
        return Err("no PulseAudio server reachable".into());
    }
    let sinks = Command::new("pactl")
        .args(["list", "short", "sinks"])
        .output()
        .map_err(|e| e.to_string())?;
    if !String::from_utf8_lossy(&sinks.stdout).contains("harness") {
        return Err("no 'harness' null sink".into());
    }
    Ok(())
}

/// Records the sink's monitor, mono 16-bit at 48 kHz, until stopped. A thread drains `parec`'s
/// pipe as it records: a pipe holds 64 KiB (0.68 s of audio), and a full one would stall
/// `parec` and let the server drop what it could not hand over.
pub(crate) struct Recorder {
    child: Child,
    drained: std::thread::JoinHandle<Vec<u8>>,
}

impl Recorder {
    pub(crate) fn start() -> Recorder {
        let mut child = Command::new("parec")
            .args([
                "-d",
                "harness.monitor",
                "--rate",
                "48000",
                "--channels",
                "1",
            ])
            .args(["--format", "s16le", "--latency-msec", "10", "--raw"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("parec");
        let mut pipe = child.stdout.take().unwrap();
        let drained = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        });
        // Let the recording settle before anything plays.
        std::thread::sleep(Duration::from_millis(500));
        Recorder { child, drained }
    }

    pub(crate) fn stop(mut self) -> Vec<i16> {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
        let bytes = self.drained.join().unwrap();
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }
}

/// The player in `dir`, its config and data folders (the practice log) inside `dir` too. Its
/// session bus is a socket nobody listens on, so its media controls never reach the machine's.
pub(crate) fn player(dir: &Path, args: &[impl AsRef<std::ffi::OsStr>]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_balasana-audio"));
    c.current_dir(dir)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.join("no-bus").display()),
        )
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("XDG_DATA_HOME", dir.join(".local/share"))
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// The short test script with a pack of 0.25 s bursts in `dir`, voice only: the arguments that
/// play it, its plan, and the planned start of every event in seconds.
pub(crate) fn short_session(dir: &Path) -> (Vec<String>, serde_json::Value, Vec<f64>) {
    let (short, script) = short_script();
    make_pack_for(&short, dir, "bursts", 48_000, 1, 0.25, &[]);
    let args: Vec<String> = ["--script", script.to_str().unwrap(), "--pack", "bursts"]
        .into_iter()
        .chain(["--hold", "20", "--no-chimes"])
        .map(str::to_owned)
        .collect();
    let plan = plan_json(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let planned = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["start"].as_f64().unwrap())
        .collect();
    (args, plan, planned)
}

#[test]
fn played_onsets_match_the_plan_within_two_ms() {
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, plan, planned) = short_session(dir.path());
    let length = plan["duration"].as_f64().unwrap();

    let rec = Recorder::start();
    let started = Instant::now();
    let out = player(dir.path(), &args).output().unwrap();
    let wall = started.elapsed().as_secs_f64();
    // Give the recorder time to catch up with what was played (it lags under load).
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let found = onsets(&recorded, 3000, 2400);
    assert_eq!(
        found.len(),
        planned.len(),
        "onsets found {} vs planned {}",
        found.len(),
        planned.len()
    );
    let first = found[0] as f64 / RATE as f64;
    let mut worst = 0.0f64;
    for (f, p) in found.iter().zip(&planned) {
        let err = (*f as f64 / RATE as f64 - first) - (p - planned[0]);
        worst = worst.max(err.abs());
    }
    eprintln!(
        "live playback: {} onsets, max error {:.3} ms, wall {wall:.2} s for {length:.2} s",
        found.len(),
        worst * 1e3
    );
    assert!(worst <= 0.002, "max onset error {:.3} ms", worst * 1e3);
    // The player ends when the plan does (plus device drain and process start-up).
    assert!(
        wall >= length && wall < length + 1.5,
        "ran {wall:.2} s for a {length:.2} s plan"
    );
    // No gap or underrun: between onsets, each burst is continuous sound of its full length.
    let burst = (0.25 * RATE as f64) as usize;
    for &f in &found {
        let quiet_runs = recorded[f..f + burst - 300]
            .windows(48)
            .filter(|w| w.iter().all(|s| s.unsigned_abs() < 60))
            .count();
        assert_eq!(quiet_runs, 0, "dropout inside the burst at {f}");
    }
    // The session is in the practice log: one line, completed, played about as long as planned.
    let log = std::fs::read_to_string(dir.path().join(".local/share/balasana-audio/log.jsonl"))
        .expect("a practice log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 1, "{log}");
    let entry: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(entry["completed"], true);
    assert_eq!(entry["title"], "Short test session");
    assert!((entry["planned_seconds"].as_f64().unwrap() - length).abs() < 0.01);
    let played = entry["played_seconds"].as_f64().unwrap();
    assert!((played - length).abs() < 1.5, "played {played} of {length}");
    assert_eq!(entry["options"]["hold"], 20.0);
}

#[test]
fn ctrl_c_fades_out_and_exits_130() {
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Long, steady clips: whenever the signal lands, a clip is sounding.
    make_pack(dir.path(), "tones", 48_000, 1, 6.0, &[]);
    let rec = Recorder::start();
    let mut child = player(
        dir.path(),
        &["--pack", "tones", "--no-chimes", "--sets", "1"],
    )
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    let sent = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    // Give the recorder time to catch up with what was played (it lags under load).
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert_eq!(status.code(), Some(130));
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");

    // RMS in 10 ms windows: the end of the sound is a ramp, not a cut.
    let rms = levels(&recorded);
    let loud = rms.iter().cloned().fold(0.0, f64::max);
    let fade_ms = fade_out_ms(&rms, loud);
    eprintln!("ctrl-c: fade from 90% to 2% over {fade_ms} ms, exit after {took:?}");
    assert!((200..=700).contains(&fade_ms), "fade took {fade_ms} ms");
}

/// How long the end of the sound took to fall from 90 % of `level` to 2 % of it, in ms, given
/// the recording's 10 ms `rms` levels; a panic showing the levels if it never fell silent.
pub(crate) fn fade_out_ms(rms: &[f64], level: f64) -> usize {
    let last_loud = rms.iter().rposition(|&r| r > level * 0.9).unwrap();
    let Some(quiet) = rms[last_loud..].iter().position(|&r| r < level * 0.02) else {
        let tail: Vec<u32> = rms[last_loud.saturating_sub(5)..]
            .iter()
            .map(|r| (r * 100.0 / level) as u32)
            .collect();
        panic!("no silence after the fade; level (% of it) from the last loud window on: {tail:?}");
    };
    quiet * 10
}

/// RMS levels of a recording in 10 ms windows.
pub(crate) fn levels(recorded: &[i16]) -> Vec<f64> {
    recorded
        .chunks(RATE / 100)
        .map(|w| (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64).sqrt())
        .collect()
}

/// A new pseudo-terminal of 120 × 40: its master side (to type into and read the screen from)
/// and its other end (for a child's standard streams).
pub(crate) fn pty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two descriptors, which are owned right after.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty");
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Runs the player with its stdin on a new pseudo-terminal, so it reads keys as from a person;
/// returns the child and the terminal's master side to type into.
fn spawn_on_pty(mut command: Command) -> (Child, std::fs::File) {
    let (master, slave) = pty();
    let child = command.stdin(Stdio::from(slave)).spawn().unwrap();
    (child, master)
}

fn type_keys(tty: &mut std::fs::File, keys: &[u8]) {
    use std::io::Write;
    tty.write_all(keys).unwrap();
    tty.flush().unwrap();
}

/// The longest silence in the plan (between two voice events), as (start, end) in seconds.
pub(crate) fn longest_gap(plan: &serde_json::Value) -> (f64, f64) {
    let events = plan["events"].as_array().unwrap();
    events
        .windows(2)
        .map(|w| {
            let end = w[0]["start"].as_f64().unwrap() + w[0]["duration"].as_f64().unwrap();
            (end, w[1]["start"].as_f64().unwrap())
        })
        .max_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)))
        .unwrap()
}

/// Compares the intervals between recorded onsets (`found`, in frames) with the plan's (`planned`,
/// in seconds), pair by pair: those off by more than half a second (index of the later onset,
/// how much longer), and the largest error of all the others, in seconds.
pub(crate) fn intervals_off_plan(found: &[usize], planned: &[f64]) -> (Vec<(usize, f64)>, f64) {
    let secs: Vec<f64> = found.iter().map(|&f| f as f64 / RATE as f64).collect();
    let mut off = Vec::new();
    let mut worst = 0.0f64;
    for i in 1..secs.len().min(planned.len()) {
        let err = (secs[i] - secs[i - 1]) - (planned[i] - planned[i - 1]);
        if err.abs() > 0.5 {
            off.push((i, err));
        } else {
            worst = worst.max(err.abs());
        }
    }
    (off, worst)
}

#[test]
fn space_pauses_and_resumes_exactly_where_it_paused() {
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, plan, planned) = short_session(dir.path());
    let (gap_start, gap_end) = longest_gap(&plan);
    assert!(
        gap_end - gap_start > 3.0,
        "no quiet stretch to pause in: {gap_start}..{gap_end}"
    );

    let rec = Recorder::start();
    let (mut child, mut tty) = spawn_on_pty({
        let mut c = player(dir.path(), &args);
        c.stderr(Stdio::null());
        c
    });
    let started = Instant::now();
    let pause_at = (gap_start + gap_end) / 2.0 - 1.0;
    std::thread::sleep(Duration::from_secs_f64(pause_at));
    type_keys(&mut tty, b" ");
    std::thread::sleep(Duration::from_secs(3));
    type_keys(&mut tty, b" ");
    let status = child.wait().unwrap();
    let wall = started.elapsed().as_secs_f64();
    // Give the recorder time to catch up with what was played (it lags under load).
    std::thread::sleep(Duration::from_secs(1));
    let recorded = rec.stop();
    assert!(status.success(), "{status:?}");

    // Pause and resume tones are chime-quiet; the bursts are far louder.
    let found = onsets(&recorded, 3000, 2400);
    assert_eq!(
        found.len(),
        planned.len(),
        "onsets {} vs plan {}",
        found.len(),
        planned.len()
    );
    // Every interval is the plan's, but the one that holds the pause, which is longer by it.
    let (stretched, worst) = intervals_off_plan(&found, &planned);
    eprintln!(
        "pause: stretched intervals {stretched:?}, other intervals within {:.3} ms, wall {wall:.2} s",
        worst * 1e3
    );
    assert_eq!(stretched.len(), 1, "{stretched:?}");
    let pause = stretched[0].1;
    assert!((2.5..=3.6).contains(&pause), "paused for {pause:.3} s");
    assert!(
        worst <= 0.002,
        "max onset error outside the pause {:.3} ms",
        worst * 1e3
    );
    // The log counts what was heard: the 3 s pause is not in the played seconds.
    let log = std::fs::read_to_string(dir.path().join(".local/share/balasana-audio/log.jsonl"))
        .expect("a practice log");
    let entry: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
    let length = plan["duration"].as_f64().unwrap();
    let played = entry["played_seconds"].as_f64().unwrap();
    assert!(
        (played - length).abs() < 1.0 && wall > played + 2.5,
        "played {played} s of {length} s in {wall:.1} s"
    );
}

#[test]
fn no_log_and_short_sessions_leave_the_log_alone() {
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (args, _, _) = short_session(dir.path());
    let log = dir.path().join(".local/share/balasana-audio/log.jsonl");
    // 12 s with --no-log, then 4 s without it (under the 10 s that count): neither is logged.
    for (extra, secs) in [(Some("--no-log"), 12.0), (None, 4.0)] {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(extra);
        let (mut child, mut tty) = spawn_on_pty(player(dir.path(), &all));
        std::thread::sleep(Duration::from_secs_f64(secs));
        type_keys(&mut tty, b"q");
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        assert!(!log.exists(), "{extra:?} after {secs} s wrote a log entry");
    }
}

#[test]
fn keys_quit_and_ctrl_c_in_raw_mode() {
    let Some(_sink) = sound_card() else { return };
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "tones", 48_000, 1, 2.0, &[]);
    for (key, code) in [(b'q', 0), (3u8, 130)] {
        let (mut child, mut tty) =
            spawn_on_pty(player(dir.path(), &["--pack", "tones", "--sets", "1"]));
        std::thread::sleep(Duration::from_millis(2500));
        let sent = Instant::now();
        type_keys(&mut tty, &[key]);
        let status = child.wait().unwrap();
        eprintln!(
            "key {key}: exit {:?} after {:?}",
            status.code(),
            sent.elapsed()
        );
        assert_eq!(status.code(), Some(code));
        assert!(sent.elapsed() < Duration::from_secs(2));
        // The terminal is back in cooked mode: echo and canonical input are on again.
        let mut term: libc::termios = unsafe { std::mem::zeroed() };
        use std::os::fd::AsRawFd;
        assert_eq!(unsafe { libc::tcgetattr(tty.as_raw_fd(), &mut term) }, 0);
        assert_ne!(term.c_lflag & libc::ICANON, 0, "terminal left in raw mode");
    }
}

/// A PulseAudio server of the test's own, in a temp dir (`scripts/virtual-sound-card.sh` with
/// `BALASANA_AUDIO_DIR`): the test may kill it, as it never may the machine's card.
pub(crate) struct PrivateServer {
    dir: tempfile::TempDir,
}

impl PrivateServer {
    pub(crate) fn start() -> PrivateServer {
        let server = PrivateServer {
            dir: tempfile::tempdir().unwrap(),
        };
        server.run_script("start");
        server
    }

    pub(crate) fn run_script(&self, verb: &str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/virtual-sound-card.sh");
        let ok = Command::new("bash")
            .arg(script)
            .arg(verb)
            .env("BALASANA_AUDIO_DIR", self.dir.path())
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "could not {verb} the test's own sound server");
    }

    /// Points a player at this server.
    pub(crate) fn serve(&self, command: &mut Command) {
        command.env("PULSE_RUNTIME_PATH", self.dir.path()).env(
            "PULSE_SERVER",
            format!("unix:{}/native", self.dir.path().display()),
        );
    }

    /// Kills the server, as a crash or a pulled device would end it.
    fn kill(&self) {
        let pid: i32 = std::fs::read_to_string(self.dir.path().join("pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.run_script("stop");
    }
}

/// Waits for a child and returns its exit code and the CPU seconds it used.
fn wait_with_cpu(child: Child) -> (Option<i32>, f64) {
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, filling plain structs.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(pid > 0);
    let cpu = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, cpu(usage.ru_utime) + cpu(usage.ru_stime))
}

#[test]
fn audio_server_lost_mid_session_recovers_or_ends_cleanly() {
    let Some(_sink) = sound_card() else { return };
    let server = PrivateServer::start();
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "tones", 48_000, 1, 2.0, &[]);
    let args = ["--pack", "tones", "--sets", "1"];

    // Lost and back within a second: playback reconnects and goes on.
    let (child, mut tty) = spawn_on_pty({
        let mut c = player(dir.path(), &args);
        server.serve(&mut c);
        c.stdout(Stdio::piped());
        c
    });
    std::thread::sleep(Duration::from_secs(3));
    server.kill();
    std::thread::sleep(Duration::from_secs(1));
    server.run_script("start");
    std::thread::sleep(Duration::from_secs(6));
    type_keys(&mut tty, b"q");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("reconnecting"), "{stdout}");

    // Lost for good: one clear error, exit 5 within seconds, and no busy loop meanwhile.
    let child = {
        let mut c = player(dir.path(), &args);
        server.serve(&mut c);
        c.spawn().unwrap()
    };
    std::thread::sleep(Duration::from_secs(3));
    server.kill();
    let lost_at = Instant::now();
    let mut stderr = String::new();
    let (code, cpu) = {
        let mut child = child;
        let mut pipe = child.stderr.take().unwrap();
        let result = wait_with_cpu(child);
        pipe.read_to_string(&mut stderr).unwrap();
        result
    };
    let took = lost_at.elapsed();
    eprintln!(
        "server lost: exit {code:?} after {took:?}, {cpu:.2} s of CPU in all; stderr: {stderr}"
    );
    assert_eq!(code, Some(5));
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("audio device lost during playback"),
        "{stderr}"
    );
    // Decoding and 3 s of playback cost well under a second; a spinning error loop would add
    // seconds of CPU.
    assert!(cpu < 2.0, "used {cpu:.2} s of CPU");
}
