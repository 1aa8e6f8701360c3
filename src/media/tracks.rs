//! The session as the media controls show it, with no bus: one track per step, its metadata, the
//! position in it, the volume as MPRIS reads and sets it, and what changed between two looks at
//! the play loop's state.

use std::time::Duration;

use crate::loudness::{db_to_gain, gain_to_db};
use crate::output::live::Request;
use crate::timeline::Timeline;

/// A step as a track: its title with its set, and its frames.
#[derive(Debug, Clone, PartialEq)]
struct Track {
    title: String,
    start: u64,
    end: u64,
}

/// The session's steps as tracks, with what every track shares: the album (the session's title)
/// and the artist (the voice).
#[derive(Debug, Clone)]
pub struct Tracks {
    rate: u32,
    album: String,
    artist: String,
    tracks: Vec<Track>,
}

/// The play loop's state as the media controls last heard of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playback {
    /// The timeline frame being played.
    pub frame: u64,
    /// How long ago that frame was reported.
    pub age: Duration,
    /// Paused (or pausing).
    pub paused: bool,
    /// The session is over.
    pub ended: bool,
    /// The volume, dB.
    pub volume_db: f64,
    /// How many times playback jumped back inside a track (a step restarted, a replay after the
    /// device was reopened) so far.
    pub jumps_back: u64,
}

/// Microseconds, as MPRIS counts positions and lengths.
pub type Micros = i64;

/// Playing, paused, or over: MPRIS's `PlaybackStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybackStatus {
    /// Playing.
    Playing,
    /// Paused (or pausing).
    Paused,
    /// The session is over.
    Stopped,
}

impl PlaybackStatus {
    /// The status as MPRIS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaybackStatus::Playing => "Playing",
            PlaybackStatus::Paused => "Paused",
            PlaybackStatus::Stopped => "Stopped",
        }
    }
}

/// A track's metadata as MPRIS shows it: its object path, and for a step its title, artist,
/// album and length.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// `mpris:trackid`.
    pub track_id: String,
    /// The step's fields; none for no track.
    pub step: Option<StepFields>,
}

/// What a step's track shows besides its id.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFields {
    /// `xesam:title`: the step as the plan names it.
    pub title: String,
    /// `xesam:artist`: the voice.
    pub artist: String,
    /// `xesam:album`: the session's title.
    pub album: String,
    /// `mpris:length`.
    pub length: Micros,
}

/// A property of `org.mpris.MediaPlayer2.Player` whose change is announced.
#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    /// The track's metadata.
    Metadata(Metadata),
    /// Whether `Next` leads to another step.
    CanGoNext(bool),
    /// Whether `Previous` leads to an earlier step.
    CanGoPrevious(bool),
    /// Playing, paused or stopped.
    PlaybackStatus(PlaybackStatus),
    /// The volume, 1.0 at 0 dB.
    Volume(f64),
}

/// The track id MPRIS reserves for no track.
pub const NO_TRACK: &str = "/org/mpris/MediaPlayer2/TrackList/NoTrack";

/// What the media controls last announced (or are about to): the track, the frame, the status
/// and the volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    track: Option<usize>,
    frame: u64,
    status: PlaybackStatus,
    volume_db: f64,
    jumps_back: u64,
}

/// What to tell the bus when the view changes: the properties that changed, and the position a
/// jump back inside a track (a step restarted, a replay after the device was reopened) landed on.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// Properties whose values changed.
    pub properties: Vec<Property>,
    /// Where the position jumped to, for the `Seeked` signal.
    pub seeked: Option<Micros>,
}

/// The object path of step `index`'s track.
fn track_id(index: usize) -> String {
    format!("/org/balasana_audio/step/{index}")
}

impl Tracks {
    /// The steps of `timeline` as tracks of the album `album` (the session's title), spoken by
    /// `artist` (the voice); each lasts until the next step, the last until the session's end.
    pub fn new(timeline: &Timeline, album: &str, artist: &str) -> Tracks {
        let ends = timeline
            .steps
            .iter()
            .skip(1)
            .map(|s| s.frame)
            .chain([timeline.duration]);
        let tracks = timeline
            .steps
            .iter()
            .zip(ends)
            .map(|(step, end)| Track {
                title: timeline.step_title(step),
                start: step.frame,
                end,
            })
            .collect();
        Tracks {
            rate: timeline.rate,
            album: album.to_owned(),
            artist: artist.to_owned(),
            tracks,
        }
    }

