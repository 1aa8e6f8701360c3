//! The media controls' thread: it takes a free MPRIS name on the session bus, serves the player
//! there, and announces what changes each time the play loop rings.

use async_channel::Receiver;
use mpris_server::zbus::{self, fdo::DBusProxy, names::BusName};
use mpris_server::{Server, Signal};

use super::player::Mpris;

/// The player's name after `org.mpris.MediaPlayer2.`, as `playerctl -p` takes it.
const NAME: &str = "balasana_audio";

/// Serves `player` until the session ends (the doorbell's sender is dropped). Any failure —
/// no session bus, a bus that refuses us, a lost connection — ends the thread quietly: the keys
/// work as before, and nothing is tried again.
pub(super) fn serve(player: Mpris, doorbell: Receiver<()>) {
    let _ = async_io::block_on(run(player, doorbell));
}

/// Takes a name, serves the player, and announces every change until the session ends.
async fn run(player: Mpris, doorbell: Receiver<()>) -> zbus::Result<()> {
    let name = free_name().await?;
    let (tracks, shared) = (player.tracks.clone(), player.shared.clone());
    let server = Server::new(&name, player).await?;
    let mut announced = tracks.view(&shared.playback());
    while doorbell.recv().await.is_ok() {
        let now = tracks.view(&shared.playback());
        let changes = tracks.changes(&announced, &now);
        if !changes.properties.is_empty() {
            server.properties_changed(changes.properties).await?;
        }
        if let Some(position) = changes.seeked {
            server.emit(Signal::Seeked { position }).await?;
        }
        announced = now;
    }
    Ok(())
}

/// `balasana_audio`, or `balasana_audio.instance<PID>` when another player holds it (as VLC and
/// mpv-mpris do): a second session never takes the name from the first.
async fn free_name() -> zbus::Result<String> {
    let connection = zbus::Connection::session().await?;
    let plain = format!("org.mpris.MediaPlayer2.{NAME}");
    let taken = DBusProxy::new(&connection)
        .await?
        .name_has_owner(BusName::try_from(plain.as_str())?)
        .await?;
    Ok(if taken {
        format!("{NAME}.instance{}", std::process::id())
    } else {
        NAME.to_owned()
    })
}
