//! FLAC and Ogg renders decode to the WAV render (FLAC bit for bit, Ogg to the frame in length and
//! within 1 ms at every onset), carry the tags and one chapter per step, and the WAV carries cue
//! points. Decoded in-process with symphonia, and with ffmpeg/ffprobe, flac, metaflac and
//! vorbiscomment ([`require`]d). The session is rendered once in each format ([`renders`]) and
//! every check reads those files.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::*;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// One millisecond at the render rate.
const MS: usize = 48;

/// The short test session with a pack of tone bursts made in `dir`; two sets so steps repeat.
fn args(dir: &Path) -> Vec<String> {
    let (script, path) = short_script();
    if !dir.join("audio/bursts").exists() {
        make_pack_for(&script, dir, "bursts", 48_000, 1, 0.3, &[]);
    }
    let path = path.display().to_string();
    [
        "--script", &path, "--hold", "10", "--sets", "2", "--pack", "bursts",
    ]
    .map(String::from)
    .to_vec()
}

/// Renders to `name` in `dir` (extra arguments after) and returns the path.
fn render(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    bin(dir)
        .args(args(dir))
        .arg("--render")
        .arg(&path)
        .args(extra)
        .arg("-q")
        .assert()
        .success();
    path
}

/// The session rendered once in each format, and voice only (no chimes) as WAV and Ogg, with
/// what the plan says of it.
struct Renders {
    wav: Vec<u8>,
    flac: Vec<u8>,
    ogg: Vec<u8>,
    voice_wav: Vec<u8>,
    voice_ogg: Vec<u8>,
    /// The plan's steps: (start frame, title).
    chapters: Vec<(u64, String)>,
    /// The voice-only plan's event frames.
    voice_events: Vec<usize>,
}

/// The renders every check reads, made the first time one asks.
fn renders() -> &'static Renders {
    static RENDERS: OnceLock<Renders> = OnceLock::new();
    RENDERS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let read = |name: &str, extra: &[&str]| std::fs::read(render(dir.path(), name, extra));
        let mut voice_args = args(dir.path());
        voice_args.push("--no-chimes".into());
        let voice_plan = plan_json(
            dir.path(),
            &voice_args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        Renders {
            wav: read("s.wav", &[]).unwrap(),
            flac: read("s.flac", &[]).unwrap(),
            ogg: read("s.ogg", &[]).unwrap(),
            voice_wav: read("voice.wav", &["--no-chimes"]).unwrap(),
            voice_ogg: read("voice.ogg", &["--no-chimes"]).unwrap(),
            chapters: planned_chapters(dir.path()),
            voice_events: voice_plan["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["frame"].as_u64().unwrap() as usize)
                .collect(),
        }
    })
}

/// `bytes` as the file `name` in `dir`, for the tools that read files.
fn saved(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// What symphonia makes of a file: rate, channels, interleaved 16-bit samples, tags.
struct Decoded {
    rate: u32,
    channels: usize,
    samples: Vec<i16>,
    tags: Vec<(String, String)>,
}

/// Decodes a file's `bytes`; `ext` is its extension.
fn decode(bytes: &[u8], ext: &str) -> Decoded {
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    // Gapless: trim to the stream's stated length (the Ogg granule position), as players do.
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let mut probed = symphonia::default::get_probe()
        .format(&hint, mss, &options, &MetadataOptions::default())
        .unwrap();
    let mut tags = Vec::new();
    let mut collect = |rev: &symphonia::core::meta::MetadataRevision| {
        for t in rev.tags() {
            tags.push((t.key.to_ascii_uppercase(), t.value.to_string()));
        }
    };
    if let Some(meta) = probed.metadata.get() {
        if let Some(rev) = meta.current() {
            collect(rev);
        }
    }
    let mut format = probed.format;
    if let Some(rev) = format.metadata().current() {
        collect(rev);
    }
    let track = format.default_track().unwrap().clone();
    let rate = track.codec_params.sample_rate.unwrap();
    let channels = track.codec_params.channels.unwrap().count();
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .unwrap();
    let mut samples = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(symphonia::core::errors::Error::IoError(e))
                if e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                break;
            }
            Err(e) => panic!("{ext}: {e}"),
        };
        let audio = decoder.decode(&packet).unwrap();
        let mut buf = SampleBuffer::<i16>::new(audio.capacity() as u64, *audio.spec());
        buf.copy_interleaved_ref(audio);
        samples.extend_from_slice(buf.samples());
    }
    Decoded {
        rate,
        channels,
        samples,
        tags,
    }
}

