use std::sync::{Arc, Mutex};

use tokio::time::{Duration, Instant};

use super::*;

const FAR: Duration = Duration::from_secs(3600);

fn limiter(per_second: u32, burst: u32) -> RateLimiter {
    RateLimiter::new(RateLimit { per_second, burst })
}

/// Lets spawned tasks run as far as they can without time passing.
async fn settle() {
    for _ in 0..1000 {
        tokio::task::yield_now().await;
    }
}

/// Lets spawned tasks run until `limiter` has `count` waiters.
async fn until_waiting(limiter: &RateLimiter, count: usize) {
    while limiter.waiting() != count {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn the_burst_goes_at_once_and_then_requests_wait() {
    let limiter = limiter(10, 3);
    for _ in 0..3 {
        limiter.acquire(None, Instant::now()).await.unwrap();
    }
    // No token left, and no time to wait for one: refused.
    assert!(limiter.acquire(None, Instant::now()).await.is_err());
    // With time, the request waits for the next token.
    limiter.acquire(None, Instant::now() + FAR).await.unwrap();
    assert_eq!(limiter.waiting(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_caller_with_one_request_is_served_between_the_requests_of_a_busy_one() {
    let limiter = limiter(10, 1);
    limiter.acquire(Some(1), Instant::now()).await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (limiter, order) = (limiter.clone(), Arc::clone(&order));
        tasks.spawn(async move {
            limiter
                .acquire(Some(1), Instant::now() + FAR)
                .await
                .unwrap();
            order.lock().unwrap().push(1);
        });
    }
    until_waiting(&limiter, 100).await;
    let (quiet, quiet_order) = (limiter.clone(), Arc::clone(&order));
    tasks.spawn(async move {
        quiet.acquire(Some(2), Instant::now() + FAR).await.unwrap();
        quiet_order.lock().unwrap().push(2);
    });
    tasks.join_all().await;
    let order = order.lock().unwrap();
    let position = order.iter().position(|caller| *caller == 2).unwrap();
    // Round robin: at most one grant of the busy caller comes first (the
    // one whose turn it already was).
    assert!(
        position <= 1,
        "served after {position} grants of the busy caller"
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttle_with_retry_after_pauses_every_request_until_then() {
    let limiter = limiter(10, 10);
    limiter.answered(429, Some(Duration::from_secs(5)));
    let granted = Arc::new(Mutex::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for caller in 0..4 {
        let (limiter, granted) = (limiter.clone(), Arc::clone(&granted));
        tasks.spawn(async move {
            limiter
                .acquire(Some(caller), Instant::now() + FAR)
                .await
                .unwrap();
            *granted.lock().unwrap() += 1;
        });
    }
    settle().await;
    tokio::time::advance(Duration::from_millis(4_900)).await;
    settle().await;
    assert_eq!(
        *granted.lock().unwrap(),
        0,
        "a request was let through during the pause"
    );
    assert_eq!(limiter.waiting(), 4);
    tasks.join_all().await;
    assert_eq!(*granted.lock().unwrap(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_request_whose_deadline_falls_in_a_pause_is_refused_at_once() {
    let limiter = limiter(10, 10);
    limiter.answered(429, Some(Duration::from_secs(30)));
    let refused = limiter
        .acquire(None, Instant::now() + Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(refused.wait >= Duration::from_secs(29), "{refused:?}");
    assert_eq!(limiter.waiting(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_503_pauses_only_with_retry_after() {
    let limiter = limiter(10, 10);
    limiter.answered(503, None);
    assert_eq!(limiter.current_rate(), Some(10.0));
    limiter.answered(503, Some(Duration::from_secs(1)));
    assert_eq!(limiter.current_rate(), Some(5.0));
}

#[tokio::test(start_paused = true)]
async fn the_rate_halves_once_per_pause_and_grows_back_to_the_configured_one() {
    let limiter = limiter(20, 20);
    limiter.answered(429, None);
    // Answers to requests sent before the pause do not halve it again.
    limiter.answered(429, None);
    limiter.answered(429, None);
    assert_eq!(limiter.current_rate(), Some(10.0));
    // The first exponential pause is 1 s; then recovery, linearly.
    tokio::time::advance(Duration::from_secs(1) + Duration::from_secs(2)).await;
    let recovering = limiter.current_rate().unwrap();
    assert!(recovering > 10.0 && recovering < 20.0, "{recovering}");
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(
        limiter.current_rate(),
        Some(20.0),
        "never above the configured rate"
    );
    // A throttle after the pause halves again; the next exponential pause
    // is longer.
    limiter.answered(429, None);
    limiter.answered(429, None);
    assert_eq!(limiter.current_rate(), Some(10.0));
    tokio::time::advance(Duration::from_millis(1_500)).await;
    assert!(
        limiter.acquire(None, Instant::now()).await.is_err(),
        "the second pause in a row lasts 2 s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiter_whose_caller_went_away_leaves_the_queue() {
    let limiter = limiter(1, 1);
    limiter.acquire(Some(1), Instant::now()).await.unwrap();
    let waiting = {
        let limiter = limiter.clone();
        tokio::spawn(async move { limiter.acquire(Some(1), Instant::now() + FAR).await })
    };
    until_waiting(&limiter, 1).await;
    waiting.abort();
    assert!(waiting.await.unwrap_err().is_cancelled());
    assert_eq!(limiter.waiting(), 0);
    // The next request gets the token the cancelled one would have had.
    limiter
        .acquire(Some(2), Instant::now() + Duration::from_millis(1_500))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn off_lets_everything_through() {
    let limiter = RateLimiter::new(RateLimit::OFF);
    assert!(!limiter.is_on());
    for _ in 0..1000 {
        limiter.acquire(None, Instant::now()).await.unwrap();
    }
    limiter.answered(429, Some(FAR));
    limiter.acquire(None, Instant::now()).await.unwrap();
}
