//! `packs record` on a real (virtual) sound card: a PulseAudio server of the test's own, whose
//! null sink's monitor is its default source, serves as the microphone. Known speech (the
//! default pack's clips) is played into the sink while the recorder is driven through a
//! pseudo-terminal, as a person would drive it; the pack it makes is measured against what was
//! played.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use balasana_audio::decode::decode_samples;
use balasana_audio::loudness;
use balasana_audio::pipeline::sound_span;
use balasana_audio::resample::resample;

use crate::common::*;
use crate::live_playback::{PrivateServer, SoundCard, player, pty, sound_card};

/// The rate of the virtual card, and so of the takes and the pack made from them.
const RATE: u32 = 48_000;

/// The recorder on a new pseudo-terminal (stdin, stdout and stderr, 120 × 40), with what it
/// draws collected as it comes.
struct Recorder {
    child: Child,
    tty: std::fs::File,
    screen: Arc<Mutex<Vec<u8>>>,
    /// How much of the screen's output was seen by the last wait.
    seen: usize,
}

impl Recorder {
    fn spawn(mut command: Command) -> Recorder {
        let (tty, slave) = pty();
        let child = command
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        // Once the command (holding the test's copies of the child's end) is dropped, reading
        // the master ends (EIO) when the child is gone.
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = tty.try_clone().unwrap();
        let collected = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                collected.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Recorder {
            child,
            tty,
            screen,
            seen: 0,
        }
    }

    fn keys(&mut self, keys: &[u8]) {
        use std::io::Write;
        self.tty.write_all(keys).unwrap();
        self.tty.flush().unwrap();
    }

