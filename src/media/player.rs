//! The MPRIS interfaces (`org.mpris.MediaPlayer2` and `.Player`), served with zbus's own
//! `#[interface]`: each method sends the request a key would into the play loop's channel; each
//! property is read from the state the loop last reported. Nothing here waits for the loop.
//! Written here rather than taken from `mpris-server`, which needs zbus's default features (its
//! blocking API).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use zbus::fdo;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, Value};

use super::Shared;
use super::tracks::{self, Metadata, Property, Tracks};
use crate::output::live::Request;

/// The program's name to people, and the desktop file the Debian package installs.
pub(super) const IDENTITY: &str = "balasana-audio";

/// The session as the two interfaces see it: its tracks, the loop's state, the loop's channel.
#[derive(Debug)]
pub(super) struct Mpris {
    pub(super) tracks: Arc<Tracks>,
    pub(super) shared: Arc<Shared>,
    requests: Sender<Request>,
}

impl Mpris {
    /// A player of `tracks`, reading the loop's state from `shared`, sending into `requests`.
    pub(super) fn new(
        tracks: Arc<Tracks>,
        shared: Arc<Shared>,
        requests: Sender<Request>,
    ) -> Mpris {
        Mpris {
            tracks,
            shared,
            requests,
        }
    }

    /// Sends `request` to the play loop. Once the session is over nothing reads it, and the
    /// call changes nothing.
    fn ask(&self, request: Request) -> fdo::Result<()> {
        let _ = self.requests.send(request);
        Ok(())
    }

    /// What the controls show now.
    fn view(&self) -> tracks::View {
        self.tracks.view(&self.shared.playback())
    }
}

/// What a client may not change here.
fn not_supported(what: &str) -> zbus::Error {
    fdo::Error::NotSupported(format!("{what} cannot be changed in a guided session")).into()
}

/// A time as MPRIS gives it: microseconds, signed.
pub(super) fn micros(time: Duration) -> i64 {
    i64::try_from(time.as_micros()).unwrap_or(i64::MAX)
}

/// Metadata as MPRIS's `a{sv}` dictionary.
fn metadata_map(metadata: Metadata) -> HashMap<&'static str, Value<'static>> {
    let track_id = ObjectPath::try_from(metadata.track_id)
        .expect("track ids are made of letters, slashes, underscores and digits");
    let mut map = HashMap::from([("mpris:trackid", Value::from(track_id))]);
    if let Some(track) = metadata.track {
        map.insert("xesam:title", Value::from(track.title));
        map.insert("xesam:artist", Value::from(vec![track.artist]));
        map.insert("xesam:album", Value::from(track.album));
        map.insert("mpris:length", Value::from(micros(track.length)));
    }
    map
}

/// A changed property's name and value, as `PropertiesChanged` carries them.
pub(super) fn property_value(property: Property) -> (&'static str, Value<'static>) {
    match property {
        Property::Metadata(m) => ("Metadata", Value::new(metadata_map(m))),
        Property::CanGoNext(can) => ("CanGoNext", Value::from(can)),
        Property::CanGoPrevious(can) => ("CanGoPrevious", Value::from(can)),
        Property::PlaybackStatus(s) => ("PlaybackStatus", Value::from(s.as_str())),
        Property::Volume(volume) => ("Volume", Value::from(volume)),
    }
}

/// `org.mpris.MediaPlayer2`: what the player is; `Quit` ends the session.
#[derive(Debug)]
pub(super) struct Root(pub(super) Arc<Mpris>);

#[zbus::interface(name = "org.mpris.MediaPlayer2")]
impl Root {
    /// There is no window to raise (`CanRaise` is false): nothing happens.
    fn raise(&self) {}

    fn quit(&self) -> fdo::Result<()> {
        self.0.ask(Request::Quit)
    }

