//! `tether.Record`: binary records described by `struct` format strings.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::errors::record_err;
use crate::message::as_bytes;
use crate::record_values::{byte_view, to_tuple, to_values, view_bytes, write_view};

/// A record format in the grammar of Python's `struct` (`"!I 2s f"`),
/// parsed once. Its methods give the same bytes, values and exception
/// classes as `struct.Struct` with the same format.
#[pyclass(module = "tether._tether", frozen)]
pub struct Record {
    inner: tether::Record,
}

/// A format given as `str` or `bytes`, as `struct` takes it. Bytes are read
/// one character per byte, so a non-ASCII byte is reported by the library
/// as a bad character, at its position.
fn format_text(format: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = format.cast::<PyString>() {
        return Ok(text.to_cow()?.into_owned());
    }
    if let Ok(bytes) = format.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().iter().map(|&b| char::from(b)).collect());
    }
    Err(PyTypeError::new_err(format!(
        "Record() format must be a str or bytes, not {}",
        format.get_type().name()?
    )))
}

#[pymethods]
impl Record {
    /// Parses `format` (`str` or `bytes`) as `struct.Struct(format)` would;
    /// raises `RecordError` (a `struct.error`) with the position of a bad
    /// character.
    #[new]
    fn new(py: Python<'_>, format: &Bound<'_, PyAny>) -> PyResult<Self> {
        tether::Record::new(&format_text(format)?)
            .map(|inner| Record { inner })
            .map_err(|e| record_err(py, e))
    }

    /// The format string as given (bytes decoded).
    #[getter]
    fn format(&self) -> &str {
        self.inner.format()
    }

    /// Size of a packed record in bytes, as `struct.calcsize(format)`.
    #[getter]
    fn size(&self) -> usize {
        self.inner.size()
    }

    /// Packs one value per field into `bytes`, as `struct.pack`.
    #[pyo3(signature = (*values))]
    fn pack<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let values = to_values(&self.inner, values)?;
        let packed = self.inner.pack(&values).map_err(|e| record_err(py, e))?;
        Ok(PyBytes::new(py, &packed))
    }

    /// Packs one value per field into the writable `buffer` (a bytearray,
    /// memoryview, array, ...) at `offset`, negative counting from the end,
    /// as `struct.pack_into`.
    #[pyo3(signature = (buffer, offset, *values))]
    fn pack_into(
        &self,
        py: Python<'_>,
        buffer: &Bound<'_, PyAny>,
        offset: isize,
        values: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let values = to_values(&self.inner, values)?;
        let view = byte_view(buffer)?;
        let span = self
            .inner
            .pack_span(view.len()?, offset)
            .map_err(|e| record_err(py, e))?;
        let packed = self.inner.pack(&values).map_err(|e| record_err(py, e))?;
        write_view(&view, span, &packed)
    }

    /// Unpacks exactly `size` bytes (any buffer) into a tuple, as
    /// `struct.unpack`.
    fn unpack<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let data = as_bytes(buffer)?;
        let values = self
            .inner
            .unpack(data.as_bytes())
            .map_err(|e| record_err(py, e))?;
        to_tuple(py, values)
    }

    /// Unpacks the `size` bytes at `offset` of a longer buffer, negative
    /// counting from the end, as `struct.unpack_from`.
    #[pyo3(signature = (buffer, offset=0))]
    fn unpack_from<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
        offset: isize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let unpack = |data: &[u8]| {
            let span = self.inner.unpack_span(data.len(), offset)?;
            self.inner.unpack(&data[span])
        };
        // bytes are read in place; other buffers through a view of the
        // record's bytes only, not a copy of the whole buffer.
        let values = match buffer.cast::<PyBytes>() {
            Ok(bytes) => unpack(bytes.as_bytes()),
            Err(_) => {
                let view = byte_view(buffer)?;
                let span = self
                    .inner
                    .unpack_span(view.len()?, offset)
                    .map_err(|e| record_err(py, e))?;
                let bytes = view_bytes(&view, span)?;
                self.inner.unpack(bytes.as_bytes())
            }
        };
        to_tuple(py, values.map_err(|e| record_err(py, e))?)
    }

    /// Iterates over the records of a buffer that holds a whole number of
    /// them, as `struct.iter_unpack`; a format of size 0 is an error.
    fn iter_unpack<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = as_bytes(buffer)?;
        let records = self
            .inner
            .iter_unpack(data.as_bytes())
            .map_err(|e| record_err(py, e))?;
        let list = PyList::empty(py);
        for values in records {
            list.append(to_tuple(py, values.map_err(|e| record_err(py, e))?)?)?;
        }
        list.try_iter().map(Bound::into_any)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let format = PyString::new(py, self.inner.format());
        Ok(format!("Record({})", format.repr()?))
    }
}
