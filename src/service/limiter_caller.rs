//! The caller identity the workspace rate limiter queues by: the caller's
//! credential in pass-through mode, else the peer's IP address; only an
//! opaque hash of it leaves this file.

use std::{
    hash::{BuildHasher, Hash, RandomState},
    net::IpAddr,
    sync::OnceLock,
};

use super::caller_key::CallerKey;

/// The limiter's key for a call from `peer` acting as `credential` (a
/// pass-through caller's key); `None` when neither is known.
pub(super) fn limiter_caller(credential: Option<&CallerKey>, peer: Option<IpAddr>) -> Option<u64> {
    match (credential, peer) {
        (Some(credential), _) => Some(hash_of(&(0_u8, credential))),
        (None, Some(ip)) => Some(hash_of(&(1_u8, ip))),
        (None, None) => None,
    }
}

/// A per-process keyed hash, so the key says nothing about the credential.
fn hash_of(value: &impl Hash) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new).hash_one(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_wins_over_the_address_and_each_identity_has_its_own_key() {
        let one: IpAddr = [10, 0, 0, 1].into();
        let two: IpAddr = [10, 0, 0, 2].into();
        let alice = CallerKey::of(&http::HeaderValue::from_static("Bearer a"));
        let bob = CallerKey::of(&http::HeaderValue::from_static("Bearer b"));
        assert_eq!(
            limiter_caller(Some(&alice), Some(one)),
            limiter_caller(Some(&alice), Some(two))
        );
        assert_ne!(
            limiter_caller(Some(&alice), Some(one)),
            limiter_caller(Some(&bob), Some(one))
        );
        assert_ne!(
            limiter_caller(None, Some(one)),
            limiter_caller(None, Some(two))
        );
        assert_eq!(limiter_caller(None, None), None);
    }
}