    #[zbus(property)]
    fn can_quit(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn fullscreen(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn set_fullscreen(&self, _fullscreen: bool) -> zbus::Result<()> {
        Err(not_supported("Fullscreen"))
    }

    #[zbus(property)]
    fn can_set_fullscreen(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn can_raise(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn has_track_list(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn identity(&self) -> &str {
        IDENTITY
    }

    #[zbus(property)]
    fn desktop_entry(&self) -> &str {
        IDENTITY
    }

    #[zbus(property)]
    fn supported_uri_schemes(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    fn supported_mime_types(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `org.mpris.MediaPlayer2.Player`: the session's steps as tracks, and the keys.
#[derive(Debug)]
pub(super) struct Player(pub(super) Arc<Mpris>);

#[zbus::interface(name = "org.mpris.MediaPlayer2.Player")]
impl Player {
    fn next(&self) -> fdo::Result<()> {
        self.0.ask(Request::Next)
    }

    fn previous(&self) -> fdo::Result<()> {
        self.0.ask(Request::Restart)
    }

    fn pause(&self) -> fdo::Result<()> {
        self.0.ask(Request::Pause)
    }

    fn play_pause(&self) -> fdo::Result<()> {
        self.0.ask(Request::TogglePause)
    }

    fn stop(&self) -> fdo::Result<()> {
        self.0.ask(Request::Quit)
    }

    fn play(&self) -> fdo::Result<()> {
        self.0.ask(Request::Play)
    }

    /// No free seeking in a guided session (`CanSeek` is false): nothing happens.
    fn seek(&self, _offset: i64) {}

    /// No free seeking in a guided session (`CanSeek` is false): nothing happens.
    fn set_position(&self, _track_id: ObjectPath<'_>, _position: i64) {}

    fn open_uri(&self, _uri: String) -> fdo::Result<()> {
        Err(fdo::Error::NotSupported(
            "a guided session opens no other media".into(),
        ))
    }

    /// The position jumped (in microseconds into the track).
    #[zbus(signal)]
    pub(super) async fn seeked(emitter: &SignalEmitter<'_>, position: i64) -> zbus::Result<()>;

    #[zbus(property)]
    fn playback_status(&self) -> &'static str {
        self.0.view().status().as_str()
    }

    #[zbus(property)]
    fn loop_status(&self) -> &str {
        "None"
    }

    #[zbus(property)]
    fn set_loop_status(&self, _loop_status: String) -> zbus::Result<()> {
        Err(not_supported("LoopStatus"))
    }

    #[zbus(property)]
    fn rate(&self) -> f64 {
        1.0
    }

    #[zbus(property)]
    fn set_rate(&self, _rate: f64) -> zbus::Result<()> {
        Err(not_supported("Rate"))
    }

    #[zbus(property)]
    fn shuffle(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn set_shuffle(&self, _shuffle: bool) -> zbus::Result<()> {
        Err(not_supported("Shuffle"))
    }

    #[zbus(property)]
    fn metadata(&self) -> HashMap<&'static str, Value<'static>> {
        metadata_map(self.0.tracks.metadata(self.0.view().track()))
    }

    #[zbus(property)]
    fn volume(&self) -> f64 {
        tracks::volume(self.0.shared.playback().volume_db)
    }

    #[zbus(property)]
    fn set_volume(&self, volume: f64) -> zbus::Result<()> {
        if let Some(request) = tracks::volume_request(volume) {
            self.0.ask(request)?;
        }
        Ok(())
    }

    #[zbus(property(emits_changed_signal = "false"))]
    fn position(&self) -> i64 {
        micros(self.0.tracks.position(&self.0.shared.playback()))
    }

    #[zbus(property)]
    fn minimum_rate(&self) -> f64 {
        1.0
    }

    #[zbus(property)]
    fn maximum_rate(&self) -> f64 {
        1.0
    }

    #[zbus(property)]
    fn can_go_next(&self) -> bool {
        self.0.tracks.can_go_next(&self.0.view())
    }

    #[zbus(property)]
    fn can_go_previous(&self) -> bool {
        self.0.tracks.can_go_previous(&self.0.view())
    }

    #[zbus(property)]
    fn can_play(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn can_pause(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn can_seek(&self) -> bool {
        false
    }

    // "false" rather than "const", as the MPRIS specification has it.
    #[zbus(property(emits_changed_signal = "false"))]
    fn can_control(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, channel};

    use super::*;
    use crate::output::live::Status;
    use crate::timeline::{StepStart, Timeline};

    /// The two interfaces of a two-step session at 1 kHz (steps at 0 and 5 s of 10 s), and the
    /// channel the loop would read.
    fn player() -> (Root, Player, Receiver<Request>) {
        let step = |frame| StepStart {
            step: format!("s{frame}"),
            title: format!("Step at {frame}"),
            set: None,
            frame,
        };
        let timeline = Timeline {
            rate: 1000,
            sets: 1,
            events: Vec::new(),
            holds: Vec::new(),
            steps: vec![step(0), step(5000)],
            duration: 10_000,
            tail: 0,
        };
        let (send, requests) = channel();
        let tracks = Arc::new(Tracks::new(&timeline, "Session", "Voice"));
        let mpris = Arc::new(Mpris::new(tracks, Arc::new(Shared::default()), send));
        (Root(mpris.clone()), Player(mpris), requests)
    }

    /// The metadata's title, as a client reads it.
    fn title(metadata: &HashMap<&str, Value<'_>>) -> String {
        String::try_from(metadata["xesam:title"].try_clone().unwrap()).unwrap()
    }

    #[test]
    fn each_method_sends_the_request_its_key_sends() {
        let (root, player, requests) = player();
        player.play_pause().unwrap();
        player.play().unwrap();
        player.pause().unwrap();
        player.next().unwrap();
        player.previous().unwrap();
        player.stop().unwrap();
        root.quit().unwrap();
        player.set_volume(1.0).unwrap();
        // Not a number: nothing is sent.
        player.set_volume(f64::NAN).unwrap();
        // No free seeking: nothing is sent.
        player.seek(5_000_000);
        let sent: Vec<Request> = requests.try_iter().collect();
        assert_eq!(
            sent,
            [
                Request::TogglePause,
                Request::Play,
                Request::Pause,
                Request::Next,
                Request::Restart,
                Request::Quit,
                Request::Quit,
                Request::Volume(0.0),
            ]
        );
    }

    #[test]
    fn properties_read_what_the_loop_reported() {
        let (root, player, _requests) = player();
        let report = |frame, paused, volume_db| {
            player.0.shared.report(&Status {
                frame,
                paused,
                volume_db,
                reconnecting: false,
            })
        };
        // Real from the first moment: the first step, playing, at full volume.
        assert_eq!(title(&player.metadata()), "Step at 0");
        assert_eq!(player.playback_status(), "Playing");
        assert_eq!(player.volume(), 1.0);
        assert!(player.can_go_next());
        assert!(!player.can_go_previous());
        report(6000, true, -6.0);
        let second = player.metadata();
        assert_eq!(title(&second), "Step at 5000");
        assert_eq!(
            second["mpris:trackid"],
            Value::from(ObjectPath::try_from("/org/balasana_audio/step/1").unwrap())
        );
        assert_eq!(second["mpris:length"], Value::from(5_000_000i64));
        assert_eq!(player.playback_status(), "Paused");
        assert_eq!(player.position(), 1_000_000);
        assert!((player.volume() - 0.501187).abs() < 1e-6);
        assert!(!player.can_go_next());
        player.0.shared.end();
        assert_eq!(player.playback_status(), "Stopped");
        assert_eq!(root.identity(), "balasana-audio");
        assert_eq!(root.desktop_entry(), "balasana-audio");
        assert!(!player.can_seek());
    }

    #[test]
    fn a_changed_property_carries_its_mpris_name_and_type() {
        let (_root, player, _requests) = player();
        let none = player.0.tracks.metadata(None);
        let (name, value) = property_value(Property::Metadata(none));
        assert_eq!(name, "Metadata");
        assert_eq!(value.value_signature().to_string(), "a{sv}");
        assert_eq!(
            property_value(Property::PlaybackStatus(tracks::PlaybackStatus::Paused)),
            ("PlaybackStatus", Value::from("Paused"))
        );
        assert_eq!(
            property_value(Property::CanGoNext(true)),
            ("CanGoNext", Value::from(true))
        );
        assert_eq!(
            property_value(Property::Volume(0.5)),
            ("Volume", Value::from(0.5))
        );
    }
}
