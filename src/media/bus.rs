//! The media controls' thread: it takes a free MPRIS name on the session bus, serves the player
//! there, and announces what changes each time the play loop rings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use async_channel::Receiver;
use zbus::fdo::{DBusProxy, Properties};
use zbus::names::{BusName, InterfaceName};
use zbus::object_server::SignalEmitter;
use zbus::{Connection, Result};

use super::player::{Mpris, Player, Root, micros, property_value};

/// The player's name after `org.mpris.MediaPlayer2.`, as `playerctl -p` takes it.
const NAME: &str = "balasana_audio";

/// Where MPRIS players serve both interfaces.
const OBJECT_PATH: &str = "/org/mpris/MediaPlayer2";

/// Serves `player` until the session ends (the doorbell's sender is dropped). Any failure —
/// no session bus, a bus that refuses us, a lost connection — ends the thread quietly: the keys
/// work as before, and nothing is tried again.
pub(super) fn serve(player: Mpris, doorbell: Receiver<()>) {
    let _ = async_io::block_on(run(player, doorbell));
}

/// Takes a name, serves the player, and announces every change until the session ends.
async fn run(player: Mpris, doorbell: Receiver<()>) -> Result<()> {
    let connection = Connection::session().await?;
    let name = free_name(&connection).await?;
    let player = Arc::new(player);
    let (tracks, shared) = (player.tracks.clone(), player.shared.clone());
    let objects = connection.object_server();
    objects.at(OBJECT_PATH, Root(player.clone())).await?;
    objects.at(OBJECT_PATH, Player(player)).await?;
    connection.request_name(name).await?;
    let emitter = SignalEmitter::new(&connection, OBJECT_PATH)?;
    let interface = InterfaceName::from_static_str_unchecked("org.mpris.MediaPlayer2.Player");
    let mut announced = tracks.view(&shared.playback());
    while doorbell.recv().await.is_ok() {
        let now = tracks.view(&shared.playback());
        let changes = tracks.changes(&announced, &now);
        if !changes.properties.is_empty() {
            let values: Vec<_> = changes.properties.into_iter().map(property_value).collect();
            let changed: HashMap<&str, _> = values.iter().map(|(k, v)| (*k, v.clone())).collect();
            Properties::properties_changed(
                &emitter,
                interface.clone(),
                changed,
                Cow::Borrowed(&[]),
            )
            .await?;
        }
        if let Some(position) = changes.seeked {
            Player::seeked(&emitter, micros(position)).await?;
        }
        announced = now;
    }
    Ok(())
}

/// `org.mpris.MediaPlayer2.balasana_audio`, or `….balasana_audio.instance<PID>` when another
/// player holds it (as VLC and mpv-mpris do): a second session never takes the name from the
/// first.
async fn free_name(connection: &Connection) -> Result<String> {
    let plain = format!("org.mpris.MediaPlayer2.{NAME}");
    let taken = DBusProxy::new(connection)
        .await?
        .name_has_owner(BusName::try_from(plain.as_str())?)
        .await?;
    Ok(if taken {
        format!("{plain}.instance{}", std::process::id())
    } else {
        plain
    })
}
