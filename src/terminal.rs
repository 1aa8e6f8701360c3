//! The terminal during live playback and recording: keys read in raw mode (restored on every exit
//! path, panics included), the progress display, and the whole screen `packs record` draws on.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, terminal};

use crate::output::live::{Request, Status};
use crate::timeline::Timeline;

/// Keys, read on a thread while the terminal is in raw mode, each sent as a request into the
/// channel its owner reads. Dropping it stops the thread and restores the terminal.
pub struct Keys {
    done: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

/// Whether a [`FullScreen`] is up, for the panic hook to take it down.
static FULL_SCREEN: AtomicBool = AtomicBool::new(false);

/// Restores the terminal even when the program panics: the full screen left, raw mode off.
fn restore_on_panic() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FULL_SCREEN.swap(false, Ordering::Relaxed) {
                let _ = crossterm::execute!(
                    std::io::stdout(),
                    cursor::Show,
                    terminal::LeaveAlternateScreen
                );
            }
            let _ = terminal::disable_raw_mode();
            previous(info);
        }));
    });
}

impl Keys {
    /// Starts reading keys as live playback's requests into `send` if stdin is a terminal;
    /// `None` otherwise (or if raw mode fails).
    pub fn start(send: Sender<Request>) -> Option<Keys> {
        Keys::start_with(send, request_for)
    }

    /// Starts reading keys if stdin is a terminal, each turned into a request by `meaning` (keys
    /// it gives `None` for are ignored) and sent into `send`; `None` if stdin is no terminal or
    /// raw mode fails.
    pub fn start_with<R: Send + 'static>(
        send: Sender<R>,
        meaning: fn(KeyEvent) -> Option<R>,
    ) -> Option<Keys> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        restore_on_panic();
        terminal::enable_raw_mode().ok()?;
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let reader = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Blocks on the terminal for input; wakes only to see whether to stop.
                if !event::poll(Duration::from_millis(150)).unwrap_or(false) {
                    continue;
                }
                if let Ok(Event::Key(key)) = event::read()
                    && let Some(request) = meaning(key)
                    && send.send(request).is_err()
                {
                    break;
                }
            }
        });
        Some(Keys {
            done,
            reader: Some(reader),
        })
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let _ = terminal::disable_raw_mode();
    }
}

/// The request a key press means, if any.
fn request_for(key: KeyEvent) -> Option<Request> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c') | KeyCode::Char('d'))
            .then_some(Request::Interrupt);
    }
    Some(match key.code {
        KeyCode::Char(' ') => Request::TogglePause,
        KeyCode::Right | KeyCode::Char('n') => Request::Next,
        KeyCode::Left | KeyCode::Char('p') => Request::Restart,
        KeyCode::Char('+') | KeyCode::Char('=') | KeyCode::Up => Request::Louder,
        KeyCode::Char('-') | KeyCode::Down => Request::Softer,
        KeyCode::Char('q') | KeyCode::Esc => Request::Quit,
        _ => return None,
    })
}

/// The whole terminal as one screen (the alternate screen, cursor hidden), drawn again whole each
/// time; dropped (or on a panic), the terminal is as it was. Raw mode is the [`Keys`]' business.
pub struct FullScreen {
    /// Rows drawn last time, cleared when fewer are drawn.
    drawn: usize,
}

impl FullScreen {
    /// Takes over the terminal's screen.
    pub fn enter() -> std::io::Result<FullScreen> {
        restore_on_panic();
        crossterm::execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )?;
        FULL_SCREEN.store(true, Ordering::Relaxed);
        Ok(FullScreen { drawn: 0 })
    }

    /// The screen's width in columns (80 if unknown).
    pub fn width(&self) -> usize {
        terminal::size().map_or(80, |(columns, _)| usize::from(columns.max(20)))
    }

    /// Draws `rows` from the top, each cut to the screen's width, and clears the rest.
    pub fn draw(&mut self, rows: &[String]) -> std::io::Result<()> {
        use crossterm::{QueueableCommand, style::Print, terminal::Clear, terminal::ClearType};
        let width = self.width();
        let mut out = std::io::stdout().lock();
        for (row, text) in rows.iter().enumerate() {
            let text: String = text.chars().take(width).collect();
            out.queue(cursor::MoveTo(0, row as u16))?
                .queue(Print(text))?
                .queue(Clear(ClearType::UntilNewLine))?;
        }
        if rows.len() < self.drawn {
            out.queue(cursor::MoveTo(0, rows.len() as u16))?
                .queue(Clear(ClearType::FromCursorDown))?;
        }
        self.drawn = rows.len();
        out.flush()
    }
}

