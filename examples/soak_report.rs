//! The soak's analysis (`scripts/soak.sh` runs it): recordings of a live session against its
//! render and plan.
//!
//! ```text
//! soak_report --plan plan.json --render render.wav --rec rec-1.raw [--rec rec-2.raw]
//!             [--times times] [--samples samples.tsv] [--exit-code N] [--events events.tsv]
//! ```
//!
//! Each recording (mono 16-bit 48 kHz, one per run of the audio server) is aligned with the
//! render separately: coarsely by cross-correlating 10 ms loudness envelopes, then each planned
//! event is found by cross-correlating 100 ms of the render at its frame with the recording
//! (±20 ms). Reports every event's error against the segment's alignment, the shift the server
//! restart caused, dropouts (digital silence recorded where the render has sound), the player's
//! RSS over time and its CPU seconds.

use std::collections::HashMap;
use std::path::PathBuf;

const RATE: usize = 48_000;
/// Envelope block: 10 ms.
const BLOCK: usize = 480;
/// Per-event search: ±20 ms around where the previous event was found, then ±3 s.
const SEARCH: usize = 960;
const WIDE: usize = 144_000;
/// Per-event template: 2.5 ms before the planned frame to 97.5 ms after.
const PRE: usize = 120;
const TEMPLATE: usize = 4_800;
/// Render blocks quieter than this (peak) are not checked for dropouts.
const SOUND: i16 = 300;

struct Args {
    plan: PathBuf,
    render: PathBuf,
    recs: Vec<PathBuf>,
    times: Option<PathBuf>,
    samples: Option<PathBuf>,
    exit_code: Option<String>,
    events: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        plan: PathBuf::new(),
        render: PathBuf::new(),
        recs: Vec::new(),
        times: None,
        samples: None,
        exit_code: None,
        events: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--plan" => a.plan = value.into(),
            "--render" => a.render = value.into(),
            "--rec" => a.recs.push(value.into()),
            "--times" => a.times = Some(value.into()),
            "--samples" => a.samples = Some(value.into()),
            "--exit-code" => a.exit_code = Some(value),
            "--events" => a.events = Some(value.into()),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// A planned event.
struct Planned {
    frame: usize,
    layer: String,
    cue: String,
}

fn read_raw(path: &PathBuf) -> Vec<i16> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// The render mixed to mono as PulseAudio mixes stereo down for a mono recording.
fn read_render(path: &PathBuf) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let channels = usize::from(r.spec().channels);
    let samples: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    samples
        .chunks_exact(channels)
        .map(|f| (f.iter().map(|&s| i32::from(s)).sum::<i32>() / channels as i32) as i16)
        .collect()
}

/// RMS of each 10 ms block.
fn envelope(x: &[i16]) -> Vec<f32> {
    x.chunks(BLOCK)
        .map(|b| (b.iter().map(|&s| f32::from(s).powi(2)).sum::<f32>() / b.len() as f32).sqrt())
        .collect()
}

/// The block lag `l` (render block = recording block + l) whose envelopes correlate best,
/// searched in `lo..=hi`; normalized by the whole recording's energy, so a lag that leaves
/// most of the recording outside the render scores low.
fn coarse_lag(rec: &[f32], render: &[f32], lo: i64, hi: i64) -> (i64, f64) {
    let xx: f64 = rec.iter().map(|&x| f64::from(x * x)).sum();
    let mut best = (lo, f64::MIN);
    for l in lo..=hi {
        let (mut xy, mut yy) = (0.0f64, 0.0f64);
        for (i, &x) in rec.iter().enumerate() {
            let j = i as i64 + l;
            if j < 0 || j as usize >= render.len() {
                continue;
            }
            let y = render[j as usize];
            xy += f64::from(x * y);
            yy += f64::from(y * y);
        }
        let score = if xx > 0.0 && yy > 0.0 {
            xy / (xx * yy).sqrt()
        } else {
            0.0
        };
        if score > best.1 {
            best = (l, score);
        }
    }
    best
}

