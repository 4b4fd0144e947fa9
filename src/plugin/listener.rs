//! The plugin's listener: a unix socket in `PLUGIN_UNIX_SOCKET_DIR` (or the
//! temp dir), owned by `PLUGIN_UNIX_SOCKET_GROUP` when set, removed when the
//! [`SocketFile`] guard drops; or TCP on 127.0.0.1 within the host's port
//! range. Accepted connections are boxed so plain and TLS streams share one
//! connection type, [`Conn`].

use std::{
    io,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    pin::Pin,
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, UnixListener},
};
use tonic::transport::server::Connected;

use super::{Network, PluginEnv};

/// The only address plugin mode listens on with `--network tcp`.
pub const TCP_HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Byte stream of one accepted connection (plain or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// One accepted connection, as tonic serves it.
pub struct Conn(pub Box<dyn Io>);

/// A bound, listening plugin socket.
#[derive(Debug)]
pub enum Listener {
    /// A unix socket and its path.
    Unix(UnixListener, PathBuf),
    /// TCP on 127.0.0.1.
    Tcp(TcpListener),
}

/// Removes the socket file when dropped.
#[derive(Debug)]
pub struct SocketFile(PathBuf);

// === impl Listener ===

impl Listener {
    /// Binds on `network` as `env` asks; it is listening when this returns.
    /// A unix socket comes with the guard that removes its file: keep it
    /// until the server has stopped.
    ///
    /// # Errors
    ///
    /// When no socket can be bound, or the group cannot be applied.
    pub fn bind(network: Network, env: &PluginEnv) -> io::Result<(Self, Option<SocketFile>)> {
        match network {
            Network::Unix => bind_unix(env),
            Network::Tcp => bind_tcp(env),
        }
    }

    /// The handshake address: the socket path or `127.0.0.1:PORT`.
    pub fn address(&self) -> io::Result<String> {
        match self {
            Self::Unix(_, path) => Ok(path.display().to_string()),
            Self::Tcp(listener) => Ok(listener.local_addr()?.to_string()),
        }
    }

    /// Accepts the next connection.
    ///
    /// # Errors
    ///
    /// What `accept` returned.
    pub async fn accept(&self) -> io::Result<Box<dyn Io>> {
        Ok(match self {
            Self::Unix(listener, _) => Box::new(listener.accept().await?.0),
            Self::Tcp(listener) => Box::new(accept_tcp(listener).await?),
        })
    }
}

/// The next TCP connection, with TCP_NODELAY: gRPC writes small frames, and
/// with Nagle's algorithm each unary answer would wait for the peer's
/// delayed ACK (about 40 ms).
async fn accept_tcp(listener: &TcpListener) -> io::Result<tokio::net::TcpStream> {
    let (stream, _) = listener.accept().await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn bind_unix(env: &PluginEnv) -> io::Result<(Listener, Option<SocketFile>)> {
    let dir = env
        .unix_socket_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    // A short random name: unix socket paths are limited to ~107 bytes.
    let path = dir.join(format!("plugin{}", rand::random::<u32>()));
    let listener = UnixListener::bind(&path)?;
    let file = SocketFile(path.clone());
    if let Some(group) = &env.unix_socket_group {
        apply_group(&path, group)?;
    }
    Ok((Listener::Unix(listener, path), Some(file)))
}

/// chowns the socket to `group` (a gid or a name) and makes it 0660.
fn apply_group(path: &Path, group: &str) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let gid = match group.parse::<u32>() {
        Ok(gid) => gid,
        Err(_) => nix::unistd::Group::from_name(group)
            .map_err(io::Error::from)?
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no group named {group:?}"))
            })?
            .gid
            .as_raw(),
    };
    std::os::unix::fs::chown(path, None, Some(gid))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
}

/// The first free port of the host's range, in ascending order.
fn bind_tcp(env: &PluginEnv) -> io::Result<(Listener, Option<SocketFile>)> {
    let mut last_error = None;
    for port in env.ports.clone() {
        let addr = SocketAddr::from((TCP_HOST, port));
        match std::net::TcpListener::bind(addr) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok((Listener::Tcp(TcpListener::from_std(listener)?), None));
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("the port range is empty")))
}

// === impl SocketFile ===

impl SocketFile {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// === impl Conn ===

impl Connected for Conn {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_tcp_connections_have_nodelay() {
        let listener = TcpListener::bind((TCP_HOST, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let _client = tokio::net::TcpStream::connect(address).await.unwrap();
        let accepted = accept_tcp(&listener).await.unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
