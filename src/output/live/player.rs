//! The play loop: starts the session on a [`Device`], answers requests and signals, watches the
//! device, and reopens it when it stalls or is lost.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::{
    AlsaDevice, Clock, CpalDevice, Device, Ending, FADE_SECS, Fault, LiveError, Request, Signals,
    Status, SystemClock, VOLUME_MAX_DB, VOLUME_MIN_DB,
};
use crate::mix::Mixer;
use crate::output::feeder::Supply;
use crate::output::source::{Controls, MixSource};
use crate::timeline::Timeline;

/// A device that takes no samples for this long has failed, whatever it reported.
const STALL: Duration = Duration::from_secs(2);
/// A device that takes no samples for this long while reporting errors has failed: cpal then
/// loops on the error at full speed, so waiting longer only burns a core.
const STALL_WITH_ERRORS: Duration = Duration::from_millis(500);
/// After losing the device, how long to keep trying to reopen it.
pub(super) const REOPEN_FOR: Duration = Duration::from_secs(5);
/// How long to wait before each try at reopening the device.
const REOPEN_EVERY: Duration = Duration::from_millis(500);
/// How far back to resume after reopening, to replay what was lost in the old device's buffer.
const REWIND_SECS: f64 = 0.3;
/// How often the play loop looks at the device and the clock while the session fades out to
/// its end, so it ends soon after the fade; and how soon after answering a request it reports
/// progress again, when the request has reached the source.
const TICK: Duration = Duration::from_millis(250);
/// The longest the play loop sleeps when no request wakes it (keys, media controls and signals
/// all do): a stalled or lost device, or a clip that could not be prepared, is noticed within it.
/// Otherwise it wakes when the progress clock shows the next second, or the session ends: every
/// wake-up costs CPU, and the clock moves once a second.
const LONGEST_WAIT: Duration = Duration::from_secs(1);
/// Woken this long after the clock's next second is due, so the source has reached it.
const WAKE_AFTER: Duration = Duration::from_millis(10);
/// A jump lands at the source's next block; for this long after one, further presses count from
/// where it jumped to, not from the frame still being played.
const JUMP_SETTLES: Duration = Duration::from_millis(500);
/// Waited after the device has played out what it holds, before the session ends.
const DRAIN_MARGIN: Duration = Duration::from_millis(50);
/// A volume key's step, dB.
const VOLUME_STEP_DB: f64 = 3.0;

/// The output device and the clock the session is played by: the default device and the
/// system's clock, unless a test gives others.
pub struct Player<D: Device = Box<dyn Device>, C: Clock = SystemClock> {
    device: D,
    clock: C,
}

/// The environment variable that picks cpal's device layer over ALSA's blocking writes
/// (`BALASANA_AUDIO_OUTPUT=cpal`), to compare the two or to play where the first fails oddly.
const OUTPUT_VARIABLE: &str = "BALASANA_AUDIO_OUTPUT";

impl Player {
    /// Opens the default output device: through ALSA, written to in blocking periods as `aplay`
    /// does; through cpal when that fails to open, or when [`OUTPUT_VARIABLE`] says `cpal`.
    pub fn open() -> Result<Player, LiveError> {
        let cpal_asked = std::env::var_os(OUTPUT_VARIABLE).is_some_and(|v| v == "cpal");
        let device: Box<dyn Device> = match (!cpal_asked).then(AlsaDevice::open) {
            Some(Ok(alsa)) => Box::new(alsa),
            _ => Box::new(CpalDevice::open()?),
        };
        Ok(Player::new(device, SystemClock::default()))
    }
}

impl<D: Device, C: Clock> Player<D, C> {
    /// Plays through `device`, timed by `clock`.
    fn new(device: D, clock: C) -> Self {
        Player { device, clock }
    }

    /// The device's sample rate.
    pub fn rate(&self) -> u32 {
        self.device.rate()
    }

    /// The device's channel count.
    pub fn channels(&self) -> u16 {
        self.device.channels()
    }

    /// Starts a stream on the device whose callback plays the session from its very first
    /// call, so no silence is queued ahead of the first frames.
    fn start(
        &mut self,
        mixer: Mixer,
        controls: &Arc<Controls>,
        tones: &(Arc<[f32]>, Arc<[f32]>),
    ) -> Result<(), LiveError> {
        let source = MixSource::new(
            mixer,
            controls.clone(),
            self.channels(),
            self.rate(),
            FADE_SECS,
            tones.clone(),
        );
        self.device.start(source)
    }

