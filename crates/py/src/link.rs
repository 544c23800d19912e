//! `tether.Link`: a blocking, framed connection (TCP or Unix socket).

use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyType};
use tether::{Endpoint, Error};

use crate::errors::{to_py, Fault};
use crate::message::as_bytes;
use crate::options::{opt_seconds, options, seconds, Timeouts};
use crate::wait::{sliced, SLICE};

/// A persistent, framed connection over TCP or a Unix socket.
///
/// Made by `tether.connect()`, by iterating a `Listener`, or by
/// `tether.pair()`. Each `send` is one message; `recv` returns whole
/// messages. Use it as a context manager to close it, and iterate over it to
/// receive until the peer closes.
#[pyclass(module = "tether._tether", frozen)]
pub struct Link {
    /// The receiving side, held for the whole of a `recv`; `None` once
    /// closed.
    reader: Mutex<Option<tether::Link>>,
    /// The sending side, under its own lock, so a thread waiting in `recv`
    /// never holds up a `send` from another; `None` once closed.
    sender: Mutex<Option<tether::Sender>>,
}

// A panic inside the library while a lock was held leaves nothing half-done
// that a later call could trip on: carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Link {
    pub(crate) fn new(mut link: tether::Link) -> Self {
        // A receive that waits for ever is then one plain read (no timer),
        // and a signal ends it at once so its Python handler can run.
        link.set_interruptible(true);
        Self {
            sender: Mutex::new(Some(link.sender())),
            reader: Mutex::new(Some(link)),
        }
    }

    /// Runs `f` on the receiving side (with whatever GIL state the caller
    /// has). A wait that `close()` cut short reports the link as closed.
    fn with<T>(&self, f: impl FnOnce(&mut tether::Link) -> tether::Result<T>) -> Result<T, Fault> {
        let mut link = lock(&self.reader);
        match f(link.as_mut().ok_or(Fault::UseAfterClose)?) {
            Ok(got) => Ok(got),
            Err(_) if lock(&self.sender).is_none() => Err(Fault::UseAfterClose),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `f` on the sending side.
    fn with_sender<T>(
        &self,
        f: impl FnOnce(&tether::Sender) -> tether::Result<T>,
    ) -> Result<T, Fault> {
        let sender = lock(&self.sender);
        Ok(f(sender.as_ref().ok_or(Fault::UseAfterClose)?)?)
    }

    /// Runs `f` on the receiving side with the GIL released.
    fn detached<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut tether::Link) -> tether::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.with(f)).map_err(|e| e.into_py(py))
    }

    /// Runs `f` on the sending side with the GIL released.
    fn sending<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&tether::Sender) -> tether::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.with_sender(f)).map_err(|e| e.into_py(py))
    }

    /// Runs the blocking `f` on the receiving side with the GIL released
    /// until it returns; a signal that cuts it short runs the Python
    /// handlers (which may raise, as Ctrl-C does), then `f` goes on (PEP
    /// 475).
    fn until_done<T: Send>(
        &self,
        py: Python<'_>,
        mut f: impl FnMut(&mut tether::Link) -> tether::Result<T> + Send,
    ) -> Result<T, PyErr> {
        loop {
            match py.detach(|| self.with(&mut f)) {
                Err(Fault::Tether(Error::Interrupted)) => py.check_signals()?,
                other => return other.map_err(|e| e.into_py(py)),
            }
        }
    }

    /// One message, waiting for ever when `timeout` is `None`; `Ok(None)`
    /// when the timeout passed.
    fn receive(
        &self,
        py: Python<'_>,
        timeout: Option<Duration>,
    ) -> PyResult<Option<tether::Bytes>> {
        match timeout {
            None => self.until_done(py, |link| link.recv()).map(Some),
            // In slices, each one blocking read with SO_RCVTIMEO, so the
            // deadline holds whatever the signals do.
            Some(t) => sliced(py, Some(t), |slice| {
                self.with(|link| link.recv_timeout(slice))
            }),
        }
    }

    /// The next message, `None` at a clean close of the peer (`for` loops).
    fn next_message(&self, py: Python<'_>) -> PyResult<Option<tether::Bytes>> {
        self.until_done(py, |link| match link.recv() {
            Ok(msg) => Ok(Some(msg)),
            Err(Error::Closed) => Ok(None),
            Err(e) => Err(e),
        })
    }
}

