//! SIGINT and SIGTERM during a session, caught as flags a render polls, and sent to the play
//! loop as requests so it wakes at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

use signal_hook::consts::{SIGINT, SIGTERM};

use super::{Ending, Request};

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
        signal_hook::flag::register(SIGINT, s.interrupt.clone())?;
        signal_hook::flag::register(SIGTERM, s.terminate.clone())?;
        Ok(s)
    }

    /// Sends SIGINT as [`Request::Interrupt`] and SIGTERM as [`Request::Terminate`] into
    /// `requests` as they arrive, from a thread that sleeps until one does (the flags are set as
    /// well). It ends at the first signal after the receiver is gone.
    pub fn forward(requests: Sender<Request>) -> std::io::Result<()> {
        let mut arriving = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for signal in arriving.forever() {
                    let request = if signal == SIGINT {
                        Request::Interrupt
                    } else {
                        Request::Terminate
                    };
                    if requests.send(request).is_err() {
                        break;
                    }
                }
            })?;
        Ok(())
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

    /// Sets the flag a signal would, without sending one (a real signal would reach the whole
    /// test process).
    #[cfg(test)]
    pub(super) fn arrive(&self, ending: Ending) {
        let flag = match ending {
            Ending::Terminated => &self.terminate,
            _ => &self.interrupt,
        };
        flag.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_wins_over_terminate() {
        let signals = Signals::default();
        assert_eq!(signals.ending(), None);
        signals.arrive(Ending::Terminated);
        assert_eq!(signals.ending(), Some(Ending::Terminated));
        signals.arrive(Ending::Interrupted);
        assert_eq!(signals.ending(), Some(Ending::Interrupted));
    }
}
