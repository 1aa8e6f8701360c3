//! The media controls' thread: it connects to the session bus, takes a free MPRIS name, answers
//! what clients call, and announces what changed each time the play loop rings. Between those
//! it sleeps in one `poll` on the bus's socket and the doorbell, with no timeout: while nothing
//! happens nothing wakes it.

use std::io::{ErrorKind, Read};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use nix::sys::socket::UnixAddr;
use rustbus::connection::ll_conn::force_finish_on_error;
use rustbus::connection::{Error, Timeout};
use rustbus::message_builder::MarshalledMessage;
use rustbus::wire::marshal;
use rustbus::wire::util::{insert_u32, pad_to_align, parse_u32, write_u32};
use rustbus::{ByteOrder, DuplexConn, MessageType, get_session_bus_path, standard_messages};
use rustix::event::{PollFd, PollFlags, poll};

use super::interfaces::{PLAYER, PROPERTIES};
use super::player::{self, Mpris};
use super::tracks::Changes;
use super::value::Dict;

/// The player's name after `org.mpris.MediaPlayer2.`, as `playerctl -p` takes it.
const NAME: &str = "balasana_audio";

/// `RequestName`'s flag: fail at once rather than wait in the name's queue.
const DO_NOT_QUEUE: u32 = 4;
/// `RequestName`'s answers when the name is ours.
const PRIMARY_OWNER: u32 = 1;
const ALREADY_OWNER: u32 = 4;

/// A call's flag: the caller wants no reply.
const NO_REPLY_EXPECTED: u8 = 1;

/// Serves `player` until the session ends (the doorbell's other end is closed). Any failure —
/// no session bus, a bus that refuses us, a lost connection — ends the thread quietly: the keys
/// work as before, and nothing is tried again.
pub(super) fn serve(player: Mpris, doorbell: UnixStream) {
    let _ = run(&player, &doorbell);
}

/// Connects, takes a name, then answers calls and announces every change until the session
/// ends.
fn run(player: &Mpris, doorbell: &UnixStream) -> Result<(), Error> {
    let mut bus = DuplexConn::connect_to_bus(session_bus()?, false)?;
    bus.send_hello(Timeout::Infinite)?;
    take_name(&mut bus, player)?;
    let (tracks, shared) = (&player.tracks, &player.shared);
    let mut announced = tracks.view(&shared.playback());
    loop {
        let (bus_ready, doorbell_ready) = wait(&bus, doorbell)?;
        if bus_ready {
            answer_waiting_calls(&mut bus, player)?;
        }
        if doorbell_ready {
            let (rung, open) = hear(doorbell);
            if rung {
                let now = tracks.view(&shared.playback());
                announce(&mut bus, &tracks.changes(&announced, &now))?;
                announced = now;
            }
            if !open {
                return Ok(());
            }
        }
    }
}

/// The session bus's address: `$DBUS_SESSION_BUS_ADDRESS`, or where systemd puts the bus when
/// that is not set (`$XDG_RUNTIME_DIR/bus`), as libdbus and zbus look.
fn session_bus() -> Result<UnixAddr, Error> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return get_session_bus_path();
    }
    let socket = std::env::var_os("XDG_RUNTIME_DIR")
        .map(|dir| PathBuf::from(dir).join("bus"))
        .filter(|socket| socket.exists())
        .ok_or(Error::NoAddressFound)?;
    Ok(UnixAddr::new(&socket)?)
}

/// Takes `org.mpris.MediaPlayer2.balasana_audio`, or `.balasana_audio.instance<PID>` when
/// another player holds it (as VLC and mpv-mpris do): a second session never takes the name
/// from the first.
fn take_name(bus: &mut DuplexConn, player: &Mpris) -> Result<(), Error> {
    for name in [NAME.to_owned(), instance_name(std::process::id())] {
        let request = standard_messages::request_name(
            &format!("org.mpris.MediaPlayer2.{name}"),
            DO_NOT_QUEUE,
        );
        let reply = call_bus(bus, player, &request)?;
        if reply.typ != MessageType::Reply {
            return Err(Error::UnexpectedMessageTypeReceived);
        }
        if let PRIMARY_OWNER | ALREADY_OWNER = reply.body.parser().get::<u32>()? {
            return Ok(());
        }
    }
    Err(Error::NameTaken)
}

