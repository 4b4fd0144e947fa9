//! The W3C Trace Context `traceparent` header (version `00`): kept from a
//! caller's call and sent on every upstream request of that call, so one
//! trace spans both. Anything not in the format is dropped, never forwarded.

use std::fmt;

/// The name of the header, upstream and in gRPC metadata.
pub const TRACEPARENT: &str = "traceparent";

/// A valid `traceparent`: `00-<32 hex trace id>-<16 hex parent id>-<2 hex
/// flags>`, neither id all zeros. Later versions are read as version 00
/// (their first four fields), as the specification asks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: u128,
    parent_id: u64,
    flags: u8,
}

// === impl TraceParent ===

impl TraceParent {
    /// `value` as a traceparent, or `None` when it is not one.
    pub fn parse(value: &str) -> Option<Self> {
        let mut fields = value.split('-');
        let version = fields.next()?;
        let trace_id = fields.next()?;
        let parent_id = fields.next()?;
        let flags = fields.next()?;
        let rest = fields.next();
        let version = hex_field(version, 2)? as u8;
        // Version ff is forbidden; version 00 has exactly four fields, and
        // a later one may only add fields after them.
        if version == 0xff || (version == 0 && rest.is_some()) {
            return None;
        }
        let parsed = Self {
            trace_id: hex_field(trace_id, 32)?,
            parent_id: u64::try_from(hex_field(parent_id, 16)?).ok()?,
            flags: u8::try_from(hex_field(flags, 2)?).ok()?,
        };
        (parsed.trace_id != 0 && parsed.parent_id != 0).then_some(parsed)
    }
}

/// `field` as a number when it is exactly `digits` lowercase hex digits.
fn hex_field(field: &str, digits: usize) -> Option<u128> {
    let lowercase_hex = field
        .bytes()
        .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if field.len() != digits || !lowercase_hex {
        return None;
    }
    u128::from_str_radix(field, 16).ok()
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_is_kept_as_sent() {
        let parsed = TraceParent::parse(VALID).unwrap();
        assert_eq!(parsed.to_string(), VALID);
    }

    #[test]
    fn later_versions_are_read_as_version_00() {
        let later = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-adds";
        assert_eq!(TraceParent::parse(later).unwrap().to_string(), VALID);
    }

    #[test]
    fn anything_else_is_dropped() {
        for invalid in [
            "",
            "00",
            "garbage",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(TraceParent::parse(invalid).is_none(), "{invalid:?}");
        }
    }
}
