//! The recording flow: one line at a time, a take started and stopped by a key, written as it
//! ends; the room measured first; the microphone watched, and waited for when it goes away.
//!
//! The flow is a state machine with no clock and no terminal of its own: the caller gives it the
//! time with every key ([`Flow::press`]) and about ten times a second ([`Flow::tick`]), and draws
//! what [`Flow::view`] says. So unit tests drive it with a mock microphone and exact times.

use std::time::Duration;

use super::levels::{self, TakeLevels};
use super::takes::{Take, Takes};
use crate::capture::{CaptureError, Microphone};
use crate::cue::Cue;
use crate::output::live::Fault;
use crate::output::preview::Playback;

/// How long the room is listened to at the start, for its noise floor.
pub const ROOM_TONE: Duration = Duration::from_secs(3);
/// A take goes on this long after the key that stops it, so the end of the last word (still on
/// its way through the device's buffers) is never cut.
const STOP_TAIL: Duration = Duration::from_millis(300);
/// A take stops by itself after this long (a line takes seconds; the memory stays bounded).
const MAX_TAKE: Duration = Duration::from_secs(120);
/// A take shorter than this (a key pressed twice) is not kept.
const MIN_TAKE_SECONDS: f64 = 0.2;
/// A microphone that sends nothing for this long has gone away, whatever it reported.
const STALL: Duration = Duration::from_secs(2);
/// A microphone that sends nothing for this long while reporting errors has gone away.
const STALL_WITH_ERRORS: Duration = Duration::from_millis(500);
/// How often a microphone that went away is looked for again.
const REOPEN_EVERY: Duration = Duration::from_millis(500);

/// A line to record, and what it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its cue id (the take's file name).
    pub cue: Cue,
    /// The words to say.
    pub text: String,
    /// Where it is spoken: a step's title or a part of the hold.
    pub place: String,
    /// The guidance levels that speak it.
    pub guidance: Vec<String>,
    /// When else it depends on (a variation, the first set, props tips), if anything.
    pub condition: Option<String>,
}

/// What a key asks of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Space or Enter: start a take, or stop the one running.
    Toggle,
    /// `p`: play this line's take back, or stop playing it.
    Play,
    /// `r`: record this line again (during a take: start it over).
    Again,
    /// → or `n`: the next line; once every line has a take, make the pack.
    Next,
    /// ← or `b`: the line before.
    Back,
    /// `s`: leave this line for later: the next line without a take.
    Skip,
    /// `q`: stop, keeping every take made.
    Quit,
    /// Ctrl-C: as `q`, with exit code 130.
    Interrupt,
}

/// How the flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `q`.
    Quit,
    /// Ctrl-C or SIGINT.
    Interrupted,
    /// SIGTERM.
    Terminated,
    /// Every line has a take and the pack is to be made.
    Finish,
}

/// A message under the line: what just happened, or what is worth fixing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The words.
    pub text: String,
    /// Whether it is a warning.
    pub warning: bool,
}

impl Note {
    fn info(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            warning: false,
        }
    }

    fn warning(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            warning: true,
        }
    }
}

/// Where the flow is.
enum State {
    /// Listening to the room until `until`.
    Room { heard: Vec<f32>, until: Duration },
    /// Waiting for a key.
    Ready,
    /// Recording a take since `since`, to end at `stop_at` once asked; `dropped` is what the
    /// ring had lost when it began.
    Taking {
        samples: Vec<f32>,
        since: Duration,
        stop_at: Option<Duration>,
        dropped: u64,
    },
    /// The microphone went away; it is looked for again at `next_try`.
    Lost { next_try: Duration },
}

/// What the screen shows of the state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown {
    /// Measuring the room, for `left` more.
    Room {
        /// Time left.
        left: Duration,
    },
    /// Waiting for a key; a take is playing back or not.
    Ready {
        /// A take is playing.
        playing: bool,
    },
    /// Recording, for `seconds` so far; stopping once the tail is in.
    Taking {
        /// Seconds recorded.
        seconds: f64,
        /// The stop key was pressed.
        stopping: bool,
    },
    /// Waiting for the microphone to come back.
    Lost,
}

