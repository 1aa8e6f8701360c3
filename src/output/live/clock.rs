//! The time the play loop keeps: the system's, or a test's that passes only when the loop waits.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::Request;

/// Where the play loop reads the time and waits. Its only waits are these two calls, so a test
/// clock that moves on when asked to wait makes the loop's timing exact and instant.
pub trait Clock {
    /// Time since the clock started.
    fn now(&self) -> Duration;
    /// Waits for `span`.
    fn sleep(&mut self, span: Duration);
    /// Waits up to `timeout` for a request; the first that comes, if any.
    fn wait(&mut self, requests: Option<&Receiver<Request>>, timeout: Duration) -> Option<Request>;
}

/// The system's monotonic clock; waits block the thread.
#[derive(Debug)]
pub struct SystemClock {
    started: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            started: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn sleep(&mut self, span: Duration) {
        std::thread::sleep(span);
    }

    fn wait(&mut self, requests: Option<&Receiver<Request>>, timeout: Duration) -> Option<Request> {
        match requests.map(|r| r.recv_timeout(timeout)) {
            Some(Ok(request)) => Some(request),
            Some(Err(RecvTimeoutError::Timeout)) => None,
            // No keys, or their reader is gone: the wait is the timeout alone.
            Some(Err(RecvTimeoutError::Disconnected)) | None => {
                std::thread::sleep(timeout);
                None
            }
        }
    }
}
