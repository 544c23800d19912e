//! The blocking listener: accepts links on a TCP port or a Unix socket path.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::link::Link;
use crate::options::Options;
use crate::slots::{Slot, Slots};
use crate::stream::{wait_fd, Stream};

/// Pending connections the kernel holds before `accept`: enough for a burst
/// of short-lived connections such as a connect-per-message benchmark.
const BACKLOG: i32 = 1024;

/// Accepts [`Link`]s.
///
/// ```no_run
/// let listener = tether::Listener::bind("tcp://127.0.0.1:0")?;
/// println!("listening on {}", listener.local_addr()?);
/// for link in listener.incoming() {
///     let mut link = link?;
///     while let Ok(msg) = link.recv() {
///         link.send(&msg)?; // echo
///     }
/// }
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Debug)]
pub struct Listener {
    inner: Inner,
    options: Options,
    /// The connection cap, from [`Options::max_connections`].
    slots: Option<Arc<Slots>>,
}

#[derive(Debug)]
pub(crate) enum Inner {
    Tcp(TcpListener),
    Unix(UnixListener, SocketFile),
}

pub(crate) use crate::socket_file::SocketFile;

impl Listener {
    /// Binds with default [`Options`] for the links it accepts.
    pub fn bind<E>(endpoint: E) -> Result<Listener>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::bind_with(endpoint, &Options::default())
    }

    /// Binds; accepted links get `options`. A Unix socket file left behind
    /// by a listener that died is replaced; one in use is an error.
    pub fn bind_with<E>(endpoint: E, options: &Options) -> Result<Listener>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::bind_endpoint(&endpoint.try_into()?, options)
    }

    pub(crate) fn bind_endpoint(endpoint: &Endpoint, options: &Options) -> Result<Listener> {
        let bind_err = |cause: io::Error| Error::Bind {
            endpoint: endpoint.to_string(),
            cause,
        };
        let inner = match endpoint {
            Endpoint::Tcp { .. } => {
                let addrs = endpoint.socket_addrs().map_err(bind_err)?;
                Inner::Tcp(bind_tcp(&addrs).map_err(bind_err)?)
            }
            Endpoint::Unix(path) => {
                let (listener, file) =
                    SocketFile::bind(path, options.socket_mode).map_err(bind_err)?;
                Inner::Unix(listener, file)
            }
            Endpoint::Udp { .. } => {
                return Err(Error::WrongScheme {
                    endpoint: endpoint.to_string(),
                    expected: "tcp:// or unix://",
                    hint: "; use DatagramLink::bind for udp://",
                })
            }
        };
        Ok(Listener {
            inner,
            options: options.clone(),
            slots: options.max_connections.map(Slots::new),
        })
    }

    /// Waits for the next connection (at the connection cap, first for
    /// one of this listener's links to be dropped).
    pub fn accept(&self) -> Result<Link> {
        let slot = self.slots.as_ref().and_then(|s| s.take_within(None));
        self.accept_in(slot)
    }

    fn accept_in(&self, slot: Option<Slot>) -> Result<Link> {
        let stream = match &self.inner {
            Inner::Tcp(l) => Stream::Tcp(l.accept()?.0),
            Inner::Unix(l, _) => Stream::Unix(l.accept()?.0),
        };
        let mut link = Link::from_stream(stream, &self.options)?;
        link.slot = slot;
        Ok(link)
    }

    /// Waits up to `timeout` for a connection; `Ok(None)` if none came.
    /// Lets a caller check for shutdown (or Ctrl-C) between waits.
    pub fn accept_timeout(&self, timeout: Duration) -> Result<Option<Link>> {
        let start = Instant::now();
        let slot = match &self.slots {
            None => None,
            Some(slots) => match slots.take_within(Some(timeout)) {
                Some(slot) => Some(slot),
                None => return Ok(None),
            },
        };
        let left = timeout.saturating_sub(start.elapsed());
        if wait_fd(self.as_raw_fd(), libc::POLLIN, Some(left))? {
            self.accept_in(slot).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The connection cap, for the async listener.
    #[cfg(feature = "tokio")]
    pub(crate) fn slots(&self) -> Option<Arc<Slots>> {
        self.slots.clone()
    }

    /// An endless iterator of accepted links.
    pub fn incoming(&self) -> impl Iterator<Item = Result<Link>> + '_ {
        std::iter::repeat_with(move || self.accept())
    }

    /// The bound endpoint, with the real port after binding port 0.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(match &self.inner {
            Inner::Tcp(l) => Endpoint::tcp(l.local_addr()?),
            Inner::Unix(_, file) => Endpoint::Unix(file.path.clone()),
        })
    }

    /// Options given to accepted links.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The std listener inside, for the async listener to adopt.
    #[cfg(feature = "tokio")]
    pub(crate) fn into_std(self) -> Inner {
        self.inner
    }
}

fn bind_tcp(addrs: &[SocketAddr]) -> io::Result<TcpListener> {
    let mut last = None;
    for addr in addrs {
        let attempt = (|| {
            let socket = Socket::new(Domain::for_address(*addr), Type::STREAM, None)?;
            socket.set_reuse_address(true)?;
            socket.bind(&(*addr).into())?;
            socket.listen(BACKLOG)?;
            Ok(TcpListener::from(socket))
        })();
        match attempt {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to bind")))
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        match &self.inner {
            Inner::Tcp(l) => l.as_raw_fd(),
            Inner::Unix(l, _) => l.as_raw_fd(),
        }
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.inner {
            Inner::Tcp(l) => l.as_fd(),
            Inner::Unix(l, _) => l.as_fd(),
        }
    }
}