/// Everything the screen shows.
#[derive(Debug)]
pub struct View<'a> {
    /// The line.
    pub entry: &'a Entry,
    /// Its index among the lines (from 0), and how many lines there are.
    pub index: usize,
    /// How many lines there are.
    pub count: usize,
    /// How many lines have a take.
    pub recorded: usize,
    /// Whether this line has a take.
    pub has_take: bool,
    /// The state.
    pub shown: Shown,
    /// The microphone's peak level over the latest tick, in dBFS.
    pub level: f64,
    /// The room's noise floor (dBFS RMS), once measured.
    pub room: Option<f64>,
    /// Messages.
    pub notes: &'a [Note],
    /// The microphone's rate and channel count.
    pub format: (u32, u16),
}

/// What the flow has seen of the microphone: when it last sent samples, and what it reported.
struct Watch {
    arrived: u64,
    moved: Duration,
    fault: Option<Fault>,
}

impl Watch {
    fn new(now: Duration) -> Watch {
        Watch {
            arrived: 0,
            moved: now,
            fault: None,
        }
    }

    /// Why the microphone has gone away, if it has: a fatal error, nothing sent for [`STALL`],
    /// or nothing for [`STALL_WITH_ERRORS`] while it reports errors.
    fn lost(&mut self, mic: &mut impl Microphone, now: Duration) -> Option<String> {
        if let Some(fault) = mic.take_fault() {
            if fault.fatal {
                return Some(fault.what);
            }
            self.fault = Some(fault);
        }
        let arrived = mic.arrived();
        if arrived != self.arrived {
            (self.arrived, self.moved, self.fault) = (arrived, now, None);
        }
        let still = now.saturating_sub(self.moved);
        let stalled = still > STALL || (self.fault.is_some() && still > STALL_WITH_ERRORS);
        stalled.then(|| {
            self.fault
                .take()
                .map_or("it stopped sending sound".into(), |f| f.what)
        })
    }
}

/// The recording flow over the lines `entries`, the microphone `M` and the take player `P`.
pub struct Flow<M, P> {
    mic: M,
    playback: P,
    takes: Takes,
    entries: Vec<Entry>,
    taken: Vec<bool>,
    current: usize,
    state: State,
    watch: Watch,
    notes: Vec<Note>,
    room: Option<f64>,
    level: f64,
    /// What the microphone sent since the last tick.
    scratch: Vec<f32>,
    ending: Option<Ending>,
    /// The line whose take was running when the flow ended (that take is not kept).
    discarded: Option<Cue>,
}

impl<M: Microphone, P: Playback> Flow<M, P> {
    /// Starts the microphone and the room tone. The first line shown is `start`, or else the
    /// first line without a take (the last line when every one has a take).
    pub fn new(
        mut mic: M,
        playback: P,
        takes: Takes,
        entries: Vec<Entry>,
        start: Option<usize>,
        now: Duration,
    ) -> Result<Self, CaptureError> {
        mic.start()?;
        let taken: Vec<bool> = entries.iter().map(|e| takes.has(&e.cue)).collect();
        let untaken = taken.iter().position(|t| !t);
        let current = start.or(untaken).unwrap_or(entries.len().saturating_sub(1));
        let mut flow = Flow {
            mic,
            playback,
            takes,
            entries,
            taken,
            current,
            state: State::Room {
                heard: Vec::new(),
                until: now + ROOM_TONE,
            },
            watch: Watch::new(now),
            notes: Vec::new(),
            room: None,
            level: f64::NEG_INFINITY,
            scratch: Vec::new(),
            ending: None,
            discarded: None,
        };
        if untaken.is_none() {
            flow.notes.push(flow.complete());
        }
        Ok(flow)
    }

