//! [`Guarded`]: an admitted connection's byte stream, which holds its slot
//! until dropped and, while it waits for its first bytes, fails its reads
//! when it is evicted or its handshake deadline passes.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::oneshot,
    time::Sleep,
};
use tonic::transport::server::Connected;
use tracing::debug;

use super::{FIRST_BYTES, Shared};

/// An admitted connection: `IO`, holding a slot until dropped, failing its
/// reads when it is evicted or misses its handshake deadline while waiting.
pub struct Guarded<IO> {
    io: IO,
    id: u64,
    shared: Arc<Shared>,
    phase: Phase,
}

enum Phase {
    Waiting {
        received: usize,
        deadline: Pin<Box<Sleep>>,
        evicted: oneshot::Receiver<()>,
    },
    Established,
    /// Evicted or timed out; its slot is already given back or away.
    Closed,
}

// === impl Guarded ===

impl<IO> Guarded<IO> {
    /// Connection `id` in a slot of `shared`, waiting for its first bytes
    /// until the handshake timeout or a message on `evicted`.
    pub(super) fn new(
        io: IO,
        id: u64,
        shared: Arc<Shared>,
        evicted: oneshot::Receiver<()>,
    ) -> Self {
        let deadline = Box::pin(tokio::time::sleep(shared.handshake_timeout));
        Self {
            io,
            id,
            shared,
            phase: Phase::Waiting {
                received: 0,
                deadline,
                evicted,
            },
        }
    }

    /// The connection's byte stream.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// True once the peer sent its first bytes in time.
    pub fn is_established(&self) -> bool {
        matches!(self.phase, Phase::Established)
    }

    /// Waiting → established, unless an eviction won the race.
    fn establish(&mut self) {
        let kept = self.shared.slots().waiting.remove(&self.id).is_some();
        self.phase = if kept {
            Phase::Established
        } else {
            Phase::Closed
        };
    }

    fn close(&mut self, why: &'static str) -> io::Error {
        self.shared.release_waiting(self.id);
        self.phase = Phase::Closed;
        debug!(
            reason = why,
            "closing a connection that has not sent its handshake"
        );
        closed(why)
    }
}

fn closed(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, why)
}

const EVICTED: &str = "evicted to make room under the connection cap";
const TIMED_OUT: &str = "no handshake within the handshake timeout";

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let Phase::Waiting {
            received,
            deadline,
            evicted,
        } = &mut this.phase
        else {
            return match this.phase {
                Phase::Closed => Poll::Ready(Err(closed("the connection was closed"))),
                _ => Pin::new(&mut this.io).poll_read(cx, buf),
            };
        };
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                *received += buf.filled().len() - before;
                if *received >= FIRST_BYTES {
                    this.establish();
                }
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => {}
        }
        if Pin::new(evicted).poll(cx).is_ready() {
            return Poll::Ready(Err(this.close(EVICTED)));
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(this.close(TIMED_OUT)));
        }
        Poll::Pending
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl<IO: Connected> Connected for Guarded<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

impl<IO> Drop for Guarded<IO> {
    fn drop(&mut self) {
        match self.phase {
            Phase::Waiting { .. } => self.shared.release_waiting(self.id),
            Phase::Established => self.shared.slots().open -= 1,
            Phase::Closed => {}
        }
    }
}
