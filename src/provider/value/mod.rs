//! Terraform's values (cty) as the provider sees them: [`Value`], typed by
//! [`Type`], read from and written to the msgpack of a `DynamicValue`
//! ([`decode`], [`encode`]), and read from the JSON of a stored state
//! ([`from_json`], for `UpgradeResourceState`).
//!
//! The wire format is described in Terraform's `object-wire-format.md`: an
//! object is a map with an entry for every attribute, null is `nil`, and
//! any msgpack extension is an unknown value (ext 12 carries refinements).

mod json;
mod msgpack;
mod refinements;
mod types;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use json::from_json;
pub use msgpack::{decode, encode};
pub use refinements::Refinements;
pub use types::{Type, block_type};

/// A Terraform value. Lists, sets and tuples are [`Value::List`]; maps and
/// objects are [`Value::Map`]: the [`Type`] a value is read or written
/// with says which.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Value {
    /// `null`: not set.
    #[default]
    Null,
    /// Not known until apply (Terraform's "known after apply").
    Unknown(Refinements),
    /// A bool.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// The elements of a list, set or tuple.
    List(Vec<Value>),
    /// The entries of a map, or the attributes of an object.
    Map(BTreeMap<String, Value>),
}

/// A cty number as it travelled: Terraform writes integers when exact,
/// then float64, then a decimal string for what float64 cannot hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// An exact integer.
    Int(i64),
    /// A float64.
    Float(f64),
    /// A decimal string beyond float64's precision.
    Decimal(String),
}

/// Why a value could not be read or written, with where in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct ValueError {
    /// Where, as `.attribute[index]…` (`(root)` for the whole value).
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

impl ValueError {
    /// An error at `path`.
    pub fn at(path: &str, problem: impl Into<String>) -> Self {
        let path = if path.is_empty() { "(root)" } else { path };
        Self {
            path: path.to_owned(),
            problem: problem.into(),
        }
    }
}

impl Value {
    /// An unknown value with no refinements.
    pub fn unknown() -> Self {
        Self::Unknown(Refinements::default())
    }

    /// A string value.
    pub fn string(text: impl Into<String>) -> Self {
        Self::String(text.into())
    }

    /// A string value, or null when `text` is `None`.
    pub fn optional_string(text: Option<impl Into<String>>) -> Self {
        text.map_or(Self::Null, |text| Self::String(text.into()))
    }

    /// An integer value.
    pub fn int(number: i64) -> Self {
        Self::Number(Number::Int(number))
    }

    /// An object (or map) from `(name, value)` pairs.
    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        Self::Map(
            attributes
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        )
    }

    /// A map of strings.
    pub fn string_map<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        Self::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.clone(), Self::String(value.clone())))
                .collect(),
        )
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Whether this value itself is unknown (not what it contains).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }

    /// Whether nothing in this value, at any depth, is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Self::Unknown(_) => false,
            Self::List(elements) => elements.iter().all(Self::is_wholly_known),
            Self::Map(entries) => entries.values().all(Self::is_wholly_known),
            _ => true,
        }
    }

    /// The attribute `name` of an object; null when this is not a known
    /// object or has no such attribute.
    pub fn attr(&self, name: &str) -> &Value {
        const NULL: &Value = &Value::Null;
        match self {
            Self::Map(entries) => entries.get(name).unwrap_or(NULL),
            _ => NULL,
        }
    }

    /// Sets the attribute `name` of an object (a no-op on anything else).
    pub fn set_attr(&mut self, name: &str, value: Value) {
        if let Self::Map(entries) = self {
            entries.insert(name.to_owned(), value);
        }
    }

    /// The text of a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) => Some(text),
            _ => None,
        }
    }

    /// A known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// A known number that is a whole number within i64.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(Number::Int(number)) => Some(*number),
            Self::Number(Number::Float(number))
                if number.fract() == 0.0 && number.abs() < 9.0e15 =>
            {
                // Exact: the float is whole and well inside i64.
                Some(*number as i64)
            }
            Self::Number(Number::Decimal(text)) => text.parse().ok(),
            _ => None,
        }
    }

    /// The elements of a known list or set; empty for null or unknown.
    pub fn elements(&self) -> &[Value] {
        match self {
            Self::List(elements) => elements,
            _ => &[],
        }
    }

    /// The entries of a known map of strings, skipping non-string values;
    /// empty for null or unknown.
    pub fn string_entries(&self) -> BTreeMap<String, String> {
        match self {
            Self::Map(entries) => entries
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// The known strings of a list or set.
    pub fn strings(&self) -> Vec<String> {
        self.elements()
            .iter()
            .filter_map(|element| element.as_str().map(str::to_owned))
            .collect()
    }
}
