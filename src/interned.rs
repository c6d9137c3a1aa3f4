//! Serde support for the event fields that are `&'static str` (note codes, message kinds,
//! protocol version names) and for a JSON value kept as text, so that events can be written
//! in a compact binary form and read back (the UI keeps its events that way, see
//! `ui::spill`).
//!
//! The names come from fixed tables in the decoders, so reading one back looks it up among the
//! names already seen; a name not seen yet is leaked once and remembered. Only names this
//! process wrote are ever read back, so the set stays as small as the decoders' tables.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

/// A name from a fixed table (a type alias: serde would otherwise treat a `&str` field as
/// borrowed from its input).
pub type Name = &'static str;

static NAMES: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);

/// The `'static` copy of a name.
pub fn intern(s: &str) -> &'static str {
    let mut set = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&k) = set.get(s) {
        return k;
    }
    let k: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(k);
    k
}

pub mod one {
    use super::*;
    pub fn serialize<S: Serializer>(v: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        Ok(intern(&<std::borrow::Cow<'de, str>>::deserialize(d)?))
    }
}

pub mod maybe {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<&'static str>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
        Ok(<Option<std::borrow::Cow<'de, str>>>::deserialize(d)?.map(|v| intern(&v)))
    }
}

pub mod many {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[&'static str], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
        let v = <Vec<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        Ok(v.iter().map(|s| intern(s)).collect())
    }
}

/// `(name, value)` pairs whose names are static.
pub mod keyed {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[(&'static str, String)], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(&'static str, String)>, D::Error> {
        let v = <Vec<(std::borrow::Cow<'de, str>, String)>>::deserialize(d)?;
        Ok(v.into_iter().map(|(k, x)| (intern(&k), x)).collect())
    }
}

/// A JSON value as its text: compact binary formats cannot read a self-describing value back.
pub mod json_text {
    use super::*;
    pub fn serialize<S: Serializer>(
        v: &Option<serde_json::Value>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|v| v.to_string()).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<serde_json::Value>, D::Error> {
        match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
            None => Ok(None),
            Some(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}
