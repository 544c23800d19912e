//! `tether.Listener`: accepts links on a TCP port or a Unix socket path.

use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::errors::{to_py, Fault};
use crate::link::Link;
use crate::options::{opt_seconds, options, Timeouts};
use crate::wait::sliced;

/// Accepts links on a TCP port or a Unix socket path.
///
/// Made by `tether.listen()`. Iterate over it to accept links one after
/// another (Ctrl-C stops the loop with `KeyboardInterrupt`, `close()` from
/// another thread ends it), or call `accept()`.
#[pyclass(module = "tether._tether", frozen)]
pub struct Listener {
    // Shared so an accept in one thread can go on while another thread
    // closes the Python object; the socket closes when both are done.
    inner: Mutex<Option<Arc<tether::Listener>>>,
}

impl Listener {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<tether::Listener>>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn current(&self) -> Result<Arc<tether::Listener>, Fault> {
        self.lock().clone().ok_or(Fault::UseAfterClose)
    }

    /// Accepts within `timeout`; closing the listener ends the wait.
    fn accept_within(
        &self,
        py: Python<'_>,
        timeout: Option<std::time::Duration>,
    ) -> PyResult<Option<Link>> {
        let got = sliced(py, timeout, |slice| {
            let listener = self.current()?;
            Ok(listener.accept_timeout(slice)?)
        })?;
        Ok(got.map(Link::new))
    }
}

/// Listens on `endpoint` (`tcp://HOST:PORT`, port 0 for any free port, or
/// `unix:///PATH`). Accepted links get the framing options and the
/// `idle_timeout` and `frame_timeout` given here (as for `connect`).
/// `socket_mode` is the permission of a Unix socket file (default 0o600:
/// only this user may connect; 0o666: every user). With `max_connections`,
/// at most that many accepted links are alive at once: at the cap, accept
/// waits (the kernel's backlog holds newcomers) until one is closed.
#[pyfunction]
#[pyo3(signature = (
    endpoint, *, framing="length", max_frame_len=None, nodelay=true,
    linger=None, busy_poll=None, idle_timeout=None,
    frame_timeout=Some(30.0), socket_mode=0o600, max_connections=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn listen(
    py: Python<'_>,
    endpoint: &str,
    framing: &str,
    max_frame_len: Option<usize>,
    nodelay: bool,
    linger: Option<f64>,
    busy_poll: Option<f64>,
    idle_timeout: Option<f64>,
    frame_timeout: Option<f64>,
    socket_mode: u32,
    max_connections: Option<usize>,
) -> PyResult<Listener> {
    if socket_mode > 0o777 {
        return Err(PyValueError::new_err(format!(
            "socket_mode must be a permission such as 0o600 (at most 0o777), got {socket_mode:#o}"
        )));
    }
    let timeouts = Timeouts {
        idle: idle_timeout,
        frame: frame_timeout,
    };
    let opts = options(framing, max_frame_len, nodelay, linger, busy_poll, timeouts)?
        .socket_mode(socket_mode)
        .max_connections(max_connections);
    let listener = tether::Listener::bind_with(endpoint, &opts).map_err(|e| to_py(py, e))?;
    Ok(Listener {
        inner: Mutex::new(Some(Arc::new(listener))),
    })
}

#[pymethods]
impl Listener {
    /// Waits for the next connection and returns its `Link`; with a
    /// `timeout` in seconds, returns `None` if none came in time.
    #[pyo3(signature = (timeout=None))]
    fn accept(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Link>> {
        let timeout = opt_seconds("timeout", timeout)?;
        self.accept_within(py, timeout)
    }

    /// The bound endpoint as a string, with the real port after binding port
    /// 0, e.g. `tcp://127.0.0.1:40123`.
    #[getter]
    fn local_addr(&self, py: Python<'_>) -> PyResult<String> {
        let listener = self.current().map_err(|e| e.into_py(py))?;
        let ep = listener.local_addr().map_err(|e| to_py(py, e))?;
        Ok(ep.to_string())
    }

    /// The file descriptor, for `select` or `selectors` (readable means a
    /// connection is waiting).
    fn fileno(&self, py: Python<'_>) -> PyResult<i32> {
        let listener = self.current().map_err(|e| e.into_py(py))?;
        Ok(listener.as_raw_fd())
    }

    /// Stops listening (a Unix socket file is removed). Calling it again
    /// does nothing.
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

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next accepted link; the loop ends when the listener is closed.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Link>> {
        match self.accept_within(py, None) {
            Err(e) if self.closed() && e.is_instance_of::<pyo3::exceptions::PyValueError>(py) => {
                Ok(None)
            }
            other => other,
        }
    }

    fn __repr__(&self) -> String {
        match self.lock().as_ref().map(|l| l.local_addr()) {
            None => "<tether.Listener closed>".to_owned(),
            Some(Ok(ep)) => format!("<tether.Listener {ep}>"),
            Some(Err(_)) => "<tether.Listener ?>".to_owned(),
        }
    }
}