/// ffmpeg's decoding of a file as interleaved 16-bit stereo, when ffmpeg is installed.
fn ffmpeg_decode(path: &Path) -> Option<Vec<i16>> {
    if !require("ffmpeg") {
        return None;
    }
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-ac", "2", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        out.stdout
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    )
}

fn left(samples: &[i16]) -> Vec<i16> {
    samples.chunks_exact(2).map(|f| f[0]).collect()
}

/// Onsets of the bursts: the level over 3000 after 20 ms of near-silence.
fn burst_onsets(left: &[i16]) -> Vec<usize> {
    onsets(left, 3000, 20 * MS)
}

/// The step titles and start frames `--plan` shows, in order, as the chapters should be: each
/// step heading of the table and the frame of the event under it.
fn planned_chapters(dir: &Path) -> Vec<(u64, String)> {
    let out = bin(dir).args(args(dir)).arg("--plan").output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let args = args(dir);
    let plan = plan_json(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let frames: Vec<u64> = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["frame"].as_u64().unwrap())
        .collect();
    let mut chapters = Vec::new();
    let mut lines = table.lines();
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("── ").and_then(|l| l.strip_suffix(" ──")) {
            // "00:06.800    voice  …": the step's first event, to the millisecond.
            let time = lines.next().unwrap().split_whitespace().next().unwrap();
            let frame = *frames
                .iter()
                .find(|&&f| clock(f).ends_with(time))
                .unwrap_or_else(|| panic!("no event at {time}"));
            chapters.push((frame, title.replace("  (", " (")));
        }
    }
    assert!(chapters.len() >= 6, "{table}");
    chapters
}