/// Where in `rec` (a sample index) the render's `frame` is found, searching around `expected`;
/// with the normalized correlation. `None` if out of range or the render is silent there.
fn find_event(
    rec: &[i16],
    render: &[i16],
    frame: usize,
    expected: i64,
    radius: usize,
) -> Option<(i64, f64)> {
    let pre = PRE.min(frame);
    let t0 = frame - pre;
    let template: Vec<f32> = render
        .get(t0..t0 + TEMPLATE)?
        .iter()
        .map(|&s| f32::from(s))
        .collect();
    let tt: f64 = template.iter().map(|&v| f64::from(v * v)).sum();
    if tt < (TEMPLATE as f64) * 100.0 {
        return None;
    }
    let start = expected - pre as i64 - radius as i64;
    if start < 0 || (start as usize + 2 * radius + TEMPLATE) > rec.len() {
        return None;
    }
    let window: Vec<f32> = rec[start as usize..start as usize + 2 * radius + TEMPLATE]
        .iter()
        .map(|&s| f32::from(s))
        .collect();
    let mut rr: f64 = window[..TEMPLATE].iter().map(|&v| f64::from(v * v)).sum();
    let mut best = (0usize, f64::MIN);
    for k in 0..=2 * radius {
        if k > 0 {
            rr += f64::from(window[k + TEMPLATE - 1].powi(2)) - f64::from(window[k - 1].powi(2));
        }
        let xy: f32 = template
            .iter()
            .zip(&window[k..k + TEMPLATE])
            .map(|(a, b)| a * b)
            .sum();
        let score = if rr > 0.0 {
            f64::from(xy) / (tt * rr).sqrt()
        } else {
            0.0
        };
        if score > best.1 {
            best = (k, score);
        }
    }
    Some((start + best.0 as i64 + pre as i64, best.1))
}

/// One recording aligned with the render.
struct Segment {
    /// Render frame = recording sample + lag.
    lag: i64,
    /// First and last recording sample with sound.
    first: usize,
    last: usize,
    /// Per event index: (error in samples, correlation).
    found: HashMap<usize, (i64, f64)>,
    /// Dropouts: (render frame, length in samples).
    dropouts: Vec<(usize, usize)>,
}

