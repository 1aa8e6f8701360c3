//! The MPRIS player object (`/org/mpris/MediaPlayer2`): each call a client makes is answered
//! here, with no bus. The methods of `org.mpris.MediaPlayer2` and `.Player` send the request a key
//! would into the play loop's channel; the properties are read from the state the loop last
//! reported, through `org.freedesktop.DBus.Properties`; `Introspectable` and `Peer` answer as
//! every D-Bus object does. Nothing here waits for the loop.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use rustbus::MessageType;
use rustbus::message_builder::{DynamicHeader, MarshalledMessage};
use rustbus::params::{self, Param};
use rustbus::wire::errors::MarshalError;

use super::Shared;
use super::interfaces::{self, Interface, PATH, PEER, PLAYER, PROPERTIES, ROOT};
use super::tracks::{self, Tracks};
use super::value::{Dict, Value};
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

/// What a call is answered with.
#[derive(Debug, PartialEq)]
enum Reply {
    /// Done; nothing to return.
    Done,
    /// One property value (`Get`).
    Value(Value),
    /// Property values (`GetAll`).
    Dict(Dict),
    /// Text (`Introspect`, `GetMachineId`).
    Text(String),
    /// A D-Bus error: its name after `org.freedesktop.DBus.Error.`, and what went wrong.
    Error(&'static str, String),
}

impl Reply {
    /// The reply message to `call`.
    fn into_message(self, call: &DynamicHeader) -> MarshalledMessage {
        let mut message = call.make_response();
        let pushed = match self {
            Reply::Done => Ok(()),
            Reply::Value(value) => message.body.push_param(value),
            Reply::Dict(dict) => message.body.push_param(dict),
            Reply::Text(text) => message.body.push_param(text.as_str()),
            Reply::Error(name, text) => return error_message(call, name, text),
        };
        match pushed {
            Ok(()) => message,
            Err(e) => error_message(call, "Failed", e.to_string()),
        }
    }
}

/// The error `org.freedesktop.DBus.Error.<name>` answering `call`. (rustbus's own error
/// response keeps the reply's message type; an error must be of type error.)
fn error_message(call: &DynamicHeader, name: &str, text: String) -> MarshalledMessage {
    let mut message =
        call.make_error_response(format!("org.freedesktop.DBus.Error.{name}"), Some(text));
    message.typ = MessageType::Error;
    message
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

    /// The answer to the method call `call`: its reply, or the error saying why not.
    pub(super) fn answer(&self, call: &MarshalledMessage) -> MarshalledMessage {
        self.reply(call).into_message(&call.dynheader)
    }

    /// What `call` is answered with: the object and interface are looked up, the arguments
    /// checked against the method's signature, then the method runs.
    fn reply(&self, call: &MarshalledMessage) -> Reply {
        let header = &call.dynheader;
        let (path, member) = (
            header.object.as_deref().unwrap_or_default(),
            header.member.as_deref().unwrap_or_default(),
        );
        let served = interfaces::served_at(path);
        if served.is_empty() {
            return Reply::Error("UnknownObject", format!("no object at {path}"));
        }
        // A call without an interface goes to the first one with a method of that name.
        let interface = match header.interface.as_deref() {
            Some(name) => served.iter().find(|i| i.name == name),
            None => served.iter().find(|i| i.method(member).is_some()),
        };
        let Some(interface) = interface else {
            let name = header.interface.as_deref().unwrap_or(member);
            return Reply::Error("UnknownInterface", format!("no interface {name} at {path}"));
        };
        let Some(method) = interface.method(member) else {
            return Reply::Error(
                "UnknownMethod",
                format!("no method {member} in {}", interface.name),
            );
        };
        let signature = call.get_sig();
        if signature != method.in_signature() {
            return Reply::Error(
                "InvalidArgs",
                format!(
                    "{member} takes ({}), not ({signature})",
                    method.in_signature()
                ),
            );
        }
        match interface.name {
            ROOT | PLAYER => self.act(member),
            PROPERTIES => self.properties(member, call),
            PEER => peer(member),
            // Introspectable, whose one method is `Introspect`.
            _ => Reply::Text(interfaces::introspect(path)),
        }
    }

    /// A method of `org.mpris.MediaPlayer2` or `.Player`: the request its key sends.
    fn act(&self, member: &str) -> Reply {
        let request = match member {
            "Quit" | "Stop" => Request::Quit,
            "Next" => Request::Next,
            "Previous" => Request::Restart,
            "Pause" => Request::Pause,
            "PlayPause" => Request::TogglePause,
            "Play" => Request::Play,
            "OpenUri" => {
                return Reply::Error(
                    "NotSupported",
                    "a guided session opens no other media".into(),
                );
            }
            // Raise: no window to raise (CanRaise is false). Seek and SetPosition: no free
            // seeking in a guided session (CanSeek is false). Nothing happens.
            _ => return Reply::Done,
        };
        self.ask(request);
        Reply::Done
    }

    /// Sends `request` to the play loop. Once the session is over nothing reads it, and the
    /// call changes nothing.
    fn ask(&self, request: Request) {
        let _ = self.requests.send(request);
    }

    /// `Get`, `GetAll` or `Set` of `org.freedesktop.DBus.Properties`.
    fn properties(&self, member: &str, call: &MarshalledMessage) -> Reply {
        let mut arguments = call.body.parser();
        let Ok(interface_name) = arguments.get::<&str>() else {
            return Reply::Error("InvalidArgs", "no interface name".into());
        };
        let Some(interface) = interfaces::served_at(PATH)
            .iter()
            .find(|i| i.name == interface_name)
        else {
            return Reply::Error("UnknownInterface", format!("no interface {interface_name}"));
        };
        if member == "GetAll" {
            return Reply::Dict(Dict(
                interface
                    .properties
                    .iter()
                    .filter_map(|p| Some((p.name, self.property(interface, p.name)?)))
                    .collect(),
            ));
        }
        let Ok(name) = arguments.get::<&str>() else {
            return Reply::Error("InvalidArgs", "no property name".into());
        };
        if member == "Set" {
            return match arguments.get_param() {
                Ok(value) => self.set(interface, name, &value),
                Err(e) => Reply::Error("InvalidArgs", e.to_string()),
            };
        }
        match self.property(interface, name) {
            Some(value) => Reply::Value(value),
            None => unknown_property(interface, name),
        }
    }

    /// The value of `interface`'s property `name`, read now.
    fn property(&self, interface: &Interface, name: &str) -> Option<Value> {
        let view = || self.tracks.view(&self.shared.playback());
        let text = |text: &str| Value::Str(text.to_owned());
        Some(match (interface.name, name) {
            (ROOT, "CanQuit") | (PLAYER, "CanPlay" | "CanPause" | "CanControl") => {
                Value::Bool(true)
            }
            (ROOT, "Fullscreen" | "CanSetFullscreen" | "CanRaise" | "HasTrackList")
            | (PLAYER, "Shuffle" | "CanSeek") => Value::Bool(false),
            (ROOT, "Identity" | "DesktopEntry") => text(IDENTITY),
            (ROOT, "SupportedUriSchemes" | "SupportedMimeTypes") => Value::Strs(Vec::new()),
            (PLAYER, "PlaybackStatus") => text(view().status().as_str()),
            (PLAYER, "LoopStatus") => text("None"),
            (PLAYER, "Rate" | "MinimumRate" | "MaximumRate") => Value::Double(1.0),
            (PLAYER, "Metadata") => Value::from(&self.tracks.metadata(view().track())),
            (PLAYER, "Volume") => Value::Double(tracks::volume(self.shared.playback().volume_db)),
            (PLAYER, "Position") => Value::Int64(self.tracks.position(&self.shared.playback())),
            (PLAYER, "CanGoNext") => Value::Bool(self.tracks.can_go_next(&view())),
            (PLAYER, "CanGoPrevious") => Value::Bool(self.tracks.can_go_previous(&view())),
            _ => return None,
        })
    }

    /// `Set`: the volume asks the play loop for its gain; every other writable property is
    /// fixed in a guided session.
    fn set(&self, interface: &Interface, name: &str, value: &Param) -> Reply {
        let Some(property) = interface.properties.iter().find(|p| p.name == name) else {
            return unknown_property(interface, name);
        };
        if !property.writable {
            return Reply::Error("PropertyReadOnly", format!("{name} is read-only"));
        }
        if name != "Volume" {
            return Reply::Error(
                "NotSupported",
                format!("{name} cannot be changed in a guided session"),
            );
        }
        let Param::Container(params::Container::Variant(variant)) = value else {
            return Reply::Error("InvalidArgs", "Set takes a variant".into());
        };
        let Param::Base(params::Base::Double(bits)) = variant.value else {
            return Reply::Error("InvalidArgs", "Volume is a double (d)".into());
        };
        if let Some(request) = tracks::volume_request(f64::from_bits(bits)) {
            self.ask(request);
        }
        Reply::Done
    }
}

/// The error for a property `interface` does not have.
fn unknown_property(interface: &Interface, name: &str) -> Reply {
    Reply::Error(
        "UnknownProperty",
        format!("no property {name} in {}", interface.name),
    )
}

/// `org.freedesktop.DBus.Peer`: `Ping` answers at once; `GetMachineId` reads the machine's id
/// where D-Bus keeps it.
fn peer(member: &str) -> Reply {
    if member == "Ping" {
        return Reply::Done;
    }
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .map_or_else(
            || Reply::Error("FileNotFound", "this machine has no machine-id".into()),
            |id| Reply::Text(id.trim().to_owned()),
        )
}

/// A signal from the player's object: `member` of `interface`, its values pushed by `fill`.
pub(super) fn signal(
    interface: &str,
    member: &str,
    fill: impl FnOnce(&mut MarshalledMessage) -> Result<(), MarshalError>,
) -> Result<MarshalledMessage, MarshalError> {
    let mut message = rustbus::MessageBuilder::new()
        .signal(interface, member, PATH)
        .build();
    fill(&mut message)?;
    Ok(message)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, channel};

