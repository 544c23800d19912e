//! The async listener: accepts [`AsyncLink`]s on tokio.

use tokio::net::{TcpListener, UnixListener};

use crate::async_link::AsyncLink;
use crate::async_stream::AsyncStream;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::listener::{Inner, SocketFile};
use crate::options::Options;
use crate::slots::Slots;
use std::sync::Arc;

/// Accepts [`AsyncLink`]s on a TCP port or Unix socket path.
#[derive(Debug)]
pub struct AsyncListener {
    inner: AsyncInner,
    options: Options,
    slots: Option<Arc<Slots>>,
}

#[derive(Debug)]
enum AsyncInner {
    Tcp(TcpListener),
    Unix(UnixListener, SocketFile),
}

impl AsyncListener {
    /// Binds with default [`Options`] for accepted links.
    pub async fn bind<E>(endpoint: E) -> Result<AsyncListener>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::bind_with(endpoint, &Options::default()).await
    }

    /// Binds; accepted links get `options`. Built on the blocking
    /// [`crate::Listener`]'s bind, so both behave alike (backlog, stale
    /// Unix socket files).
    pub async fn bind_with<E>(endpoint: E, options: &Options) -> Result<AsyncListener>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint: Endpoint = endpoint.try_into()?;
        let std_listener = crate::listener::Listener::bind_endpoint(&endpoint, options)?;
        let slots = std_listener.slots();
        let inner = match std_listener.into_std() {
            Inner::Tcp(l) => {
                l.set_nonblocking(true)?;
                AsyncInner::Tcp(TcpListener::from_std(l)?)
            }
            Inner::Unix(l, file) => {
                l.set_nonblocking(true)?;
                AsyncInner::Unix(UnixListener::from_std(l)?, file)
            }
        };
        Ok(AsyncListener {
            inner,
            options: options.clone(),
            slots,
        })
    }

    /// Waits for the next connection; also gives the peer's address.
    /// At the connection cap ([`Options::max_connections`]) it first waits
    /// for one of this listener's links to be dropped. Cancel-safe.
    pub async fn accept(&self) -> Result<(AsyncLink, Endpoint)> {
        let slot = match &self.slots {
            Some(slots) => Some(std::future::poll_fn(|cx| slots.poll_take(cx)).await),
            None => None,
        };
        let (stream, peer) = match &self.inner {
            AsyncInner::Tcp(l) => {
                let (s, addr) = l.accept().await?;
                (AsyncStream::Tcp(s), Endpoint::tcp(addr))
            }
            AsyncInner::Unix(l, _) => {
                let (s, addr) = l.accept().await?;
                (
                    AsyncStream::Unix(s),
                    Endpoint::unix_peer(addr.as_pathname()),
                )
            }
        };
        let mut link = AsyncLink::from_stream(stream, &self.options)?;
        link.slot = slot;
        Ok((link, peer))
    }

    /// The bound endpoint, with the real port after binding port 0.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(match &self.inner {
            AsyncInner::Tcp(l) => Endpoint::tcp(l.local_addr()?),
            AsyncInner::Unix(_, file) => Endpoint::Unix(file.path.clone()),
        })
    }
}
