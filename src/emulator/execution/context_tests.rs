//! The context state machine without a process: queue order, cancel paths,
//! failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{Cancel, CommandStatus, ContextStatus, Shared, Work};
use crate::emulator::execution::results::{self, Results};

fn work(id: &str) -> Work {
    Work {
        id: id.to_owned(),
        language: "python".to_owned(),
        command: format!("print('{id}')"),
    }
}

fn status(shared: &Shared, id: &str) -> String {
    shared.report(id).unwrap().status
}

fn ready() -> Shared {
    let mut shared = Shared::new();
    shared.ready();
    shared
}

#[test]
fn commands_wait_for_ready_then_run_one_at_a_time_in_order() {
    let mut shared = Shared::new();
    assert_eq!(shared.status(), ContextStatus::Pending);
    shared.enqueue(work("a"));
    shared.enqueue(work("b"));
    assert_eq!(shared.next(), None, "not ready yet");
    shared.ready();
    assert_eq!(shared.status().as_str(), "Running");
    assert_eq!(shared.next(), Some(work("a")));
    assert_eq!(shared.next(), None, "a is running");
    assert_eq!(status(&shared, "a"), "Running");
    assert_eq!(status(&shared, "b"), "Queued");
    assert!(shared.report("b").unwrap().results.is_none());
    shared.finish("a", false, None);
    assert_eq!(status(&shared, "a"), "Finished");
    assert_eq!(
        shared.report("a").unwrap().results,
        Some(results::empty_text())
    );
    assert_eq!(shared.next(), Some(work("b")));
}

#[test]
fn cancel_paths() {
    let mut shared = ready();
    for id in ["a", "b", "c"] {
        shared.enqueue(work(id));
    }
    assert_eq!(shared.next(), Some(work("a")));
    assert_eq!(shared.cancel("b"), Some(Cancel::Nothing));
    assert_eq!(status(&shared, "b"), "Cancelled");
    assert_eq!(shared.cancel("a"), Some(Cancel::Interrupt));
    assert_eq!(status(&shared, "a"), "Cancelling");
    assert_eq!(shared.cancel("nope"), None);
    // The process answers as if it finished: the cancel still wins.
    shared.finish("a", false, Some(results::empty_text()));
    assert_eq!(status(&shared, "a"), "Cancelled");
    assert_eq!(
        shared.report("a").unwrap().results,
        Some(results::cancelled())
    );
    assert_eq!(shared.next(), Some(work("c")), "the cancelled b is skipped");
    shared.finish("c", false, None);
    assert_eq!(shared.cancel("c"), Some(Cancel::Nothing));
    assert_eq!(
        status(&shared, "c"),
        "Finished",
        "an ended command stays ended"
    );
}

#[test]
fn a_failed_context_ends_its_commands_and_later_ones() {
    let mut shared = ready();
    for id in ["a", "b", "c"] {
        shared.enqueue(work(id));
    }
    assert_eq!(shared.next(), Some(work("a")));
    shared.finish("a", false, None);
    assert_eq!(shared.next(), Some(work("b")));
    shared.fail(CommandStatus::Error, results::died("was killed"));
    assert_eq!(shared.status(), ContextStatus::Error);
    assert_eq!(status(&shared, "a"), "Finished");
    assert_eq!(status(&shared, "b"), "Error");
    assert_eq!(status(&shared, "c"), "Error");
    shared.enqueue(work("d"));
    assert_eq!(status(&shared, "d"), "Error");
    assert_eq!(shared.next(), None);
    let Some(Results::Error { cause, .. }) = shared.report("d").unwrap().results else {
        panic!("d has error results");
    };
    assert!(cause.contains("CommandCancelledException"), "{cause}");
    // A late answer changes nothing.
    shared.finish("b", false, None);
    assert_eq!(status(&shared, "b"), "Error");
}