    /// The track playing at `frame`.
    fn at(&self, frame: u64) -> Option<usize> {
        self.tracks
            .partition_point(|t| t.start <= frame)
            .checked_sub(1)
    }

    /// `frames` as an MPRIS time (microseconds).
    fn time(&self, frames: u64) -> Micros {
        let micros = u128::from(frames) * 1_000_000 / u128::from(self.rate);
        Micros::try_from(micros).unwrap_or(Micros::MAX)
    }

    /// The metadata of track `index`: its id, title, artist, album and length; empty (no track)
    /// for none.
    pub fn metadata(&self, index: Option<usize>) -> Metadata {
        let Some((index, track)) = index.and_then(|i| Some((i, self.tracks.get(i)?))) else {
            return Metadata {
                track_id: NO_TRACK.to_owned(),
                step: None,
            };
        };
        Metadata {
            track_id: track_id(index),
            step: Some(StepFields {
                title: track.title.clone(),
                artist: self.artist.clone(),
                album: self.album.clone(),
                length: self.time(track.end - track.start),
            }),
        }
    }

    /// What the controls show for `playback`.
    pub fn view(&self, playback: &Playback) -> View {
        let status = if playback.ended {
            PlaybackStatus::Stopped
        } else if playback.paused {
            PlaybackStatus::Paused
        } else {
            PlaybackStatus::Playing
        };
        View {
            track: self.at(playback.frame),
            frame: playback.frame,
            status,
            volume_db: playback.volume_db,
            jumps_back: playback.jumps_back,
        }
    }

    /// Whether `Next` leads to another step (not only to the session's end).
    pub fn can_go_next(&self, view: &View) -> bool {
        view.track.is_some_and(|i| i + 1 < self.tracks.len())
    }

    /// Whether `Previous` can lead to an earlier step.
    pub fn can_go_previous(&self, view: &View) -> bool {
        view.track.is_some_and(|i| i > 0)
    }

    /// The position in the track playing: where the loop last reported, and, while playing, the
    /// time since then, never past the track's end.
    pub fn position(&self, playback: &Playback) -> Micros {
        let Some(track) = self.at(playback.frame).map(|i| &self.tracks[i]) else {
            return 0;
        };
        let since = if playback.paused || playback.ended {
            0
        } else {
            (playback.age.as_secs_f64() * f64::from(self.rate)).round() as u64
        };
        let offset = (playback.frame - track.start + since).min(track.end - track.start);
        self.time(offset)
    }

    /// Whether playback jumped back inside one track from `before` to `after` (a step restarted,
    /// a replay after the device was reopened).
    pub fn jumped_back(&self, before: &View, after: &View) -> bool {
        after.track == before.track && after.frame < before.frame
    }

    /// Whether going from `before` to `after` has something to announce: another track, status
    /// or volume, or a jump back. Time passing inside a track has not (`Position` is computed
    /// when asked).
    pub fn announces(&self, before: &View, after: &View) -> bool {
        after.track != before.track
            || after.status != before.status
            || after.volume_db != before.volume_db
            || self.jumped_back(before, after)
    }

    /// What changed from `before` to `after`: a new track brings its metadata and whether there
    /// is a step to go to either way; the status and volume when they change; after a jump back
    /// (counted by the play loop's side, which sees every report), the position it landed on.
    pub fn changes(&self, before: &View, after: &View) -> Changes {
        let mut properties = Vec::new();
        if after.track != before.track {
            properties.push(Property::Metadata(self.metadata(after.track)));
            properties.push(Property::CanGoNext(self.can_go_next(after)));
            properties.push(Property::CanGoPrevious(self.can_go_previous(after)));
        }
        if after.status != before.status {
            properties.push(Property::PlaybackStatus(after.status));
        }
        if after.volume_db != before.volume_db {
            properties.push(Property::Volume(volume(after.volume_db)));
        }
        let seeked = (after.jumps_back != before.jumps_back)
            .then(|| Some(self.time(after.frame - self.tracks.get(after.track?)?.start)))
            .flatten();
        Changes { properties, seeked }
    }
}

