//! Opt-in `.netrc` credentials, as the legacy Databricks docs use with curl:
//! `machine <host> login token password <PAT>` is a token; any other login
//! is basic auth. The SDKs never read `.netrc`, so this needs `--netrc`.

use std::path::PathBuf;

use super::{Credentials, Lookup, Secret};

/// Credentials for the workspace `host` (a normalized URL) from `$NETRC`
/// or `~/.netrc`.
pub(super) fn credentials_for(host: &str, lookup: &dyn Lookup) -> Option<Credentials> {
    let path = match lookup.get("NETRC") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(lookup.get("HOME")?).join(".netrc"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let machine = reqwest::Url::parse(host).ok()?.host_str()?.to_owned();
    parse(&text, &machine)
}

fn parse(text: &str, machine: &str) -> Option<Credentials> {
    let mut words = text.split_whitespace();
    let (mut current, mut login, mut password) = (None::<String>, None::<String>, None::<String>);
    while let Some(word) = words.next() {
        match word {
            "machine" | "default" => {
                if current.as_deref() == Some(machine) {
                    break;
                }
                current = if word == "machine" {
                    words.next().map(str::to_owned)
                } else {
                    Some(machine.to_owned())
                };
                login = None;
                password = None;
            }
            "login" => login = words.next().map(str::to_owned),
            "password" => password = words.next().map(str::to_owned),
            _ => {}
        }
    }
    if current.as_deref() != Some(machine) {
        return None;
    }
    let password = Secret::new(password?);
    match login.as_deref() {
        Some("token") | None => Some(Credentials::Pat { token: password }),
        Some(user) => Some(Credentials::Basic {
            username: user.to_owned(),
            password,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_basic_entries() {
        let text = "machine other.example login a password b\nmachine adb-1.net\n  login token\n  password dapi9\n";
        assert_eq!(
            parse(text, "adb-1.net"),
            Some(Credentials::Pat {
                token: Secret::new("dapi9")
            })
        );
        let text = "machine adb-1.net login svc password pw";
        assert_eq!(
            parse(text, "adb-1.net"),
            Some(Credentials::Basic {
                username: "svc".into(),
                password: Secret::new("pw")
            })
        );
        assert_eq!(parse("machine x login token password t", "adb-1.net"), None);
    }
}
