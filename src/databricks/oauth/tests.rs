use super::*;

fn token(name: &'static str) -> HeaderValue {
    HeaderValue::from_static(name)
}

#[test]
fn a_token_is_used_refreshed_with_a_fallback_then_replaced() {
    let start = Instant::now();
    let hour = Duration::from_secs(3600);
    let entry = Cached::new(token("a"), hour, start);
    assert_eq!(entry.refresh_at, start + Duration::from_secs(40 * 60));
    assert_eq!(plan(None, start), Plan::Fetch { fallback: None });
    assert_eq!(plan(Some(&entry), start), Plan::Use(token("a")));
    assert_eq!(
        plan(Some(&entry), entry.refresh_at),
        Plan::Fetch {
            fallback: Some(token("a"))
        }
    );
    assert_eq!(
        plan(Some(&entry), entry.expires_at),
        Plan::Fetch { fallback: None }
    );
}

#[test]
fn a_short_lived_token_is_refreshed_at_half_its_life() {
    let start = Instant::now();
    let entry = Cached::new(token("a"), Duration::from_secs(60), start);
    assert_eq!(entry.refresh_at, start + Duration::from_secs(30));
}

#[test]
fn only_throttling_and_gateway_failures_are_retried() {
    let is_transient = |code| {
        http_failure(StatusCode::from_u16(code).unwrap(), &HeaderMap::new(), b"").is_transient()
    };
    for code in [429, 502, 503, 504] {
        assert!(is_transient(code), "{code}");
    }
    for code in [400, 401, 403, 500] {
        assert!(!is_transient(code), "{code}");
    }
}
