//! The values the player puts on the bus, each in a variant (`v`): property values, and the
//! property dicts (`a{sv}`) of `GetAll`, `PropertiesChanged` and `Metadata`.
//!
//! rustbus marshals every basic type the player uses but two gaps: a variant whose type is chosen
//! at run time (its own `Variant<T>` fixes `T` at compile time) and `f64` (`d`, MPRIS's volume
//! and rates). `Value` fills both in a few lines: a variant is its signature then its value, and
//! a double is laid out as rustbus lays out a `u64` (8-aligned, the message's byte order), from
//! the double's bits. Everything else is rustbus's own marshalling.

use rustbus::wire::marshal::MarshalContext;
use rustbus::wire::marshal::traits::SignatureBuffer;
use rustbus::wire::{ObjectPath, SignatureWrapper, errors::MarshalError};
use rustbus::{ByteOrder, Marshal, Signature, signature};

use super::tracks::{Metadata, Property};

/// One property value, marshalled as a variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `b`.
    Bool(bool),
    /// `d`.
    Double(f64),
    /// `x`: times in microseconds.
    Int64(i64),
    /// `s`.
    Str(String),
    /// `o`: a track id.
    Path(String),
    /// `as`.
    Strs(Vec<String>),
    /// `a{sv}`: the metadata.
    Dict(Dict),
}

/// A dict of property names to values (`a{sv}`), in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dict(pub Vec<(&'static str, Value)>);

impl Value {
    /// The value's own signature, written before it inside the variant.
    fn inner_signature(&self) -> &'static str {
        match self {
            Value::Bool(_) => "b",
            Value::Double(_) => "d",
            Value::Int64(_) => "x",
            Value::Str(_) => "s",
            Value::Path(_) => "o",
            Value::Strs(_) => "as",
            Value::Dict(_) => "a{sv}",
        }
    }
}

impl Signature for Value {
    fn signature() -> signature::Type {
        signature::Type::Container(signature::Container::Variant)
    }
    fn alignment() -> usize {
        1
    }
    fn sig_str(buffer: &mut SignatureBuffer) {
        buffer.push_static("v");
    }
    fn has_sig(sig: &str) -> bool {
        sig.starts_with('v')
    }
}

impl Marshal for Value {
    fn marshal(&self, ctx: &mut MarshalContext) -> Result<(), MarshalError> {
        SignatureWrapper::new(self.inner_signature())?.marshal(ctx)?;
        match self {
            Value::Bool(value) => value.marshal(ctx),
            Value::Double(value) => value.to_bits().marshal(ctx),
            Value::Int64(value) => value.marshal(ctx),
            Value::Str(value) => value.as_str().marshal(ctx),
            Value::Path(value) => ObjectPath::new(value.as_str())?.marshal(ctx),
            Value::Strs(value) => value.as_slice().marshal(ctx),
            Value::Dict(value) => value.marshal(ctx),
        }
    }
}

impl Signature for Dict {
    fn signature() -> signature::Type {
        signature::Type::Container(signature::Container::Dict(
            signature::Base::String,
            Box::new(<Value as Signature>::signature()),
        ))
    }
    fn alignment() -> usize {
        4
    }
    fn sig_str(buffer: &mut SignatureBuffer) {
        buffer.push_static("a{sv}");
    }
    fn has_sig(sig: &str) -> bool {
        sig.starts_with("a{sv}")
    }
}

impl Marshal for Dict {
    /// An array: its length in bytes (4-aligned), then each entry 8-aligned, its key and its
    /// value; the length counts from the first entry's alignment.
    fn marshal(&self, ctx: &mut MarshalContext) -> Result<(), MarshalError> {
        ctx.align_to(4);
        let length_at = ctx.buf.len();
        ctx.buf.extend_from_slice(&[0; 4]);
        ctx.align_to(8);
        let start = ctx.buf.len();
        for (key, value) in &self.0 {
            ctx.align_to(8);
            key.marshal(ctx)?;
            value.marshal(ctx)?;
        }
        let length = u32::try_from(ctx.buf.len() - start).unwrap_or(u32::MAX);
        let bytes = match ctx.byteorder {
            ByteOrder::LittleEndian => length.to_le_bytes(),
            ByteOrder::BigEndian => length.to_be_bytes(),
        };
        ctx.buf[length_at..length_at + 4].copy_from_slice(&bytes);
        Ok(())
    }
}

impl From<&Metadata> for Value {
    /// `mpris:trackid` always; a step's title, artist, album and length.
    fn from(metadata: &Metadata) -> Value {
        let mut fields = vec![("mpris:trackid", Value::Path(metadata.track_id.clone()))];
        if let Some(step) = &metadata.step {
            fields.extend([
                ("xesam:title", Value::Str(step.title.clone())),
                ("xesam:artist", Value::Strs(vec![step.artist.clone()])),
                ("xesam:album", Value::Str(step.album.clone())),
                ("mpris:length", Value::Int64(step.length)),
            ]);
        }
        Value::Dict(Dict(fields))
    }
}

