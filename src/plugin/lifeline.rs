//! Process-level reasons for a plugin to stop, besides the Shutdown RPC:
//! SIGTERM, the host dying, or the host closing our stdout. SIGINT is
//! ignored: Ctrl-C hits the whole process group, and the host decides how
//! to cancel. stdin is never read: it is the host's own (often a terminal).

use std::{future::Future, io, os::fd::AsFd as _};

use tokio::signal::unix::{Signal, SignalKind, signal};

use tracing::{debug, info, warn};

/// Asks Linux to send SIGTERM when the host (our parent) dies, so an
/// orphaned plugin shuts down cleanly. Returns false if the parent is
/// already gone. Elsewhere a no-op returning true.
pub fn arm_parent_death_signal() -> bool {
    #[cfg(target_os = "linux")]
    {
        let parent = std::os::unix::process::parent_id();
        if let Err(error) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM) {
            warn!(%error, "could not arm the parent-death signal");
        }
        // The parent may have died before the signal was armed.
        parent == std::os::unix::process::parent_id()
    }
    #[cfg(not(target_os = "linux"))]
    true
}

/// Completes on SIGTERM (including the parent-death signal) or when the
/// host closes the read end of our stdout; logs SIGINT and carries on.
/// The signal handlers are installed when this is called (inside the
/// runtime), so call it before the handshake line goes out.
pub fn process_shutdown() -> impl Future<Output = ()> + Send + 'static {
    let terminate = listen(SignalKind::terminate(), "SIGTERM");
    let interrupt = listen(SignalKind::interrupt(), "SIGINT");
    async move {
        // Biased, SIGINT first: a SIGINT that arrived before a SIGTERM is
        // drained (and logged as ignored) before the SIGTERM ends the select.
        tokio::select! {
            biased;
            () = ignore(interrupt) => {}
            () = recv(terminate) => info!("SIGTERM received, shutting down"),
            () = stdout_closed() => info!("the host closed our stdout, shutting down"),
        }
    }
}

/// Installs a handler for `kind`; None (logged) if that is impossible.
fn listen(kind: SignalKind, name: &str) -> Option<Signal> {
    signal(kind)
        .inspect_err(|error| warn!(%error, "cannot listen for {name}"))
        .ok()
}

/// The next delivery of `signal`; never, without a handler.
async fn recv(signal: Option<Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Never completes: swallows SIGINT (which would otherwise kill us).
async fn ignore(interrupt: Option<Signal>) {
    if let Some(mut interrupt) = interrupt {
        while interrupt.recv().await.is_some() {
            debug!("SIGINT ignored: the host decides when the plugin stops");
        }
    }
    std::future::pending::<()>().await;
}

/// Completes when stdout is a pipe or socket whose reader went away.
/// Never completes for a file or terminal, which never "close".
async fn stdout_closed() {
    let (closed, wait) = tokio::sync::oneshot::channel();
    // A plain thread blocked in poll(2): it never reads or writes, and the
    // process exit ends it (a blocking-pool task would delay runtime drop).
    let spawned = std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(move || match watch_stdout() {
            Ok(true) => {
                let _ = closed.send(());
            }
            Ok(false) => {}
            Err(error) => debug!(%error, "not watching stdout for the host going away"),
        });
    if spawned.is_err() || wait.await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Blocks until stdout's reader is gone: Ok(true). Ok(false) at once when
/// stdout is not a pipe or socket.
fn watch_stdout() -> io::Result<bool> {
    use std::os::unix::fs::FileTypeExt as _;

    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let stdout = io::stdout();
    let fd = stdout.as_fd();
    let kind = std::fs::File::from(fd.try_clone_to_owned()?)
        .metadata()?
        .file_type();
    if !(kind.is_fifo() || kind.is_socket()) {
        return Ok(false);
    }
    loop {
        // No events requested: poll still reports POLLERR (pipe reader
        // closed) and POLLHUP (socket peer gone).
        let mut fds = [PollFd::new(fd, PollFlags::empty())];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {
                let gone = PollFlags::POLLERR | PollFlags::POLLHUP;
                if fds[0]
                    .revents()
                    .is_some_and(|events| events.intersects(gone))
                {
                    return Ok(true);
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(error) => return Err(error.into()),
        }
    }
}
