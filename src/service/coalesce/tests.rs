use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio::{sync::watch, task::JoinHandle};

use super::*;

/// A coalescer, a count of the requests it made, and a gate that holds
/// every request's answer until opened.
struct Fixture {
    coalescer: Arc<Coalescer<&'static str, String>>,
    requests: Arc<AtomicUsize>,
    gate: watch::Sender<bool>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            coalescer: Arc::new(Coalescer::new()),
            requests: Arc::default(),
            gate: watch::channel(false).0,
        }
    }

    /// Reads `key` in a task; its request answers `"<key>#<n>"` once the
    /// gate is open.
    fn spawn_read(
        &self,
        key: &'static str,
        deadline: Option<Duration>,
    ) -> JoinHandle<Result<String, DeadlinePassed>> {
        let coalescer = self.coalescer.clone();
        let requests = self.requests.clone();
        let mut gate = self.gate.subscribe();
        tokio::spawn(async move {
            coalescer
                .read(key, deadline, move || async move {
                    let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
                    let _ = gate.wait_for(|open| *open).await;
                    format!("{key}#{n}")
                })
                .await
        })
    }

    async fn until_waiting(&self, callers: usize) {
        while self.coalescer.waiting() != callers {
            tokio::task::yield_now().await;
        }
    }

    fn open(&self) {
        self.gate.send_replace(true);
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn concurrent_reads_of_one_key_share_one_request() {
    let fixture = Fixture::new();
    let readers: Vec<_> = (0..50).map(|_| fixture.spawn_read("a", None)).collect();
    fixture.until_waiting(50).await;
    fixture.open();
    for reader in readers {
        assert_eq!(reader.await.unwrap().unwrap(), "a#1");
    }
    assert_eq!(fixture.requests(), 1);
    assert_eq!(fixture.coalescer.waiting(), 0);
}

#[tokio::test]
async fn a_read_after_the_answer_makes_a_new_request() {
    let fixture = Fixture::new();
    fixture.open();
    let first = fixture.spawn_read("a", None).await.unwrap().unwrap();
    let second = fixture.spawn_read("a", None).await.unwrap().unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("a#1", "a#2"));
}

#[tokio::test]
async fn distinct_keys_do_not_wait_on_each_other() {
    let fixture = Fixture::new();
    let held = fixture.spawn_read("a", None);
    fixture.until_waiting(1).await;
    let coalescer = fixture.coalescer.clone();
    let other = coalescer.read("b", None, || async { "b-now".to_owned() });
    assert_eq!(other.await.unwrap(), "b-now");
    assert!(!held.is_finished());
    fixture.open();
    assert_eq!(held.await.unwrap().unwrap(), "a#1");
}

#[tokio::test(start_paused = true)]
async fn a_caller_whose_deadline_passes_leaves_alone() {
    let fixture = Fixture::new();
    let patient: Vec<_> = (0..3).map(|_| fixture.spawn_read("a", None)).collect();
    let hurried = fixture.spawn_read("a", Some(Duration::from_secs(1)));
    fixture.until_waiting(4).await;
    assert_eq!(hurried.await.unwrap(), Err(DeadlinePassed));
    fixture.open();
    for reader in patient {
        assert_eq!(reader.await.unwrap().unwrap(), "a#1");
    }
    assert_eq!(fixture.requests(), 1);
}

#[tokio::test]
async fn a_cancelled_first_caller_does_not_fail_the_others() {
    let fixture = Fixture::new();
    let first = fixture.spawn_read("a", None);
    fixture.until_waiting(1).await;
    let others: Vec<_> = (0..3).map(|_| fixture.spawn_read("a", None)).collect();
    fixture.until_waiting(4).await;
    first.abort();
    fixture.until_waiting(3).await;
    fixture.open();
    for reader in others {
        assert_eq!(reader.await.unwrap().unwrap(), "a#1");
    }
    assert_eq!(fixture.requests(), 1);
}

#[tokio::test]
async fn a_request_nobody_waits_for_is_dropped_and_forgotten() {
    let fixture = Fixture::new();
    let (dropped, mut was_dropped) = watch::channel(());
    let coalescer = fixture.coalescer.clone();
    let abandoned = tokio::spawn(async move {
        coalescer
            .read("a", None, move || async move {
                let _dropped = dropped;
                std::future::pending::<String>().await
            })
            .await
    });
    fixture.until_waiting(1).await;
    abandoned.abort();
    // The sender lives in the request: gone once the request is dropped.
    assert!(was_dropped.changed().await.is_err());
    fixture.open();
    let fresh = fixture.spawn_read("a", None).await.unwrap().unwrap();
    assert_eq!(fresh, "a#1", "a dropped request is not joined");
}