    /// Answers a key pressed at `now`.
    pub fn press(&mut self, key: Key, now: Duration) {
        if self.ending.is_some() {
            return;
        }
        match key {
            Key::Quit => self.end(Ending::Quit),
            Key::Interrupt => self.end(Ending::Interrupted),
            Key::Toggle => self.toggle(now),
            Key::Again => self.again(now),
            Key::Play => self.play(),
            Key::Next | Key::Back | Key::Skip => self.go(key),
        }
    }

    /// Reads what the microphone sent, meters it, moves the room tone and the take on, and
    /// watches the microphone (looking for it again when it went away).
    pub fn tick(&mut self, now: Duration) {
        if self.ending.is_some() {
            return;
        }
        if let State::Lost { next_try } = self.state {
            if now >= next_try {
                self.look_for_microphone(now);
            }
            return;
        }
        self.scratch.clear();
        if self.mic.read(&mut self.scratch) > 0 {
            self.level = levels::peak_dbfs(&self.scratch);
        }
        if let Some(why) = self.watch.lost(&mut self.mic, now) {
            self.lose(&why, now);
            return;
        }
        match &mut self.state {
            State::Room { heard, until } => {
                heard.extend_from_slice(&self.scratch);
                if now >= *until {
                    self.room_measured();
                }
            }
            State::Taking {
                samples,
                since,
                stop_at,
                ..
            } => {
                samples.extend_from_slice(&self.scratch);
                let long = now.saturating_sub(*since) >= MAX_TAKE;
                if long || stop_at.is_some_and(|at| now >= at) {
                    self.keep_take(long);
                }
            }
            State::Ready | State::Lost { .. } => {}
        }
        // Let the output go once a take has played.
        let _ = self.playback.playing();
    }

    /// Ends the flow (a signal, or a key): a take running is not kept.
    pub fn end(&mut self, ending: Ending) {
        if matches!(self.state, State::Taking { .. }) {
            self.discarded = Some(self.entries[self.current].cue.clone());
        }
        self.state = State::Ready;
        self.playback.stop();
        self.mic.close();
        self.ending = Some(ending);
    }

    /// How the flow ended, once it has.
    pub fn ending(&self) -> Option<Ending> {
        self.ending
    }

    /// The line whose take was running when the flow ended; that take was not kept.
    pub fn discarded(&self) -> Option<&Cue> {
        self.discarded.as_ref()
    }

