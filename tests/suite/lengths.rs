//! Clip lengths from headers (or the lengths cache) equal, frame for frame, what decoding and
//! preparing the clip gives: for every shipped clip and for odd rates and channel counts.

use std::path::{Path, PathBuf};

use balasana_audio::cache::Key;
use balasana_audio::decode::decode;
use balasana_audio::pack::{ClipFile, Kind, Location};
use balasana_audio::probe::{Shape, from_headers, prepared_frames};

use crate::common::{make_fixture_pack, plan_json};

fn decoded_shape(bytes: &[u8]) -> Shape {
    let clip = decode(bytes.to_vec()).unwrap();
    Shape {
        rate: clip.rate,
        frames: clip.samples.len() as u64,
    }
}

fn shipped() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for pack in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("audio")).unwrap() {
        for file in std::fs::read_dir(pack.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "ogg" | "flac" | "wav" | "mp3") {
                all.push(path);
            }
        }
    }
    all.sort();
    all
}

/// The prepared length predicted from the shape against the length preparation gives.
fn check_prepared(path: &Path, rates: &[u32]) {
    let file = ClipFile {
        location: Location::Folder(path.parent().unwrap().to_path_buf()),
        file: path.file_name().unwrap().to_str().unwrap().to_owned(),
        kind: Kind::Voice,
        name: "welcome".into(),
    };
    let shape = file.shape().unwrap();
    for &rate in rates {
        let prepared = file.prepare(rate, &mut Default::default()).unwrap();
        assert_eq!(
            prepared_frames(shape, rate),
            prepared.len() as u64,
            "{} at {rate} Hz",
            path.display()
        );
    }
}

#[test]
fn headers_of_every_shipped_clip_match_decoding_and_preparation() {
    let clips = shipped();
    assert!(clips.len() > 100, "{}", clips.len());
    for path in &clips {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            from_headers(&bytes),
            Some(decoded_shape(&bytes)),
            "{}",
            path.display()
        );
    }
    // Preparation (loudness match + aligned resampling) at the render rate and at 44.1 kHz.
    for path in clips.iter().step_by(7) {
        check_prepared(path, &[48_000, 44_100]);
    }
}

#[test]
fn odd_rates_and_channels_match_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths = Vec::new();
    for (rate, channels) in [
        (22_050, 2),
        (11_025, 2),
        (44_100, 1),
        (44_100, 2),
        (8_000, 1),
    ] {
        let path = dir.path().join(format!("w-{rate}-{channels}.wav"));
        let n =
            (0.37 * f64::from(rate)) as usize * usize::from(channels) + 3 * usize::from(channels);
        crate::common::write_wav(&path, rate, channels, &vec![0.25; n]);
        paths.push(path);
    }
    for ext in ["ogg", "flac"] {
        for (rate, channels) in [(22_050, 2), (11_025, 2), (44_100, 1)] {
            paths.push(fixtures.join(format!("odd-{rate}-{channels}.{ext}")));
        }
    }
    paths.push(fixtures.join("burst-48k-stereo.flac"));
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            from_headers(&bytes),
            Some(decoded_shape(&bytes)),
            "{}",
            path.display()
        );
        check_prepared(path, &[48_000, 44_100, 22_050]);
    }
}

#[test]
fn clips_without_a_length_header_are_measured_once_and_cached() {
    let mp3 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/burst-44k1-mono.mp3");
    let bytes = std::fs::read(&mp3).unwrap();
    assert_eq!(from_headers(&bytes), None);
    check_prepared(&mp3, &[48_000]);
    // A session whose every clip is that MP3, planned with an empty cache folder.
    let dir = tempfile::tempdir().unwrap();
    make_fixture_pack(dir.path(), "burst-44k1-mono.mp3");
    let args = ["--pack", "fixture", "--no-chimes"];
    let voice_frames = |plan: &serde_json::Value| -> Vec<u64> {
        let events = plan["events"].as_array().unwrap();
        events
            .iter()
            .map(|e| e["frames"].as_u64().unwrap())
            .collect()
    };
    let decoded = decoded_shape(&bytes);
    let planned = voice_frames(&plan_json(dir.path(), &args));
    assert!(
        planned
            .iter()
            .all(|&f| f == prepared_frames(decoded, 48_000))
    );
    // The first look decoded it and stored its shape once, keyed by content: one entry for the
    // many copies.
    let lengths = dir.path().join(".cache/balasana-audio/lengths");
    let stored: Vec<PathBuf> = std::fs::read_dir(&lengths)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(stored.len(), 1);
    let text = std::fs::read_to_string(&stored[0]).unwrap();
    assert_eq!(text, format!("{} {}\n", decoded.rate, decoded.frames));
    // Later looks take the stored shape without decoding (a shape written there is believed).
    let told = Shape {
        rate: 44_100,
        frames: 12_345,
    };
    std::fs::write(&stored[0], format!("{} {}\n", told.rate, told.frames)).unwrap();
    let planned = voice_frames(&plan_json(dir.path(), &args));
    assert!(planned.iter().all(|&f| f == prepared_frames(told, 48_000)));
    // Other content has another key.
    let mut other = bytes.clone();
    other.push(0);
    assert_ne!(Key::of(&other), Key::of(&bytes));
}
