//! What the player's object offers on the bus, declared once: its interfaces, their methods
//! with their arguments, properties with their types and access, and signals. Calls are checked
//! against it, `GetAll` lists its properties, and `Introspect`'s XML is written from it, so the
//! three never disagree.

use std::fmt::Write;

/// The player's object, as MPRIS names it.
pub(super) const PATH: &str = "/org/mpris/MediaPlayer2";
/// The MPRIS root interface.
pub(super) const ROOT: &str = "org.mpris.MediaPlayer2";
/// The MPRIS player interface.
pub(super) const PLAYER: &str = "org.mpris.MediaPlayer2.Player";
/// Properties: `Get`, `GetAll`, `Set`, `PropertiesChanged`.
pub(super) const PROPERTIES: &str = "org.freedesktop.DBus.Properties";
/// Introspection: `Introspect`.
pub(super) const INTROSPECTABLE: &str = "org.freedesktop.DBus.Introspectable";
/// Peer: `Ping`, `GetMachineId`.
pub(super) const PEER: &str = "org.freedesktop.DBus.Peer";

/// An interface of the object.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interface {
    /// Its D-Bus name.
    pub(super) name: &'static str,
    methods: &'static [Member],
    /// Its properties.
    pub(super) properties: &'static [PropertyInfo],
    signals: &'static [Member],
}

/// A method or signal: its name and arguments.
#[derive(Debug)]
pub(super) struct Member {
    name: &'static str,
    args: &'static [Arg],
}

/// An argument: its name, type signature, and whether the method returns it.
#[derive(Debug)]
struct Arg {
    name: &'static str,
    signature: &'static str,
    out: bool,
}

/// A property: its name, type signature, and whether clients may set it.
#[derive(Debug)]
pub(super) struct PropertyInfo {
    /// Its name.
    pub(super) name: &'static str,
    signature: &'static str,
    /// Whether `Set` is allowed (MPRIS's read/write properties).
    pub(super) writable: bool,
}

/// An argument the method takes.
const fn arg(name: &'static str, signature: &'static str) -> Arg {
    Arg {
        name,
        signature,
        out: false,
    }
}

/// A value the method returns.
const fn out(name: &'static str, signature: &'static str) -> Arg {
    Arg {
        name,
        signature,
        out: true,
    }
}

/// A method or signal with no arguments.
const fn bare(name: &'static str) -> Member {
    Member { name, args: &[] }
}

/// A read-only property.
const fn read(name: &'static str, signature: &'static str) -> PropertyInfo {
    PropertyInfo {
        name,
        signature,
        writable: false,
    }
}

/// A read/write property.
const fn write(name: &'static str, signature: &'static str) -> PropertyInfo {
    PropertyInfo {
        name,
        signature,
        writable: true,
    }
}

/// The interfaces every object has.
const STANDARD: [Interface; 2] = [
    Interface {
        name: PEER,
        methods: &[
            bare("Ping"),
            Member {
                name: "GetMachineId",
                args: &[out("machine_uuid", "s")],
            },
        ],
        properties: &[],
        signals: &[],
    },
    Interface {
        name: INTROSPECTABLE,
        methods: &[Member {
            name: "Introspect",
            args: &[out("xml_data", "s")],
        }],
        properties: &[],
        signals: &[],
    },
];

