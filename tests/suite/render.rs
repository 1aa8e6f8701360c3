//! The rendered file holds every event at exactly the frame `--plan --json` gives.

use crate::common::*;
use balasana_audio::codec::to_i16;
use balasana_audio::pack::{Location, Pack};

/// The default session, rendered, equals the sum of its clips placed at the plan's frames, and
/// no event could be one frame earlier or later.
#[test]
fn default_session_renders_every_event_at_its_planned_frame() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--hold", "90", "--sets", "2"];
    let plan = plan_json(dir.path(), &args);
    assert_eq!(plan["rate"], 48_000);
    let holds = plan["holds"].as_array().unwrap();
    assert_eq!(holds.len(), 2);
    for h in holds {
        let frames = h["end_frame"].as_u64().unwrap() - h["start_frame"].as_u64().unwrap();
        assert_eq!(frames, 90 * 48_000);
        let secs = h["end"].as_f64().unwrap() - h["start"].as_f64().unwrap();
        assert!((secs - 90.0).abs() < 1e-9, "{secs}");
    }

    let (spec, samples) = render_wav(dir.path(), "s.wav", &args);
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (48_000, 2, 16)
    );
    let left: Vec<i16> = samples.chunks_exact(2).map(|f| f[0]).collect();
    assert!(
        samples.chunks_exact(2).all(|f| f[0] == f[1]),
        "channels differ"
    );
    assert_eq!(left.len() as u64, plan["frames"].as_u64().unwrap());

    // The clips, exactly as the player prepares them.
    // The repository's default pack: the built-in one when compiled in.
    let heart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart");
    let pack = Pack::load(Location::Folder(heart), &script(), None).unwrap();
    let clips = pack.prepare(48_000);
    let events: Vec<(usize, &[f32], f32)> = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let clip = &clips.by_cue[e["cue"].as_str().unwrap()];
            assert_eq!(clip.len() as u64, e["frames"].as_u64().unwrap());
            (
                e["frame"].as_u64().unwrap() as usize,
                &clip[..],
                e["gain"].as_f64().unwrap() as f32,
            )
        })
        .collect();
    let mut expected = vec![0.0f32; left.len()];
    for &(frame, clip, gain) in &events {
        for (o, &s) in expected[frame..frame + clip.len()].iter_mut().zip(clip) {
            *o += s * gain;
        }
    }
    let max_diff = left
        .iter()
        .zip(&expected)
        .map(|(&got, &want)| (i32::from(got) - i32::from(to_i16(want))).abs())
        .max()
        .unwrap();
    assert!(
        max_diff <= 1,
        "rendered file differs from the plan by {max_diff} LSB"
    );

    // Each event, measured alone: what the file holds beyond every other event matches its clip
    // at offset 0 far better than one frame early or late.
    for &(frame, clip, gain) in &events {
        let residual = |shift: i64| -> f64 {
            let mut err = 0.0;
            for (i, &s) in clip.iter().enumerate() {
                let at = frame + i;
                let others = expected[at] - s * gain;
                let src = i as i64 - shift;
                let shifted = if (0..clip.len() as i64).contains(&src) {
                    clip[src as usize] * gain
                } else {
                    0.0
                };
                let d = f64::from(left[at]) / 32767.0 - f64::from(others + shifted);
                err += d * d;
            }
            err
        };
        let (early, exact, late) = (residual(-1), residual(0), residual(1));
        assert!(
            exact * 10.0 < early.min(late),
            "event at {frame}: {early} {exact} {late}"
        );
    }
}

/// Voice onsets in a render, found by listening for sound after silence, are the plan's frames.
#[test]
fn measured_onsets_match_the_plan_exactly() {
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "bursts", 48_000, 1, 0.3, &[]);
    let args = [
        "--pack",
        "bursts",
        "--hold",
        "40",
        "--sets",
        "2",
        "--rest",
        "10",
        "--no-chimes",
    ];
    let (planned, left) = plan_and_render(dir.path(), &args);
    assert!(planned.len() > 40, "{}", planned.len());
    assert_eq!(onsets(&left, 1000, 480), planned);
}

/// Resampled packs (22.05 kHz stereo here) keep onsets to within a frame.
#[test]
fn resampled_pack_onsets_stay_within_a_frame() {
    let dir = tempfile::tempdir().unwrap();
    make_pack(dir.path(), "low", 22_050, 2, 0.3, &[]);
    let args = [
        "--pack",
        "low",
        "--hold",
        "30",
        "--sets",
        "1",
        "--no-chimes",
    ];
    let (planned, left) = plan_and_render(dir.path(), &args);
    let found = onsets(&left, 4000, 480);
    assert_eq!(found.len(), planned.len());
    for (f, p) in found.iter().zip(&planned) {
        assert!(f.abs_diff(*p) <= 1, "onset {f} vs plan {p}");
    }
}