fn analyse(rec: &[i16], render: &[i16], events: &[Planned], prior_s: Option<f64>) -> Segment {
    let first = rec.iter().position(|&s| s != 0).unwrap_or(0);
    let last = rec.iter().rposition(|&s| s != 0).unwrap_or(0);
    let env_rec = envelope(&rec[first - first % BLOCK..]);
    let env_render = envelope(render);
    let offset_blocks = (first / BLOCK) as i64;
    // Search ±90 s around the prior (render position of the recording's first sound).
    let prior = prior_s.map_or(0, |p| (p * 100.0) as i64);
    let (l, score) = coarse_lag(&env_rec, &env_render, prior - 9_000, prior + 9_000);
    let coarse = (l - offset_blocks) * BLOCK as i64;
    // Refine: the segment's first event found with confidence sets the reference, so each
    // later event's error is how far the playback drifted since the segment began.
    let inside = |frame: usize, lag: i64| {
        let p = frame as i64 - lag;
        p >= first as i64 && p < last as i64
    };
    // The first recording starts before the player: its first sound is the plan's first.
    let lag = if prior_s.is_none() {
        render.iter().position(|&s| s != 0).unwrap_or(0) as i64 - first as i64
    } else {
        events
            .iter()
            .filter(|e| e.frame >= PRE && inside(e.frame, coarse))
            .find_map(|e| {
                [SEARCH, WIDE]
                    .iter()
                    .filter_map(|&r| find_event(rec, render, e.frame, e.frame as i64 - coarse, r))
                    .find(|f| f.1 >= 0.95)
                    .map(|(pos, _)| e.frame as i64 - pos)
            })
            .unwrap_or(coarse)
    };
    eprintln!(
        "segment: envelope correlation {score:.3}, coarse lag {coarse}, refined lag {lag} samples"
    );
    // Each event is searched around where the previous one was found, so a shift (a gap the
    // device filled) is followed rather than lost.
    let mut found = HashMap::new();
    let mut drift = 0i64;
    for (i, e) in events.iter().enumerate() {
        if !inside(e.frame, lag) {
            continue;
        }
        let expected = e.frame as i64 - lag;
        let hit = [(drift, SEARCH), (0, SEARCH), (drift, WIDE)]
            .iter()
            .filter_map(|&(d, r)| find_event(rec, render, e.frame, expected + d, r))
            .find(|f| f.1 >= 0.9)
            .or_else(|| find_event(rec, render, e.frame, expected + drift, SEARCH));
        if let Some((pos, corr)) = hit {
            if corr >= 0.9 {
                drift = pos - expected;
            }
            found.insert(i, (pos - expected, corr));
        }
    }
    // Dropouts: 10 ms blocks of digital silence recorded where the render has sound, the
    // render position following the drift measured at the last event before the block.
    let mut anchors: Vec<(i64, i64)> = found
        .iter()
        .filter(|(_, f)| f.1 >= 0.9)
        .map(|(i, f)| (events[*i].frame as i64 - lag + f.0, f.0))
        .collect();
    anchors.sort_unstable();
    let mut dropouts: Vec<(usize, usize)> = Vec::new();
    let mut p = first;
    let mut next = 0;
    let mut drift = 0i64;
    while p + BLOCK <= last {
        while next < anchors.len() && anchors[next].0 <= p as i64 {
            drift = anchors[next].1;
            next += 1;
        }
        let frame = p as i64 + lag - drift;
        if frame >= 0 && (frame as usize + BLOCK) <= render.len() {
            let f = frame as usize;
            let loud = render[f..f + BLOCK]
                .iter()
                .any(|s| s.unsigned_abs() > SOUND as u16);
            let silent = rec[p..p + BLOCK].iter().all(|&s| s == 0);
            if loud && silent {
                match dropouts.last_mut() {
                    Some((at, len)) if *at + *len == f => *len += BLOCK,
                    _ => dropouts.push((f, BLOCK)),
                }
            }
        }
        p += BLOCK;
    }
    Segment {
        lag,
        first,
        last,
        found,
        dropouts,
    }
}

fn secs(samples: i64) -> f64 {
    samples as f64 / RATE as f64
}