    /// Lets the lost device go (which ends cpal's error loop) and tries to open it again with
    /// the same configuration, every half second for [`REOPEN_FOR`].
    fn reopen(&mut self) -> bool {
        self.device.close();
        let started = self.clock.now();
        while self.clock.now() - started < REOPEN_FOR {
            self.clock.sleep(REOPEN_EVERY);
            if self.device.reopen().is_ok() {
                return true;
            }
        }
        false
    }

    /// After the device was lost (`why`): reopens it and resumes a little before the frame it
    /// had reached, to replay what was lost in its buffer.
    fn recover(
        &mut self,
        why: String,
        mixer: &mut impl FnMut(u64) -> Mixer,
        controls: &Arc<Controls>,
        tones: &(Arc<[f32]>, Arc<[f32]>),
    ) -> Result<(), LiveError> {
        if !self.reopen() {
            return Err(LiveError::Lost(why));
        }
        let rewind = crate::units::frames(REWIND_SECS, self.rate());
        let resumed = mixer(controls.frame().saturating_sub(rewind));
        self.start(resumed, controls, tones)
            .map_err(|e| LiveError::Lost(e.to_string()))
    }

    /// Plays a session to its end, a signal or a quit request. `mixer` makes the session's
    /// mixer positioned at a frame (again after the device is reopened); `supply` prepares its
    /// clips (told of every jump; a clip it could not prepare stops the session). `requests` come
    /// from the keys, the media controls and the signals ([`Signals::forward`]); `tones` mark a
    /// pause and a resume; `progress` is called when the clock shows the next second (at least
    /// once a second), and at once after requests are answered.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of the loop; a struct adds nothing
    pub fn play(
        &mut self,
        mut mixer: impl FnMut(u64) -> Mixer,
        supply: &Supply,
        timeline: &Timeline,
        tones: (Arc<[f32]>, Arc<[f32]>),
        signals: &Signals,
        requests: &Receiver<Request>,
        mut progress: impl FnMut(&Status),
    ) -> Result<Ending, LiveError> {
        let controls = Arc::new(Controls::default());
        self.start(mixer(0), &controls, &tones)?;
        let mut watch = Watch::new(&self.device, 0, self.clock.now());
        let mut listener = Listener::default();
        let mut answered = false;
        while !controls.finished() {
            // The device: survive hiccups; reopen a lost or stalled one and carry on.
            if let Some(why) = watch.lost(&mut self.device, &controls, self.clock.now()) {
                if controls.stopping() {
                    break;
                }
                progress(&listener.status(&controls, true));
                self.recover(why, &mut mixer, &controls, &tones)?;
                watch = Watch::new(&self.device, controls.blocks(), self.clock.now());
                continue;
            }
            if !controls.stopping()
                && let Some(e) = signals.ending()
            {
                listener.ending = e;
                controls.stop();
            }
            if supply.failed() {
                controls.stop();
            }
            // Sleep until a request comes or it is time to show progress again; a quarter second
            // after answering one, so the progress shows where a jump landed.
            let mut wait = next_wake(&controls, timeline);
            if answered {
                wait = wait.min(TICK);
            }
            let first = self.clock.wait(requests, wait);
            let more = std::iter::from_fn(|| requests.try_recv().ok());
            answered = false;
            for request in first.into_iter().chain(more) {
                listener.answer(request, &controls, supply, timeline, self.clock.now());
                answered = true;
            }
            progress(&listener.status(&controls, false));
        }
        // Let the device play out what it holds, and a little more.
        self.clock.sleep(self.device.drain_time() + DRAIN_MARGIN);
        Ok(listener.ending)
    }
}

/// How long the play loop may sleep: until the progress clock's next second or the session's
/// end, whichever is first ([`TICK`] while it fades out to its end, [`LONGEST_WAIT`] at most).
fn next_wake(controls: &Controls, timeline: &Timeline) -> Duration {
    if controls.stopping() {
        return TICK;
    }
    if controls.paused() {
        return LONGEST_WAIT;
    }
    let now = timeline.seconds(controls.frame());
    let end = timeline.seconds(timeline.duration);
    let due = (now.floor() + 1.0).min(end) - now;
    Duration::from_secs_f64(due.max(0.0)).min(LONGEST_WAIT) + WAKE_AFTER
}