/// The name a session with process id `pid` takes when another player holds the plain one.
pub(super) fn instance_name(pid: u32) -> String {
    format!("{NAME}.instance{pid}")
}

/// Sends `message` to the bus daemon and waits for its reply; calls that arrive meanwhile are
/// answered, other messages (the daemon's `NameAcquired`) passed over.
fn call_bus(
    bus: &mut DuplexConn,
    player: &Mpris,
    message: &MarshalledMessage,
) -> Result<MarshalledMessage, Error> {
    let serial = bus
        .send
        .send_message(message)?
        .write_all()
        .map_err(force_finish_on_error)?;
    loop {
        let incoming = bus.recv.get_next_message(Timeout::Infinite)?;
        if incoming.dynheader.response_serial == Some(serial) {
            return Ok(incoming);
        }
        handle(bus, player, &incoming)?;
    }
}

/// Sleeps until the bus or the doorbell has something to read (or has closed): which of them.
fn wait(bus: &DuplexConn, doorbell: &UnixStream) -> Result<(bool, bool), Error> {
    // SAFETY: the bus's socket stays open while `bus` is borrowed, which outlives `fds`
    // (rustbus gives only the raw descriptor).
    let socket = unsafe { BorrowedFd::borrow_raw(bus.as_raw_fd()) };
    let mut fds = [
        PollFd::from_borrowed_fd(socket, PollFlags::IN),
        PollFd::new(doorbell, PollFlags::IN),
    ];
    loop {
        match poll(&mut fds, None) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::IoError(e.into())),
        }
    }
    let ready = |fd: &PollFd| !fd.revents().is_empty();
    Ok((ready(&fds[0]), ready(&fds[1])))
}

/// Empties the doorbell: whether it was rung, and whether the play loop's end is still open.
fn hear(mut doorbell: &UnixStream) -> (bool, bool) {
    let mut rings = [0u8; 16];
    let mut rung = false;
    loop {
        match doorbell.read(&mut rings) {
            Ok(0) => return (rung, false),
            Ok(_) => rung = true,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return (rung, true),
            Err(_) => return (rung, false),
        }
    }
}

