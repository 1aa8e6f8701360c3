//! The MPRIS interfaces (`org.mpris.MediaPlayer2` and `.Player`): each method sends the request
//! a key would into the play loop's channel; each property is read from the state the loop last
//! reported. Nothing here waits for the loop.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use mpris_server::zbus::{self, fdo};
use mpris_server::{
    LoopStatus, Metadata, PlaybackRate, PlaybackStatus, PlayerInterface, RootInterface, Time,
    TrackId, Volume,
};

use super::Shared;
use super::tracks::{self, Tracks};
use crate::output::live::Request;

/// The program's name to people, and the desktop file the Debian package installs.
pub(super) const IDENTITY: &str = "balasana-audio";

/// The session as an MPRIS player.
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

    /// What a client may not change here.
    fn not_supported(what: &str) -> zbus::Error {
        fdo::Error::NotSupported(format!("{what} cannot be changed in a guided session")).into()
    }
}

impl RootInterface for Mpris {
    async fn raise(&self) -> fdo::Result<()> {
        Ok(())
    }

    async fn quit(&self) -> fdo::Result<()> {
        self.ask(Request::Quit)
    }

    async fn can_quit(&self) -> fdo::Result<bool> {
        Ok(true)
    }

    async fn fullscreen(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn set_fullscreen(&self, _fullscreen: bool) -> zbus::Result<()> {
        Err(Mpris::not_supported("Fullscreen"))
    }

    async fn can_set_fullscreen(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn can_raise(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn has_track_list(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn identity(&self) -> fdo::Result<String> {
        Ok(IDENTITY.to_owned())
    }

    async fn desktop_entry(&self) -> fdo::Result<String> {
        Ok(IDENTITY.to_owned())
    }

    async fn supported_uri_schemes(&self) -> fdo::Result<Vec<String>> {
        Ok(Vec::new())
    }

    async fn supported_mime_types(&self) -> fdo::Result<Vec<String>> {
        Ok(Vec::new())
    }
}

impl PlayerInterface for Mpris {
    async fn next(&self) -> fdo::Result<()> {
        self.ask(Request::Next)
    }

    async fn previous(&self) -> fdo::Result<()> {
        self.ask(Request::Restart)
    }

    async fn pause(&self) -> fdo::Result<()> {
        self.ask(Request::Pause)
    }

    async fn play_pause(&self) -> fdo::Result<()> {
        self.ask(Request::TogglePause)
    }

    async fn stop(&self) -> fdo::Result<()> {
        self.ask(Request::Quit)
    }

    async fn play(&self) -> fdo::Result<()> {
        self.ask(Request::Play)
    }

    /// No free seeking in a guided session (`CanSeek` is false): nothing happens.
    async fn seek(&self, _offset: Time) -> fdo::Result<()> {
        Ok(())
    }

    /// No free seeking in a guided session (`CanSeek` is false): nothing happens.
    async fn set_position(&self, _track_id: TrackId, _position: Time) -> fdo::Result<()> {
        Ok(())
    }

    async fn open_uri(&self, _uri: String) -> fdo::Result<()> {
        Err(fdo::Error::NotSupported(
            "a guided session opens no other media".into(),
        ))
    }

    async fn playback_status(&self) -> fdo::Result<PlaybackStatus> {
        Ok(self.tracks.view(&self.shared.playback()).status())
    }

    async fn loop_status(&self) -> fdo::Result<LoopStatus> {
        Ok(LoopStatus::None)
    }

    async fn set_loop_status(&self, _loop_status: LoopStatus) -> zbus::Result<()> {
        Err(Mpris::not_supported("LoopStatus"))
    }

    async fn rate(&self) -> fdo::Result<PlaybackRate> {
        Ok(1.0)
    }

    async fn set_rate(&self, _rate: PlaybackRate) -> zbus::Result<()> {
        Err(Mpris::not_supported("Rate"))
    }

    async fn shuffle(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn set_shuffle(&self, _shuffle: bool) -> zbus::Result<()> {
        Err(Mpris::not_supported("Shuffle"))
    }

    async fn metadata(&self) -> fdo::Result<Metadata> {
        let view = self.tracks.view(&self.shared.playback());
        Ok(self.tracks.metadata(view.track()))
    }

    async fn volume(&self) -> fdo::Result<Volume> {
        Ok(tracks::volume(self.shared.playback().volume_db))
    }

    async fn set_volume(&self, volume: Volume) -> zbus::Result<()> {
        if let Some(request) = tracks::volume_request(volume) {
            self.ask(request)?;
        }
        Ok(())
    }

    async fn position(&self) -> fdo::Result<Time> {
        Ok(self.tracks.position(&self.shared.playback()))
    }

    async fn minimum_rate(&self) -> fdo::Result<PlaybackRate> {
        Ok(1.0)
    }

    async fn maximum_rate(&self) -> fdo::Result<PlaybackRate> {
        Ok(1.0)
    }

    async fn can_go_next(&self) -> fdo::Result<bool> {
        Ok(self
            .tracks
            .can_go_next(&self.tracks.view(&self.shared.playback())))
    }

    async fn can_go_previous(&self) -> fdo::Result<bool> {
        Ok(self
            .tracks
            .can_go_previous(&self.tracks.view(&self.shared.playback())))
    }

    async fn can_play(&self) -> fdo::Result<bool> {
        Ok(true)
    }

    async fn can_pause(&self) -> fdo::Result<bool> {
        Ok(true)
    }

    async fn can_seek(&self) -> fdo::Result<bool> {
        Ok(false)
    }

    async fn can_control(&self) -> fdo::Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, channel};

    use super::*;
    use crate::output::live::Status;
    use crate::timeline::{StepStart, Timeline};

    /// A player of a two-step session at 1 kHz (steps at 0 and 5 s of 10 s), and the channel
    /// the loop would read.
    fn player() -> (Mpris, Receiver<Request>) {
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
        (
            Mpris::new(tracks, Arc::new(Shared::default()), send),
            requests,
        )
    }

    #[test]
    fn each_method_sends_the_request_its_key_sends() {
        let (mpris, requests) = player();
        async_io::block_on(async {
            mpris.play_pause().await.unwrap();
            mpris.play().await.unwrap();
            mpris.pause().await.unwrap();
            mpris.next().await.unwrap();
            mpris.previous().await.unwrap();
            mpris.stop().await.unwrap();
            mpris.quit().await.unwrap();
            mpris.set_volume(1.0).await.unwrap();
            // Not a number: nothing is sent.
            mpris.set_volume(f64::NAN).await.unwrap();
            // No free seeking: nothing is sent.
            mpris.seek(Time::from_secs(5)).await.unwrap();
        });
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
        let (mpris, _requests) = player();
        let report = |frame, paused, volume_db| {
            mpris.shared.report(&Status {
                frame,
                paused,
                volume_db,
                reconnecting: false,
            })
        };
        async_io::block_on(async {
            // Real from the first moment: the first step, playing, at full volume.
            let first = mpris.metadata().await.unwrap();
            assert_eq!(first.title(), Some("Step at 0"));
            assert_eq!(
                mpris.playback_status().await.unwrap(),
                PlaybackStatus::Playing
            );
            assert_eq!(mpris.volume().await.unwrap(), 1.0);
            assert!(mpris.can_go_next().await.unwrap());
            assert!(!mpris.can_go_previous().await.unwrap());
            report(6000, true, -6.0);
            let second = mpris.metadata().await.unwrap();
            assert_eq!(second.title(), Some("Step at 5000"));
            assert_eq!(
                mpris.playback_status().await.unwrap(),
                PlaybackStatus::Paused
            );
            assert_eq!(mpris.position().await.unwrap(), Time::from_secs(1));
            assert!((mpris.volume().await.unwrap() - 0.501187).abs() < 1e-6);
            assert!(!mpris.can_go_next().await.unwrap());
            mpris.shared.end();
            assert_eq!(
                mpris.playback_status().await.unwrap(),
                PlaybackStatus::Stopped
            );
            assert_eq!(mpris.identity().await.unwrap(), "balasana-audio");
            assert_eq!(mpris.desktop_entry().await.unwrap(), "balasana-audio");
            assert!(!mpris.can_seek().await.unwrap());
        });
    }
}
