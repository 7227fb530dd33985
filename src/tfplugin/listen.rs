//! Where the plugin listens: a fresh unix socket by default (as go-plugin
//! does on unix-like systems), or TCP on 127.0.0.1 within the launcher's
//! port range when a socket cannot be created.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};

use super::handshake::LaunchConfig;

#[derive(Debug, Error)]
pub enum ListenError {
    #[error(
        "could not listen on a unix socket ({unix}) nor on any TCP port from {min} to {max} on 127.0.0.1 ({tcp})"
    )]
    Exhausted {
        unix: io::Error,
        min: u16,
        max: u16,
        tcp: io::Error,
    },
}

/// A bound listener. The unix variant owns its socket file and removes it
/// when dropped, so no stale sockets pile up in the temp dir.
pub enum Listener {
    Unix {
        listener: UnixListener,
        path: SocketFile,
    },
    Tcp(TcpListener),
}

/// A socket path that is deleted on drop.
#[derive(Debug)]
pub struct SocketFile(PathBuf);

impl SocketFile {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Listener {
    /// go-plugin's network name, as it appears in the handshake line.
    pub fn network(&self) -> &'static str {
        match self {
            Listener::Unix { .. } => "unix",
            Listener::Tcp(_) => "tcp",
        }
    }

    /// The address for the handshake line.
    pub fn address(&self) -> String {
        match self {
            Listener::Unix { path, .. } => path.path().display().to_string(),
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "127.0.0.1:0".to_string()),
        }
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Unix { listener, .. } => {
                let (s, _) = listener.accept().await?;
                Ok(Conn::new(s))
            }
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                s.set_nodelay(true)?;
                Ok(Conn::new(s))
            }
        }
    }
}

/// Binds the listener Terraform will dial. Must run inside a tokio runtime.
pub fn bind(cfg: &LaunchConfig) -> Result<Listener, ListenError> {
    let unix = match bind_unix(cfg) {
        Ok(l) => return Ok(l),
        Err(e) => e,
    };
    tracing::debug!(error = %unix, "unix socket unavailable; falling back to TCP");
    bind_tcp(cfg.min_port, cfg.max_port).map_err(|tcp| ListenError::Exhausted {
        unix,
        min: cfg.min_port,
        max: cfg.max_port,
        tcp,
    })
}

fn bind_unix(cfg: &LaunchConfig) -> io::Result<Listener> {
    let dir = cfg
        .unix_socket_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let mut last = io::Error::other("no attempt made");
    for _ in 0..8 {
        // A name nobody else is using: the pid keeps concurrent providers
        // apart, the random part keeps restarts with a recycled pid apart.
        let name = format!(
            "plugin{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = dir.join(name);
        match UnixListener::bind(&path) {
            Ok(listener) => {
                let file = SocketFile(path);
                if let Some(group) = &cfg.unix_socket_group {
                    make_group_writable(file.path(), group)?;
                }
                return Ok(Listener::Unix {
                    listener,
                    path: file,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// go-plugin's PLUGIN_UNIX_SOCKET_GROUP: hand the socket to a group and let
/// it connect. Only numeric group ids are supported (names would need NSS).
fn make_group_writable(path: &Path, group: &str) -> io::Result<()> {
    let gid: u32 = group.trim().parse().map_err(|_| {
        io::Error::other(format!(
            "PLUGIN_UNIX_SOCKET_GROUP={group:?}: only numeric group ids are supported"
        ))
    })?;
    std::os::unix::fs::chown(path, None, Some(gid))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
}

fn bind_tcp(min: u16, max: u16) -> io::Result<Listener> {
    let mut last = io::Error::other("empty port range");
    for port in min..=max {
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                return Ok(Listener::Tcp(TcpListener::from_std(l)?));
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Any accepted byte stream (unix or TCP, plain or TLS), boxed so the gRPC
/// server sees a single connection type.
pub struct Conn(Pin<Box<dyn Io>>);

/// The capabilities the HTTP/2 server needs from a connection.
pub trait Io: AsyncRead + AsyncWrite + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + 'static> Io for T {}

impl Conn {
    pub fn new(io: impl Io) -> Conn {
        Conn(Box::pin(io))
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: Option<PathBuf>, min: u16, max: u16) -> LaunchConfig {
        LaunchConfig {
            protocol_version: 6,
            min_port: min,
            max_port: max,
            unix_socket_dir: dir,
            unix_socket_group: None,
            client_cert_pem: None,
        }
    }

    #[tokio::test]
    async fn prefers_a_unix_socket_in_the_given_dir_and_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let l = bind(&cfg(Some(dir.path().to_path_buf()), 0, 0)).unwrap();
        assert_eq!(l.network(), "unix");
        let addr = PathBuf::from(l.address());
        assert_eq!(addr.parent(), Some(dir.path()));
        assert!(addr.exists());
        drop(l);
        assert!(!addr.exists(), "socket file must be removed on drop");
    }

    #[tokio::test]
    async fn falls_back_to_tcp_in_range_when_unix_fails() {
        let missing = PathBuf::from("/nonexistent-dir-for-plugin-test/sub");
        let l = bind(&cfg(Some(missing), 0, 0)).unwrap();
        assert_eq!(l.network(), "tcp");
        assert!(l.address().starts_with("127.0.0.1:"));
    }

    #[tokio::test]
    async fn reports_both_failures_when_the_port_range_is_taken() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let missing = PathBuf::from("/nonexistent-dir-for-plugin-test/sub");
        let err = bind(&cfg(Some(missing), port, port)).err().unwrap();
        assert!(err.to_string().contains(&port.to_string()));
    }
}