fn clock(frame: u64) -> String {
    let ms = (frame * 1000 + 24_000) / 48_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[test]
fn flac_decodes_bit_exactly_to_the_wav_render() {
    let r = renders();
    let (spec, want) = wav_samples(&r.wav);
    let got = decode(&r.flac, "flac");
    assert_eq!((got.rate, got.channels), (spec.sample_rate, 2));
    assert_eq!(got.samples.len(), want.len());
    assert!(got.samples == want, "FLAC samples differ from the WAV's");
    let dir = tempfile::tempdir().unwrap();
    let flac = saved(dir.path(), "s.flac", &r.flac);
    if let Some(ff) = ffmpeg_decode(&flac) {
        assert!(ff == want, "ffmpeg's FLAC samples differ from the WAV's");
    }
    // A file gets the MD5 signature in its header; `flac -t` checks it against the samples.
    assert_ne!(&r.flac[26..42], &[0u8; 16], "MD5 signature unset");
    if require("flac") {
        let out = Command::new("flac")
            .args(["-t", "-s"])
            .arg(&flac)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "flac -t: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (wav_size, flac_size) = (r.wav.len(), r.flac.len());
    assert!(flac_size * 3 < wav_size, "{flac_size} vs {wav_size}");
}

#[test]
fn ogg_has_the_wav_length_and_every_onset_within_a_millisecond() {
    let r = renders();
    // Voice bursts only: each starts at full level on its first sample, so onsets are sharp.
    let (_, want) = wav_samples(&r.voice_wav);
    let want_onsets = burst_onsets(&left(&want));
    assert!(want_onsets.len() >= 10, "{want_onsets:?}");
    // The WAV's onsets are the planned event frames, so the Ogg's are checked against the plan.
    let mut planned = r.voice_events.clone();
    planned.dedup();
    assert_eq!(want_onsets, planned);
    let mut decodings = vec![("symphonia", decode(&r.voice_ogg, "ogg").samples)];
    let dir = tempfile::tempdir().unwrap();
    if let Some(ff) = ffmpeg_decode(&saved(dir.path(), "voice.ogg", &r.voice_ogg)) {
        decodings.push(("ffmpeg", ff));
    }
    for (by, got) in decodings {
        assert_eq!(got.len(), want.len(), "{by}: length differs");
        let got_onsets = burst_onsets(&left(&got));
        assert_eq!(got_onsets.len(), want_onsets.len(), "{by}: {got_onsets:?}");
        for (g, w) in got_onsets.iter().zip(&want_onsets) {
            assert!(g.abs_diff(*w) <= MS, "{by}: onset at {g}, WAV has {w}");
        }
    }
}

#[test]
fn flac_and_ogg_carry_tags_and_one_chapter_per_step() {
    let r = renders();
    for (name, bytes) in [("flac", &r.flac), ("ogg", &r.ogg)] {
        let tags = decode(bytes, name).tags;
        let get = |k: &str| {
            tags.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("{name}: no {k} in {tags:?}"))
        };
        assert_eq!(get("TITLE"), "Short test session");
        assert_eq!(get("ARTIST"), "test bursts");
        assert_eq!(get("ALBUM"), "balasana-audio");
        assert_eq!(get("DATE").len(), 10);
        assert!(
            get("COMMENT").contains("2 sets × 10 s hold"),
            "{}",
            get("COMMENT")
        );
        for (i, (frame, title)) in r.chapters.iter().enumerate() {
            let n = i + 1;
            assert_eq!(get(&format!("CHAPTER{n:03}")), clock(*frame), "{name}");
            assert_eq!(get(&format!("CHAPTER{n:03}NAME")), title, "{name}");
        }
        assert!(
            !tags
                .iter()
                .any(|(k, _)| k == &format!("CHAPTER{:03}", r.chapters.len() + 1))
        );
    }
}

#[test]
fn ffprobe_reads_the_chapters_of_every_format() {
    if !require("ffprobe") {
        return;
    }
    let r = renders();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("s.wav", &r.wav), ("s.flac", &r.flac), ("s.ogg", &r.ogg)] {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-of",
                "json",
                "-show_chapters",
                "-show_format",
                "-show_streams",
            ])
            .arg(saved(dir.path(), name, bytes))
            .output()
            .unwrap();
        assert!(out.status.success());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let found = json["chapters"].as_array().unwrap();
        assert_eq!(found.len(), r.chapters.len(), "{name}");
        for (c, (frame, title)) in found.iter().zip(&r.chapters) {
            assert_eq!(c["tags"]["title"], title.as_str(), "{name}");
            let start: f64 = c["start_time"].as_str().unwrap().parse().unwrap();
            let want = *frame as f64 / 48_000.0;
            assert!((start - want).abs() <= 0.001, "{name}: {start} vs {want}");
        }
        // Ogg keeps its comments on the stream, the others on the file.
        let title = [&json["format"]["tags"], &json["streams"][0]["tags"]]
            .into_iter()
            .filter_map(|tags| tags.as_object())
            .flat_map(|tags| tags.iter())
            .find(|(k, _)| k.eq_ignore_ascii_case("title"))
            .map(|(_, v)| v.as_str().unwrap());
        assert_eq!(title, Some("Short test session"), "{name}: {json}");
    }
}