    /// How many lines have a take, and how many there are.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.taken.iter().filter(|t| **t).count(),
            self.entries.len(),
        )
    }

    /// What the screen shows at `now`.
    pub fn view(&mut self, now: Duration) -> View<'_> {
        let shown = match &self.state {
            State::Room { until, .. } => Shown::Room {
                left: until.saturating_sub(now),
            },
            State::Ready => Shown::Ready {
                playing: self.playback.playing(),
            },
            State::Taking {
                samples, stop_at, ..
            } => Shown::Taking {
                seconds: (samples.len() / usize::from(self.mic.channels().max(1))) as f64
                    / f64::from(self.mic.rate()),
                stopping: stop_at.is_some(),
            },
            State::Lost { .. } => Shown::Lost,
        };
        View {
            entry: &self.entries[self.current],
            index: self.current,
            count: self.entries.len(),
            recorded: self.progress().0,
            has_take: self.taken[self.current],
            shown,
            level: self.level,
            room: self.room,
            notes: &self.notes,
            format: (self.mic.rate(), self.mic.channels()),
        }
    }

    /// Space or Enter: a take starts, or the running one is asked to stop.
    fn toggle(&mut self, now: Duration) {
        match &mut self.state {
            State::Ready => self.start_take(now),
            State::Taking { stop_at, .. } => {
                stop_at.get_or_insert(now + STOP_TAIL);
            }
            State::Room { .. } | State::Lost { .. } => self.busy(),
        }
    }

    /// `r`: a new take of this line, or the running one from the start.
    fn again(&mut self, now: Duration) {
        match self.state {
            State::Ready => self.start_take(now),
            State::Taking { .. } => {
                self.start_take(now);
                self.notes = vec![Note::info("the take starts over")];
            }
            State::Room { .. } | State::Lost { .. } => self.busy(),
        }
    }

    /// Says why a take cannot start now.
    fn busy(&mut self) {
        self.notes = vec![Note::info(match self.state {
            State::Lost { .. } => "waiting for the microphone to come back (q quits)",
            _ => "measuring the room first: a moment of quiet",
        })];
    }

    /// A take of the current line starts now; what the microphone sent before is left out.
    fn start_take(&mut self, now: Duration) {
        self.playback.stop();
        self.scratch.clear();
        self.mic.read(&mut self.scratch);
        let ten_seconds = self.mic.rate() as usize * usize::from(self.mic.channels()) * 10;
        self.state = State::Taking {
            samples: Vec::with_capacity(ten_seconds),
            since: now,
            stop_at: None,
            dropped: self.mic.dropped(),
        };
        self.notes.clear();
    }

    /// The take ends: written as `raw/<cue>.wav` (unless too short), measured, and its warnings
    /// noted. `long`: it stopped by itself at [`MAX_TAKE`].
    fn keep_take(&mut self, long: bool) {
        let State::Taking {
            samples, dropped, ..
        } = std::mem::replace(&mut self.state, State::Ready)
        else {
            return;
        };
        let cue = self.entries[self.current].cue.clone();
        let (rate, channels) = (self.mic.rate(), self.mic.channels());
        let levels = TakeLevels::of(&samples, channels, rate);
        if levels.seconds < MIN_TAKE_SECONDS {
            self.notes = vec![Note::info(
                "the take was too short to keep: space starts another",
            )];
            return;
        }
        let take = Take {
            rate,
            channels,
            samples,
        };
        if let Err(e) = self.takes.write(&cue, &take) {
            let path = self.takes.path(&cue);
            self.notes = vec![Note::warning(format!(
                "cannot write {}: {e}; the take was not kept",
                path.display()
            ))];
            return;
        }
        self.taken[self.current] = true;
        self.notes = vec![Note::info(format!(
            "kept the take of {cue}: {}",
            levels.summary()
        ))];
        if long {
            self.notes.push(Note::warning(format!(
                "the take stopped by itself after {} s",
                MAX_TAKE.as_secs()
            )));
        }
        self.notes
            .extend(levels.warnings().into_iter().map(Note::warning));
        let lost = self.mic.dropped().saturating_sub(dropped);
        if lost > 0 {
            self.notes.push(Note::warning(format!(
                "{lost} samples were lost while recording (the computer fell behind): record it again (r)"
            )));
        }
        if self.taken.iter().all(|t| *t) {
            self.notes.push(self.complete());
        }
    }

    /// The note that every line has a take.
    fn complete(&self) -> Note {
        Note::info(
            "every line has a take: → makes the pack (p plays this take, r records it again, \
             ← goes back)",
        )
    }

    /// `p`: the current line's take plays, or stops playing.
    fn play(&mut self) {
        if self.playback.playing() {
            self.playback.stop();
            return;
        }
        let cue = self.entries[self.current].cue.clone();
        let why_not = match self.state {
            State::Taking { .. } => Some("stop the take first (space)"),
            State::Room { .. } => Some("measuring the room first: a moment of quiet"),
            _ if !self.taken[self.current] => Some("this line has no take yet"),
            _ => None,
        };
        if let Some(why) = why_not {
            self.notes = vec![Note::info(why)];
            return;
        }
        let played = self.takes.read(&cue).and_then(|take| {
            self.playback
                .play(take.samples, take.rate, take.channels)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = played {
            self.notes = vec![Note::warning(e)];
        }
    }

    /// → / `n`, ← / `b` and `s`: another line (never during a take). → with every line taken
    /// ends the flow to make the pack.
    fn go(&mut self, key: Key) {
        if matches!(self.state, State::Taking { .. }) {
            self.notes = vec![Note::info("stop the take first (space)")];
            return;
        }
        self.playback.stop();
        self.notes.clear();
        let last = self.entries.len() - 1;
        match key {
            Key::Next if self.taken.iter().all(|t| *t) => self.end(Ending::Finish),
            Key::Next if self.current < last => self.current += 1,
            Key::Next => {
                self.current = self.untaken_after(last).unwrap_or(last);
                self.notes = vec![Note::info("back to the first line without a take")];
            }
            Key::Back if self.current > 0 => self.current -= 1,
            Key::Back => self.notes = vec![Note::info("this is the first line")],
            _ => match self.untaken_after(self.current) {
                Some(next) if next != self.current => self.current = next,
                _ => self.notes = vec![Note::info("no other line is waiting for a take")],
            },
        }
    }

    /// The first line without a take after `index`, going round.
    fn untaken_after(&self, index: usize) -> Option<usize> {
        let n = self.taken.len();
        (1..=n).map(|k| (index + k) % n).find(|&i| !self.taken[i])
    }

    /// The room tone is in: its level noted, with a warning when it is noisy.
    fn room_measured(&mut self) {
        let State::Room { heard, .. } = std::mem::replace(&mut self.state, State::Ready) else {
            return;
        };
        let (level, warning) = levels::room_tone(&heard, self.mic.channels());
        self.room = Some(level);
        self.notes.retain(|n| n.warning);
        self.notes.push(match warning {
            Some(w) => Note::warning(w),
            None => Note::info(format!(
                "the room is quiet ({} RMS): space starts a take",
                levels::dbfs(level)
            )),
        });
    }

    /// The microphone went away (`why`): a running take is discarded, and it is looked for.
    fn lose(&mut self, why: &str, now: Duration) {
        let text = match self.state {
            State::Taking { .. } => format!(
                "the microphone went away ({why}): the take of {} was discarded, earlier takes \
                 are kept; waiting for it to come back (q quits)",
                self.entries[self.current].cue
            ),
            _ => format!("the microphone went away ({why}): waiting for it to come back (q quits)"),
        };
        self.notes = vec![Note::warning(text)];
        self.mic.close();
        self.level = f64::NEG_INFINITY;
        self.state = State::Lost {
            next_try: now + REOPEN_EVERY,
        };
    }

    /// Tries to open the microphone again; measures the room first if it never was.
    fn look_for_microphone(&mut self, now: Duration) {
        if self.mic.reopen().and_then(|()| self.mic.start()).is_err() {
            self.state = State::Lost {
                next_try: now + REOPEN_EVERY,
            };
            return;
        }
        self.notes = vec![Note::info(format!(
            "the microphone is back ({} Hz, {} channel{})",
            self.mic.rate(),
            self.mic.channels(),
            super::super::plural(usize::from(self.mic.channels()))
        ))];
        self.watch = Watch::new(now);
        self.state = match self.room {
            Some(_) => State::Ready,
            None => State::Room {
                heard: Vec::new(),
                until: now + ROOM_TONE,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::mock::{MicHand, MockMicrophone, mock};
    use crate::output::preview::PreviewError;
    use std::cell::RefCell;
    use std::rc::Rc;

    const RATE: u32 = 8_000;

    /// What the mock speakers were given to play, and whether one still plays.
    #[derive(Default, Clone)]
    struct Heard(Rc<RefCell<(Vec<Vec<f32>>, bool)>>);

    impl Playback for Heard {
        fn play(&mut self, samples: Vec<f32>, _: u32, _: u16) -> Result<(), PreviewError> {
            let mut heard = self.0.borrow_mut();
            heard.0.push(samples);
            heard.1 = true;
            Ok(())
        }
        fn stop(&mut self) {
            self.0.borrow_mut().1 = false;
        }
        fn playing(&mut self) -> bool {
            self.0.borrow().1
        }
    }

    fn entry(cue: &str) -> Entry {
        Entry {
            cue: cue.into(),
            text: format!("The line {cue}."),
            place: "Step".into(),
            guidance: vec!["full".into()],
            condition: None,
        }
    }

    /// A flow over three lines on a mono mock microphone, its takes in a temporary pack folder
    /// (with a take of `taken` there already), started at time zero.
    struct Rig {
        flow: Flow<MockMicrophone, Heard>,
        hand: MicHand,
        heard: Heard,
        pack: tempfile::TempDir,
        now: Duration,
    }

    impl Rig {
        fn new(taken: &[&str], start: Option<usize>) -> Rig {
            let pack = tempfile::tempdir().unwrap();
            let takes = Takes::of(pack.path());
            for cue in taken {
                let take = Take {
                    rate: RATE,
                    channels: 1,
                    samples: vec![0.1; 800],
                };
                takes.write(cue, &take).unwrap();
            }
            let (mic, hand) = mock(RATE, 1);
            let heard = Heard::default();
            let entries = ["one", "two", "three"].map(entry).to_vec();
            let flow =
                Flow::new(mic, heard.clone(), takes, entries, start, Duration::ZERO).unwrap();
            Rig {
                flow,
                hand,
                heard,
                pack,
                now: Duration::ZERO,
            }
        }

        /// `seconds` pass with the microphone capturing `level` (a constant, sample by
        /// sample, in ticks of 0.1 s).
        fn hear(&mut self, level: f32, seconds: f64) {
            let ticks = (seconds * 10.0).round() as u32;
            for _ in 0..ticks {
                self.hand.capture(&vec![level; RATE as usize / 10]);
                self.now += Duration::from_millis(100);
                self.flow.tick(self.now);
            }
        }

        /// `seconds` pass and the microphone sends nothing.
        fn wait(&mut self, seconds: f64) {
            for _ in 0..(seconds * 10.0).round() as u32 {
                self.now += Duration::from_millis(100);
                self.flow.tick(self.now);
            }
        }

        fn press(&mut self, key: Key) {
            self.flow.press(key, self.now);
        }

        /// The room tone of quiet, then a take of `seconds` of a level made of the line's
        /// number, stopped and its tail in.
        fn take(&mut self, value: f32, seconds: f64) {
            self.press(Key::Toggle);
            self.hear(value, seconds);
            self.press(Key::Toggle);
            self.hear(value, 0.3);
        }

        fn takes(&self) -> Takes {
            Takes::of(self.pack.path())
        }

        fn notes(&mut self) -> String {
            let now = self.now;
            let view = self.flow.view(now);
            view.notes
                .iter()
                .map(|n| n.text.clone())
                .collect::<Vec<_>>()
                .join(" | ")
        }

        fn index(&mut self) -> usize {
            let now = self.now;
            self.flow.view(now).index
        }
    }

    #[test]
    fn the_room_is_measured_first_and_a_take_is_kept_as_captured() {
        let mut rig = Rig::new(&[], None);
        // Keys wait for the room tone: three seconds.
        rig.press(Key::Toggle);
        assert!(
            rig.notes().contains("measuring the room"),
            "{}",
            rig.notes()
        );
        rig.hear(0.001, 3.0);
        assert!(
            rig.notes().contains("the room is quiet (-60.0 dBFS RMS)"),
            "{}",
            rig.notes()
        );
        rig.take(0.25, 1.0);
        // What came before the key is left out; the take holds 1 s and the 0.3 s tail.
        let take = rig.takes().read("one").unwrap();
        assert_eq!((take.rate, take.channels), (RATE, 1));
        assert_eq!(take.samples.len(), 1_300 * RATE as usize / 1000);
        assert!(take.samples.iter().all(|s| *s == 0.25));
        assert!(
            rig.notes()
                .contains("kept the take of one: 1.3 s, peak -12.0 dBFS"),
            "{}",
            rig.notes()
        );
        assert_eq!(rig.flow.progress(), (1, 3));
        // It stays on the line until → moves on.
        assert_eq!(rig.index(), 0);
        rig.press(Key::Next);
        assert_eq!(rig.index(), 1);
        assert!(!rig.takes().has("two"));
    }

    #[test]
    fn a_noisy_room_and_a_clipping_take_are_warned_about() {
        let mut rig = Rig::new(&[], None);
        rig.hear(0.01, 3.0);
        assert!(
            rig.notes().contains("the room is noisy: -40.0 dBFS RMS"),
            "{}",
            rig.notes()
        );
        rig.take(1.0, 0.5);
        assert!(
            rig.notes().contains("the take clips: 6400 samples"),
            "{}",
            rig.notes()
        );
        assert!(
            rig.takes().has("one"),
            "a clipping take is kept, with the warning"
        );
    }

    #[test]
    fn r_starts_a_take_over_and_a_short_take_is_not_kept() {
        let mut rig = Rig::new(&[], None);
        rig.hear(0.0, 3.0);
        rig.press(Key::Toggle);
        rig.hear(0.5, 1.0);
        rig.press(Key::Again);
        assert!(rig.notes().contains("starts over"));
        rig.hear(0.125, 0.5);
        rig.press(Key::Toggle);
        rig.hear(0.125, 0.3);
        let take = rig.takes().read("one").unwrap();
        assert!(
            take.samples.iter().all(|s| *s == 0.125),
            "only the take after r"
        );
        assert_eq!(take.samples.len(), 6_400);
        // Two quick presses: nothing kept, the earlier take stays.
        rig.press(Key::Toggle);
        rig.press(Key::Toggle);
        rig.wait(0.3);
        assert!(rig.notes().contains("too short to keep"), "{}", rig.notes());
        assert_eq!(rig.takes().read("one").unwrap(), take);
    }

    #[test]
    fn p_plays_the_take_and_keys_that_cannot_act_say_why() {
        let mut rig = Rig::new(&["one"], Some(0));
        rig.hear(0.0, 3.0);
        rig.press(Key::Play);
        assert_eq!(rig.heard.0.borrow().0, vec![vec![0.1f32; 800]]);
        rig.press(Key::Play);
        assert!(!rig.heard.0.borrow().1, "p again stops it");
        rig.press(Key::Next);
        rig.press(Key::Play);
        assert!(rig.notes().contains("no take yet"), "{}", rig.notes());
        rig.press(Key::Toggle);
        for key in [Key::Play, Key::Next, Key::Back, Key::Skip] {
            rig.press(key);
            assert!(rig.notes().contains("stop the take first"), "{key:?}");
        }
        assert_eq!(rig.index(), 1);
    }

    #[test]
    fn it_resumes_at_the_first_line_without_a_take_and_skips_round() {
        let mut rig = Rig::new(&["one"], None);
        assert_eq!(rig.index(), 1);
        rig.press(Key::Skip);
        assert_eq!(rig.index(), 2);
        rig.press(Key::Skip);
        assert_eq!(rig.index(), 1, "round to the first line without a take");
        rig.press(Key::Back);
        rig.press(Key::Back);
        assert_eq!(rig.index(), 0);
        assert!(rig.notes().contains("the first line"));
        // → past the last line goes back to the first line without a take.
        for _ in 0..3 {
            rig.press(Key::Next);
        }
        assert_eq!(rig.index(), 1);
        assert!(rig.notes().contains("first line without a take"));
        // --line goes straight to a line.
        assert_eq!(Rig::new(&["one"], Some(0)).index(), 0);
    }

    #[test]
    fn once_every_line_has_a_take_next_makes_the_pack() {
        let mut rig = Rig::new(&["one", "three"], None);
        rig.hear(0.0, 3.0);
        rig.take(0.5, 0.5);
        assert!(
            rig.notes().contains("every line has a take"),
            "{}",
            rig.notes()
        );
        assert_eq!(rig.flow.ending(), None);
        rig.press(Key::Back);
        assert_eq!(rig.flow.ending(), None, "← still reviews");
        rig.press(Key::Next);
        assert_eq!(rig.flow.ending(), Some(Ending::Finish));
        // A flow started with every take made says so at once.
        let mut done = Rig::new(&["one", "two", "three"], None);
        assert_eq!(done.index(), 2);
        assert!(done.notes().contains("every line has a take"));
    }

    #[test]
    fn quitting_during_a_take_keeps_the_earlier_takes_only() {
        for (key, ending) in [
            (Key::Quit, Ending::Quit),
            (Key::Interrupt, Ending::Interrupted),
        ] {
            let mut rig = Rig::new(&[], None);
            rig.hear(0.0, 3.0);
            rig.take(0.5, 0.5);
            rig.press(Key::Next);
            rig.press(Key::Toggle);
            rig.hear(0.5, 1.0);
            rig.press(key);
            assert_eq!(rig.flow.ending(), Some(ending));
            assert_eq!(rig.flow.discarded().map(Cue::as_str), Some("two"));
            assert!(rig.takes().has("one") && !rig.takes().has("two"));
            // Nothing moves once it has ended.
            rig.hear(0.5, 1.0);
            rig.press(Key::Toggle);
            assert!(!rig.takes().has("two"));
        }
    }

    #[test]
    fn a_microphone_lost_mid_take_discards_it_and_is_waited_for() {
        let mut rig = Rig::new(&[], None);
        rig.hear(0.0, 3.0);
        rig.take(0.5, 0.5);
        rig.press(Key::Next);
        rig.press(Key::Toggle);
        rig.hear(0.5, 0.5);
        rig.hand.pull_out();
        rig.wait(0.1);
        let notes = rig.notes();
        assert!(
            notes.contains("went away (device not available): the take of two was discarded"),
            "{notes}"
        );
        assert_eq!(rig.flow.view(rig.now).shown, Shown::Lost);
        assert!(rig.takes().has("one") && !rig.takes().has("two"));
        // Keys that need the microphone wait; it is looked for every half second.
        rig.press(Key::Toggle);
        assert!(rig.notes().contains("waiting for the microphone"));
        rig.wait(3.0);
        assert_eq!(rig.hand.starts(), 1);
        // Plugged in again (another headset: 16 kHz stereo), it is back within half a second.
        rig.hand.plug_in(16_000, 2);
        rig.wait(0.5);
        assert_eq!(rig.hand.starts(), 2);
        assert!(
            rig.notes().contains("back (16000 Hz, 2 channels)"),
            "{}",
            rig.notes()
        );
        let shown = rig.flow.view(rig.now).shown;
        assert_eq!(shown, Shown::Ready { playing: false });
        // Takes now come at its rate: half a second of stereo at 16 kHz.
        rig.press(Key::Toggle);
        rig.hand.capture(&[0.25; 16_000]);
        rig.press(Key::Toggle);
        rig.wait(0.3);
        let take = rig.takes().read("two").unwrap();
        assert_eq!(
            (take.rate, take.channels, take.samples.len()),
            (16_000, 2, 16_000)
        );
    }

    #[test]
    fn a_microphone_that_goes_quiet_is_lost_after_two_seconds() {
        let mut rig = Rig::new(&[], None);
        rig.hear(0.0, 3.0);
        rig.wait(2.0);
        assert_eq!(
            rig.flow.view(rig.now).shown,
            Shown::Ready { playing: false }
        );
        rig.wait(0.2);
        assert_eq!(rig.flow.view(rig.now).shown, Shown::Lost);
        assert!(
            rig.notes().contains("it stopped sending sound"),
            "{}",
            rig.notes()
        );
        // Lost before the room was measured, the room is measured again once it is back.
        let mut early = Rig::new(&[], None);
        early.hand.pull_out();
        early.wait(0.1);
        early.hand.plug_in(RATE, 1);
        early.wait(0.5);
        assert!(matches!(
            early.flow.view(early.now).shown,
            Shown::Room { .. }
        ));
    }
}
