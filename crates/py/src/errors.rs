//! tether's errors as Python exceptions.
//!
//! The classes are plain Python in `python/tether/_errors.py`, where an
//! exception can inherit from both `TetherError` and a built-in `OSError`
//! subclass such as `ConnectionRefusedError`. This file only picks the class;
//! the message is always the library's own.

use std::io;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyType};
use pyo3::PyErrArguments;
use tether::{CodecError, Error, RecordError};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The exception class `name` of `tether._errors`.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    let module = ERRORS.get_or_try_init(py, || py.import("tether._errors").map(Bound::unbind))?;
    Ok(module.bind(py).getattr(name)?.cast_into::<PyType>()?)
}

/// An exception of class `name` (from `tether._errors`) with `args`.
pub(crate) fn new_err<A>(py: Python<'_>, name: &str, args: A) -> PyErr
where
    A: PyErrArguments + Send + Sync + 'static,
{
    match class(py, name) {
        Ok(ty) => PyErr::from_type(ty, args),
        Err(e) => e,
    }
}

/// The Python exception for a record error: `RecordOverflow` (also an
/// `OverflowError`) for a value out of range, `RecordTypeError` (also a
/// `TypeError`) for a value of the wrong type, else `RecordError`. All three
/// are `struct.error`s, so code written for `struct` catches them as before.
pub(crate) fn record_err(py: Python<'_>, err: RecordError) -> PyErr {
    let name = match err {
        RecordError::OutOfRange { .. } | RecordError::FloatOverflow { .. } => "RecordOverflow",
        RecordError::WrongType { .. } => "RecordTypeError",
        _ => "RecordError",
    };
    new_err(py, name, (err.to_string(),))
}

/// Why a call on a link failed: the library said so, or the Python object
/// was already closed.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The library's error.
    Tether(Error),
    /// `close()` was called before.
    UseAfterClose,
}

impl From<Error> for Fault {
    fn from(e: Error) -> Self {
        Fault::Tether(e)
    }
}

impl Fault {
    /// The Python exception for this fault.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Fault::Tether(e) => to_py(py, e),
            // Python's own wording for a closed file or socket.
            Fault::UseAfterClose => PyValueError::new_err("I/O operation on closed link"),
        }
    }
}

/// The Python exception for a library error.
pub(crate) fn to_py(py: Python<'_>, err: Error) -> PyErr {
    let msg = err.to_string();
    match &err {
        Error::Closed => new_err(py, "ConnectionClosed", (msg,)),
        Error::Truncated { .. } => new_err(py, "FrameTruncated", (msg,)),
        Error::Codec(CodecError::FrameTooLarge { .. }) => new_err(py, "FrameTooLarge", (msg,)),
        Error::Codec(_) => new_err(py, "ProtocolError", (msg,)),
        Error::Endpoint(_) | Error::WrongScheme { .. } => new_err(py, "EndpointError", (msg,)),
        Error::DatagramTooLarge { .. } => new_err(py, "DatagramTooLarge", (msg,)),
        Error::Connect { cause: source, .. }
        | Error::Bind { cause: source, .. }
        | Error::Io(source) => os_error(py, source, msg),
        Error::WouldBlock => os_error(py, &io::ErrorKind::WouldBlock.into(), msg),
        Error::NotConnected { .. } => os_error(py, &io::ErrorKind::NotConnected.into(), msg),
        // The binding runs the signal handlers and waits on; this is only
        // reached if a handler returned without raising and the caller
        // asked for no retry.
        Error::Interrupted => os_error(py, &io::ErrorKind::Interrupted.into(), msg),
        Error::IdleTimeout { .. } | Error::FrameTimeout { .. } => {
            os_error(py, &io::ErrorKind::TimedOut.into(), msg)
        }
    }
}

/// An `OSError` subclass that is also a `TetherError`, chosen by the kind of
/// failure so `except ConnectionRefusedError` works; `errno` is set when the
/// system gave one.
fn os_error(py: Python<'_>, source: &io::Error, msg: String) -> PyErr {
    use io::ErrorKind as K;
    let name = match source.kind() {
        K::ConnectionRefused => "ConnectionRefused",
        K::ConnectionReset => "ConnectionReset",
        K::ConnectionAborted => "ConnectionAborted",
        K::BrokenPipe => "BrokenPipe",
        K::TimedOut => "TimedOut",
        K::AddrInUse => "AddressInUse",
        K::PermissionDenied => "PermissionDenied",
        K::NotFound => "NotFound",
        K::WouldBlock => "WouldBlock",
        _ => "TetherOSError",
    };
    match source.raw_os_error() {
        // Python shows the errno itself (`[Errno 111] ...`): once is enough.
        Some(errno) => {
            let msg = match msg.strip_suffix(&format!(" (os error {errno})")) {
                Some(shorter) => shorter.to_owned(),
                None => msg,
            };
            new_err(py, name, (errno, msg))
        }
        None => new_err(py, name, (msg,)),
    }
}