    use rustbus::MessageBuilder;
    use rustbus::wire::unmarshal::traits::Variant;

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
            labels: Default::default(),
        };
        let (send, requests) = channel();
        let tracks = Arc::new(Tracks::new(&timeline, "Session", "Voice"));
        (
            Mpris::new(tracks, Arc::new(Shared::default()), send),
            requests,
        )
    }

    /// A call of `interface`'s `member` on `path` with the arguments `fill` pushes, marshalled
    /// as a client would send it.
    fn call(
        path: &str,
        interface: &str,
        member: &str,
        fill: impl FnOnce(&mut MarshalledMessage),
    ) -> MarshalledMessage {
        let mut message = MessageBuilder::new()
            .call(member)
            .on(path)
            .with_interface(interface)
            .at("org.mpris.MediaPlayer2.balasana_audio")
            .build();
        message.dynheader.serial = Some(9);
        fill(&mut message);
        message
    }

    /// `mpris`'s reply message to `call`, checked to answer it.
    fn ask(mpris: &Mpris, call: MarshalledMessage) -> MarshalledMessage {
        let reply = mpris.answer(&call);
        assert_eq!(reply.dynheader.response_serial, Some(9));
        reply
    }

    /// A method of the player with no arguments.
    fn method(mpris: &Mpris, interface: &str, member: &str) -> MarshalledMessage {
        ask(mpris, call(PATH, interface, member, |_| ()))
    }

    /// The property `name` of `interface`, read with `Get`.
    fn get<T: for<'a> rustbus::Unmarshal<'a, 'a>>(mpris: &Mpris, interface: &str, name: &str) -> T {
        let reply = ask(
            mpris,
            call(PATH, PROPERTIES, "Get", |m| {
                m.body.push_param2(interface, name).unwrap();
            }),
        );
        assert_eq!(reply.typ, MessageType::Reply, "{name}: {reply:?}");
        let mut parser = reply.body.parser();
        let variant: Variant = parser.get().unwrap();
        variant.get().unwrap()
    }

    /// The double property `name` of `interface` (rustbus's typed reading has no `f64`).
    fn double(mpris: &Mpris, interface: &str, name: &str) -> f64 {
        let reply = ask(
            mpris,
            call(PATH, PROPERTIES, "Get", |m| {
                m.body.push_param2(interface, name).unwrap();
            }),
        );
        let mut parser = reply.body.parser();
        let value = parser.get_param().unwrap();
        let Param::Container(params::Container::Variant(variant)) = value else {
            panic!("{name}: {value:?}")
        };
        let Param::Base(params::Base::Double(bits)) = variant.value else {
            panic!("{name}: {variant:?}")
        };
        f64::from_bits(bits)
    }

    /// The error name a reply carries, none for a plain reply.
    fn error(reply: &MarshalledMessage) -> Option<&str> {
        (reply.typ == MessageType::Error)
            .then(|| reply.dynheader.error_name.as_deref().unwrap_or_default())
    }

    /// `Set` of `name` to `value`.
    fn set(mpris: &Mpris, interface: &str, name: &str, value: Value) -> MarshalledMessage {
        ask(
            mpris,
            call(PATH, PROPERTIES, "Set", |m| {
                m.body.push_param3(interface, name, value).unwrap();
            }),
        )
    }

    #[test]
    fn each_method_sends_the_request_its_key_sends() {
        let (mpris, requests) = player();
        for (interface, member) in [
            (PLAYER, "PlayPause"),
            (PLAYER, "Play"),
            (PLAYER, "Pause"),
            (PLAYER, "Next"),
            (PLAYER, "Previous"),
            (PLAYER, "Stop"),
            (ROOT, "Quit"),
            (ROOT, "Raise"),
        ] {
            let reply = method(&mpris, interface, member);
            assert_eq!(error(&reply), None, "{member}");
        }
        let reply = set(&mpris, PLAYER, "Volume", Value::Double(1.0));
        assert_eq!(error(&reply), None);
        // Not a number: nothing is sent.
        set(&mpris, PLAYER, "Volume", Value::Double(f64::NAN));
        // No free seeking: nothing is sent.
        let seek = call(PATH, PLAYER, "Seek", |m| {
            m.body.push_param(5_000_000i64).unwrap()
        });
        assert_eq!(error(&ask(&mpris, seek)), None);
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
        let status = || get::<String>(&mpris, PLAYER, "PlaybackStatus");
        let title = || {
            let reply = ask(
                &mpris,
                call(PATH, PROPERTIES, "Get", |m| {
                    m.body.push_param2(PLAYER, "Metadata").unwrap();
                }),
            );
            let mut parser = reply.body.parser();
            let variant: Variant = parser.get().unwrap();
            let fields: std::collections::HashMap<String, Variant> = variant.get().unwrap();
            fields["xesam:title"].get::<String>().unwrap()
        };
        // Real from the first moment: the first step, playing, at full volume.
        assert_eq!(title(), "Step at 0");
        assert_eq!(status(), "Playing");
        assert_eq!(double(&mpris, PLAYER, "Volume"), 1.0);
        assert!(get::<bool>(&mpris, PLAYER, "CanGoNext"));
        assert!(!get::<bool>(&mpris, PLAYER, "CanGoPrevious"));
        report(6000, true, -6.0);
        assert_eq!(title(), "Step at 5000");
        assert_eq!(status(), "Paused");
        assert_eq!(get::<i64>(&mpris, PLAYER, "Position"), 1_000_000);
        let volume = double(&mpris, PLAYER, "Volume");
        assert!((volume - 0.501187).abs() < 1e-6, "{volume}");
        assert!(!get::<bool>(&mpris, PLAYER, "CanGoNext"));
        mpris.shared.end();
        assert_eq!(status(), "Stopped");
        assert_eq!(get::<String>(&mpris, ROOT, "Identity"), "balasana-audio");
        assert_eq!(
            get::<String>(&mpris, ROOT, "DesktopEntry"),
            "balasana-audio"
        );
        assert!(!get::<bool>(&mpris, PLAYER, "CanSeek"));
    }

    #[test]
    fn get_all_gives_every_property_of_the_interface() {
        let (mpris, _requests) = player();
        for interface in [ROOT, PLAYER] {
            let reply = ask(
                &mpris,
                call(PATH, PROPERTIES, "GetAll", |m| {
                    m.body.push_param(interface).unwrap();
                }),
            );
            let mut parser = reply.body.parser();
            let all: std::collections::HashMap<String, Variant> = parser.get().unwrap();
            let served = interfaces::served_at(PATH);
            let declared = served.iter().find(|i| i.name == interface).unwrap();
            let mut names: Vec<&str> = all.keys().map(String::as_str).collect();
            let mut expected: Vec<&str> = declared.properties.iter().map(|p| p.name).collect();
            names.sort_unstable();
            expected.sort_unstable();
            assert_eq!(names, expected);
        }
    }

    #[test]
    fn what_cannot_be_done_is_answered_with_the_error_that_says_so() {
        let (mpris, requests) = player();
        let unknown = method(&mpris, PLAYER, "Rewind");
        assert_eq!(
            error(&unknown),
            Some("org.freedesktop.DBus.Error.UnknownMethod")
        );
        let elsewhere = ask(&mpris, call("/org/other", PLAYER, "Play", |_| ()));
        assert_eq!(
            error(&elsewhere),
            Some("org.freedesktop.DBus.Error.UnknownObject")
        );
        let no_such = method(&mpris, "org.example.Nothing", "Play");
        assert_eq!(
            error(&no_such),
            Some("org.freedesktop.DBus.Error.UnknownInterface")
        );
        let extra_argument = call(PATH, PLAYER, "Play", |m| m.body.push_param(1u32).unwrap());
        assert_eq!(
            error(&ask(&mpris, extra_argument)),
            Some("org.freedesktop.DBus.Error.InvalidArgs")
        );
        let open = call(PATH, PLAYER, "OpenUri", |m| {
            m.body.push_param("file:///x.ogg").unwrap()
        });
        assert_eq!(
            error(&ask(&mpris, open)),
            Some("org.freedesktop.DBus.Error.NotSupported")
        );
        let missing = ask(
            &mpris,
            call(PATH, PROPERTIES, "Get", |m| {
                m.body.push_param2(PLAYER, "Lyrics").unwrap();
            }),
        );
        assert_eq!(
            error(&missing),
            Some("org.freedesktop.DBus.Error.UnknownProperty")
        );
        let fixed = set(&mpris, PLAYER, "Rate", Value::Double(2.0));
        assert_eq!(
            error(&fixed),
            Some("org.freedesktop.DBus.Error.NotSupported")
        );
        let read_only = set(&mpris, PLAYER, "Position", Value::Int64(0));
        assert_eq!(
            error(&read_only),
            Some("org.freedesktop.DBus.Error.PropertyReadOnly")
        );
        let not_a_double = set(&mpris, PLAYER, "Volume", Value::Str("loud".into()));
        assert_eq!(
            error(&not_a_double),
            Some("org.freedesktop.DBus.Error.InvalidArgs")
        );
        assert_eq!(requests.try_iter().count(), 0);
    }

    #[test]
    fn ping_answers_and_introspect_describes_the_object_and_its_parents() {
        let (mpris, _requests) = player();
        assert_eq!(error(&method(&mpris, PEER, "Ping")), None);
        let xml = |path| {
            let reply = ask(
                &mpris,
                call(
                    path,
                    "org.freedesktop.DBus.Introspectable",
                    "Introspect",
                    |_| (),
                ),
            );
            reply.body.parser().get::<String>().unwrap()
        };
        assert!(xml(PATH).contains(r#"<interface name="org.mpris.MediaPlayer2.Player">"#));
        assert!(xml("/org/mpris").contains(r#"<node name="MediaPlayer2"/>"#));
    }
}
