//! SIGINT and SIGTERM during a session, caught as flags the play loop polls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Ending;

/// SIGINT and SIGTERM, caught as flags so a session can fade out and exit cleanly.
#[derive(Debug, Default, Clone)]
pub struct Signals {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
}

impl Signals {
    /// Installs the handlers.
    pub fn install() -> std::io::Result<Signals> {
        let s = Signals::default();
        signal_hook::flag::register(signal_hook::consts::SIGINT, s.interrupt.clone())?;
        signal_hook::flag::register(signal_hook::consts::SIGTERM, s.terminate.clone())?;
        Ok(s)
    }

    /// Which signal, if any, asked the program to end.
    pub fn ending(&self) -> Option<Ending> {
        if self.interrupt.load(Ordering::Relaxed) {
            Some(Ending::Interrupted)
        } else if self.terminate.load(Ordering::Relaxed) {
            Some(Ending::Terminated)
        } else {
            None
        }
    }
}