/// The player object's interfaces: the standard ones, properties, and MPRIS's two.
const PLAYER_OBJECT: [Interface; 5] = [
    STANDARD[0],
    STANDARD[1],
    Interface {
        name: PROPERTIES,
        methods: &[
            Member {
                name: "Get",
                args: &[
                    arg("interface_name", "s"),
                    arg("property_name", "s"),
                    out("value", "v"),
                ],
            },
            Member {
                name: "GetAll",
                args: &[arg("interface_name", "s"), out("properties", "a{sv}")],
            },
            Member {
                name: "Set",
                args: &[
                    arg("interface_name", "s"),
                    arg("property_name", "s"),
                    arg("value", "v"),
                ],
            },
        ],
        properties: &[],
        signals: &[Member {
            name: "PropertiesChanged",
            args: &[
                arg("interface_name", "s"),
                arg("changed_properties", "a{sv}"),
                arg("invalidated_properties", "as"),
            ],
        }],
    },
    Interface {
        name: ROOT,
        methods: &[bare("Raise"), bare("Quit")],
        properties: &[
            read("CanQuit", "b"),
            write("Fullscreen", "b"),
            read("CanSetFullscreen", "b"),
            read("CanRaise", "b"),
            read("HasTrackList", "b"),
            read("Identity", "s"),
            read("DesktopEntry", "s"),
            read("SupportedUriSchemes", "as"),
            read("SupportedMimeTypes", "as"),
        ],
        signals: &[],
    },
    Interface {
        name: PLAYER,
        methods: &[
            bare("Next"),
            bare("Previous"),
            bare("Pause"),
            bare("PlayPause"),
            bare("Stop"),
            bare("Play"),
            Member {
                name: "Seek",
                args: &[arg("Offset", "x")],
            },
            Member {
                name: "SetPosition",
                args: &[arg("TrackId", "o"), arg("Position", "x")],
            },
            Member {
                name: "OpenUri",
                args: &[arg("Uri", "s")],
            },
        ],
        properties: &[
            read("PlaybackStatus", "s"),
            write("LoopStatus", "s"),
            write("Rate", "d"),
            write("Shuffle", "b"),
            read("Metadata", "a{sv}"),
            write("Volume", "d"),
            read("Position", "x"),
            read("MinimumRate", "d"),
            read("MaximumRate", "d"),
            read("CanGoNext", "b"),
            read("CanGoPrevious", "b"),
            read("CanPlay", "b"),
            read("CanPause", "b"),
            read("CanSeek", "b"),
            read("CanControl", "b"),
        ],
        signals: &[Member {
            name: "Seeked",
            args: &[arg("Position", "x")],
        }],
    },
];

impl Interface {
    /// Its method `name`.
    pub(super) fn method(&self, name: &str) -> Option<&Member> {
        self.methods.iter().find(|m| m.name == name)
    }
}

impl Member {
    /// The signature of the arguments the method takes, in order.
    pub(super) fn in_signature(&self) -> String {
        self.args
            .iter()
            .filter(|a| !a.out)
            .map(|a| a.signature)
            .collect()
    }
}

/// The interfaces of the object at `path`: all of them at the player's path, the standard ones
/// on the paths above it (so that a client can walk down to it), none elsewhere.
pub(super) fn served_at(path: &str) -> &'static [Interface] {
    if path == PATH {
        &PLAYER_OBJECT
    } else if child_below(path).is_some() {
        &STANDARD
    } else {
        &[]
    }
}

/// The next part of the player's path below `path`, when `path` is above it.
fn child_below(path: &str) -> Option<&'static str> {
    let rest = if path == "/" {
        PATH.strip_prefix('/')
    } else {
        PATH.strip_prefix(path)?.strip_prefix('/')
    }?;
    rest.split('/').next()
}

/// `Introspect`'s answer at `path`: the D-Bus introspection XML of its interfaces, and of the
/// node below it on the way to the player.
pub(super) fn introspect(path: &str) -> String {
    let mut xml = String::from(
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \
         \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<node>\n",
    );
    for interface in served_at(path) {
        // Writing into a String cannot fail.
        let _ = writeln!(xml, "  <interface name=\"{}\">", interface.name);
        for method in interface.methods {
            member_xml(&mut xml, "method", method);
        }
        for signal in interface.signals {
            member_xml(&mut xml, "signal", signal);
        }
        for property in interface.properties {
            let access = if property.writable {
                "readwrite"
            } else {
                "read"
            };
            let _ = writeln!(
                xml,
                "    <property name=\"{}\" type=\"{}\" access=\"{access}\"/>",
                property.name, property.signature
            );
        }
        xml.push_str("  </interface>\n");
    }
    if let Some(child) = child_below(path) {
        let _ = writeln!(xml, "  <node name=\"{child}\"/>");
    }
    xml.push_str("</node>\n");
    xml
}

