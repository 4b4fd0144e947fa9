//! The magic cookie check: the first thing plugin mode does, before any
//! listener, log line or output.

use crate::config::Lookup;

use super::{COOKIE_KEY, COOKIE_VALUE};

/// The process was not launched by a go-plugin host that knows our cookie.
/// `Display` is the human message for stderr (go-plugin's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "This binary is a plugin. These are not meant to be executed directly.\n\
     Please execute the program that consumes these plugins, which will\n\
     load any plugins automatically.\n\
     (To run databricks-grpc yourself, use `databricks-grpc serve`; provider\n\
     code launches it with {COOKIE_KEY} set, see the README.)"
)]
pub struct CookieError;

/// Whether the environment holds our cookie with exactly the right value
/// (no trimming).
pub fn cookie_present(lookup: &dyn Lookup) -> bool {
    cookie_matches(lookup, COOKIE_KEY, COOKIE_VALUE)
}

/// Whether `key` holds exactly `value` (no trimming): the check of any
/// go-plugin server, whichever cookie its host sets.
pub fn cookie_matches(lookup: &dyn Lookup, key: &str, value: &str) -> bool {
    lookup.get(key).as_deref() == Some(value)
}

/// Ok when [`cookie_present`]; the caller prints the error on stderr and
/// exits 1.
///
/// # Errors
///
/// [`CookieError`] when the cookie is absent or has another value.
pub fn check_cookie(lookup: &dyn Lookup) -> Result<(), CookieError> {
    if cookie_present(lookup) {
        Ok(())
    } else {
        Err(CookieError)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn the_exact_value_passes() {
        assert_eq!(check_cookie(&env(&[(COOKIE_KEY, COOKIE_VALUE)])), Ok(()));
    }

    #[test]
    fn absent_wrong_or_padded_values_fail() {
        let padded = format!(" {COOKIE_VALUE}");
        for lookup in [
            env(&[]),
            env(&[(COOKIE_KEY, "")]),
            env(&[(COOKIE_KEY, "nope")]),
            env(&[(COOKIE_KEY, &padded)]),
            env(&[("TF_PLUGIN_MAGIC_COOKIE", COOKIE_VALUE)]),
        ] {
            assert_eq!(check_cookie(&lookup), Err(CookieError));
        }
    }

    #[test]
    fn any_cookie_can_be_checked_exactly() {
        let lookup = env(&[("TF_PLUGIN_MAGIC_COOKIE", "abc")]);
        assert!(cookie_matches(&lookup, "TF_PLUGIN_MAGIC_COOKIE", "abc"));
        assert!(!cookie_matches(&lookup, "TF_PLUGIN_MAGIC_COOKIE", "abc "));
        assert!(!cookie_matches(&lookup, COOKIE_KEY, "abc"));
    }

    #[test]
    fn the_message_says_what_to_do() {
        let message = CookieError.to_string();
        assert!(message.starts_with("This binary is a plugin."));
        assert!(message.contains("databricks-grpc serve"));
    }
}
