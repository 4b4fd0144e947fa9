//! Golden wire tests for the token endpoint's answer (REST reference §5.3).

use super::TokenResponse;

fn read(json: &str) -> Result<TokenResponse, serde_json::Error> {
    serde_json::from_str(json)
}

/// serde's message for `json`, which must not read as a token. (The
/// response has no `Debug`, so that a token can never be printed.)
fn refused(json: &str) -> String {
    match read(json) {
        Ok(_) => panic!("{json} should not read as a token"),
        Err(error) => error.to_string(),
    }
}

/// Example `oauth_m2m_token_ok`, response body: the token and its lifetime;
/// `token_type` and `scope` are not read.
#[test]
fn the_token_and_its_lifetime() {
    let token = read(
        r#"{"access_token": "eyJraWQiOi...redacted", "token_type": "Bearer",
            "expires_in": 3600, "scope": "all-apis"}"#,
    )
    .unwrap();
    assert_eq!(token.access_token, "eyJraWQiOi...redacted");
    assert_eq!(token.expires_in, Some(3600));
}

/// `expires_in` is optional: absent or `null`, the default lifetime applies.
#[test]
fn the_lifetime_may_be_left_out() {
    let absent = read(r#"{"access_token": "a", "token_type": "Bearer"}"#).unwrap();
    assert_eq!(absent.expires_in, None);
    let null = read(r#"{"access_token": "a", "expires_in": null}"#).unwrap();
    assert_eq!(null.expires_in, None);
}

/// `access_token` is required: example `oauth_m2m_token_bad_secret`'s body
/// (`{"error", "error_description"}`) is no token, nor is one without it.
#[test]
fn no_access_token_is_no_token() {
    let bad_secret = refused(
        r#"{"error": "invalid_client", "error_description": "Client authentication failed"}"#,
    );
    assert!(bad_secret.contains("`access_token`"), "{bad_secret}");
    let bare = refused(r#"{"token_type": "Bearer", "expires_in": 3600}"#);
    assert!(bare.contains("`access_token`"), "{bare}");
}
