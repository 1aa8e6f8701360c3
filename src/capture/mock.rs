//! A microphone driven by hand, for unit tests of the recording flow: nothing arrives by itself.
//! The test's [`MicHand`] says what is captured (pushed through the same [`ring`] the real device
//! uses), when the device is lost and whether it may come back.

use std::cell::RefCell;
use std::rc::Rc;

use super::{CaptureError, Microphone, RingInput, RingOutput, ring};
use crate::output::live::Fault;

/// What the mock microphone and the test's hand share.
struct Shared {
    rate: u32,
    channels: u16,
    /// Both ends of the running stream's ring.
    stream: Option<(RingInput, RingOutput)>,
    fault: Option<Fault>,
    /// Whether the device is there to be opened again.
    may_reopen: bool,
    /// Streams started so far.
    starts: u32,
}

/// The microphone side of the mock.
pub(crate) struct MockMicrophone {
    shared: Rc<RefCell<Shared>>,
}

/// The test's hand on the mock microphone.
pub(crate) struct MicHand {
    shared: Rc<RefCell<Shared>>,
}

/// A mock microphone at `rate` and `channels`, and the hand that drives it.
pub(crate) fn mock(rate: u32, channels: u16) -> (MockMicrophone, MicHand) {
    let shared = Rc::new(RefCell::new(Shared {
        rate,
        channels,
        stream: None,
        fault: None,
        may_reopen: true,
        starts: 0,
    }));
    (
        MockMicrophone {
            shared: shared.clone(),
        },
        MicHand { shared },
    )
}

impl MicHand {
    /// The device captures `samples` (interleaved), if its stream runs.
    pub(crate) fn capture(&self, samples: &[f32]) {
        if let Some((input, _)) = self.shared.borrow_mut().stream.as_mut() {
            input.push(samples);
        }
    }

    /// The device is pulled out: a fatal error, and its stream captures nothing more.
    pub(crate) fn pull_out(&self) {
        let mut s = self.shared.borrow_mut();
        s.fault = Some(Fault {
            what: "device not available".into(),
            fatal: true,
        });
        s.may_reopen = false;
    }

    /// The device is plugged in again, at `rate` and `channels`.
    pub(crate) fn plug_in(&self, rate: u32, channels: u16) {
        let mut s = self.shared.borrow_mut();
        (s.rate, s.channels, s.may_reopen) = (rate, channels, true);
    }

    /// Streams started so far.
    pub(crate) fn starts(&self) -> u32 {
        self.shared.borrow().starts
    }
}

impl Microphone for MockMicrophone {
    fn rate(&self) -> u32 {
        self.shared.borrow().rate
    }

    fn channels(&self) -> u16 {
        self.shared.borrow().channels
    }

    fn start(&mut self) -> Result<(), CaptureError> {
        let mut s = self.shared.borrow_mut();
        let samples = super::RING_SECONDS * s.rate * u32::from(s.channels);
        s.stream = Some(ring(samples as usize));
        s.starts += 1;
        Ok(())
    }

    fn read(&mut self, into: &mut Vec<f32>) -> usize {
        let mut s = self.shared.borrow_mut();
        s.stream.as_mut().map_or(0, |(_, output)| output.read(into))
    }

    fn arrived(&self) -> u64 {
        let s = self.shared.borrow();
        s.stream.as_ref().map_or(0, |(_, output)| output.arrived())
    }

    fn dropped(&self) -> u64 {
        let s = self.shared.borrow();
        s.stream.as_ref().map_or(0, |(_, output)| output.dropped())
    }

    fn take_fault(&mut self) -> Option<Fault> {
        self.shared.borrow_mut().fault.take()
    }

    fn close(&mut self) {
        self.shared.borrow_mut().stream = None;
    }

    fn reopen(&mut self) -> Result<(), CaptureError> {
        let mut s = self.shared.borrow_mut();
        if !s.may_reopen {
            return Err(CaptureError::NoDevice(
                "the mock microphone stays away".into(),
            ));
        }
        s.fault = None;
        Ok(())
    }
}
