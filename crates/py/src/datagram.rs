//! `tether.DatagramLink`: UDP, one datagram per message.

use std::os::fd::AsRawFd;
use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};
use tether::Endpoint;

use crate::errors::{to_py, Fault};
use crate::message::as_bytes;
use crate::options::opt_seconds;
use crate::wait::sliced;

/// A UDP socket, bound once and used for every message; one datagram is
/// one message, so no framing options apply.
///
/// `DatagramLink.bind("udp://127.0.0.1:0")` to receive (and answer with
/// `send_to`), `DatagramLink.connect("udp://HOST:PORT")` to talk to one peer.
#[pyclass(module = "tether._tether", frozen)]
pub struct DatagramLink {
    inner: Mutex<Option<tether::DatagramLink>>,
}

impl DatagramLink {
    fn lock(&self) -> MutexGuard<'_, Option<tether::DatagramLink>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut tether::DatagramLink) -> tether::Result<T>,
    ) -> Result<T, Fault> {
        match self.lock().as_mut() {
            Some(link) => Ok(f(link)?),
            None => Err(Fault::UseAfterClose),
        }
    }

    fn wrap(py: Python<'_>, link: tether::Result<tether::DatagramLink>) -> PyResult<Self> {
        Ok(Self {
            inner: Mutex::new(Some(link.map_err(|e| to_py(py, e))?)),
        })
    }
}

#[pymethods]
impl DatagramLink {
    /// Binds `udp://HOST:PORT` (port 0 for any free port) to receive, and to
    /// send with `send_to`.
    #[staticmethod]
    fn bind(py: Python<'_>, endpoint: &str) -> PyResult<Self> {
        Self::wrap(py, py.detach(|| tether::DatagramLink::bind(endpoint)))
    }

    /// Binds an ephemeral port and fixes `udp://HOST:PORT` as the peer of
    /// `send` and `recv` (datagrams from other addresses are dropped).
    #[staticmethod]
    fn connect(py: Python<'_>, endpoint: &str) -> PyResult<Self> {
        Self::wrap(py, py.detach(|| tether::DatagramLink::connect(endpoint)))
    }

    /// Sends one datagram to the connected peer.
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = as_bytes(message)?;
        let payload = bytes.as_bytes();
        py.detach(|| self.with(|link| link.send(payload)))
            .map_err(|e| e.into_py(py))
    }

    /// Sends one datagram to `endpoint` (`udp://HOST:PORT`).
    fn send_to(&self, py: Python<'_>, message: &Bound<'_, PyAny>, endpoint: &str) -> PyResult<()> {
        let to = tether::DatagramLink::resolve(endpoint).map_err(|e| to_py(py, e))?;
        let bytes = as_bytes(message)?;
        let payload = bytes.as_bytes();
        py.detach(|| self.with(|link| link.send_to(payload, to)))
            .map_err(|e| e.into_py(py))
    }

    /// Receives one datagram as `bytes`; with a `timeout` in seconds,
    /// `None` if none came in time. Ctrl-C raises `KeyboardInterrupt`.
    #[pyo3(signature = (timeout=None))]
    fn recv<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let timeout = opt_seconds("timeout", timeout)?;
        let got = sliced(py, timeout, |slice| {
            self.with(|link| link.recv_timeout(slice))
        })?;
        Ok(got.map(|msg| PyBytes::new(py, &msg)))
    }

    /// Receives one datagram and the endpoint it came from, as
    /// `(b"...", "udp://127.0.0.1:40123")`; `None` on timeout.
    #[pyo3(signature = (timeout=None))]
    fn recv_from<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<(Bound<'py, PyBytes>, String)>> {
        let timeout = opt_seconds("timeout", timeout)?;
        let got = sliced(py, timeout, |slice| {
            self.with(|link| link.recv_from_timeout(slice))
        })?;
        Ok(got.map(|(msg, from)| (PyBytes::new(py, &msg), Endpoint::udp(from).to_string())))
    }

    /// Receives one datagram if one is waiting; never waits.
    fn try_recv<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let got = self
            .with(|link| link.try_recv())
            .map_err(|e| e.into_py(py))?;
        Ok(got.map(|msg| PyBytes::new(py, &msg)))
    }

    /// The bound endpoint, with the real port after binding port 0.
    #[getter]
    fn local_addr(&self, py: Python<'_>) -> PyResult<String> {
        self.with(|link| link.local_addr())
            .map(|ep| ep.to_string())
            .map_err(|e| e.into_py(py))
    }

    /// The connected peer as `udp://HOST:PORT`, or `None` for a bound link.
    #[getter]
    fn peer_addr(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.with(|link| Ok(link.peer_addr().map(|a| Endpoint::udp(a).to_string())))
            .map_err(|e| e.into_py(py))
    }

    /// The file descriptor, for `select`, `selectors` or an event loop.
    fn fileno(&self, py: Python<'_>) -> PyResult<i32> {
        self.with(|link| Ok(link.as_raw_fd()))
            .map_err(|e| e.into_py(py))
    }

    /// Releases the socket. Calling it again does nothing.
    fn close(&self) {
        self.lock().take();
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        match self.lock().as_ref() {
            None => "<tether.DatagramLink closed>".to_owned(),
            Some(link) => match (link.local_addr(), link.peer_addr()) {
                (Ok(local), Some(peer)) => {
                    format!("<tether.DatagramLink {local} -> {}>", Endpoint::udp(peer))
                }
                (Ok(local), None) => format!("<tether.DatagramLink {local}>"),
                (Err(_), _) => "<tether.DatagramLink ?>".to_owned(),
            },
        }
    }
}
