//! The rules an [`AppConfig`] must pass before anything starts: what the
//! front door may expose, and a sane poll backoff. Each names the flags
//! that fix it.

use std::net::IpAddr;

#[cfg(unix)]
use crate::plugin;
use crate::{
    app::{AppConfig, Backend, FrontDoor},
    hub::Backoff,
};

/// Checks every rule, in the order the binary always reported them.
pub(super) fn check(config: &AppConfig) -> anyhow::Result<()> {
    refuse_plaintext_credentials(&config.front_door, config.passes_callers_credentials())?;
    check_poll(config.service.poll)?;
    if matches!(config.backend, Backend::Emulator(_)) {
        refuse_exposed_emulator(&config.front_door)?;
    }
    Ok(())
}

/// Callers' tokens travel in every call: off loopback they need TLS, or the
/// operator's word that TLS ends in front of this server.
fn refuse_plaintext_credentials(front_door: &FrontDoor, pass_through: bool) -> anyhow::Result<()> {
    let FrontDoor::Tcp {
        address,
        tls,
        allow_plaintext_credentials,
    } = front_door
    else {
        return Ok(());
    };
    let exposed = !address.ip().is_loopback();
    if pass_through && exposed && tls.is_none() && !allow_plaintext_credentials {
        anyhow::bail!(
            "--auth-passthrough on {address} would take callers' tokens over plaintext: serve TLS \
             with --tls-cert/--tls-key, or, when TLS ends in front of this server (a sidecar or \
             proxy), pass --allow-plaintext-credentials"
        );
    }
    Ok(())
}

/// The poll loops need a first delay above zero that the cap does not undercut.
fn check_poll(poll: Backoff) -> anyhow::Result<()> {
    if poll.initial.is_zero() || poll.max < poll.initial {
        anyhow::bail!("--poll-initial must be above zero and at most --poll-max");
    }
    Ok(())
}

/// The one rule for both front ends: with `--emulator`, ExecuteCommand runs
/// the code it is sent on this machine, so the gRPC server (like the
/// emulator itself) may only be reachable from this machine.
fn refuse_exposed_emulator(front_door: &FrontDoor) -> anyhow::Result<()> {
    let Some(ip) = front_door.ip() else {
        return Ok(());
    };
    if ip.to_canonical().is_loopback() {
        return Ok(());
    }
    let address = match front_door {
        FrontDoor::Tcp { address, .. } => address.to_string(),
        #[cfg(unix)]
        FrontDoor::Plugin(_) => ip.to_string(),
        FrontDoor::InProcess => return Ok(()),
    };
    anyhow::bail!(
        "--emulator runs the code callers send (ExecuteCommand), so the gRPC server then only \
         listens on loopback (127.0.0.1 or [::1]), not {address}; serve a real workspace \
         (without --emulator) to listen on other addresses"
    )
}

// === impl FrontDoor ===

impl FrontDoor {
    /// The IP address callers connect to; `None` for a unix socket.
    fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Tcp { address, .. } => Some(address.ip()),
            #[cfg(unix)]
            Self::Plugin(plugin::Network::Tcp) => Some(plugin::listener::TCP_HOST.into()),
            #[cfg(unix)]
            Self::Plugin(plugin::Network::Unix) => None,
            Self::InProcess => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn tcp(address: &str) -> FrontDoor {
        FrontDoor::plaintext(address.parse().unwrap())
    }

    #[test]
    fn the_emulator_is_served_on_loopback_only() {
        for local in [
            "127.0.0.1:0",
            "127.0.0.2:50051",
            "[::1]:0",
            "[::ffff:127.0.0.1]:0",
        ] {
            assert!(refuse_exposed_emulator(&tcp(local)).is_ok(), "{local}");
        }
        for exposed in ["0.0.0.0:0", "[::]:0", "10.1.2.3:50051", "[2001:db8::1]:0"] {
            let error = refuse_exposed_emulator(&tcp(exposed))
                .unwrap_err()
                .to_string();
            assert!(error.contains("only listens on loopback"), "{error}");
            assert!(error.contains(exposed), "{error}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn plugin_front_doors_are_local() {
        for network in [plugin::Network::Unix, plugin::Network::Tcp] {
            assert!(refuse_exposed_emulator(&FrontDoor::Plugin(network)).is_ok());
        }
    }

    #[test]
    fn callers_credentials_cross_plaintext_only_on_loopback_or_by_waiver() {
        let exposed = "0.0.0.0:50051".parse().unwrap();
        let error = refuse_plaintext_credentials(&FrontDoor::plaintext(exposed), true)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--allow-plaintext-credentials"), "{error}");
        assert!(error.contains("0.0.0.0:50051"), "{error}");
        let waived = FrontDoor::Tcp {
            address: exposed,
            tls: None,
            allow_plaintext_credentials: true,
        };
        assert!(refuse_plaintext_credentials(&waived, true).is_ok());
        let tls = FrontDoor::Tcp {
            address: exposed,
            tls: Some(Default::default()),
            allow_plaintext_credentials: false,
        };
        assert!(refuse_plaintext_credentials(&tls, true).is_ok());
        assert!(refuse_plaintext_credentials(&tcp("127.0.0.1:50051"), true).is_ok());
        assert!(refuse_plaintext_credentials(&FrontDoor::plaintext(exposed), false).is_ok());
    }

    #[test]
    fn polling_starts_above_zero_and_within_the_cap() {
        let backoff = |initial, max| Backoff {
            initial: Duration::from_millis(initial),
            max: Duration::from_millis(max),
        };
        assert!(check_poll(backoff(100, 5000)).is_ok());
        assert!(check_poll(backoff(100, 100)).is_ok());
        for (initial, max) in [(0, 5000), (200, 100)] {
            let error = check_poll(backoff(initial, max)).unwrap_err().to_string();
            assert!(error.contains("--poll-initial"), "{error}");
        }
    }
}