impl View {
    /// The playback status shown.
    pub fn status(&self) -> PlaybackStatus {
        self.status
    }

    /// The track shown.
    pub fn track(&self) -> Option<usize> {
        self.track
    }
}

/// MPRIS's volume for a gain of `db`: 1.0 is 0 dB.
pub fn volume(db: f64) -> f64 {
    db_to_gain(db)
}

/// The request an MPRIS volume asks for: its gain in dB (the play loop holds it within its
/// range; 0 and below are its lowest); none for a volume that is not a number.
pub fn volume_request(volume: f64) -> Option<Request> {
    (!volume.is_nan()).then(|| Request::Volume(gain_to_db(volume.max(0.0))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::StepStart;

    const RATE: u32 = 1000;

    /// Three steps at 0, 10 and 25 s of a 40 s session; the last two in set 1 of 2.
    fn tracks() -> Tracks {
        let step = |title: &str, set, at: u64| StepStart {
            step: title.to_lowercase(),
            title: title.into(),
            set,
            frame: at * u64::from(RATE),
        };
        let timeline = Timeline {
            rate: RATE,
            sets: 2,
            events: Vec::new(),
            holds: Vec::new(),
            steps: vec![
                step("Getting ready", None, 0),
                step("Step 1 · Kneel", Some(1), 10),
                step("Step 2 · Hold and breathe", Some(1), 25),
            ],
            duration: 40 * u64::from(RATE),
            tail: 0,
            labels: Default::default(),
        };
        Tracks::new(&timeline, "Child's pose", "Heart")
    }

    fn playing(seconds: f64) -> Playback {
        Playback {
            frame: (seconds * f64::from(RATE)) as u64,
            age: Duration::ZERO,
            paused: false,
            ended: false,
            volume_db: 0.0,
            jumps_back: 0,
        }
    }

    /// One second in MPRIS's microseconds.
    const SECOND: Micros = 1_000_000;

    #[test]
    fn each_step_is_a_track_titled_as_the_plan_names_it() {
        let t = tracks();
        let m = t.metadata(Some(1));
        assert_eq!(m.track_id, "/org/balasana_audio/step/1");
        let step = m.step.unwrap();
        assert_eq!(step.title, "Step 1 · Kneel (set 1 of 2)");
        assert_eq!(step.artist, "Heart");
        assert_eq!(step.album, "Child's pose");
        assert_eq!(step.length, 15 * SECOND);
        // The last step lasts until the session's end.
        let length = |i| t.metadata(Some(i)).step.unwrap().length;
        assert_eq!(length(2), 15 * SECOND);
        assert_eq!(t.metadata(Some(0)).step.unwrap().title, "Getting ready");
        let none = t.metadata(None);
        assert_eq!((none.track_id.as_str(), none.step), (NO_TRACK, None));
    }

    #[test]
    fn next_and_previous_are_offered_while_there_is_a_step_to_go_to() {
        let t = tracks();
        let can = |s| {
            let v = t.view(&playing(s));
            (t.can_go_previous(&v), t.can_go_next(&v))
        };
        assert_eq!(can(0.0), (false, true));
        assert_eq!(can(12.0), (true, true));
        assert_eq!(can(39.0), (true, false));
    }

    #[test]
    fn the_position_runs_on_while_playing_and_stands_while_paused() {
        let t = tracks();
        let at_12 = Playback {
            age: Duration::from_millis(250),
            ..playing(12.0)
        };
        assert_eq!(t.position(&at_12), 2_250_000);
        let paused = Playback {
            paused: true,
            ..at_12
        };
        assert_eq!(t.position(&paused), 2 * SECOND);
        // Never past the track's end, however late the next report.
        let late = Playback {
            age: Duration::from_secs(60),
            ..at_12
        };
        assert_eq!(t.position(&late), 15 * SECOND);
    }

    #[test]
    fn status_follows_pause_resume_and_the_end() {
        let t = tracks();
        let view = |p: Playback| t.view(&p).status();
        assert_eq!(view(playing(3.0)), PlaybackStatus::Playing);
        let paused = Playback {
            paused: true,
            ..playing(3.0)
        };
        assert_eq!(view(paused), PlaybackStatus::Paused);
        let ended = Playback {
            ended: true,
            ..paused
        };
        assert_eq!(view(ended), PlaybackStatus::Stopped);
    }

    #[test]
    fn changes_announce_a_new_track_the_status_the_volume_and_jumps_back() {
        let t = tracks();
        let v = |p: Playback| t.view(&p);
        // Time passing inside a track changes nothing.
        let none = t.changes(&v(playing(11.0)), &v(playing(11.25)));
        assert_eq!(none.properties, Vec::new());
        assert_eq!(none.seeked, None);
        // The next step: its metadata, and what can be gone to from it.
        let next = t.changes(&v(playing(24.9)), &v(playing(25.0)));
        assert_eq!(
            next.properties,
            vec![
                Property::Metadata(t.metadata(Some(2))),
                Property::CanGoNext(false),
                Property::CanGoPrevious(true),
            ]
        );
        assert_eq!(next.seeked, None);
        // Paused at another volume.
        let quieter = Playback {
            paused: true,
            volume_db: -6.0,
            ..playing(11.0)
        };
        let changed = t.changes(&v(playing(11.0)), &v(quieter));
        assert_eq!(
            changed.properties,
            vec![
                Property::PlaybackStatus(PlaybackStatus::Paused),
                Property::Volume(db_to_gain(-6.0)),
            ]
        );
        // Back to the start of the step (or 0.3 s back after a reopened device): the play
        // loop's side counts the jump, and Seeked gives where it landed.
        let jumped = |p: Playback| Playback { jumps_back: 1, ..p };
        let restarted = t.changes(&v(playing(14.0)), &v(jumped(playing(10.0))));
        assert_eq!(restarted.properties, Vec::new());
        assert_eq!(restarted.seeked, Some(0));
        let replayed = t.changes(&v(playing(11.0)), &v(jumped(playing(13.7))));
        assert_eq!(replayed.seeked, Some(3_700_000));
    }

    #[test]
    fn only_another_track_status_volume_or_a_jump_back_is_announced() {
        let t = tracks();
        let announces = |a: Playback, b: Playback| t.announces(&t.view(&a), &t.view(&b));
        assert!(!announces(playing(11.0), playing(11.25)));
        assert!(!announces(playing(11.0), playing(24.9)));
        assert!(announces(playing(24.9), playing(25.0)));
        assert!(announces(playing(14.0), playing(13.7)));
        let paused = Playback {
            paused: true,
            ..playing(11.0)
        };
        assert!(announces(playing(11.0), paused));
        assert!(!announces(paused, paused));
        let quieter = Playback {
            volume_db: -1.0,
            ..playing(11.0)
        };
        assert!(announces(playing(11.0), quieter));
        let ended = Playback {
            ended: true,
            ..playing(11.0)
        };
        assert!(announces(playing(11.0), ended));
        // A jump back into the step before is another track: no jump inside one.
        assert!(!t.jumped_back(&t.view(&playing(26.0)), &t.view(&playing(24.0))));
        assert!(t.jumped_back(&t.view(&playing(14.0)), &t.view(&playing(13.7))));
    }

    #[test]
    fn volume_is_the_gain_with_one_as_zero_db_and_reads_back_the_same() {
        assert_eq!(volume(0.0), 1.0);
        let Some(Request::Volume(db)) = volume_request(0.5) else {
            panic!("no volume request")
        };
        assert!((db + 6.0206).abs() < 1e-4, "{db}");
        assert!((volume(db) - 0.5).abs() < 1e-12);
        // Silence asks for the lowest volume; the loop holds it at −30 dB.
        assert_eq!(
            volume_request(0.0),
            Some(Request::Volume(f64::NEG_INFINITY))
        );
        assert_eq!(volume_request(-1.0), volume_request(0.0));
        assert_eq!(volume_request(f64::NAN), None);
    }
}
