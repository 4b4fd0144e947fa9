//! Reading a [`ReportedLibrary`] in one pass. The object is parsed once, its
//! single key names the kind, and its strings are moved into the result, not
//! copied. (serde's `untagged` would buffer every library and copy its
//! strings again for each variant it tries.)
//!
//! The outcome is the one `untagged` over `Library | Value` gives: an object
//! with exactly one entry, of a known kind, whose value reads as that kind, is
//! `Known`; anything else is kept as sent.

use std::fmt;

use serde::{
    Deserialize, Deserializer,
    de::{DeserializeOwned, MapAccess, SeqAccess, Visitor, value::SeqAccessDeserializer},
};
use serde_json::{Map, Value};

use super::{Library, ReportedLibrary};

// === impl ReportedLibrary ===

impl<'de> Deserialize<'de> for ReportedLibrary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ReportedLibraryVisitor)
    }
}

struct ReportedLibraryVisitor;

impl<'de> Visitor<'de> for ReportedLibraryVisitor {
    type Value = ReportedLibrary;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a library object, or any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some((kind, value)) = map.next_entry::<String, Value>()? else {
            return Ok(raw(Value::Object(Map::new())));
        };
        let Some((second_key, second_value)) = map.next_entry::<String, Value>()? else {
            return Ok(one_entry(kind, value));
        };
        // Two entries or more (even the same key twice): never a library.
        let mut object = Map::new();
        object.insert(kind, value);
        object.insert(second_key, second_value);
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(raw(Value::Object(object)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(raw)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(raw(Value::Null))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(raw(Value::Null))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(raw(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(raw(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(raw(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(raw(Value::from(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(raw(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(raw(Value::String(value)))
    }
}

fn raw(value: Value) -> ReportedLibrary {
    ReportedLibrary::Unrecognized(value)
}

/// `{kind: value}`: a library if `kind` is known and `value` reads as it.
fn one_entry(kind: String, value: Value) -> ReportedLibrary {
    let library = match (kind.as_str(), value) {
        ("jar", Value::String(uri)) => Library::Jar(uri),
        ("egg", Value::String(uri)) => Library::Egg(uri),
        ("whl", Value::String(uri)) => Library::Whl(uri),
        ("requirements", Value::String(path)) => Library::Requirements(path),
        ("pypi", value) => return package(kind, value, Library::Pypi),
        ("maven", value) => return package(kind, value, Library::Maven),
        ("cran", value) => return package(kind, value, Library::Cran),
        (_, value) => return raw(Value::Object(Map::from_iter([(kind, value)]))),
    };
    ReportedLibrary::Known(library)
}

/// A kind whose value is an object (PyPI, Maven, CRAN). It is read from a
/// borrow, so that the raw value is still there to keep if it does not fit.
fn package<T: DeserializeOwned>(
    kind: String,
    value: Value,
    library: impl FnOnce(T) -> Library,
) -> ReportedLibrary {
    match T::deserialize(&value) {
        Ok(package) => ReportedLibrary::Known(library(package)),
        Err(_) => raw(Value::Object(Map::from_iter([(kind, value)]))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    /// What the derived `untagged` enum used to read.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    enum Untagged {
        Known(Library),
        Unrecognized(Value),
    }

    fn untagged(body: &str) -> ReportedLibrary {
        match serde_json::from_str::<Untagged>(body).unwrap() {
            Untagged::Known(library) => ReportedLibrary::Known(library),
            Untagged::Unrecognized(value) => ReportedLibrary::Unrecognized(value),
        }
    }

    #[test]
    fn reads_what_untagged_reads() {
        for body in [
            r#"{"jar": "/a.jar"}"#,
            r#"{"egg": "/a.egg"}"#,
            r#"{"whl": "/a.whl"}"#,
            r#"{"requirements": "/r.txt"}"#,
            r#"{"pypi": {"package": "x", "repo": "https://r"}}"#,
            r#"{"pypi": {"package": "x", "extra": 1}}"#,
            r#"{"pypi": {"repo": "no package"}}"#,
            r#"{"pypi": ["x"]}"#,
            r#"{"maven": {"coordinates": "g:a:1", "exclusions": ["g:b"]}}"#,
            r#"{"maven": {"coordinates": 5}}"#,
            r#"{"cran": {"package": "x", "repo": null}}"#,
            r#"{"jar": 5}"#,
            r#"{"jar": null}"#,
            r#"{"conda": {"package": "x"}}"#,
            r#"{"jar": "/a.jar", "whl": "/b.whl"}"#,
            r#"{"jar": "/a.jar", "jar": "/b.jar"}"#,
            r#"{}"#,
            r#""jar""#,
            r#"["jar", "/a.jar"]"#,
            r#"null"#,
            r#"true"#,
            r#"-3"#,
            r#"18446744073709551615"#,
            r#"1.5e300"#,
            r#"{"jar": "/escaped\"\u00e9.jar"}"#,
        ] {
            let ours: ReportedLibrary = serde_json::from_str(body).unwrap();
            assert_eq!(ours, untagged(body), "{body}");
        }
    }

    #[test]
    fn reads_from_a_value_too() {
        let value = json!({"whl": "/a.whl"});
        let ours: ReportedLibrary = serde_json::from_value(value).unwrap();
        assert_eq!(ours, ReportedLibrary::Known(Library::Whl("/a.whl".into())));
    }
}