/// Connects to `endpoint` (`tcp://HOST:PORT` or `unix:///PATH`).
///
/// `timeout` bounds each connection attempt; `retry_for` keeps trying for
/// that many seconds, for a peer that may start later. Ctrl-C interrupts
/// the retries. The framing options must match the peer's.
///
/// `frame_timeout` (30 s by default, `None` for none): a frame whose first
/// bytes arrived must be whole within it; `idle_timeout` (off by default):
/// the peer must send something within it. When one runs out, `recv`
/// raises `TimedOut`, the link closes the connection, and every later call
/// raises the same error.
#[pyfunction]
#[pyo3(signature = (
    endpoint, *, timeout=None, retry_for=None, framing="length",
    max_frame_len=None, nodelay=true, linger=None, busy_poll=None,
    idle_timeout=None, frame_timeout=Some(30.0),
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn connect(
    py: Python<'_>,
    endpoint: &str,
    timeout: Option<f64>,
    retry_for: Option<f64>,
    framing: &str,
    max_frame_len: Option<usize>,
    nodelay: bool,
    linger: Option<f64>,
    busy_poll: Option<f64>,
    idle_timeout: Option<f64>,
    frame_timeout: Option<f64>,
) -> PyResult<Link> {
    let timeouts = Timeouts {
        idle: idle_timeout,
        frame: frame_timeout,
    };
    let opts = options(framing, max_frame_len, nodelay, linger, busy_poll, timeouts)?;
    let endpoint: Endpoint = endpoint
        .parse()
        .map_err(|e: tether::EndpointError| to_py(py, e.into()))?;
    let timeout = opt_seconds("timeout", timeout)?;
    let link = match opt_seconds("retry_for", retry_for)? {
        // Retry in slices so Ctrl-C is seen between them; each slice is the
        // library's own retry loop.
        Some(within) => {
            let deadline = std::time::Instant::now() + within;
            sliced(py, Some(within), |slice| match tether::Link::connect_retry(
                &endpoint, slice, &opts,
            ) {
                Ok(link) => Ok(Some(link)),
                Err(Error::Connect { .. }) if std::time::Instant::now() < deadline => Ok(None),
                Err(e) => Err(Fault::Tether(e)),
            })?
        }
        None => Some(
            py.detach(|| match timeout {
                Some(t) => tether::Link::connect_timeout(&endpoint, t, &opts),
                None => tether::Link::connect_with(&endpoint, &opts),
            })
            .map_err(|e| to_py(py, e))?,
        ),
    };
    match link {
        Some(link) => Ok(Link::new(link)),
        // The last slice of `retry_for` ended without a link: one last try
        // gives the caller the real reason.
        None => py
            .detach(|| tether::Link::connect_timeout(&endpoint, SLICE, &opts))
            .map(Link::new)
            .map_err(|e| to_py(py, e)),
    }
}

/// A connected pair of links over a Unix socket pair, for tests and for
/// threads of one program. Takes the same options as `connect`.
#[pyfunction]
#[pyo3(signature = (
    *, framing="length", max_frame_len=None, linger=None, busy_poll=None,
    idle_timeout=None, frame_timeout=Some(30.0),
))]
pub(crate) fn pair(
    py: Python<'_>,
    framing: &str,
    max_frame_len: Option<usize>,
    linger: Option<f64>,
    busy_poll: Option<f64>,
    idle_timeout: Option<f64>,
    frame_timeout: Option<f64>,
) -> PyResult<(Link, Link)> {
    let timeouts = Timeouts {
        idle: idle_timeout,
        frame: frame_timeout,
    };
    let opts = options(framing, max_frame_len, true, linger, busy_poll, timeouts)?;
    let (a, b) = tether::Link::pair(&opts).map_err(|e| to_py(py, e))?;
    Ok((Link::new(a), Link::new(b)))
}

