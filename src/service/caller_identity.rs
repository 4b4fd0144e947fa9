//! Who a call comes from, for the per-caller cap and the workspace
//! limiter's fairness: in pass-through mode the caller's credential (its
//! [`CallerKey`], never shown), otherwise the peer's IP address. Both
//! sides that need it see only [`CallerIdentity::hash`], an opaque `u64`.

use std::{
    fmt,
    hash::{BuildHasher, Hash, RandomState},
    net::IpAddr,
    sync::LazyLock,
};

use super::caller_key::CallerKey;

/// Keys of the identity hash, random per process, so a hash says nothing
/// about the credential it came from outside this process.
static HASH_KEYS: LazyLock<RandomState> = LazyLock::new(RandomState::new);

/// A call's caller. `Debug` never shows a credential.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallerIdentity(Who);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Who {
    Credential(CallerKey),
    Peer(IpAddr),
    /// No credential and no address (an in-process channel): one caller.
    Unknown,
}

// === impl CallerIdentity ===

impl CallerIdentity {
    /// The caller of a call sending `authorization` from `peer`: the
    /// credential when the server passes callers' credentials through
    /// (`pass_through`) and one was sent, else the peer's address.
    pub fn of(pass_through: bool, authorization: Option<&[u8]>, peer: Option<IpAddr>) -> Self {
        let who = match (pass_through, authorization, peer) {
            (true, Some(credential), _) if !credential.is_empty() => {
                Who::Credential(CallerKey::of_bytes(credential))
            }
            (_, _, Some(address)) => Who::Peer(address),
            _ => Who::Unknown,
        };
        Self(who)
    }

    /// The identity as an opaque number, equal for equal identities within
    /// this process.
    pub fn hash(&self) -> u64 {
        HASH_KEYS.hash_one(&self.0)
    }
}

impl fmt::Debug for CallerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Who::Credential(_) => f.write_str("CallerIdentity(credential [redacted])"),
            Who::Peer(address) => write!(f, "CallerIdentity({address})"),
            Who::Unknown => f.write_str("CallerIdentity(unknown)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HERE: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));

    #[test]
    fn pass_through_callers_are_told_apart_by_credential_not_address() {
        let alice = CallerIdentity::of(true, Some(b"Bearer alice"), HERE);
        let bob = CallerIdentity::of(true, Some(b"Bearer bob"), HERE);
        assert_ne!(alice.hash(), bob.hash());
        let alice_again = CallerIdentity::of(true, Some(b"Bearer alice"), None);
        assert_eq!(alice.hash(), alice_again.hash());
    }

    #[test]
    fn with_server_credentials_the_address_is_the_caller() {
        let one = CallerIdentity::of(false, Some(b"Bearer alice"), HERE);
        let other = CallerIdentity::of(false, Some(b"Bearer bob"), HERE);
        assert_eq!(one.hash(), other.hash());
        let elsewhere =
            CallerIdentity::of(false, None, Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))));
        assert_ne!(one.hash(), elsewhere.hash());
    }

    #[test]
    fn credentials_are_never_shown() {
        let alice = CallerIdentity::of(true, Some(b"Bearer dapi-secret"), HERE);
        assert_eq!(
            format!("{alice:?}"),
            "CallerIdentity(credential [redacted])"
        );
    }
}
