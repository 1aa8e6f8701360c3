//! A device and a clock driven by hand, for unit tests of the play loop, as kira's
//! `backend/mock.rs` lets a test run its renderer when it likes: nothing plays by itself.
//!
//! Time passes only when the loop waits, by exactly what it waits for; each time, the test's
//! script runs with a [`Hand`] that says how many frames the device takes, when it stalls,
//! reports an error or is lost, whether it may reopen, and which keys are pressed. A run is then
//! exact and takes no real time; what each stream took is kept for the test to measure.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use super::{Clock, Device, Fault, LiveError, Request};
use crate::output::source::MixSource;

/// Mock time after which a run is taken to hang: a play loop that never ends fails its test
/// instead of spinning for ever.
const HANGS_AFTER: Duration = Duration::from_secs(120);
/// While the play loop waits for a request, the mock time passes in steps of at most this, the
/// script acting after each: a key it presses ends the wait within a step.
const WAIT_STEP: Duration = Duration::from_millis(50);

/// What the mock device, its clock and the test share.
struct Shared {
    rate: u32,
    channels: u16,
    /// The mock time.
    now: Duration,
    /// The running stream's source.
    stream: Option<MixSource>,
    /// Whether the running stream takes samples when asked (not when stalled or lost).
    taking: bool,
    /// When the running stream started, and the frames it has taken.
    started: Duration,
    taken: u64,
    /// Whether the next try at reopening succeeds.
    may_reopen: bool,
    errors: u64,
    fault: Option<Fault>,
    /// Tries at reopening so far, successful or not.
    reopen_tries: u32,
    /// Every sample each stream took, interleaved, in the order the streams started.
    streams: Vec<Vec<f32>>,
    requests: Sender<Request>,
}

/// A test's hand on the device, the keys and the clock while the play loop waits.
pub(super) struct Hand<'a> {
    shared: &'a mut Shared,
}

impl Hand<'_> {
    /// The mock time.
    pub(super) fn now(&self) -> Duration {
        self.shared.now
    }

    /// The device asks its stream for `frames` frames (if it has one and it takes samples).
    pub(super) fn take(&mut self, frames: u64) {
        let s = &mut *self.shared;
        let (Some(source), true) = (s.stream.as_mut(), s.taking) else {
            return;
        };
        let mut buffer = vec![0.0f32; frames as usize * usize::from(s.channels)];
        source.fill(&mut buffer);
        s.taken += frames;
        if let Some(taken) = s.streams.last_mut() {
            taken.extend_from_slice(&buffer);
        }
    }

    /// The device takes what its rate has made due since its stream started: it plays in time.
    pub(super) fn keep_up(&mut self) {
        let since = self.shared.now.saturating_sub(self.shared.started);
        let due = (since.as_secs_f64() * f64::from(self.shared.rate)).round() as u64;
        self.take(due.saturating_sub(self.shared.taken));
    }

    /// The stream stops taking samples, and says nothing.
    pub(super) fn stall(&mut self) {
        self.shared.taking = false;
    }

    /// The device reports an error; a fatal one also ends the stream's taking samples.
    pub(super) fn report(&mut self, what: &str, fatal: bool) {
        let s = &mut *self.shared;
        s.errors += 1;
        s.fault = Some(Fault {
            what: what.into(),
            fatal,
        });
        s.taking &= !fatal;
    }

    /// Whether the device may be opened again from now on.
    pub(super) fn allow_reopen(&mut self, allowed: bool) {
        self.shared.may_reopen = allowed;
    }

    /// A key is pressed.
    pub(super) fn press(&mut self, request: Request) {
        self.shared
            .requests
            .send(request)
            .expect("the play loop holds the receiver");
    }
}

/// The device side of the mock.
pub(super) struct MockDevice {
    shared: Rc<RefCell<Shared>>,
}

/// The clock side of the mock: waiting moves the time on and runs the test's script.
pub(super) struct MockClock {
    shared: Rc<RefCell<Shared>>,
    script: Box<dyn FnMut(&mut Hand)>,
}