impl Property {
    /// The property's name and its value.
    pub fn entry(&self) -> (&'static str, Value) {
        match self {
            Property::Metadata(metadata) => ("Metadata", Value::from(metadata)),
            Property::CanGoNext(can) => ("CanGoNext", Value::Bool(*can)),
            Property::CanGoPrevious(can) => ("CanGoPrevious", Value::Bool(*can)),
            Property::PlaybackStatus(status) => {
                ("PlaybackStatus", Value::Str(status.as_str().to_owned()))
            }
            Property::Volume(volume) => ("Volume", Value::Double(*volume)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rustbus::message_builder::MarshalledMessageBody;
    use rustbus::params::{Base, Container, Param};
    use rustbus::wire::unmarshal::traits::Variant;

    use super::*;
    use crate::media::tracks::StepFields;

    /// `dict` marshalled into a message body in `order`, read back by rustbus's own unmarshalling
    /// into its generic parameters, each entry's value out of its variant, given to `check`.
    fn round_trip(dict: Dict, order: ByteOrder, check: impl FnOnce(HashMap<String, Param>)) {
        let mut body = MarshalledMessageBody::with_byteorder(order);
        // A byte first, so the dict's alignment is exercised.
        body.push_param(7u8).unwrap();
        body.push_param(&dict).unwrap();
        let mut parser = body.parser();
        assert_eq!(parser.get::<u8>().unwrap(), 7);
        let Param::Container(Container::Dict(dict)) = parser.get_param().unwrap() else {
            panic!("not a dict")
        };
        check(
            dict.map
                .into_iter()
                .map(|(key, value)| {
                    let Base::String(key) = key else {
                        panic!("key {key:?}")
                    };
                    let Param::Container(Container::Variant(variant)) = value else {
                        panic!("{key} is not a variant")
                    };
                    (key, variant.value)
                })
                .collect(),
        );
    }

    fn metadata() -> Metadata {
        Metadata {
            track_id: "/org/balasana_audio/step/3".into(),
            step: Some(StepFields {
                title: "Step 4 · Hold and breathe (set 1 of 2)".into(),
                artist: "Heart".into(),
                album: "Child's pose".into(),
                length: 42_500_000,
            }),
        }
    }

    #[test]
    fn a_property_dict_reads_back_as_written_in_either_byte_order() {
        for order in [ByteOrder::LittleEndian, ByteOrder::BigEndian] {
            let dict = Dict(vec![
                Property::Volume(0.501187).entry(),
                Property::CanGoNext(true).entry(),
                Property::Metadata(metadata()).entry(),
                ("Rate", Value::Double(1.0)),
                ("Empty", Value::Strs(Vec::new())),
            ]);
            round_trip(dict, order, |read| {
                assert_eq!(read.len(), 5);
                assert_eq!(
                    read["Volume"],
                    Param::Base(Base::Double(0.501187f64.to_bits()))
                );
                assert_eq!(read["CanGoNext"], Param::Base(Base::Boolean(true)));
                assert_eq!(read["Rate"], Param::Base(Base::Double(1f64.to_bits())));
                let Param::Container(Container::Array(empty)) = &read["Empty"] else {
                    panic!("{:?}", read["Empty"])
                };
                assert!(empty.values.is_empty());
                let Param::Container(Container::Dict(fields)) = &read["Metadata"] else {
                    panic!("{:?}", read["Metadata"])
                };
                let field = |name: &str| {
                    let Param::Container(Container::Variant(v)) =
                        &fields.map[&Base::String(name.into())]
                    else {
                        panic!("{name}")
                    };
                    v.value.clone()
                };
                assert_eq!(
                    field("mpris:trackid"),
                    Param::Base(Base::ObjectPath("/org/balasana_audio/step/3".into()))
                );
                assert_eq!(
                    field("xesam:title"),
                    Param::Base(Base::String(
                        "Step 4 · Hold and breathe (set 1 of 2)".into()
                    ))
                );
                assert_eq!(field("mpris:length"), Param::Base(Base::Int64(42_500_000)));
                let Param::Container(Container::Array(artists)) = field("xesam:artist") else {
                    panic!("artist")
                };
                assert_eq!(artists.values, [Param::Base(Base::String("Heart".into()))]);
            });
        }
    }

    #[test]
    fn no_track_is_its_id_alone_and_each_value_is_a_typed_variant() {
        let none = Metadata {
            track_id: super::super::tracks::NO_TRACK.into(),
            step: None,
        };
        let dict = Dict(vec![("Metadata", Value::from(&none))]);
        round_trip(dict, ByteOrder::LittleEndian, |read| {
            let Param::Container(Container::Dict(fields)) = &read["Metadata"] else {
                panic!("{read:?}")
            };
            assert_eq!(fields.map.len(), 1);
        });
        // Each value reads back through rustbus's typed variant with the signature it was given.
        let mut body = MarshalledMessageBody::new();
        body.push_param(Value::Int64(-5)).unwrap();
        body.push_param(Value::Str("Paused".into())).unwrap();
        let mut parser = body.parser();
        assert_eq!(parser.get::<Variant>().unwrap().get::<i64>().unwrap(), -5);
        assert_eq!(
            parser.get::<Variant>().unwrap().get::<String>().unwrap(),
            "Paused"
        );
    }
}
