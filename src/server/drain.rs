//! How the server lets go of its connections at shutdown. [`Accepting`]
//! drops the listener when shutdown starts, so new clients are refused at
//! once instead of waiting in the backlog, and ends the stream of incoming
//! connections when told to close (at once, or once the calls in flight
//! are done); tonic then drains the connections it has (GOAWAY, in-flight
//! calls finish). Every connection is [`Severable`]: when the drain limit
//! passes, [`Severance`] breaks the connections still open, so the calls
//! on them are dropped and the server can stop.

use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::watch,
};
use tokio_stream::Stream;
use tonic::transport::server::Connected;

/// A future completing when a switch turns on (or its sender is gone).
type SwitchedOn = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Breaks every [`Severable`] connection it made, when told to or when it
/// drops (the server stopped: nothing may outlive it).
#[derive(Debug)]
pub(super) struct Severance(watch::Sender<bool>);

/// Incoming connections until shutdown starts, each made [`Severable`].
pub(super) struct Accepting<I> {
    incoming: Option<Pin<Box<I>>>,
    stopping: SwitchedOn,
    /// Ends the stream once the listener is gone; `None` once it did.
    closing: Option<SwitchedOn>,
    severance: watch::Receiver<bool>,
}

/// A connection that fails every read and write once severed.
pub(super) struct Severable<IO> {
    io: IO,
    /// `None` once severed.
    severed: Option<SwitchedOn>,
}

// === impl Severance ===

impl Severance {
    /// A switch for connections not yet accepted.
    pub(super) fn new() -> Self {
        Self(watch::channel(false).0)
    }

    /// Breaks every connection made through [`Self::accepting`].
    pub(super) fn sever(&self) {
        self.0.send_replace(true);
    }

    /// Connections from `incoming` until `stopping` turns on.
    #[cfg(test)]
    pub(super) fn accepting<I>(
        &self,
        incoming: I,
        stopping: watch::Receiver<bool>,
    ) -> Accepting<I> {
        self.accepting_until(incoming, stopping.clone(), stopping)
    }

    /// Connections from `incoming` until `stopping` turns on, which drops
    /// the listener; the stream ends (and tonic starts to close the
    /// connections) once `closing` turns on too.
    pub(super) fn accepting_until<I>(
        &self,
        incoming: I,
        stopping: watch::Receiver<bool>,
        closing: watch::Receiver<bool>,
    ) -> Accepting<I> {
        Accepting {
            incoming: Some(Box::pin(incoming)),
            stopping: switched_on(stopping),
            closing: Some(switched_on(closing)),
            severance: self.0.subscribe(),
        }
    }
}

/// Completes when `switch` is on or its sender dropped.
fn switched_on(mut switch: watch::Receiver<bool>) -> SwitchedOn {
    Box::pin(async move {
        let _ = switch.wait_for(|on| *on).await;
    })
}

// === impl Accepting ===

impl<I, IO, IE> Stream for Accepting<I>
where
    I: Stream<Item = Result<IO, IE>>,
{
    type Item = Result<Severable<IO>, IE>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(incoming) = this.incoming.as_mut() else {
            return this.closed(cx);
        };
        if this.stopping.as_mut().poll(cx).is_ready() {
            // Dropping the listener refuses new connections from now on.
            this.incoming = None;
            return this.closed(cx);
        }
        incoming.as_mut().poll_next(cx).map(|next| {
            next.map(|accepted| {
                accepted.map(|io| Severable {
                    io,
                    severed: Some(switched_on(this.severance.clone())),
                })
            })
        })
    }
}

impl<I> Accepting<I> {
    /// `Ready(None)` once the closing switch is (or was) on.
    fn closed<T>(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(closing) = self.closing.as_mut() {
            if closing.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.closing = None;
        }
        Poll::Ready(None)
    }
}

// === impl Severable ===

impl<IO> Severable<IO> {
    /// `Err(ConnectionAborted)` once severed; registers for the severance
    /// otherwise, so a connection waiting on its peer wakes up to it.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Some(severed) = self.severed.as_mut() {
            if severed.as_mut().poll(cx).is_pending() {
                return Ok(());
            }
            self.severed = None;
        }
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the server stopped at its drain limit",
        ))
    }
}

impl<IO: Connected> Connected for Severable<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Severable<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Severable<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_stream::StreamExt as _;

    use super::*;

    /// Stand-in for a socket: `Connected` with nothing to tell.
    struct Pipe(tokio::io::DuplexStream);

    impl Connected for Pipe {
        type ConnectInfo = ();

        fn connect_info(&self) -> Self::ConnectInfo {}
    }

    impl AsyncRead for Pipe {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Pipe {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }

    #[tokio::test]
    async fn severed_connections_fail_every_read_and_write() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let severance = Severance::new();
        let (_stopping, stop_accepting) = watch::channel(false);
        let incoming = tokio_stream::iter([Ok::<_, io::Error>(Pipe(ours))]);
        let mut accepting = severance.accepting(incoming, stop_accepting);
        let mut conn = accepting.next().await.unwrap().unwrap();
        theirs.write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        conn.read_exact(&mut buf).await.unwrap();
        // A read waiting on the peer wakes up to the severance.
        let waiting = tokio::spawn(async move {
            let first = conn.read(&mut buf).await.map(drop);
            let again = conn.write(b"x").await.map(drop);
            (first, again)
        });
        severance.sever();
        let (first, again) = waiting.await.unwrap();
        for result in [first, again] {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionAborted);
        }
    }

    #[tokio::test]
    async fn the_listener_goes_at_shutdown_and_the_stream_ends_when_closing() {
        let severance = Severance::new();
        let (stopping, stop_accepting) = watch::channel(false);
        let (closing, close) = watch::channel(false);
        let (dropped, listener_dropped) = tokio::sync::oneshot::channel::<()>();
        // A listener that tells when it is dropped.
        let listener = tokio_stream::pending::<Result<Pipe, io::Error>>().map(move |next| {
            let _alive = &dropped;
            next
        });
        let mut accepting = severance.accepting_until(listener, stop_accepting, close);
        stopping.send_replace(true);
        let next = tokio::spawn(async move { accepting.next().await.is_none() });
        listener_dropped.await.unwrap_err();
        assert!(!next.is_finished(), "open until the connections may close");
        closing.send_replace(true);
        assert!(next.await.unwrap());
    }

    #[tokio::test]
    async fn accepting_ends_when_shutdown_starts() {
        let severance = Severance::new();
        let (stopping, stop_accepting) = watch::channel(false);
        let endless = tokio_stream::pending::<Result<Pipe, io::Error>>();
        let mut accepting = severance.accepting(endless, stop_accepting);
        stopping.send_replace(true);
        assert!(accepting.next().await.is_none());
        assert!(accepting.next().await.is_none(), "and stays ended");
    }
}