/// The test's view of the mock after (or during) a run.
pub(super) struct Probe {
    shared: Rc<RefCell<Shared>>,
}

impl Probe {
    /// The mock time.
    pub(super) fn now(&self) -> Duration {
        self.shared.borrow().now
    }

    /// Every sample each stream took, interleaved, in the order the streams started.
    pub(super) fn streams(&self) -> Vec<Vec<f32>> {
        self.shared.borrow().streams.clone()
    }

    /// Tries at reopening the device, successful or not.
    pub(super) fn reopen_tries(&self) -> u32 {
        self.shared.borrow().reopen_tries
    }
}

/// A mock device at `rate` and `channels`, the clock that runs `script` whenever the play loop
/// waits, the keys the script presses, and a probe to look at what happened.
pub(super) fn mock(
    rate: u32,
    channels: u16,
    script: impl FnMut(&mut Hand) + 'static,
) -> (MockDevice, MockClock, Receiver<Request>, Probe) {
    let (requests, keys) = channel();
    let shared = Rc::new(RefCell::new(Shared {
        rate,
        channels,
        now: Duration::ZERO,
        stream: None,
        taking: false,
        started: Duration::ZERO,
        taken: 0,
        may_reopen: true,
        errors: 0,
        fault: None,
        reopen_tries: 0,
        streams: Vec::new(),
        requests,
    }));
    let device = MockDevice {
        shared: shared.clone(),
    };
    let clock = MockClock {
        shared: shared.clone(),
        script: Box::new(script),
    };
    (device, clock, keys, Probe { shared })
}

impl Device for MockDevice {
    fn rate(&self) -> u32 {
        self.shared.borrow().rate
    }

    fn channels(&self) -> u16 {
        self.shared.borrow().channels
    }

    fn start(&mut self, source: MixSource) -> Result<(), LiveError> {
        let mut s = self.shared.borrow_mut();
        s.stream = Some(source);
        s.taking = true;
        (s.started, s.taken) = (s.now, 0);
        s.streams.push(Vec::new());
        Ok(())
    }

    fn errors(&self) -> u64 {
        self.shared.borrow().errors
    }

    fn take_fault(&mut self) -> Option<Fault> {
        self.shared.borrow_mut().fault.take()
    }

    /// Nothing: the mock holds no buffer, it takes samples only when the test says.
    fn drain_time(&self) -> Duration {
        Duration::ZERO
    }

    fn close(&mut self) {
        let mut s = self.shared.borrow_mut();
        s.stream = None;
        s.taking = false;
    }

    fn reopen(&mut self) -> Result<(), LiveError> {
        let mut s = self.shared.borrow_mut();
        s.reopen_tries += 1;
        if !s.may_reopen {
            return Err(LiveError::NoDevice("the mock device stays away".into()));
        }
        s.fault = None;
        Ok(())
    }
}

impl MockClock {
    /// Moves the time on by `span` and lets the script act.
    fn pass(&mut self, span: Duration) {
        let mut shared = self.shared.borrow_mut();
        shared.now += span;
        assert!(
            shared.now < HANGS_AFTER,
            "the play loop has not ended after {HANGS_AFTER:?} of mock time"
        );
        (self.script)(&mut Hand {
            shared: &mut shared,
        });
    }
}

impl Clock for MockClock {
    fn now(&self) -> Duration {
        self.shared.borrow().now
    }

    fn sleep(&mut self, span: Duration) {
        self.pass(span);
    }

    /// Passes the time in steps of at most [`WAIT_STEP`] and returns at the first step the
    /// script has pressed a key by, as a real key ends the wait at once.
    fn wait(&mut self, requests: &Receiver<Request>, timeout: Duration) -> Option<Request> {
        let mut left = timeout;
        loop {
            let step = left.min(WAIT_STEP);
            self.pass(step);
            left -= step;
            if let Ok(request) = requests.try_recv() {
                return Some(request);
            }
            if left.is_zero() {
                return None;
            }
        }
    }
}
