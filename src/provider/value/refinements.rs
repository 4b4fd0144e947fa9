//! What Terraform 1.11 may say about an unknown value (msgpack ext 12):
//! that it is not null, a string prefix, number or length bounds. The
//! provider never refines what it sends; it reads these only to keep
//! them in the value and to be able to show them.

use rmpv::Value as Msgpack;

/// The refinements of an unknown value; all `None` for a plain unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// `Some(false)`: definitely not null.
    pub nullable: Option<bool>,
    /// The known start of an unknown string.
    pub string_prefix: Option<String>,
    /// The lower bound of an unknown number, and whether it is inclusive.
    pub number_lower: Option<(f64, bool)>,
    /// The upper bound of an unknown number, and whether it is inclusive.
    pub number_upper: Option<(f64, bool)>,
    /// The least length of an unknown collection.
    pub length_lower: Option<u64>,
    /// The greatest length of an unknown collection.
    pub length_upper: Option<u64>,
}

/// The extension type Terraform uses for a refined unknown.
pub(super) const REFINED_UNKNOWN_EXT: i8 = 12;

impl Refinements {
    /// Reads the payload of an ext 12 value: a map with integer keys.
    /// Keys it does not know and payloads it cannot read are ignored, so
    /// any extension still reads as unknown.
    pub(super) fn from_ext(ext_type: i8, payload: &[u8]) -> Self {
        let mut refinements = Self::default();
        if ext_type != REFINED_UNKNOWN_EXT {
            return refinements;
        }
        let Ok(Msgpack::Map(entries)) = rmpv::decode::read_value(&mut &payload[..]) else {
            return refinements;
        };
        for (key, value) in entries {
            match key.as_u64() {
                Some(1) => refinements.nullable = value.as_bool(),
                Some(2) => refinements.string_prefix = value.as_str().map(str::to_owned),
                Some(3) => refinements.number_lower = bound(&value),
                Some(4) => refinements.number_upper = bound(&value),
                Some(5) => refinements.length_lower = value.as_u64(),
                Some(6) => refinements.length_upper = value.as_u64(),
                _ => {}
            }
        }
        refinements
    }
}

/// A number bound: `[number, inclusive]`.
fn bound(value: &Msgpack) -> Option<(f64, bool)> {
    let parts = value.as_array()?;
    let number = match parts.first()? {
        Msgpack::Integer(integer) => integer.as_f64()?,
        other => other.as_f64()?,
    };
    Some((number, parts.get(1)?.as_bool()?))
}
