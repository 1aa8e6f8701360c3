//! Live playback through a real (virtual) sound card: what the device plays is recorded from the
//! sink's monitor and measured.
//!
//! Needs a PulseAudio server with a `harness` null sink and `parec` (see
//! `scripts/virtual-sound-card.sh`, which the test script and CI run first). Without it the tests
//! skip with a printed reason; under CI (`CI` set) a missing sound card is a failure instead.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const RATE: usize = 48_000;

/// The tests share one sink: one at a time.
static SINK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether the virtual sound card is there; otherwise why not.
fn sound_card() -> Result<(), String> {
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

/// Skips (prints why) or, under CI, fails when there is no sound card.
fn require_sound_card() -> bool {
    match sound_card() {
        Ok(()) => true,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!(
                "live playback test cannot run under CI: {why}; run scripts/virtual-sound-card.sh first"
            )
        }
        Err(why) => {
            eprintln!(
                "SKIPPED live playback test: {why} (run: eval \"$(scripts/virtual-sound-card.sh)\")"
            );
            false
        }
    }
}

/// Records the sink's monitor, mono 16-bit at 48 kHz, until stopped.
struct Recorder(Child);

impl Recorder {
    fn start() -> Recorder {
        let child = Command::new("parec")
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
        // Let the recording settle before anything plays.
        std::thread::sleep(Duration::from_millis(500));
        Recorder(child)
    }

    fn stop(mut self) -> Vec<i16> {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let mut bytes = Vec::new();
        self.0
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let _ = self.0.wait();
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }
}

fn player(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_balasana-audio"));
    c.current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Frames where the level first exceeds `threshold` after at least `quiet` silent frames.
fn onsets(x: &[i16], threshold: u16, quiet: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let mut silent = quiet;
    for (i, &s) in x.iter().enumerate() {
        if s.unsigned_abs() > threshold {
            if silent >= quiet {
                found.push(i);
            }
            silent = 0;
        } else if s.unsigned_abs() < 60 {
            silent += 1;
        }
    }
    found
}

#[test]
fn played_onsets_match_the_plan_within_two_ms() {
    let _sink = SINK.lock().unwrap_or_else(|p| p.into_inner());
    if !require_sound_card() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "bursts", 48_000, 1, 0.25, &[]);
    let args = [
        "--pack",
        "bursts",
        "--hold",
        "20",
        "--sets",
        "1",
        "--no-chimes",
        "--breath",
        "2:3",
    ];
    let plan = plan_json(dir.path(), &args);
    let planned: Vec<f64> = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["start"].as_f64().unwrap())
        .collect();
    let length = plan["duration"].as_f64().unwrap();

    let rec = Recorder::start();
    let started = Instant::now();
    let out = player(dir.path(), &args).output().unwrap();
    let wall = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
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
}

#[test]
fn ctrl_c_fades_out_and_exits_130() {
    let _sink = SINK.lock().unwrap_or_else(|p| p.into_inner());
    if !require_sound_card() {
        return;
    }
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
    std::thread::sleep(Duration::from_millis(300));
    let recorded = rec.stop();
    assert_eq!(status.code(), Some(130));
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");

    // RMS in 10 ms windows: the end of the sound is a ramp, not a cut.
    let rms: Vec<f64> = recorded
        .chunks(480)
        .map(|w| (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64).sqrt())
        .collect();
    let loud = rms.iter().cloned().fold(0.0, f64::max);
    let last_loud = rms.iter().rposition(|&r| r > loud * 0.9).unwrap();
    let silent = last_loud
        + rms[last_loud..]
            .iter()
            .position(|&r| r < loud * 0.02)
            .unwrap();
    let fade_ms = (silent - last_loud) * 10;
    eprintln!("ctrl-c: fade from 90% to 2% over {fade_ms} ms, exit after {took:?}");
    assert!((200..=700).contains(&fade_ms), "fade took {fade_ms} ms");
}