/// The ambience bed, isolated as the difference of two renders, sits about 10 dB lower while the
/// voice speaks than in the silences, fades in and out at the ends, and loops without a click.
#[test]
fn ambience_bed_is_ducked_under_the_voice() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--hold", "60", "--sets", "1", "--no-chimes"];
    let (_, a) = render_wav(dir.path(), "plain.wav", &args);
    let (_, b) = render_wav(
        dir.path(),
        "bed.wav",
        &[&args[..], &["--ambience", "ocean"]].concat(),
    );
    assert_eq!(a.len(), b.len());
    let bed: Vec<f64> = a
        .chunks_exact(2)
        .zip(b.chunks_exact(2))
        .map(|(x, y)| f64::from(y[0] - x[0]) / 32768.0)
        .collect();
    let plan = plan_json(dir.path(), &args);
    let mut speaking = vec![false; bed.len()];
    for e in plan["events"].as_array().unwrap() {
        let (f, n) = (
            e["frame"].as_u64().unwrap() as usize,
            e["frames"].as_u64().unwrap() as usize,
        );
        speaking[f..f + n].iter_mut().for_each(|s| *s = true);
    }
    // Compare settled stretches only: a second away from any change, and from the ends.
    let mut settled = vec![true; bed.len()];
    for i in 1..bed.len() {
        if speaking[i] != speaking[i - 1] {
            settled[i.saturating_sub(48_000)..(i + 48_000).min(bed.len())].fill(false);
        }
    }
    let rms = |want: bool| {
        let (mut sum, mut n) = (0.0, 0usize);
        for i in 5 * 48_000..bed.len() - 5 * 48_000 {
            if settled[i] && speaking[i] == want {
                sum += bed[i] * bed[i];
                n += 1;
            }
        }
        assert!(n > 48_000, "too little to measure");
        (sum / n as f64).sqrt()
    };
    let ducked_db = 20.0 * (rms(true) / rms(false)).log10();
    eprintln!(
        "ambience: free {:.1} dBFS RMS, ducked by {ducked_db:.1} dB",
        20.0 * rms(false).log10()
    );
    assert!((-13.0..=-7.0).contains(&ducked_db), "{ducked_db:.1} dB");
    // Fades: the very first and last samples are silent.
    assert!(bed[..48].iter().all(|s| s.abs() < 0.002));
    assert!(bed[bed.len() - 48..].iter().all(|s| s.abs() < 0.002));
    // The loop seam (the bed is 48 s long) is no louder a step than the second before it.
    let seam = 48 * 48_000;
    let steps = |from: usize, to: usize| {
        bed[from..to]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f64::max)
    };
    let (before, at) = (
        steps(seam - 48_000, seam - 100),
        steps(seam - 100, seam + 100),
    );
    assert!(at <= before * 1.5, "seam step {at} vs {before} before it");
}

/// Each clip's loudness is measured once and remembered in the cache folder, and each clip is
/// kept prepared; a render from either is the same file, byte for byte, and an unreadable
/// loudness entry is measured again.
#[test]
fn remembered_loudness_and_prepared_clips_render_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--hold", "20", "--sets", "1", "-q", "--render"];
    let render = |name: &str| {
        let wav = dir.path().join(name);
        bin(dir.path()).args(args).arg(&wav).assert().success();
        std::fs::read(wav).unwrap()
    };
    let cold = render("cold.wav");
    let cache = dir.path().join(".cache/balasana-audio/loudness");
    let mut entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(entries.len() > 20, "{} clips remembered", entries.len());
    for entry in &entries {
        let text = std::fs::read_to_string(entry).unwrap();
        let lufs: f64 = text.split_whitespace().next().unwrap().parse().unwrap();
        assert!((lufs + 20.0).abs() < 1.0, "{}: {text}", entry.display());
    }
    let prepared = dir.path().join(".cache/balasana-audio/prepared");
    let kept = std::fs::read_dir(&prepared).unwrap().count();
    assert!(kept > 20, "{kept} clips kept prepared");
    let warm = render("warm.wav");
    assert!(cold == warm, "the render from prepared clips differs");
    // Without the prepared clips, they are decoded again with the remembered loudness.
    std::fs::remove_dir_all(&prepared).unwrap();
    let remembered = render("remembered.wav");
    assert!(
        cold == remembered,
        "the render from remembered loudness differs"
    );
    std::fs::remove_dir_all(&prepared).unwrap();
    std::fs::write(&entries[0], "not a number\n").unwrap();
    assert!(render("mended.wav") == cold);
    let mended = std::fs::read_to_string(&entries[0]).unwrap();
    assert!(
        mended
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<f64>()
            .is_ok()
    );
}
