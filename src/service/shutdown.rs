//! Ending held-open streams when the server stops. WatchClusterStatus and
//! StreamCommandStatus last as long as their caller wants, so a graceful
//! shutdown would wait for them; instead each one watches the service's
//! [`StopSwitch`] and ends with UNAVAILABLE [`ShuttingDown`] when it turns
//! on, which tells the caller to reconnect elsewhere.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::sync::watch;
use tokio_stream::Stream;
use tonic::Status;

use super::ResponseStream;

/// Why a stream ended early: the server is stopping (UNAVAILABLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("server is shutting down")]
pub struct ShuttingDown;

/// Turned on once, when the server starts to stop.
#[derive(Debug)]
pub(super) struct StopSwitch(watch::Sender<bool>);

/// A stream that ends with [`ShuttingDown`] once the switch is on.
struct UntilStopped<T> {
    stream: Option<ResponseStream<T>>,
    stopped: Pin<Box<dyn Future<Output = ()> + Send>>,
}

// === impl StopSwitch ===

impl StopSwitch {
    /// A switch that is off.
    pub(super) fn new() -> Self {
        Self(watch::channel(false).0)
    }

    /// Ends every guarded stream, now and when it is opened later.
    pub(super) fn turn_on(&self) {
        self.0.send_replace(true);
    }

    /// `stream`, ending with [`ShuttingDown`] when the switch turns on.
    pub(super) fn guard<T: Send + 'static>(&self, stream: ResponseStream<T>) -> ResponseStream<T> {
        let mut switch = self.0.subscribe();
        Box::pin(UntilStopped {
            stream: Some(stream),
            stopped: Box::pin(async move {
                let _ = switch.wait_for(|on| *on).await;
            }),
        })
    }
}

// === impl UntilStopped ===

impl<T> Stream for UntilStopped<T> {
    type Item = Result<T, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(None);
        };
        if this.stopped.as_mut().poll(cx).is_ready() {
            // Dropping the stream leaves its poll loop at once.
            this.stream = None;
            return Poll::Ready(Some(Err(ShuttingDown.into())));
        }
        let next = stream.as_mut().poll_next(cx);
        if matches!(next, Poll::Ready(None)) {
            this.stream = None;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt as _;
    use tonic::Code;

    use super::*;

    #[tokio::test]
    async fn a_guarded_stream_ends_with_unavailable_once_the_switch_is_on() {
        let switch = StopSwitch::new();
        let endless: ResponseStream<u32> =
            Box::pin(tokio_stream::iter([Ok(1)]).chain(tokio_stream::pending()));
        let mut guarded = switch.guard(endless);
        assert_eq!(guarded.next().await.unwrap().unwrap(), 1);
        switch.turn_on();
        let status = guarded.next().await.unwrap().unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(status.message(), "server is shutting down");
        assert!(guarded.next().await.is_none());
    }

    #[tokio::test]
    async fn a_stream_that_ends_by_itself_is_left_alone() {
        let switch = StopSwitch::new();
        let short: ResponseStream<u32> = Box::pin(tokio_stream::iter([Ok(1), Ok(2)]));
        let values: Vec<_> = switch.guard(short).collect().await;
        assert_eq!(values.len(), 2);
        assert!(values.iter().all(Result::is_ok));
    }

    #[tokio::test]
    async fn a_stream_opened_after_shutdown_ends_at_once() {
        let switch = StopSwitch::new();
        switch.turn_on();
        let endless: ResponseStream<u32> = Box::pin(tokio_stream::pending());
        let mut guarded = switch.guard(endless);
        assert!(guarded.next().await.unwrap().is_err());
        assert!(guarded.next().await.is_none());
    }
}