#[pymethods]
impl Link {
    /// Sends one message (`bytes`, `bytearray`, `memoryview` or any other
    /// buffer). Written at once on an idle link; sends that follow closely
    /// are gathered and written together within the linger (100 µs by
    /// default), so a send loop costs few system calls.
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = as_bytes(message)?;
        let payload = bytes.as_bytes();
        self.sending(py, |sender| sender.send(payload))
    }

    /// Sends every message of an iterable (of `bytes`-like objects) with as
    /// few system calls as possible, and writes them before returning.
    fn send_many(&self, py: Python<'_>, messages: &Bound<'_, PyAny>) -> PyResult<()> {
        let held = match messages.cast::<PyList>() {
            Ok(list) => list
                .iter()
                .map(|m| as_bytes(&m))
                .collect::<PyResult<Vec<_>>>()?,
            Err(_) => messages
                .try_iter()?
                .map(|m| as_bytes(&m?))
                .collect::<PyResult<Vec<_>>>()?,
        };
        let payloads: Vec<&[u8]> = held.iter().map(|b| b.as_bytes()).collect();
        self.sending(py, |sender| sender.send_all(payloads.iter().copied()))
    }

    /// Receives one message as `bytes`.
    ///
    /// Waits as long as it takes when `timeout` is `None`, else up to
    /// `timeout` seconds and returns `None` if no whole message came. Raises
    /// `ConnectionClosed` when the peer has closed; Ctrl-C raises
    /// `KeyboardInterrupt` at once when there is no timeout, else within one
    /// 50 ms slice.
    #[pyo3(signature = (timeout=None))]
    fn recv<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let timeout = opt_seconds("timeout", timeout)?;
        let got = self.receive(py, timeout)?;
        Ok(got.map(|msg| PyBytes::new(py, &msg)))
    }

    /// Sends one message and waits for the reply, in one call that lets go
    /// of the GIL once: `link.send(msg)` then `link.recv(timeout)`, for
    /// less. `None` if no whole reply came within `timeout` seconds.
    #[pyo3(signature = (message, timeout=None))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let bytes = as_bytes(message)?;
        let payload = bytes.as_bytes();
        let timeout = opt_seconds("timeout", timeout)?;
        let mut sent = false;
        // The send goes once, in the first wait; a signal that cuts the
        // wait short resumes the wait only.
        let mut send_once = |link: &mut tether::Link| -> tether::Result<()> {
            if !sent {
                link.send(payload)?;
                sent = true;
            }
            Ok(())
        };
        let got = match timeout {
            None => Some(self.until_done(py, |link| {
                send_once(link)?;
                link.recv()
            })?),
            Some(t) => sliced(py, Some(t), |slice| {
                self.with(|link| {
                    send_once(link)?;
                    link.recv_timeout(slice)
                })
            })?,
        };
        Ok(got.map(|msg| PyBytes::new(py, &msg)))
    }

    /// Receives a batch: waits for one message as `recv` does, then adds
    /// every further message already read from the socket, up to `max`
    /// (`None`: all of them). An empty list means the timeout passed. The
    /// cheapest way to drain a fast sender from Python: one call, one
    /// release of the GIL, for many messages.
    #[pyo3(signature = (max=None, timeout=None))]
    fn recv_many<'py>(
        &self,
        py: Python<'py>,
        max: Option<usize>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyList>> {
        if max == Some(0) {
            return Err(PyValueError::new_err("max must be at least 1"));
        }
        let max = max.unwrap_or(usize::MAX);
        let timeout = opt_seconds("timeout", timeout)?;
        // The library waits for the first message and takes the rest from
        // what it has read already; a bad frame behind them stays there for
        // the next call to raise.
        let batch = match timeout {
            None => {
                let mut batch = Vec::new();
                self.until_done(py, |link| link.recv_batch(&mut batch, max, None))?;
                batch
            }
            Some(t) => sliced(py, Some(t), |slice| {
                let mut batch = Vec::new();
                let n = self.with(|link| link.recv_batch(&mut batch, max, Some(slice)))?;
                Ok((n > 0).then_some(batch))
            })?
            .unwrap_or_default(),
        };
        PyList::new(py, batch.iter().map(|m| PyBytes::new(py, m)))
    }

    /// Receives one message if a whole one has arrived; never waits.
    fn try_recv<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let got = self.detached(py, |link| link.try_recv())?;
        Ok(got.map(|msg| PyBytes::new(py, &msg)))
    }

    /// `await link.recv_async()`: receives one message inside an asyncio
    /// event loop (the running one; no thread, no second loop). Returns
    /// `None` if `timeout` seconds pass first.
    #[pyo3(signature = (timeout=None))]
    fn recv_async<'py>(
        slf: &Bound<'py, Self>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("tether._aio")?
            .getattr("recv")?
            .call1((slf, timeout))
    }

    /// Writes every gathered message now instead of within the linger.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.sending(py, |sender| sender.flush())
    }

    /// Writes what is gathered, tells the peer the link is closed and
    /// releases the socket. Calling it again does nothing. A thread waiting
    /// in `recv` on this link wakes up with `ValueError`, as for any call
    /// after `close()`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let Some(sender) = lock(&self.sender).take() else {
            return Ok(());
        };
        // Shutting down both ways also ends a `recv` waiting in another
        // thread, which then lets go of the receiving side.
        let shut = py.detach(|| {
            let shut = match sender.shutdown(Shutdown::Both) {
                // The peer went first: nothing left to tell it.
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotConnected => Ok(()),
                other => other,
            };
            drop(lock(&self.reader).take());
            shut
        });
        shut.map_err(|e| to_py(py, e))
    }

    /// True once `close()` was called, or once the link closed the
    /// connection itself: after the peer broke the framing
    /// (`ProtocolError`, `FrameTooLarge`) or a timeout ran out
    /// (`TimeoutError`); every later call then raises that error again.
    #[getter]
    fn closed(&self) -> bool {
        lock(&self.sender).as_ref().is_none_or(|s| s.is_broken())
    }

    /// The file descriptor, for `select`, `selectors` or an event loop.
    ///
    /// Readable means bytes arrived, but `recv` may also hold messages
    /// already read: after a wake-up, call `try_recv()` until it returns
    /// `None`.
    fn fileno(&self, py: Python<'_>) -> PyResult<i32> {
        self.with_sender(|sender| Ok(sender.as_raw_fd()))
            .map_err(|e| e.into_py(py))
    }

    /// The endpoint of the other end, as `tcp://127.0.0.1:40123`.
    #[getter]
    fn peer_addr(&self, py: Python<'_>) -> PyResult<String> {
        self.with_sender(|sender| sender.peer_addr())
            .map(|ep| ep.to_string())
            .map_err(|e| e.into_py(py))
    }

    /// The endpoint of this end.
    #[getter]
    fn local_addr(&self, py: Python<'_>) -> PyResult<String> {
        self.with_sender(|sender| sender.local_addr())
            .map(|ep| ep.to_string())
            .map_err(|e| e.into_py(py))
    }

    /// The framing this link speaks: `length`, `line`, `fixed:N` or `raw`.
    #[getter]
    fn framing(&self, py: Python<'_>) -> PyResult<String> {
        self.with_sender(|sender| Ok(sender.framing().to_string()))
            .map_err(|e| e.into_py(py))
    }

    /// The coalescing window of `send`, in seconds; 0 writes every send at
    /// once.
    #[getter]
    fn get_linger(&self, py: Python<'_>) -> PyResult<f64> {
        self.with_sender(|sender| Ok(sender.linger().as_secs_f64()))
            .map_err(|e| e.into_py(py))
    }

    #[setter]
    fn set_linger(&self, py: Python<'_>, linger: f64) -> PyResult<()> {
        let linger: Duration = seconds("linger", linger)?;
        self.sending(py, |sender| sender.set_linger(linger))
    }

    /// Whether Nagle's algorithm is off (`TCP_NODELAY`; always true on Unix
    /// sockets).
    #[getter]
    fn get_nodelay(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_sender(|sender| sender.nodelay())
            .map_err(|e| e.into_py(py))
    }

    #[setter]
    fn set_nodelay(&self, py: Python<'_>, nodelay: bool) -> PyResult<()> {
        self.with_sender(|sender| sender.set_nodelay(nodelay))
            .map_err(|e| e.into_py(py))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        Ok(self.next_message(py)?.map(|msg| PyBytes::new(py, &msg)))
    }

    fn __repr__(&self) -> String {
        match lock(&self.sender).as_ref() {
            None => "<tether.Link closed>".to_owned(),
            Some(link) => {
                let show = |ep: tether::Result<Endpoint>| {
                    ep.map_or_else(|_| "?".to_owned(), |ep| ep.to_string())
                };
                format!(
                    "<tether.Link {} -> {} framing={}>",
                    show(link.local_addr()),
                    show(link.peer_addr()),
                    link.framing()
                )
            }
        }
    }
}