/// A method's or signal's XML element (`kind`), with its arguments.
fn member_xml(xml: &mut String, kind: &str, member: &Member) {
    let _ = writeln!(xml, "    <{kind} name=\"{}\">", member.name);
    for arg in member.args {
        let direction = match (kind, arg.out) {
            ("signal", _) => "",
            (_, true) => " direction=\"out\"",
            (_, false) => " direction=\"in\"",
        };
        let _ = writeln!(
            xml,
            "      <arg name=\"{}\" type=\"{}\"{direction}/>",
            arg.name, arg.signature
        );
    }
    let _ = writeln!(xml, "    </{kind}>");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `interface` element of `xml`: its name, and its methods', signals' and properties'
    /// names with their argument or property types, as a parser reads them.
    fn parsed(xml: &str) -> Vec<(String, Vec<String>)> {
        let document = roxmltree::Document::parse_with_options(
            xml,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "node");
        root.children()
            .filter(|n| n.has_tag_name("interface"))
            .map(|interface| {
                let members = interface
                    .children()
                    .filter(|n| n.is_element())
                    .map(|member| {
                        let types: String = member
                            .children()
                            .filter(|n| n.has_tag_name("arg"))
                            .map(|a| {
                                let out = a.attribute("direction") == Some("out");
                                format!(
                                    "{}{}",
                                    if out { "→" } else { "" },
                                    a.attribute("type").unwrap()
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(",");
                        let kind = member.tag_name().name();
                        let name = member.attribute("name").unwrap();
                        match member.attribute("type") {
                            Some(t) => format!(
                                "{kind} {name}: {t} {}",
                                member.attribute("access").unwrap()
                            ),
                            None => format!("{kind} {name}({types})"),
                        }
                    })
                    .collect();
                (interface.attribute("name").unwrap().to_owned(), members)
            })
            .collect()
    }

    #[test]
    fn the_players_introspection_parses_and_declares_mpris() {
        let interfaces = parsed(&introspect(PATH));
        let names: Vec<&str> = interfaces.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [PEER, INTROSPECTABLE, PROPERTIES, ROOT, PLAYER]);
        let member = |interface: &str, member: &str| {
            interfaces
                .iter()
                .find(|(n, _)| n == interface)
                .unwrap()
                .1
                .iter()
                .any(|m| m == member)
        };
        assert!(member(PLAYER, "method SetPosition(o,x)"));
        assert!(member(PLAYER, "method PlayPause()"));
        assert!(member(PLAYER, "signal Seeked(x)"));
        assert!(member(PLAYER, "property Metadata: a{sv} read"));
        assert!(member(PLAYER, "property Volume: d readwrite"));
        assert!(member(ROOT, "property Identity: s read"));
        assert!(member(PROPERTIES, "method Get(s,s,→v)"));
        assert!(member(PROPERTIES, "signal PropertiesChanged(s,a{sv},as)"));
        assert!(member(PEER, "method Ping()"));
        assert_eq!(interfaces[4].1.len(), 9 + 1 + 15);
    }

    #[test]
    fn the_paths_above_the_player_lead_down_to_it() {
        for (path, child) in [
            ("/", "org"),
            ("/org", "mpris"),
            ("/org/mpris", "MediaPlayer2"),
        ] {
            let xml = introspect(path);
            assert!(xml.contains(&format!("<node name=\"{child}\"/>")), "{xml}");
            assert_eq!(parsed(&xml).len(), 2, "{xml}");
        }
        assert!(served_at("/org/mp").is_empty());
        assert!(served_at("/org/mpris/MediaPlayer2/x").is_empty());
        assert!(!introspect(PATH).contains("<node name="));
    }

    #[test]
    fn in_signatures_leave_out_what_is_returned() {
        let properties = &PLAYER_OBJECT[2];
        assert_eq!(properties.method("Get").unwrap().in_signature(), "ss");
        assert_eq!(properties.method("Set").unwrap().in_signature(), "ssv");
        assert_eq!(
            PLAYER_OBJECT[0]
                .method("GetMachineId")
                .unwrap()
                .in_signature(),
            ""
        );
    }
}