/// What the play loop has seen of the device: when it last took samples, and what it reported.
struct Watch {
    /// Blocks the source had made when last looked at.
    blocks: u64,
    /// When they last grew.
    moved: Duration,
    /// Errors the device had reported then.
    errors_then: u64,
    /// The latest fault reported, kept to say why the device was lost.
    last_fault: Option<Fault>,
}

impl Watch {
    /// Watching from `now`, when the source has made `blocks` blocks.
    fn new(device: &impl Device, blocks: u64, now: Duration) -> Self {
        Watch {
            blocks,
            moved: now,
            errors_then: device.errors(),
            last_fault: None,
        }
    }

    /// Why the device has failed, if it has: a fatal error, no samples taken for [`STALL`], or
    /// none for [`STALL_WITH_ERRORS`] while it reports errors.
    fn lost(
        &mut self,
        device: &mut impl Device,
        controls: &Controls,
        now: Duration,
    ) -> Option<String> {
        let blocks = controls.blocks();
        let errors = device.errors();
        if blocks != self.blocks {
            (self.blocks, self.moved, self.errors_then) = (blocks, now, errors);
        }
        let fault = device.take_fault();
        let fatal = fault.as_ref().is_some_and(|f| f.fatal);
        self.last_fault = fault.or(self.last_fault.take());
        let still = now - self.moved;
        let stalled = still > STALL || (errors > self.errors_then && still > STALL_WITH_ERRORS);
        (fatal || stalled).then(|| {
            self.last_fault
                .take()
                .map_or("it stopped taking samples".into(), |f| f.what)
        })
    }
}

/// The listener's side of the loop: how the session is to end, the volume asked for, and the
/// latest jump.
struct Listener {
    ending: Ending,
    volume_db: f64,
    /// The frame last jumped to, and when.
    jumped: Option<(u64, Duration)>,
}

impl Default for Listener {
    fn default() -> Self {
        Listener {
            ending: Ending::Finished,
            volume_db: 0.0,
            jumped: None,
        }
    }
}

impl Listener {
    /// Carries out one request at `now`.
    fn answer(
        &mut self,
        request: Request,
        controls: &Controls,
        supply: &Supply,
        timeline: &Timeline,
        now: Duration,
    ) {
        // A jump lands at the next block; until then, repeated presses count from it.
        let frame = match self.jumped {
            Some((to, at)) if now - at < JUMP_SETTLES => to,
            _ => controls.frame(),
        };
        let mut jump = |to: u64| {
            controls.seek(to);
            supply.jumped(to);
            self.jumped = Some((to, now));
        };
        match request {
            Request::TogglePause => controls.set_paused(!controls.paused()),
            Request::Play => controls.set_paused(false),
            Request::Pause => controls.set_paused(true),
            Request::Next => jump(next_step(timeline, frame)),
            Request::Restart => jump(restart_step(timeline, frame)),
            Request::Louder => self.set_volume(self.volume_db + VOLUME_STEP_DB, controls),
            Request::Softer => self.set_volume(self.volume_db - VOLUME_STEP_DB, controls),
            // A volume that is not a number changes nothing.
            Request::Volume(db) if db.is_nan() => {}
            Request::Volume(db) => self.set_volume(db, controls),
            Request::Quit | Request::Interrupt | Request::Terminate if !controls.stopping() => {
                self.ending = match request {
                    Request::Quit => Ending::Quit,
                    Request::Terminate => Ending::Terminated,
                    _ => Ending::Interrupted,
                };
                controls.stop();
            }
            Request::Quit | Request::Interrupt | Request::Terminate => {}
        }
    }

    /// Sets the volume to `db`, held within its limits.
    fn set_volume(&mut self, db: f64, controls: &Controls) {
        self.volume_db = db.clamp(VOLUME_MIN_DB, VOLUME_MAX_DB);
        controls.set_volume(crate::loudness::db_to_gain(self.volume_db) as f32);
    }

