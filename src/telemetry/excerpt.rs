//! Short, bounded renderings of caller-supplied or upstream text for logs and
//! error messages: a value of any size costs at most a short prefix and its
//! length, so a 4 MB id cannot turn into megabytes of log.

use std::fmt;

/// Characters of a value kept in log fields.
pub const LOG_EXCERPT_CHARS: usize = 64;

/// `value` as at most [`LOG_EXCERPT_CHARS`] characters; longer values end
/// with `…(N bytes)`.
pub fn excerpt(value: &str) -> Excerpt<'_> {
    Excerpt::new(value, LOG_EXCERPT_CHARS)
}

/// A value shown as a prefix of at most `limit` characters plus its length
/// in bytes when it is longer. Formats with `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Excerpt<'a> {
    value: &'a str,
    limit: usize,
}

// === impl Excerpt ===

impl<'a> Excerpt<'a> {
    /// `value` cut after `limit` characters.
    pub fn new(value: &'a str, limit: usize) -> Self {
        Self { value, limit }
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value.char_indices().nth(self.limit) {
            Some((end, _)) => write!(f, "{}…({} bytes)", &self.value[..end], self.value.len()),
            None => f.write_str(self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_unchanged() {
        assert_eq!(
            excerpt("0123-456789-abcdef").to_string(),
            "0123-456789-abcdef"
        );
        assert_eq!(excerpt(&"x".repeat(64)).to_string(), "x".repeat(64));
    }

    #[test]
    fn long_values_keep_a_prefix_and_their_length() {
        let huge = "é".repeat(2_000_000);
        let shown = excerpt(&huge).to_string();
        assert_eq!(shown, format!("{}…(4000000 bytes)", "é".repeat(64)));
        assert_eq!(Excerpt::new("abcdef", 3).to_string(), "abc…(6 bytes)");
    }
}
