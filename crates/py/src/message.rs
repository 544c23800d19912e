//! Messages given by Python: any object with the buffer protocol.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

/// `message` as a `bytes` object: `bytes` itself without a copy, anything
/// else with the buffer protocol (`bytearray`, `memoryview`, `array`, numpy)
/// copied once. The copy is what makes it safe to read the bytes with the
/// GIL released: a `bytearray` could be resized by another thread, a
/// `bytes` object cannot change. (The stable ABI of Python 3.9 has no
/// buffer protocol, so a zero-copy view of a `bytearray` is not available.)
pub(crate) fn as_bytes<'py>(message: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    match message.cast::<PyBytes>() {
        Ok(bytes) => Ok(bytes.clone()),
        Err(_) => Ok(PyMemoryView::from(message)?
            .call_method0("tobytes")?
            .cast_into::<PyBytes>()?),
    }
}
