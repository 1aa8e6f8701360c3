//! The play loop: starts the session on a [`Device`], answers requests and signals, watches the
//! device, and reopens it when it stalls or is lost.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::{
    Clock, CpalDevice, Device, Ending, FADE_SECS, Fault, LiveError, Request, Signals, Status,
    SystemClock,
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
/// How often the play loop looks at the device, the signals and the clock, and redraws the
/// progress line, when no key wakes it. Every wake-up costs CPU; four a second keep the clock
/// shown within a quarter second and answer Ctrl-C as fast as the device does.
const TICK: Duration = Duration::from_millis(250);
/// A jump lands at the source's next block; for this long after one, further presses count from
/// where it jumped to, not from the frame still being played.
const JUMP_SETTLES: Duration = Duration::from_millis(500);
/// Waited after the device has played out what it holds, before the session ends.
const DRAIN_MARGIN: Duration = Duration::from_millis(50);
/// Volume steps and limits, dB.
const VOLUME_STEP_DB: f64 = 3.0;
const VOLUME_MIN_DB: f64 = -30.0;
const VOLUME_MAX_DB: f64 = 6.0;

/// The output device and the clock the session is played by: the default device and the
/// system's clock, unless a test gives others.
pub struct Player<D: Device = CpalDevice, C: Clock = SystemClock> {
    device: D,
    clock: C,
}

impl Player {
    /// Opens the default output device at its default configuration.
    pub fn open() -> Result<Player, LiveError> {
        Ok(Player::new(CpalDevice::open()?, SystemClock::default()))
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
        let rewind = crate::timeline::frames(REWIND_SECS, self.rate());
        let resumed = mixer(controls.frame().saturating_sub(rewind));
        self.start(resumed, controls, tones)
            .map_err(|e| LiveError::Lost(e.to_string()))
    }

    /// Plays a session to its end, a signal or a quit request. `mixer` makes the session's
    /// mixer positioned at a frame (again after the device is reopened); `supply` prepares its
    /// clips (told of every jump; a clip it could not prepare stops the session). `requests` come
    /// from the keys; `tones` mark a pause and a resume; `progress` is called about four times a
    /// second.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of the loop; a struct adds nothing
    pub fn play(
        &mut self,
        mut mixer: impl FnMut(u64) -> Mixer,
        supply: &Supply,
        timeline: &Timeline,
        tones: (Arc<[f32]>, Arc<[f32]>),
        signals: &Signals,
        requests: Option<&Receiver<Request>>,
        mut progress: impl FnMut(&Status),
    ) -> Result<Ending, LiveError> {
        let controls = Arc::new(Controls::default());
        self.start(mixer(0), &controls, &tones)?;
        let mut watch = Watch::new(&self.device, 0, self.clock.now());
        let mut listener = Listener::default();
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
            // Sleep until a key is pressed or it is time to show progress again.
            let first = self.clock.wait(requests, TICK);
            let more = std::iter::from_fn(|| requests.and_then(|r| r.try_recv().ok()));
            for request in first.into_iter().chain(more) {
                listener.answer(request, &controls, supply, timeline, self.clock.now());
            }
            progress(&listener.status(&controls, false));
        }
        // Let the device play out what it holds, and a little more.
        self.clock.sleep(self.device.drain_time() + DRAIN_MARGIN);
        Ok(listener.ending)
    }
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
            Request::Next => jump(next_step(timeline, frame)),
            Request::Restart => jump(restart_step(timeline, frame)),
            Request::Louder | Request::Softer => {
                let step = if request == Request::Louder {
                    VOLUME_STEP_DB
                } else {
                    -VOLUME_STEP_DB
                };
                self.volume_db = (self.volume_db + step).clamp(VOLUME_MIN_DB, VOLUME_MAX_DB);
                controls.set_volume(crate::loudness::db_to_gain(self.volume_db) as f32);
            }
            Request::Quit | Request::Interrupt if !controls.stopping() => {
                self.ending = if request == Request::Quit {
                    Ending::Quit
                } else {
                    Ending::Interrupted
                };
                controls.stop();
            }
            Request::Quit | Request::Interrupt => {}
        }
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
    use super::*;
    use crate::timeline::StepStart;

    fn timeline() -> Timeline {
        let step = |frame| StepStart {
            step: "s".into(),
            title: "S".into(),
            set: None,
            frame,
        };
        Timeline {
            rate: 100,
            sets: 1,
            events: vec![],
            holds: vec![],
            steps: vec![step(0), step(1000), step(3000)],
            duration: 5000,
            tail: 0,
        }
    }

    #[test]
    fn next_and_restart_find_step_starts() {
        let t = timeline();
        assert_eq!(next_step(&t, 0), 1000);
        assert_eq!(next_step(&t, 1500), 3000);
        assert_eq!(next_step(&t, 3500), 5000);
        assert_eq!(restart_step(&t, 1500), 1000);
        // In a step's first two seconds, back to the previous step.
        assert_eq!(restart_step(&t, 1100), 0);
        assert_eq!(restart_step(&t, 50), 0);
    }
}