/// Answers every call the bus has delivered whole; a message still arriving stays buffered
/// until the next wake.
fn answer_waiting_calls(bus: &mut DuplexConn, player: &Mpris) -> Result<(), Error> {
    loop {
        match bus.recv.get_next_message(Timeout::Nonblock) {
            Ok(message) => handle(bus, player, &message)?,
            Err(Error::TimedOut) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Answers `message` if it is a call that wants an answer; anything else is passed over.
fn handle(bus: &mut DuplexConn, player: &Mpris, message: &MarshalledMessage) -> Result<(), Error> {
    if message.typ != MessageType::Call || message.flags & NO_REPLY_EXPECTED != 0 {
        return Ok(());
    }
    send(bus, &player.answer(message))
}

/// `PropertiesChanged` with the properties that changed, and `Seeked` after a jump back.
fn announce(bus: &mut DuplexConn, changes: &Changes) -> Result<(), Error> {
    if !changes.properties.is_empty() {
        let changed = Dict(changes.properties.iter().map(|p| p.entry()).collect());
        let signal = player::signal(PROPERTIES, "PropertiesChanged", |m| {
            m.body.push_param3(PLAYER, changed, <&[&str]>::default())
        })?;
        send(bus, &signal)?;
    }
    if let Some(position) = changes.seeked {
        let signal = player::signal(PLAYER, "Seeked", |m| m.body.push_param(position))?;
        send(bus, &signal)?;
    }
    Ok(())
}

/// Writes `message` out whole.
fn send(bus: &mut DuplexConn, message: &MarshalledMessage) -> Result<(), Error> {
    if message.typ == MessageType::Error {
        let bytes = error_bytes(message, bus.send.alloc_serial())?;
        return write_all(bus, &bytes);
    }
    bus.send
        .send_message(message)?
        .write_all()
        .map_err(force_finish_on_error)?;
    Ok(())
}

/// The error `message` as it goes on the wire, numbered `serial`. rustbus (0.19.3) leaves the
/// `ERROR_NAME` header field out, which an error must have (the bus daemon drops a connection
/// that sends one without it), so it is added here to the header rustbus marshals: the field is
/// code 4, a variant holding the name as a string, at the end of the header's field array.
fn error_bytes(message: &MarshalledMessage, serial: u32) -> Result<Vec<u8>, Error> {
    let name = message.dynheader.error_name.as_deref().unwrap_or_default();
    let mut bytes = Vec::new();
    marshal::marshal(message, serial, &mut bytes)?;
    // The first byte says the byte order the message is written in.
    let order = match bytes[0] {
        b'B' => ByteOrder::BigEndian,
        _ => ByteOrder::LittleEndian,
    };
    // The fixed header is 12 bytes, then the fields' length in bytes, then the fields.
    let (_, fields) = parse_u32(&bytes[12..16], order)?;
    bytes.truncate(16 + fields as usize);
    pad_to_align(8, &mut bytes);
    bytes.extend_from_slice(&[4, 1, b's', 0]);
    write_u32(
        u32::try_from(name.len()).unwrap_or(u32::MAX),
        order,
        &mut bytes,
    );
    bytes.extend_from_slice(name.as_bytes());
    bytes.push(0);
    let fields = u32::try_from(bytes.len() - 16).unwrap_or(u32::MAX);
    insert_u32(order, fields, &mut bytes[12..16]);
    pad_to_align(8, &mut bytes);
    bytes.extend_from_slice(message.get_buf());
    Ok(bytes)
}

/// Writes `bytes` to the bus's socket, past rustbus (for [`error_bytes`]); rustbus keeps the
/// socket blocking between its reads, so this returns once all is written.
fn write_all(bus: &DuplexConn, mut bytes: &[u8]) -> Result<(), Error> {
    // SAFETY: the socket stays open while `bus` is borrowed.
    let socket = unsafe { BorrowedFd::borrow_raw(bus.as_raw_fd()) };
    while !bytes.is_empty() {
        match rustix::io::write(socket, bytes) {
            Ok(0) => return Err(Error::ConnectionClosed),
            Ok(written) => bytes = &bytes[written..],
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::IoError(e.into())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rustbus::wire::unmarshal;

    use super::*;

    #[test]
    fn an_error_goes_out_with_its_name_and_reads_back_whole() {
        let mut call = rustbus::MessageBuilder::new()
            .call("Get")
            .on("/org/mpris/MediaPlayer2")
            .build();
        call.dynheader.serial = Some(41);
        call.dynheader.sender = Some(":1.7".into());
        let mut error = call.dynheader.make_error_response(
            "org.freedesktop.DBus.Error.UnknownProperty",
            Some("no property Lyrics".into()),
        );
        error.typ = MessageType::Error;
        let bytes = error_bytes(&error, 3).unwrap();
        let (at, header) = unmarshal::unmarshal_header(&bytes, 0).unwrap();
        let (used, dynamic) = unmarshal::unmarshal_dynamic_header(&header, &bytes, at).unwrap();
        assert_eq!(header.typ, MessageType::Error);
        assert_eq!(header.serial, 3);
        assert_eq!(
            dynamic.error_name.as_deref(),
            Some("org.freedesktop.DBus.Error.UnknownProperty")
        );
        assert_eq!(dynamic.response_serial, Some(41));
        assert_eq!(dynamic.destination.as_deref(), Some(":1.7"));
        let (body_used, read) =
            unmarshal::unmarshal_next_message(&header, dynamic, &bytes, at + used).unwrap();
        assert_eq!(at + used + body_used, bytes.len());
        assert_eq!(
            read.body.parser().get::<&str>().unwrap(),
            "no property Lyrics"
        );
    }

    #[test]
    fn a_second_session_takes_a_name_of_its_own_that_playerctl_matches() {
        let name = instance_name(4242);
        assert_eq!(name, "balasana_audio.instance4242");
        // `playerctl -p balasana_audio` matches instances by this prefix.
        assert!(name.starts_with(&format!("{NAME}.instance")));
        // A valid bus name: elements of letters, digits and underscores, none starting with a
        // digit.
        let full = format!("org.mpris.MediaPlayer2.{name}");
        assert!(full.split('.').all(|part| {
            part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !part.starts_with(|c: char| c.is_ascii_digit())
        }));
    }
}
