//! Properties of `timeline::build` over random options and random clip lengths.

use balasana_audio::chime::Chime;
use balasana_audio::cue::Cue;
use balasana_audio::script::BreathPhases;
use balasana_audio::timeline::{ClipLengths, Layer, Options, Pacing, build};
use proptest::prelude::*;

use crate::common::script;

const RATE: u32 = 8_000;

/// Options anywhere in the script's allowed ranges (halves of seconds included), at every
/// guidance level, variation, arm position, pacing, with or without breath holds and bells.
fn options() -> impl Strategy<Value = Options> {
    let timing = (
        20u32..=600,
        1u32..=5,
        5u32..=300,
        (4u32..=20, 0u32..=24, 4u32..=30, 0u32..=24),
        any::<bool>(),
        0u32..=30,
    );
    let choices = (
        prop::sample::select(vec!["full", "brief", "minimal"]),
        prop::sample::select(vec!["standard", "wide-knee"]),
        prop::sample::select(vec!["either", "forward", "back"]),
        any::<bool>(),
        prop::sample::select(vec![Pacing::Guided, Pacing::Chimes, Pacing::Silent]),
        prop::option::of(10u32..=600),
    );
    (timing, choices).prop_map(
        |(
            (hold, sets, rest, (inhale2, hold2, exhale2, rest2), chimes, lead_in),
            (guidance, variation, arms, tips, pacing, bell),
        )| {
            let s = script();
            let mut o = Options::defaults(&s);
            o.hold = f64::from(hold);
            o.sets = sets;
            o.rest = f64::from(rest);
            o.breath = BreathPhases {
                inhale: f64::from(inhale2) / 2.0,
                hold: f64::from(hold2) / 2.0,
                exhale: f64::from(exhale2) / 2.0,
                rest: f64::from(rest2) / 2.0,
            };
            o.chimes = chimes;
            o.lead_in = f64::from(lead_in);
            o.guidance = guidance.to_owned();
            o.choices.insert("variation".into(), variation.into());
            o.choices.insert("arms".into(), arms.into());
            o.tips = tips;
            o.pacing = pacing;
            o.bell = bell.map(f64::from);
            o
        },
    )
}

/// Every cue a clip of 0.2–9 s: packs differ wildly in pace.
fn lengths() -> impl Strategy<Value = ClipLengths> {
    let cues: Vec<Cue> = script()
        .lines()
        .map(|l| l.cue.clone())
        .chain(Chime::ALL.iter().map(|c| Cue::from(*c)))
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

        // Every set is announced (but with minimal guidance) and chimes follow the switch.
        for k in 1..=o.sets {
            let cue = format!("set-{k}-of-{}", o.sets);
            prop_assert_eq!(t.events.iter().any(|e| e.cue == cue), o.guidance != "minimal");
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
        let frames = |secs: f64| (secs * f64::from(RATE)).round() as u64;
        let b = o.breath;
        let period = frames(b.period());
        for h in &t.holds {
            let inhales: Vec<u64> = t.events.iter()
                .filter(|e| e.cue == "chime-inhale" && (h.start..h.end).contains(&e.frame))
                .map(|e| e.frame).collect();
            if o.pacing == Pacing::Silent {
                prop_assert!(inhales.is_empty());
            }
            for w in inhales.windows(2) {
                prop_assert_eq!(w[1] - w[0], period);
            }
            let at = |frame: u64, cue: &str| t.events.iter().any(|e| e.cue == cue && e.frame == frame);
            for &i in &inhales {
                prop_assert!(at(i + frames(b.inhale + b.hold), "chime-exhale"));
                prop_assert_eq!(at(i + frames(b.inhale), "chime-hold"), b.hold > 0.0);
                prop_assert_eq!(at(i + frames(b.inhale + b.hold + b.exhale), "chime-hold"), b.rest > 0.0);
                prop_assert!(i + period <= h.end);
            }
        }
    }

    #[test]
    fn bells_ring_at_exact_multiples_clear_of_the_hold_end(o in options(), lens in lengths()) {
        let s = script();
        let o = Options { chimes: true, bell: Some(30.0), ..o };
        let t = build(&s, &o, &lens, RATE).unwrap();
        let every = 30 * u64::from(RATE);
        for h in &t.holds {
            let bells: Vec<u64> = t.events.iter()
                .filter(|e| e.cue == "chime-bell" && (h.start..=h.end).contains(&e.frame))
                .map(|e| e.frame).collect();
            let expected: Vec<u64> = (1..).map(|k| h.start + k * every)
                .take_while(|&f| f + 5 * u64::from(RATE) < h.end).collect();
            prop_assert_eq!(bells, expected);
        }
    }

    #[test]
    fn guidance_choices_and_pacing_pick_their_lines(o in options(), lens in lengths()) {
        let s = script();
        let t = build(&s, &o, &lens, RATE).unwrap();
        let spoken = |cue: &str| t.events.iter().any(|e| e.cue == cue);
        let by_cue = |cue: &str| s.lines().find(|l| l.cue == cue).unwrap().clone();
        for e in t.events.iter().filter(|e| e.layer == Layer::Voice) {
            let line = by_cue(&e.cue);
            // A line is only spoken when its choices are chosen.
            for (name, value) in &line.only {
                prop_assert_eq!(&o.choices[name], value, "{}", e.cue);
            }
            // Tips follow the tips switch; step lines the guidance level.
            if line.tips {
                prop_assert!(o.tips, "{}", e.cue);
            }
        }
        prop_assert_eq!(spoken("name-kneel"), o.guidance == "minimal");
        prop_assert_eq!(spoken("brief-kneel") || spoken("brief-kneel-wide"), o.guidance == "brief");
        prop_assert!(!spoken("welcome") || o.guidance == "full");
        // Breath lines only with guided pacing.
        let breath_line = ["breathe-in-back", "breathe-in-ribs", "breathe-out-deeper", "breathe-out-soften", "breathe-hold"];
        if o.pacing != Pacing::Guided || o.guidance == "minimal" {
            prop_assert!(!breath_line.iter().any(|c| spoken(c)));
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
                .map(|c| (Cue::from(*c), 2 * u64::from(RATE))),
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
            .map(|e| e.cue.to_string())
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