#[test]
fn metaflac_and_vorbiscomment_read_the_same_comments() {
    let r = renders();
    let dir = tempfile::tempdir().unwrap();
    let flac = saved(dir.path(), "s.flac", &r.flac);
    let ogg = saved(dir.path(), "s.ogg", &r.ogg);
    let run = |cmd: &str, args: &[&str], path: &Path| -> Option<String> {
        if !require(cmd) {
            return None;
        }
        let out = Command::new(cmd).args(args).arg(path).output().unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    };
    let from_flac = run("metaflac", &["--export-tags-to=-"], &flac);
    let from_ogg = run("vorbiscomment", &["-l"], &ogg);
    if let (Some(a), Some(b)) = (&from_flac, &from_ogg) {
        assert_eq!(a, b);
    }
    for text in [from_flac, from_ogg].into_iter().flatten() {
        assert!(text.contains("TITLE=Short test session\n"), "{text}");
        assert!(text.contains("CHAPTER001=00:00:00.000\n"), "{text}");
        assert!(text.contains("CHAPTER001NAME="), "{text}");
    }
}

/// Reads the `cue ` points and their `labl` texts from a WAV: (frame, label) in cue order.
fn wav_cues(bytes: &[u8]) -> Vec<(u64, String)> {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let mut points: Vec<(u32, u64)> = Vec::new();
    let mut labels = std::collections::HashMap::new();
    let mut i = 12;
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let len = u32_at(i + 4) as usize;
        let body = i + 8;
        match id {
            b"cue " => {
                let n = u32_at(body) as usize;
                for k in 0..n {
                    let p = body + 4 + 24 * k;
                    assert_eq!(&bytes[p + 8..p + 12], b"data");
                    points.push((u32_at(p), u64::from(u32_at(p + 20))));
                }
            }
            b"LIST" if &bytes[body..body + 4] == b"adtl" => {
                let mut j = body + 4;
                while j < body + len {
                    let sub_len = u32_at(j + 4) as usize;
                    if &bytes[j..j + 4] == b"labl" {
                        let text = &bytes[j + 12..j + 8 + sub_len];
                        let text = text.strip_suffix(b"\0").unwrap_or(text);
                        labels.insert(u32_at(j + 8), String::from_utf8(text.to_vec()).unwrap());
                    }
                    j += 8 + sub_len + sub_len % 2;
                }
            }
            b"data" => break,
            _ => {}
        }
        i = body + len + len % 2;
    }
    points
        .into_iter()
        .map(|(id, frame)| (frame, labels.remove(&id).expect("a cue without a label")))
        .collect()
}

#[test]
fn the_wav_has_a_labelled_cue_point_per_step() {
    let r = renders();
    assert_eq!(wav_cues(&r.wav), r.chapters);
    // Still an ordinary WAV to a plain reader.
    let (spec, samples) = wav_samples(&r.wav);
    assert_eq!(spec.channels, 2);
    assert!(!samples.is_empty());
}

#[test]
fn format_overrides_the_extension_and_works_on_stdout() {
    let r = renders();
    let dir = tempfile::tempdir().unwrap();
    let as_flac = render(dir.path(), "s.audio", &["--format", "flac"]);
    assert!(std::fs::read(&as_flac).unwrap() == r.flac);
    let out = bin(dir.path())
        .args(args(dir.path()))
        .args(["--render", "-", "--format", "ogg", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(&out.stdout[..4], b"OggS");
    let (_, want) = wav_samples(&r.wav);
    assert_eq!(decode(&out.stdout, "ogg").samples.len(), want.len());
}

#[test]
fn an_unknown_extension_or_quality_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--render", "s.mp3"], "supported: .wav, .flac, .ogg"),
        (&["--render", "s"], "supported: .wav, .flac, .ogg"),
        (
            &["--render", "s.ogg", "--quality", "10.5"],
            "allowed range -1 to 10",
        ),
        (
            &["--render", "s.flac", "--quality", "5"],
            "applies to Ogg only",
        ),
    ];
    for (extra, message) in cases {
        let out = bin(dir.path())
            .args(args(dir.path()))
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "audio")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_lower_ogg_quality_makes_a_smaller_file() {
    let r = renders();
    let dir = tempfile::tempdir().unwrap();
    let low = render(dir.path(), "low.ogg", &["--quality", "0"]);
    let (low, default) = (std::fs::metadata(&low).unwrap().len(), r.ogg.len() as u64);
    assert!(low < default, "{low} vs {default}");
}