fn main() {
    let a = args();
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&a.plan).expect("plan")).expect("plan json");
    let events: Vec<Planned> = plan["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| Planned {
            frame: e["frame"].as_u64().unwrap() as usize,
            layer: e["layer"].as_str().unwrap().to_owned(),
            cue: e["cue"].as_str().unwrap().to_owned(),
        })
        .collect();
    let length = plan["duration"].as_f64().unwrap();
    let render = read_render(&a.render);
    let times: HashMap<String, f64> = a
        .times
        .as_ref()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter_map(|l| {
                    let (k, v) = l.split_once(' ')?;
                    Some((k.to_owned(), v.parse().ok()?))
                })
                .collect()
        })
        .unwrap_or_default();

    println!("soak report");
    println!(
        "plan: {} events, {length:.1} s; player exit code {}",
        events.len(),
        a.exit_code.as_deref().unwrap_or("?")
    );
    let mut segments = Vec::new();
    for (k, path) in a.recs.iter().enumerate() {
        let rec = read_raw(path);
        // Where the player should be when this recording starts, from the wall clock.
        let prior = match (times.get(&format!("rec-{}", k + 1)), times.get("player")) {
            (Some(r), Some(p)) if k > 0 => Some(r - p - 1.0),
            _ => None,
        };
        let first_s = rec.iter().position(|&s| s != 0).unwrap_or(0) as f64 / RATE as f64;
        let seg = analyse(&rec, &render, &events, prior.map(|p| p + first_s));
        let errors: Vec<i64> = seg.found.values().map(|f| f.0).collect();
        let worst = errors.iter().map(|e| e.abs()).max().unwrap_or(0);
        let weak = seg.found.values().filter(|f| f.1 < 0.9).count();
        println!(
            "recording {} ({}): {:.1} s, sound from {:.2} s to {:.2} s = plan {:.2} s to {:.2} s",
            k + 1,
            path.display(),
            rec.len() as f64 / RATE as f64,
            secs(seg.first as i64),
            secs(seg.last as i64),
            secs(seg.first as i64 + seg.lag),
            secs(seg.last as i64 + seg.lag),
        );
        println!(
            "  events: {} measured, max |error| {:.3} ms, {} over 2 ms, {} with correlation < 0.9",
            seg.found.len(),
            secs(worst) * 1e3,
            errors.iter().filter(|e| e.abs() > 96).count(),
            weak
        );
        // Steps in the error from one event to the next: audio that arrived late (a gap the
        // device filled, e.g. an underrun in a silent stretch) or early (samples lost).
        let mut ordered: Vec<(usize, i64)> = seg
            .found
            .iter()
            .filter(|f| f.1.1 >= 0.9)
            .map(|(i, f)| (*i, f.0))
            .collect();
        ordered.sort_unstable();
        let steps: Vec<String> = ordered
            .windows(2)
            .filter(|w| (w[1].1 - w[0].1).abs() > 48)
            .map(|w| {
                format!(
                    "{:+.1} ms between plan {:.2} s and {:.2} s",
                    secs(w[1].1 - w[0].1) * 1e3,
                    secs(events[w[0].0].frame as i64),
                    secs(events[w[1].0].frame as i64)
                )
            })
            .collect();
        let late: i64 = ordered
            .windows(2)
            .map(|w| (w[1].1 - w[0].1).max(0))
            .filter(|d| *d > 48)
            .sum();
        let early: i64 = ordered
            .windows(2)
            .map(|w| (w[1].1 - w[0].1).min(0))
            .filter(|d| *d < -48)
            .sum();
        println!(
            "  timing steps over 1 ms between successive events: {} (later: {:+.3} s in all, gaps the device filled; earlier: {:+.3} s, samples lost); drift at the end {:+.3} s",
            steps.len(),
            secs(late),
            secs(early),
            secs(ordered.last().map_or(0, |l| l.1))
        );
        for step in steps.iter().take(25) {
            println!("    {step}");
        }
        if steps.len() > 25 {
            println!("    … {} more in the events file", steps.len() - 25);
        }
        let lost: usize = seg.dropouts.iter().map(|d| d.1).sum();
        println!(
            "  dropouts (digital silence where the plan has sound, 10 ms blocks): {} ({:.2} s in all, the longest {:.0} ms)",
            seg.dropouts.len(),
            secs(lost as i64),
            secs(seg.dropouts.iter().map(|d| d.1).max().unwrap_or(0) as i64) * 1e3
        );
        for (at, len) in seg.dropouts.iter().take(20) {
            println!(
                "    at plan {:.2} s, {:.0} ms",
                secs(*at as i64),
                secs(*len as i64) * 1e3
            );
        }
        segments.push((seg, rec.len()));
    }
    let measured: usize = segments.iter().map(|s| s.0.found.len()).sum();
    let mut covered = vec![false; events.len()];
    for (s, _) in &segments {
        for &i in s.found.keys() {
            covered[i] = true;
        }
    }
    let missing: Vec<String> = events
        .iter()
        .zip(&covered)
        .filter(|(_, c)| !**c)
        .map(|(e, _)| format!("{}@{:.2}s", e.cue, secs(e.frame as i64)))
        .collect();
    println!(
        "events: {} of {} measured in the recordings; not measured: {}",
        covered.iter().filter(|c| **c).count(),
        events.len(),
        if missing.is_empty() {
            "none".to_owned()
        } else if missing.len() > 12 {
            format!("{} … ({} in all)", missing[..12].join(", "), missing.len())
        } else {
            missing.join(", ")
        }
    );
    if measured > 0 {
        let all: Vec<f64> = segments
            .iter()
            .flat_map(|s| s.0.found.values().map(|f| secs(f.0) * 1e3))
            .collect();
        let worst = all.iter().fold(0.0f64, |m, e| m.max(e.abs()));
        println!("every measured event: max |error| against its segment's alignment {worst:.3} ms");
    }
    if let [(one, len1), (two, _), ..] = segments.as_slice() {
        // Plan time at wall time t is t - t_rec + (lag - drift) / RATE within each recording;
        // at the end of the first recording the drift is that of its last event.
        let end_drift = one
            .found
            .iter()
            .filter(|f| f.1.1 >= 0.9)
            .max_by_key(|f| f.0)
            .map_or(0, |f| f.1.0);
        let one_lag = one.lag - end_drift;
        if let (Some(r1), Some(r2)) = (times.get("rec-1"), times.get("rec-2")) {
            let shift = (secs(two.lag) - r2) - (secs(one_lag) - r1);
            println!(
                "server restart: the plan falls {:.3} s further behind the wall clock (outage and reconnection, less the replayed buffer)",
                -shift
            );
        }
        let end_one = *len1 as i64 + one_lag;
        let start_two = two.first as i64 + two.lag;
        println!(
            "  recording 1 ends at plan {:.3} s, recording 2's first sound is plan {:.3} s: {}",
            secs(end_one),
            secs(start_two),
            if start_two <= end_one {
                format!(
                    "{:.3} s replayed, nothing skipped",
                    secs(end_one - start_two)
                )
            } else {
                format!(
                    "{:.3} s of the plan never recorded",
                    secs(start_two - end_one)
                )
            }
        );
    }
    if let (Some(p), Some(e)) = (times.get("player"), times.get("end")) {
        println!(
            "wall time of the player: {:.1} s for a {length:.1} s plan",
            e - p
        );
    }
    if let Some(path) = &a.samples {
        let rows: Vec<(f64, f64, f64, f64)> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .filter_map(|l| {
                let v: Vec<f64> = l.split('\t').filter_map(|x| x.parse().ok()).collect();
                (v.len() >= 3).then(|| (v[0], v[1], v[2], v.get(3).copied().unwrap_or(0.0)))
            })
            .collect();
        if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
            let min = rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
            let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
            let after_minute: Vec<f64> = rows.iter().filter(|r| r.0 > 60.0).map(|r| r.1).collect();
            println!(
                "RSS: {} samples, min {:.1} MB, max {:.1} MB, first {:.1} MB, last {:.1} MB{}",
                rows.len(),
                min / 1024.0,
                max / 1024.0,
                first.1 / 1024.0,
                last.1 / 1024.0,
                if after_minute.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (after the first minute: {:.1}–{:.1} MB)",
                        after_minute.iter().cloned().fold(f64::INFINITY, f64::min) / 1024.0,
                        after_minute.iter().cloned().fold(0.0, f64::max) / 1024.0
                    )
                }
            );
            println!(
                "CPU: {:.2} s in {:.0} s ({:.2} % of one core); machine load average (1 min) {:.2}–{:.2}",
                last.2,
                last.0,
                100.0 * last.2 / last.0.max(1e-9),
                rows.iter().map(|r| r.3).fold(f64::INFINITY, f64::min),
                rows.iter().map(|r| r.3).fold(0.0, f64::max)
            );
        }
    }
    if let Some(path) = &a.events {
        let mut out = String::from("index\tframe\tlayer\tcue\trecording\terror_ms\tcorrelation\n");
        for (i, e) in events.iter().enumerate() {
            let hit = segments
                .iter()
                .enumerate()
                .find_map(|(k, s)| s.0.found.get(&i).map(|f| (k + 1, f)));
            match hit {
                Some((k, (err, corr))) => out.push_str(&format!(
                    "{i}\t{}\t{}\t{}\t{k}\t{:.3}\t{corr:.3}\n",
                    e.frame,
                    e.layer,
                    e.cue,
                    secs(*err) * 1e3
                )),
                None => out.push_str(&format!(
                    "{i}\t{}\t{}\t{}\t-\t-\t-\n",
                    e.frame, e.layer, e.cue
                )),
            }
        }
        std::fs::write(path, out).expect("events file");
    }
}