    /// Waits until the recorder draws `text` (after what earlier waits saw); panics with the
    /// latest output after 20 s.
    fn wait_for(&mut self, text: &str) {
        let started = Instant::now();
        loop {
            {
                let screen = self.screen.lock().unwrap();
                let fresh = String::from_utf8_lossy(&screen[self.seen..]);
                if let Some(at) = fresh.find(text) {
                    self.seen += fresh[..at + text.len()].len().min(screen.len() - self.seen);
                    return;
                }
                if started.elapsed() > Duration::from_secs(20) {
                    let tail = fresh.chars().rev().take(3000).collect::<Vec<_>>();
                    let tail: String = tail.into_iter().rev().collect();
                    panic!("the recorder never showed {text:?}; it showed: {tail}");
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Once it has ended: its exit code, everything it wrote, and whether it left the terminal
    /// in cooked mode again (echo and canonical input on).
    fn finish(mut self) -> (Option<i32>, String, bool) {
        let status = self.child.wait().unwrap();
        let mut term: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::tcgetattr(self.tty.as_raw_fd(), &mut term) },
            0
        );
        // The reader sees the end of the terminal soon after the child is gone.
        std::thread::sleep(Duration::from_millis(200));
        let out = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
        (status.code(), out, term.c_lflag & libc::ICANON != 0)
    }
}

impl Drop for Recorder {
    /// A test that failed half way leaves no recorder running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The lines to record, each with a known clip of speech to say it (decoded, brought to 48 kHz
/// and written into `dir` as WAV to play): with `whole`, every line of the built-in sessions with
/// the default pack's clip of it; else the short test session's lines with the default pack's
/// clips in turn.
fn lines_and_clips(dir: &Path, whole: bool) -> Clips {
    let heart = Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart");
    let said_by: Vec<(String, String)> = if whole {
        let cues = pack_lines().into_iter().map(|l| l.cue.to_string());
        cues.map(|cue| (cue.clone(), cue)).collect()
    } else {
        let (short, _) = short_script();
        let cues = short.lines().map(|l| l.cue.to_string()).collect::<Vec<_>>();
        cues.into_iter()
            .zip(pack_lines().into_iter().map(|l| l.cue.to_string()))
            .collect()
    };
    said_by
        .into_iter()
        .map(|(cue, speech)| {
            let bytes = std::fs::read(heart.join(format!("{speech}.ogg"))).unwrap();
            let (rate, samples) = decode_samples(bytes).unwrap();
            let samples = resample(&samples, rate, RATE);
            let path = dir.join(format!("{cue}.wav"));
            write_wav(&path, RATE, 1, &samples);
            // What is played is what the file holds: 16-bit.
            let (_, played) = read_wav(&path);
            let played = played.iter().map(|&s| f32::from(s) / 32767.0).collect();
            (cue, path, played)
        })
        .collect()
}

/// Clips to say, each a line's cue, its WAV file and its samples as played.
type Clips = Vec<(String, PathBuf, Vec<f32>)>;

/// What a live recording test needs: the sound card (one test at a time), `paplay`, a sound
/// server of the test's own, a temporary folder and the clips in it ([`lines_and_clips`]);
/// `None` (the test skips) without them.
fn ready(whole: bool) -> Option<(SoundCard, PrivateServer, tempfile::TempDir, Clips)> {
    let card = sound_card()?;
    if !require("paplay") {
        return None;
    }
    let server = PrivateServer::start();
    let dir = tempfile::tempdir().unwrap();
    let clips = lines_and_clips(dir.path(), whole);
    Some((card, server, dir, clips))
}

/// `packs record mine` in `dir` on the test's own server: the short session's lines, or with
/// `whole` every line of the built-in sessions.
fn record(server: &PrivateServer, dir: &Path, whole: bool, extra: &[&str]) -> Recorder {
    let (_, script) = short_script();
    let mut args = vec!["packs", "record", "mine"];
    if !whole {
        args.extend(["--script", script.to_str().unwrap()]);
    }
    args.extend(["--speaker", "Test Voice", "--licence", "CC0-1.0"]);
    args.extend(extra);
    let mut command = player(dir, &args);
    server.serve(&mut command);
    Recorder::spawn(command)
}

/// Plays `clip` into the test server's sink (and so into its monitor, the microphone).
fn play(server: &PrivateServer, clip: &Path) {
    let mut paplay = Command::new("paplay");
    paplay.arg(clip);
    server.serve(&mut paplay);
    assert!(paplay.status().unwrap().success(), "paplay {clip:?}");
}

/// One take, as a person makes it: space, the words, space; it is kept.
fn take(recorder: &mut Recorder, server: &PrivateServer, cue: &str, clip: &Path) {
    recorder.keys(b" ");
    recorder.wait_for("● REC");
    play(server, clip);
    std::thread::sleep(Duration::from_millis(200));
    recorder.keys(b" ");
    recorder.wait_for(&format!("kept the take of {cue}:"));
}

/// The highest normalised cross-correlation of `made` with `played`, `made` placed within
/// 0.1 s of where the pipeline's trim rule would start `played` (coarsely, then to the sample).
fn best_correlation(played: &[f32], made: &[f32]) -> f64 {
    let start = sound_span(played, RATE).unwrap().0 as i64;
    let at = |lag: i64| -> f64 {
        let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
        for (i, &y) in made.iter().enumerate() {
            let j = lag + i as i64;
            let x = if j >= 0 && (j as usize) < played.len() {
                f64::from(played[j as usize])
            } else {
                0.0
            };
            let y = f64::from(y);
            (xy, xx, yy) = (xy + x * y, xx + x * x, yy + y * y);
        }
        xy / (xx * yy).sqrt().max(1e-12)
    };
    let reach = i64::from(RATE) / 10;
    let coarse = (start - reach..=start + reach)
        .step_by(8)
        .max_by(|a, b| at(*a).total_cmp(&at(*b)))
        .unwrap();
    (coarse - 8..=coarse + 8)
        .map(at)
        .max_by(f64::total_cmp)
        .unwrap()
}

#[test]
fn a_pack_recorded_from_the_microphone_is_what_was_said() {
    record_a_pack(false);
}

#[test]
#[ignore = "records all 110 lines of the built-in sessions (about fifteen minutes): the README's \
            measurement of a whole pack; run with --ignored"]
fn a_whole_pack_recorded_from_the_microphone_is_what_was_said_and_plays() {
    record_a_pack(true);
}

/// Records a pack (`whole`: every line of the built-in sessions; else the short session's) by
/// playing known speech into the microphone as a person would say it, finishes it, and checks
/// every clip against what was played, its loudness, and the pack's check.
fn record_a_pack(whole: bool) {
    let Some((_sink, server, dir, clips)) = ready(whole) else {
        return;
    };
    let started = Instant::now();
    let mut recorder = record(&server, dir.path(), whole, &[]);
    recorder.wait_for(&format!("0 / {} recorded", clips.len()));
    recorder.wait_for("the room is quiet (-inf dBFS RMS)");
    for (cue, path, _) in &clips {
        take(&mut recorder, &server, cue, path);
        recorder.keys(b"n");
    }
    let (code, out, cooked) = recorder.finish();
    let took = started.elapsed();
    assert!(cooked, "terminal left in raw mode");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("{0} of {0} lines have a take", clips.len())),
        "{out}"
    );
    let count = clips.len();
    assert!(
        out.contains(&format!("ready: {count} of {count} cues, 0 warnings")),
        "the pack checks clean: {out}"
    );
    let pack = dir.path().join("audio/mine");
    let manifest = std::fs::read_to_string(pack.join("pack.toml")).unwrap();
    assert!(manifest.contains("voice = \"Test Voice\""), "{manifest}");
    assert!(manifest.contains("licence = \"CC0-1.0\""), "{manifest}");
    let mut worst = (f64::MAX, f64::MIN);
    for (cue, _, played) in &clips {
        let (rate, made) =
            decode_samples(std::fs::read(pack.join(format!("{cue}.ogg"))).unwrap()).unwrap();
        assert_eq!(rate, RATE, "{cue}");
        let correlation = best_correlation(played, &made);
        let lufs = loudness::measure(&made, rate).lufs.unwrap();
        eprintln!("{cue}: correlation {correlation:.4}, {lufs:.2} LUFS");
        assert!(correlation >= 0.9, "{cue}: correlation {correlation:.3}");
        assert!((lufs + 20.0).abs() <= 0.5, "{cue}: {lufs:.2} LUFS");
        worst = (worst.0.min(correlation), worst.1.max((lufs + 20.0).abs()));
    }
    eprintln!(
        "{} lines recorded and the pack made in {:.1} s; lowest correlation {:.4}, farthest \
         from -20 LUFS {:.2} LU",
        clips.len(),
        took.as_secs_f64(),
        worst.0,
        worst.1
    );
    if whole {
        // The pack plays: a whole session renders with it alone (--strict: no line from the
        // default voice).
        let render = dir.path().join("session.wav");
        bin(dir.path())
            .args([
                "--pack",
                "mine",
                "--strict",
                "--render",
                render.to_str().unwrap(),
            ])
            .assert()
            .success();
        let (_, samples) = read_wav(&render);
        assert!(
            samples.iter().any(|s| s.unsigned_abs() > 3000),
            "a silent render"
        );
    }
}

#[test]
fn ctrl_c_keeps_earlier_takes_a_second_run_resumes_and_line_redoes_one() {
    let Some((_sink, server, dir, clips)) = ready(false) else {
        return;
    };
    let count = clips.len();
    let raw = dir.path().join("audio/mine/raw");
    let take_of = |cue: &str| std::fs::read(raw.join(format!("{cue}.wav"))).ok();

    // Two takes, then Ctrl-C during the third.
    let mut recorder = record(&server, dir.path(), false, &[]);
    recorder.wait_for("space starts a take");
    for (cue, path, _) in &clips[..2] {
        take(&mut recorder, &server, cue, path);
        recorder.keys(b"n");
    }
    recorder.keys(b" ");
    recorder.wait_for("● REC");
    play(&server, &clips[2].1);
    recorder.keys(b"\x03");
    let (code, out, cooked) = recorder.finish();
    assert_eq!(code, Some(130), "{out}");
    assert!(cooked, "terminal left in raw mode");
    assert!(
        out.contains(&format!("2 of {count} lines have a take")),
        "{out}"
    );
    let third = &clips[2].0;
    assert!(
        out.contains(&format!("the take of {third} that was running is not kept")),
        "{out}"
    );
    let (first, second) = (take_of(&clips[0].0).unwrap(), take_of(&clips[1].0).unwrap());
    assert_eq!(take_of(third), None);
    let mut files: Vec<String> = std::fs::read_dir(&raw)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let expected = [
        format!("{}.wav", clips[1].0),
        format!("{}.wav", clips[0].0),
        "draft.toml".into(),
    ];
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(files, expected, "nothing half written is left");

    // A second run resumes at the third line.
    let mut recorder = record(&server, dir.path(), false, &[]);
    recorder.wait_for(&format!("2 / {count} recorded · line 3 of {count}"));
    recorder.wait_for(&format!("cue {third}"));
    recorder.keys(b"q");
    let (code, out, _) = recorder.finish();
    assert_eq!(code, Some(0), "{out}");

    // --line redoes the first line's take (with other words) and no other.
    let (cue, _, _) = &clips[0];
    let mut recorder = record(&server, dir.path(), false, &["--line", cue]);
    recorder.wait_for(&format!("line 1 of {count}"));
    recorder.wait_for("space starts a take");
    take(&mut recorder, &server, cue, &clips[5].1);
    recorder.keys(b"q");
    let (code, out, _) = recorder.finish();
    assert_eq!(code, Some(0), "{out}");
    assert_ne!(take_of(cue).unwrap(), first, "the first take is replaced");
    assert_eq!(
        take_of(&clips[1].0).unwrap(),
        second,
        "the second take stays"
    );
    assert_eq!(take_of(third), None);
}

#[test]
fn a_microphone_lost_mid_take_discards_it_and_recording_goes_on_when_it_is_back() {
    let Some((_sink, server, dir, clips)) = ready(false) else {
        return;
    };
    let raw = dir.path().join("audio/mine/raw");
    let mut recorder = record(&server, dir.path(), false, &[]);
    recorder.wait_for("space starts a take");
    let (first, second) = (&clips[0], &clips[1]);
    take(&mut recorder, &server, &first.0, &first.1);
    let kept = std::fs::read(raw.join(format!("{}.wav", first.0))).unwrap();
    recorder.keys(b"n");
    recorder.keys(b" ");
    recorder.wait_for("● REC");
    // The sound server stops mid-take, as when a headset is pulled out.
    server.run_script("stop");
    recorder.wait_for(&format!("the take of {} was discarded", second.0));
    recorder.wait_for("waiting for it to come back");
    server.run_script("start");
    recorder.wait_for("the microphone is back");
    take(&mut recorder, &server, &second.0, &second.1);
    recorder.keys(b"q");
    let (code, out, cooked) = recorder.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(cooked, "terminal left in raw mode");
    assert!(
        out.contains(&format!("2 of {} lines have a take", clips.len())),
        "{out}"
    );
    assert_eq!(
        std::fs::read(raw.join(format!("{}.wav", first.0))).unwrap(),
        kept
    );
}

#[test]
fn no_microphone_is_one_line_exit_5_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin_without_audio(dir.path())
        .args([
            "packs",
            "record",
            "mine",
            "--speaker",
            "A",
            "--licence",
            "CC0-1.0",
        ])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no microphone (audio input device) available"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