    /// The state of playback, for the progress display.
    fn status(&self, controls: &Controls, reconnecting: bool) -> Status {
        Status {
            frame: controls.frame(),
            paused: controls.paused(),
            volume_db: self.volume_db,
            reconnecting,
        }
    }
}

/// The start of the step after the one playing at `frame`, or the end of the session.
fn next_step(timeline: &Timeline, frame: u64) -> u64 {
    timeline
        .steps
        .iter()
        .map(|s| s.frame)
        .find(|&f| f > frame)
        .unwrap_or(timeline.duration)
}

/// The start of the step playing at `frame`, or of the previous one in its first two seconds.
fn restart_step(timeline: &Timeline, frame: u64) -> u64 {
    let Some(current) = timeline.step_index_at(frame) else {
        return 0;
    };
    let start = timeline.steps[current].frame;
    if frame - start < 2 * u64::from(timeline.rate) && current > 0 {
        timeline.steps[current - 1].frame
    } else {
        start
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ops::Range;

    use super::super::mock::{Hand, mock};
    use super::*;
    use crate::mix::Clips;
    use crate::pack::{Location, PackFiles};
    use crate::script::{EMBEDDED, EMBEDDED_NAME, Script};
    use crate::timeline::StepStart;

    /// The mock device's rate.
    const RATE: u32 = 8000;
    /// The session's length in frames: 8 s.
    const LENGTH: u64 = 8 * RATE as u64;
    /// Where its steps start: 0 s, 1 s and 5 s.
    const STEPS: [u64; 3] = [0, RATE as u64, 5 * RATE as u64];
    /// Frames of the source's fade around a jump (0.05 s).
    const SEEK_FADE: u64 = RATE as u64 / 20;
    /// The shortest stretch [`runs`] counts: a block of the source.
    const MIN_RUN: u64 = 480;
    /// One sample of the session's only clip per frame: `frame / SCALE`, exact in `f32`, so every
    /// sample played at full gain says which frame it is.
    const SCALE: f32 = (1 << 18) as f32;

    fn ramp(frame: u64) -> f32 {
        frame as f32 / SCALE
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// An 8 s session of one clip, the ramp, in three steps.
    fn session() -> (Timeline, Clips) {
        let samples: Arc<[f32]> = (0..LENGTH).map(ramp).collect();
        let clips = Clips {
            rate: RATE,
            by_cue: HashMap::from([(crate::cue::Cue::from("ramp"), samples)]),
        };
        let mut timeline = crate::mix::tests::timeline(vec![(0, "ramp")], &clips);
        timeline.steps = STEPS
            .iter()
            .map(|&frame| StepStart {
                step: format!("s{frame}"),
                title: "S".into(),
                set: None,
                frame,
            })
            .collect();
        (timeline, clips)
    }

    #[test]
    fn next_and_restart_find_step_starts() {
        let (t, _) = session();
        let second = u64::from(RATE);
        assert_eq!(next_step(&t, 0), STEPS[1]);
        assert_eq!(next_step(&t, STEPS[1] + second), STEPS[2]);
        assert_eq!(next_step(&t, STEPS[2] + second), LENGTH);
        assert_eq!(restart_step(&t, STEPS[1] + 5 * second / 2), STEPS[1]);
        // In a step's first two seconds, back to the previous step.
        assert_eq!(restart_step(&t, STEPS[1] + second), STEPS[0]);
        assert_eq!(restart_step(&t, 50), 0);
    }

    /// What a run of the play loop on the mock did.
    struct Run {
        result: Result<Ending, LiveError>,
        /// Every progress report, with the mock time it was made at.
        statuses: Vec<(Duration, Status)>,
        /// The samples each stream took (mono), in the order the streams started.
        streams: Vec<Vec<f32>>,
        /// The mock time when the loop returned.
        ended_at: Duration,
        reopen_tries: u32,
    }

    /// Plays the session on the mock: the device keeps up with the clock, then `script` acts.
    fn run(signals: &Signals, mut script: impl FnMut(&mut Hand) + 'static) -> Run {
        let (timeline, clips) = session();
        let (device, clock, requests, probe) = mock(RATE, 1, move |hand| {
            hand.keep_up();
            script(hand);
        });
        let script = Script::parse(EMBEDDED, EMBEDDED_NAME).unwrap();
        // The repository's default pack folder: the same clips in both feature states.
        let heart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("audio/heart");
        let files = PackFiles::open(Location::Folder(heart), &script, None).unwrap();
        let supply = Supply::new(&files, RATE, false);
        let tones = (Arc::from([0.25; 3]), Arc::from([0.5; 3]));
        let mut statuses = Vec::new();
        let result = Player::new(device, clock).play(
            |from| {
                let mut mixer = Mixer::new(&timeline, &clips).unwrap();
                mixer.seek(from);
                mixer
            },
            &supply,
            &timeline,
            tones,
            signals,
            &requests,
            |status| statuses.push((probe.now(), *status)),
        );
        Run {
            result,
            statuses,
            streams: probe.streams(),
            ended_at: probe.now(),
            reopen_tries: probe.reopen_tries(),
        }
    }

    /// How the run ended; it must have ended well.
    fn ending(run: &Run) -> Ending {
        match &run.result {
            Ok(ending) => *ending,
            Err(e) => panic!("{e}"),
        }
    }

    /// Plays the session on the mock with `requests` pressed together at `at` seconds.
    fn pressing(at_secs: f64, requests: &'static [Request]) -> Run {
        run(
            &Signals::default(),
            at(at_secs, move |hand| {
                requests.iter().for_each(|&r| hand.press(r))
            }),
        )
    }

    /// Runs `act` once, the first time the script runs at or after `at`.
    fn at(at: f64, mut act: impl FnMut(&mut Hand)) -> impl FnMut(&mut Hand) {
        let mut done = false;
        move |hand| {
            if !done && hand.now() >= secs(at) {
                done = true;
                act(hand);
            }
        }
    }

    /// The stretches of the session a stream played at full gain, as frame ranges: runs of at
    /// least a block of samples that are consecutive frames of the ramp (fades, tones and
    /// silence are left out).
    fn runs(samples: &[f32]) -> Vec<Range<u64>> {
        let frame = |s: f32| {
            let f = s * SCALE;
            (f >= 0.0 && f.fract() == 0.0).then_some(f as u64)
        };
        let mut runs: Vec<Range<u64>> = Vec::new();
        let mut current: Option<Range<u64>> = None;
        for f in samples.iter().map(|&s| frame(s)) {
            current = match (current.take(), f) {
                (Some(r), Some(f)) if f == r.end => Some(r.start..f + 1),
                (done, f) => {
                    runs.extend(done.filter(|r| r.end - r.start >= MIN_RUN));
                    f.map(|f| f..f + 1)
                }
            };
        }
        runs.extend(current.filter(|r| r.end - r.start >= MIN_RUN));
        runs
    }

    #[test]
    fn the_session_ends_when_the_source_finishes() {
        let r = run(&Signals::default(), |_| {});
        assert_eq!(ending(&r), Ending::Finished);
        assert_eq!(r.streams.len(), 1);
        assert_eq!(runs(&r.streams[0]), vec![0..LENGTH]);
        // The source says it is finished when the device asks past its end: the next tick.
        let length = secs(8.0);
        assert!(
            r.ended_at > length && r.ended_at <= length + TICK + DRAIN_MARGIN,
            "{:?}",
            r.ended_at
        );
        assert_eq!(r.statuses.last().unwrap().1.frame, LENGTH);
        assert!(r.statuses.iter().all(|(_, s)| !s.reconnecting && !s.paused));
    }

    #[test]
    fn without_requests_the_loop_wakes_once_for_every_second_the_clock_shows() {
        let r = run(&Signals::default(), |_| {});
        let shown: Vec<u64> = r
            .statuses
            .iter()
            .map(|(_, s)| s.frame / u64::from(RATE))
            .collect();
        // Every second of the eight is shown, in order, by a dozen reports at most (the clock
        // the source reports moves a block at a time, so a second may be shown twice); four
        // wake-ups a second would have made 32.
        let mut seconds = shown.clone();
        seconds.dedup();
        assert_eq!(seconds, (1..=8).collect::<Vec<_>>(), "{:?}", r.statuses);
        assert!(shown.len() <= 12, "{:?}", r.statuses);
    }

    /// The report that said the device was lost: its time and frame.
    fn reconnecting(run: &Run) -> (Duration, u64) {
        let lost: Vec<_> = run
            .statuses
            .iter()
            .filter(|(_, s)| s.reconnecting)
            .collect();
        assert_eq!(lost.len(), 1, "{lost:?}");
        (lost[0].0, lost[0].1.frame)
    }

    #[test]
    fn a_stalled_device_is_reopened_and_replays_from_a_little_before_the_lost_frame() {
        let r = run(&Signals::default(), at(2.0, |hand| hand.stall()));
        assert_eq!(ending(&r), Ending::Finished);
        let (when, frame) = reconnecting(&r);
        assert!(
            when > secs(2.0) + STALL && when <= secs(2.0) + STALL + LONGEST_WAIT + WAKE_AFTER,
            "{when:?}"
        );
        // The frame reported is where the source had got to: what the device took, to a block.
        let took = 2 * u64::from(RATE);
        assert!((took..took + MIN_RUN).contains(&frame), "{frame}");
        assert_eq!(r.streams.len(), 2);
        assert_eq!(r.reopen_tries, 1);
        let rewind = crate::units::frames(REWIND_SECS, RATE);
        assert_eq!(r.streams[1][0], ramp(frame - rewind));
        assert_eq!(runs(&r.streams[1]), vec![frame - rewind..LENGTH]);
    }

    #[test]
    fn a_stalled_device_that_reports_errors_is_given_up_on_sooner() {
        let mut stalled = false;
        let r = run(&Signals::default(), move |hand| {
            if hand.now() >= secs(2.0) && hand.now() < secs(4.0) {
                if !stalled {
                    hand.stall();
                    stalled = true;
                }
                hand.report("xrun", false);
            }
        });
        assert_eq!(ending(&r), Ending::Finished);
        let (when, _) = reconnecting(&r);
        let limit = secs(2.0) + STALL_WITH_ERRORS + LONGEST_WAIT + WAKE_AFTER;
        assert!(
            when > secs(2.0) + STALL_WITH_ERRORS && when <= limit,
            "{when:?}"
        );
    }

    #[test]
    fn a_device_lost_for_good_ends_the_session_within_the_reopen_window() {
        let r = run(
            &Signals::default(),
            at(2.0, |hand| {
                hand.report("device not available", true);
                hand.allow_reopen(false);
            }),
        );
        let (lost_at, _) = reconnecting(&r);
        assert_eq!(lost_at, secs(2.0));
        match r.result {
            Err(e @ LiveError::Lost(_)) => {
                let message = e.to_string();
                assert!(
                    message.starts_with("audio device lost during playback (device not available)"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        let waited = r.ended_at - lost_at;
        assert!(
            waited >= REOPEN_FOR && waited <= REOPEN_FOR + REOPEN_EVERY,
            "{waited:?}"
        );
        // Tried every half second meanwhile, and played nothing more.
        assert_eq!(u128::from(r.reopen_tries), REOPEN_FOR.as_millis() / 500);
        assert_eq!(r.streams.len(), 1);
    }

    #[test]
    fn a_device_back_within_the_window_plays_on() {
        let mut lose = at(2.0, |hand| {
            hand.report("device not available", true);
            hand.allow_reopen(false);
        });
        let mut come_back = at(3.6, |hand| hand.allow_reopen(true));
        let r = run(&Signals::default(), move |hand| {
            lose(hand);
            come_back(hand);
        });
        assert_eq!(ending(&r), Ending::Finished);
        // Refused at 2.5, 3 and 3.5 s; open at 4 s.
        assert_eq!(r.reopen_tries, 4);
        assert_eq!(r.streams.len(), 2);
        assert_eq!(runs(&r.streams[1]).last().unwrap().end, LENGTH);
    }

    #[test]
    fn a_device_lost_while_the_session_fades_out_ends_it() {
        let r = run(
            &Signals::default(),
            at(1.0, |hand| {
                hand.press(Request::Quit);
                hand.stall();
            }),
        );
        assert_eq!(ending(&r), Ending::Quit);
        assert_eq!(r.reopen_tries, 0);
        assert!(r.statuses.iter().all(|(_, s)| !s.reconnecting));
    }

    #[test]
    fn space_pauses_and_resumes_where_it_paused() {
        let mut pause = at(1.0, |hand| hand.press(Request::TogglePause));
        let mut resume = at(3.0, |hand| hand.press(Request::TogglePause));
        let r = run(&Signals::default(), move |hand| {
            pause(hand);
            resume(hand);
        });
        assert_eq!(ending(&r), Ending::Finished);
        for (when, status) in &r.statuses {
            let paused = *when >= secs(1.0) && *when < secs(3.0);
            assert_eq!(status.paused, paused, "at {when:?}");
        }
        // The clock stands still while paused.
        let held: Vec<u64> = r
            .statuses
            .iter()
            .filter(|(w, _)| *w >= secs(1.5) && *w < secs(3.0))
            .map(|(_, s)| s.frame)
            .collect();
        assert!(held.windows(2).all(|w| w[0] == w[1]), "{held:?}");
        // Every frame is heard at full gain but for the fades around the pause, which are
        // shorter than a quarter second: nothing is skipped or played twice.
        let played = runs(&r.streams[0]);
        assert_eq!(played.len(), 2, "{played:?}");
        assert_eq!((played[0].start, played[1].end), (0, LENGTH));
        let gap = played[1].start - played[0].end;
        assert!(gap < u64::from(RATE) / 4, "{gap}");
        // And the stream ran about two seconds longer than the session.
        let longer = r.streams[0].len() as u64 - LENGTH;
        assert!(longer > 3 * u64::from(RATE) / 2, "{longer}");
    }

    #[test]
    fn next_jumps_to_the_next_step_start() {
        let r = pressing(0.5, &[Request::Next]);
        assert_eq!(ending(&r), Ending::Finished);
        // The progress shows where it landed a quarter second after the press.
        let (shown_at, _) = r
            .statuses
            .iter()
            .find(|(_, s)| s.frame >= STEPS[1])
            .unwrap();
        assert_eq!(*shown_at, secs(0.5) + TICK, "{:?}", r.statuses);
        let played = runs(&r.streams[0]);
        assert_eq!(played.len(), 2, "{played:?}");
        assert!(played[0].end < STEPS[1], "{played:?}");
        // It lands on the step's start, heard at full gain once the short fade in is over.
        assert!(
            (STEPS[1]..STEPS[1] + SEEK_FADE).contains(&played[1].start),
            "{played:?}"
        );
        assert_eq!(played[1].end, LENGTH);
    }

    #[test]
    fn restart_goes_back_to_this_step_or_from_its_first_seconds_to_the_one_before() {
        // 2.5 s into the second step (at 3.5 s): back to its start.
        let r = pressing(3.5, &[Request::Restart]);
        let played = runs(&r.streams[0]);
        assert!(played[0].end > 3 * u64::from(RATE), "{played:?}");
        assert!(
            (STEPS[1]..STEPS[1] + SEEK_FADE).contains(&played[1].start),
            "{played:?}"
        );
        // Pressed twice: the second press counts from where the first jumped to, the step's
        // first moment, so it goes back to the step before.
        let r = pressing(3.5, &[Request::Restart, Request::Restart]);
        let played = runs(&r.streams[0]);
        assert_eq!(played.len(), 2, "{played:?}");
        assert!(
            (STEPS[0]..STEPS[0] + SEEK_FADE).contains(&played[1].start),
            "{played:?}"
        );
    }

    #[test]
    fn volume_steps_by_three_db_within_its_limits() {
        let mut louder = at(1.5, |hand| (0..3).for_each(|_| hand.press(Request::Louder)));
        let mut softer = at(3.5, |hand| {
            (0..13).for_each(|_| hand.press(Request::Softer))
        });
        let r = run(&Signals::default(), move |hand| {
            louder(hand);
            softer(hand);
        });
        assert_eq!(ending(&r), Ending::Finished);
        let volume_at = |t: f64| {
            let (_, s) = r.statuses.iter().find(|(w, _)| *w >= secs(t)).unwrap();
            s.volume_db
        };
        assert_eq!(
            (volume_at(0.5), volume_at(1.5), volume_at(3.5)),
            (0.0, 6.0, -30.0)
        );
        // What the device took, a second after each change (no pause or jump: sample i is
        // frame i).
        let played = &r.streams[0];
        let gain_at = |t: f64| {
            let i = (t * f64::from(RATE)) as usize;
            f64::from(played[i]) / f64::from(ramp(i as u64))
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-4 * b;
        assert!(
            close(gain_at(2.0), crate::loudness::db_to_gain(6.0)),
            "{}",
            gain_at(2.0)
        );
        assert!(
            close(gain_at(4.0), crate::loudness::db_to_gain(-30.0)),
            "{}",
            gain_at(4.0)
        );
    }

    #[test]
    fn play_and_pause_are_idempotent_and_a_set_volume_is_held_within_its_limits() {
        // Pause twice at 1 s, play twice at 2 s, play again at 3 s: one pause, of a second.
        let mut pause = at(1.0, |hand| (0..2).for_each(|_| hand.press(Request::Pause)));
        let mut play = at(2.0, |hand| (0..2).for_each(|_| hand.press(Request::Play)));
        let mut again = at(3.0, |hand| {
            hand.press(Request::Play);
            hand.press(Request::Volume(-6.0));
        });
        let mut too_loud = at(4.0, |hand| hand.press(Request::Volume(20.0)));
        let mut not_a_number = at(5.0, |hand| hand.press(Request::Volume(f64::NAN)));
        let r = run(&Signals::default(), move |hand| {
            pause(hand);
            play(hand);
            again(hand);
            too_loud(hand);
            not_a_number(hand);
        });
        assert_eq!(ending(&r), Ending::Finished);
        for (when, status) in &r.statuses {
            let paused = *when >= secs(1.0) && *when < secs(2.0);
            assert_eq!(status.paused, paused, "at {when:?}");
        }
        let volume_at = |t: f64| {
            let (_, s) = r.statuses.iter().find(|(w, _)| *w >= secs(t)).unwrap();
            s.volume_db
        };
        assert_eq!(
            (
                volume_at(2.0),
                volume_at(3.0),
                volume_at(4.0),
                volume_at(5.0)
            ),
            (0.0, -6.0, 6.0, 6.0)
        );
    }

    /// The fade that ends a stream stopped early: where it starts, as a sample index, and that
    /// it only falls, reaching silence within [`FADE_SECS`] and a block.
    fn faded_out(stream: &[f32]) -> usize {
        let last = stream.iter().rposition(|&s| s != 0.0).unwrap();
        let fade = crate::units::frames(FADE_SECS, RATE) as usize;
        let start = last + 1 - fade;
        let gains: Vec<f32> = (start..=last).map(|i| stream[i] / ramp(i as u64)).collect();
        assert!(gains.windows(2).all(|w| w[1] < w[0]), "not a falling fade");
        assert!(
            gains[0] > 0.99 && gains[gains.len() - 1] < 0.01,
            "{gains:?}"
        );
        start
    }

    #[test]
    fn quit_fades_out_and_ends_with_quit() {
        // A second request to end changes nothing.
        let r = pressing(1.0, &[Request::Quit, Request::Interrupt]);
        assert_eq!(ending(&r), Ending::Quit);
        let start = faded_out(&r.streams[0]);
        assert!(
            (STEPS[1]..STEPS[1] + 2 * MIN_RUN).contains(&(start as u64)),
            "{start}"
        );
        assert!(
            r.ended_at <= secs(1.0 + FADE_SECS) + 2 * TICK + DRAIN_MARGIN,
            "{:?}",
            r.ended_at
        );
    }

    #[test]
    fn ctrl_c_as_a_key_fades_out_and_ends_interrupted() {
        let r = pressing(1.0, &[Request::Interrupt]);
        assert_eq!(ending(&r), Ending::Interrupted);
        faded_out(&r.streams[0]);
    }

    #[test]
    fn a_signal_fades_out_and_ends_the_session() {
        let signals = Signals::default();
        let raised = signals.clone();
        let mut terminate = at(1.0, move |_| raised.arrive(Ending::Terminated));
        let mut quit = at(1.25, |hand| hand.press(Request::Quit));
        let r = run(&signals, move |hand| {
            terminate(hand);
            quit(hand);
        });
        // The signal came first; the key after it changes nothing.
        assert_eq!(ending(&r), Ending::Terminated);
        let start = faded_out(&r.streams[0]);
        assert!(
            (STEPS[1]..STEPS[1] + 2 * MIN_RUN).contains(&(start as u64)),
            "{start}"
        );
    }
}