impl Drop for FullScreen {
    fn drop(&mut self) {
        if FULL_SCREEN.swap(false, Ordering::Relaxed) {
            let _ = crossterm::execute!(
                std::io::stdout(),
                cursor::Show,
                terminal::LeaveAlternateScreen
            );
        }
    }
}

/// How often a line is printed when stdout is not a terminal.
const PLAIN_EVERY_SECS: u64 = 30;

/// The live progress display: on a terminal one line redrawn in place (step, set, elapsed and
/// total, time left in the hold, a bar, pause and volume); otherwise a plain line at each step
/// and every 30 s; nothing when quiet.
pub struct Progress<'a> {
    timeline: &'a Timeline,
    quiet: bool,
    terminal: bool,
    last_step: Option<usize>,
    last_line_at: u64,
    drawn: bool,
}

impl<'a> Progress<'a> {
    /// A display for `timeline`.
    pub fn new(quiet: bool, timeline: &'a Timeline) -> Self {
        Progress {
            timeline,
            quiet,
            terminal: std::io::stdout().is_terminal(),
            last_step: None,
            last_line_at: 0,
            drawn: false,
        }
    }

    /// Shows the state of playback.
    pub fn show(&mut self, status: &Status) {
        if self.quiet {
            return;
        }
        let t = self.timeline;
        let frame = status.frame;
        let step_index = t.step_index_at(frame);
        let step = step_index.map(|i| &t.steps[i]);
        let title = step.map_or("", |s| s.title.as_str());
        let set = step.and_then(|s| s.set).map_or(String::new(), |k| {
            format!(" · {}", t.labels.set_short(k, t.sets))
        });
        let clock = |f: u64| {
            let s = t.seconds(f) as u64;
            format!("{}:{:02}", s / 60, s % 60)
        };
        let state = if status.reconnecting {
            " · audio device lost, reconnecting…"
        } else if status.paused {
            " · paused (space resumes)"
        } else {
            ""
        };
        let volume = if status.volume_db == 0.0 {
            String::new()
        } else {
            format!(" · volume {:+.0} dB", status.volume_db)
        };
        let mut out = std::io::stdout().lock();
        if self.terminal {
            let hold = t.hold_at(frame).map_or(String::new(), |h| {
                format!(" · {}", t.labels.hold_left(&clock(h.end - frame)))
            });
            const WIDTH: u64 = 20;
            let filled = (frame * WIDTH / t.duration.max(1)).min(WIDTH) as usize;
            let bar = format!(
                "{}{}",
                "█".repeat(filled),
                "░".repeat(WIDTH as usize - filled)
            );
            let _ = write!(
                out,
                "\r\x1b[2K{title}{set} · {} / {}{hold}  {bar}{state}{volume}",
                clock(frame),
                clock(t.duration)
            );
            self.drawn = true;
        } else {
            let seconds = t.seconds(frame) as u64;
            let periodic = seconds >= self.last_line_at + PLAIN_EVERY_SECS;
            if step_index != self.last_step || periodic || status.reconnecting {
                let _ = writeln!(
                    out,
                    "[{} / {}] {title}{set}{state}",
                    clock(frame),
                    clock(t.duration)
                );
                self.last_line_at = seconds;
            }
        }
        self.last_step = step_index;
        let _ = out.flush();
    }

    /// Ends the redrawn line.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(std::io::stdout().lock());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_requests() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            request_for(key(KeyCode::Char(' '), none)),
            Some(Request::TogglePause)
        );
        assert_eq!(request_for(key(KeyCode::Right, none)), Some(Request::Next));
        assert_eq!(
            request_for(key(KeyCode::Char('p'), none)),
            Some(Request::Restart)
        );
        assert_eq!(
            request_for(key(KeyCode::Char('+'), none)),
            Some(Request::Louder)
        );
        assert_eq!(
            request_for(key(KeyCode::Char('-'), none)),
            Some(Request::Softer)
        );
        assert_eq!(
            request_for(key(KeyCode::Char('q'), none)),
            Some(Request::Quit)
        );
        assert_eq!(
            request_for(key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Request::Interrupt)
        );
        assert_eq!(request_for(key(KeyCode::Char('x'), none)), None);
    }
}
