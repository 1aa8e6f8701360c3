//! Properties of `timeline::build` over random options and random clip lengths.

use balasana_audio::chime::Chime;
use balasana_audio::script::{EMBEDDED, EMBEDDED_NAME, Script};
use balasana_audio::timeline::{ClipLengths, Layer, Options, build};
use proptest::prelude::*;

const RATE: u32 = 8_000;

fn script() -> Script {
    Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap()
}

/// Options anywhere in the script's allowed ranges (halves of seconds included).
fn options() -> impl Strategy<Value = Options> {
    (
        20u32..=600,
        1u32..=5,
        5u32..=300,
        4u32..=20,
        4u32..=30,
        any::<bool>(),
        0u32..=30,
    )
        .prop_map(
            |(hold, sets, rest, inhale2, exhale2, chimes, lead_in)| Options {
                hold: f64::from(hold),
                sets,
                rest: f64::from(rest),
                inhale: f64::from(inhale2) / 2.0,
                exhale: f64::from(exhale2) / 2.0,
                chimes,
                voice_gain: 1.0,
                chime_gain: 1.0,
                lead_in: f64::from(lead_in),
            },
        )
}

/// Every cue a clip of 0.2–9 s: packs differ wildly in pace.
fn lengths() -> impl Strategy<Value = ClipLengths> {
    let cues: Vec<String> = script()
        .lines()
        .map(|l| l.cue.clone())
        .chain(Chime::ALL.iter().map(|c| c.cue().to_owned()))
        .collect();
    proptest::collection::vec(u64::from(RATE) / 5..u64::from(RATE) * 9, cues.len())
        .prop_map(move |lens| cues.iter().cloned().zip(lens).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn guarantees_hold(o in options(), lens in lengths()) {
        let s = script();
        let t = build(&s, &o, &lens, RATE).unwrap();

        // Ordered, and every event's length is its clip's.
        prop_assert!(t.events.windows(2).all(|w| w[0].frame <= w[1].frame));
        for e in &t.events {
            prop_assert_eq!(e.duration, lens[&e.cue]);
            prop_assert!(e.end() <= t.duration);
        }

        // Voice clips never overlap.
        let voices: Vec<_> = t.events.iter().filter(|e| e.layer == Layer::Voice).collect();
        for w in voices.windows(2) {
            prop_assert!(w[0].end() <= w[1].frame, "{} overlaps {}", w[0].cue, w[1].cue);
        }

        // One hold per set, each exactly `hold` seconds, from the end of the last settle line
        // to the end-of-hold chime; no voice crosses a hold's end.
        prop_assert_eq!(t.holds.len() as u32, o.sets);
        for h in &t.holds {
            prop_assert_eq!(h.end - h.start, (o.hold * f64::from(RATE)).round() as u64);
            let settle_end = voices.iter().filter(|e| e.end() <= h.start).map(|e| e.end()).max();
            prop_assert_eq!(settle_end, Some(h.start));
            if o.chimes {
                prop_assert!(t.events.iter().any(|e| e.frame == h.end && e.cue == "chime-hold-end"));
            }
            prop_assert!(voices.iter().all(|e| e.end() <= h.start || e.frame >= h.end || e.end() <= h.end));
        }

        // Every set is announced and chimes follow the switch.
        for k in 1..=o.sets {
            let cue = format!("set-{k}-of-{}", o.sets);
            prop_assert!(t.events.iter().any(|e| e.cue == cue));
        }
        prop_assert_eq!(t.events.iter().any(|e| e.layer == Layer::Chime), o.chimes);

        // Rest between sets: at least the asked length, from the end of one set's last line to
        // the next set's step chime (or announcement with chimes off).
        for k in 2..=o.sets {
            let rest_start = voices.iter().filter(|e| e.set == Some(k - 1) && e.step == "exit").map(|e| e.end()).max().unwrap();
            let next = t.events.iter().filter(|e| e.set == Some(k)).map(|e| e.frame).min().unwrap();
            prop_assert!(next - rest_start >= (o.rest * f64::from(RATE)).round() as u64);
        }

        // Deterministic.
        prop_assert_eq!(build(&s, &o, &lens, RATE).unwrap(), t);
    }

    #[test]
    fn breath_chimes_keep_exact_pace(o in options(), lens in lengths()) {
        let s = script();
        let o = Options { chimes: true, ..o };
        let t = build(&s, &o, &lens, RATE).unwrap();
        let inhale = (o.inhale * f64::from(RATE)).round() as u64;
        let exhale = (o.exhale * f64::from(RATE)).round() as u64;
        for h in &t.holds {
            let inhales: Vec<u64> = t.events.iter()
                .filter(|e| e.cue == "chime-inhale" && (h.start..h.end).contains(&e.frame))
                .map(|e| e.frame).collect();
            for w in inhales.windows(2) {
                prop_assert_eq!(w[1] - w[0], inhale + exhale);
            }
            for &i in &inhales {
                prop_assert!(t.events.iter().any(|e| e.cue == "chime-exhale" && e.frame == i + inhale));
                prop_assert!(i + inhale + exhale <= h.end);
            }
        }
    }
}

#[test]
fn remaining_cues_fit_the_hold() {
    let s = script();
    let lens: ClipLengths = s
        .lines()
        .map(|l| (l.cue.clone(), u64::from(RATE)))
        .chain(
            Chime::ALL
                .iter()
                .map(|c| (c.cue().to_owned(), 2 * u64::from(RATE))),
        )
        .collect();
    let cues_for = |hold: f64| -> Vec<String> {
        let o = Options {
            hold,
            sets: 1,
            ..Options::defaults(&s)
        };
        let t = build(&s, &o, &lens, RATE).unwrap();
        let h = t.holds[0];
        t.events
            .iter()
            .filter(|e| e.cue.starts_with("remain-"))
            .inspect(|e| {
                let at: f64 = s
                    .hold
                    .remaining
                    .iter()
                    .find(|r| r.line.cue == e.cue)
                    .unwrap()
                    .at;
                assert_eq!(e.frame, h.end - (at * f64::from(RATE)) as u64, "{}", e.cue);
            })
            .map(|e| e.cue.clone())
            .collect()
    };
    assert_eq!(cues_for(20.0), Vec::<String>::new());
    assert_eq!(cues_for(40.0), ["remain-10s"]);
    assert_eq!(cues_for(90.0), ["remain-1m", "remain-30s", "remain-10s"]);
    assert_eq!(
        cues_for(300.0),
        [
            "remain-4m",
            "remain-3m",
            "remain-2m",
            "remain-1m",
            "remain-30s",
            "remain-10s"
        ]
    );
}
