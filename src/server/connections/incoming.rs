//! The TCP accept loop of `serve`: every accepted socket gets TCP_NODELAY
//! and is admitted (or closed at once); an accept error that is not about
//! one connection (EMFILE, ENFILE, ENOBUFS) pauses accepting with a doubling
//! back-off, so it cannot spin a core, and is logged at most once per
//! [`WARN_EVERY`](super::WARN_EVERY).

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use tokio::{
    net::{TcpListener, TcpStream},
    time::{Instant, Sleep},
};
use tokio_stream::Stream;
use tracing::{debug, warn};

use super::{Admission, Guarded, WARN_EVERY};
use crate::server::ServerOptions;

/// The first pause after an accept error...
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// ...doubling up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Admitted connections of a TCP listener, as tonic's incoming stream. It
/// never yields an error and ends never.
pub struct Incoming {
    listener: TcpListener,
    admission: Admission,
    paused: Option<Pin<Box<Sleep>>>,
    next_backoff: Duration,
    warned_at: Option<Instant>,
    errors_since_warning: u64,
}

// === impl Incoming ===

impl Incoming {
    /// Accepts from `listener` within the limits of `options`.
    pub fn new(listener: TcpListener, options: &ServerOptions) -> Self {
        Self {
            listener,
            admission: Admission::new(options),
            paused: None,
            next_backoff: FIRST_BACKOFF,
            warned_at: None,
            errors_since_warning: 0,
        }
    }

    /// The slots connections are admitted into.
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    fn pause_after(&mut self, error: &io::Error) {
        let backoff = self.next_backoff;
        self.next_backoff = (backoff * 2).min(MAX_BACKOFF);
        self.paused = Some(Box::pin(tokio::time::sleep(backoff)));
        self.errors_since_warning += 1;
        let now = Instant::now();
        if self
            .warned_at
            .is_none_or(|at| now.duration_since(at) >= WARN_EVERY)
        {
            warn!(
                %error,
                errors = self.errors_since_warning,
                pause = ?backoff,
                "could not accept connections (errors since the last warning); pausing accepts"
            );
            self.warned_at = Some(now);
            self.errors_since_warning = 0;
        }
    }
}

impl Stream for Incoming {
    type Item = io::Result<Guarded<TcpStream>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(paused) = &mut this.paused {
                ready!(paused.as_mut().poll(cx));
                this.paused = None;
            }
            // poll_accept spends the task's cooperative budget, so a flood
            // of refused connections still yields to other tasks.
            match ready!(this.listener.poll_accept(cx)) {
                Ok((stream, _)) => {
                    this.next_backoff = FIRST_BACKOFF;
                    if let Err(error) = stream.set_nodelay(true) {
                        debug!(%error, "could not set TCP_NODELAY");
                    }
                    if let Some(conn) = this.admission.admit(stream) {
                        return Poll::Ready(Some(Ok(conn)));
                    }
                }
                Err(error) if about_one_connection(&error) => {
                    debug!(%error, "a connection failed while being accepted");
                }
                Err(error) => this.pause_after(&error),
            }
        }
    }
}

/// True for accept errors that concern only the connection being accepted.
fn about_one_connection(error: &io::Error) -> bool {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt as _;

    use super::*;

    #[tokio::test]
    async fn accepted_sockets_are_admitted_with_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut incoming = Incoming::new(listener, &ServerOptions::default());
        let _client = TcpStream::connect(addr).await.unwrap();
        let conn = incoming.next().await.unwrap().unwrap();
        assert!(conn.get_ref().nodelay().unwrap());
        assert_eq!(incoming.admission().open(), 1);
    }
}
