//! `tether.Record`: binary records described by `struct` format strings.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyTuple};
use tether::{RecordError, Value, Values};

use crate::errors::new_err;
use crate::message::as_bytes;

/// A record format in the grammar of Python's `struct` (`"!I 2s f"`),
/// parsed once. `pack` and `unpack` give the same bytes and values as
/// `struct.pack` and `struct.unpack` with the same format.
#[pyclass(module = "tether._tether", frozen)]
pub struct Record {
    inner: tether::Record,
}

fn record_err(py: Python<'_>, e: RecordError) -> PyErr {
    new_err(py, "RecordError", (e.to_string(),))
}

/// One Python value as a [`Value`]; the record checks it against its field.
fn to_value(index: usize, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    // bool before int: in Python a bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i128>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Err(new_err(
                obj.py(),
                "RecordError",
                (format!("value {obj} for field {index} is out of range"),),
            )),
        };
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    // Integers of other types (numpy), through __index__, then floats
    // through __float__, as struct accepts them.
    if let Ok(i) = obj.extract::<i128>() {
        return Ok(Value::Int(i));
    }
    if let Ok(x) = obj.extract::<f64>() {
        return Ok(Value::Float(x));
    }
    Err(PyTypeError::new_err(format!(
        "field {index}: cannot pack a {} (int, float, bool or bytes expected)",
        obj.get_type().name()?
    )))
}

/// Unpacked values as a Python tuple.
fn to_tuple<'py>(py: Python<'py>, values: Values) -> PyResult<Bound<'py, PyTuple>> {
    let items = values
        .into_vec()
        .into_iter()
        .map(|v| {
            Ok(match v {
                Value::Int(i) => i.into_pyobject(py)?.into_any(),
                Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
                Value::Float(x) => PyFloat::new(py, x).into_any(),
                Value::Bytes(b) => PyBytes::new(py, &b).into_any(),
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

#[pymethods]
impl Record {
    /// Parses `format` as `struct.Struct(format)` would; raises
    /// `RecordError` (a `struct.error`) with the position of a bad character.
    #[new]
    fn new(py: Python<'_>, format: &str) -> PyResult<Self> {
        tether::Record::new(format)
            .map(|inner| Record { inner })
            .map_err(|e| record_err(py, e))
    }

    /// The format string as given.
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
        let values = values
            .iter()
            .enumerate()
            .map(|(i, v)| to_value(i, &v))
            .collect::<PyResult<Vec<_>>>()?;
        let packed = self.inner.pack(&values).map_err(|e| record_err(py, e))?;
        Ok(PyBytes::new(py, &packed))
    }

    /// Unpacks exactly `size` bytes (any buffer) into a tuple, as
    /// `struct.unpack`.
    fn unpack<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let data = as_bytes(data)?;
        let values = self
            .inner
            .unpack(data.as_bytes())
            .map_err(|e| record_err(py, e))?;
        to_tuple(py, values)
    }

    /// Unpacks the `size` bytes at `offset` of a longer buffer, as
    /// `struct.unpack_from` (offsets count from the start only).
    #[pyo3(signature = (data, offset=0))]
    fn unpack_from<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        offset: usize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let data = as_bytes(data)?;
        let values = self
            .inner
            .unpack_from(data.as_bytes(), offset)
            .map_err(|e| record_err(py, e))?;
        to_tuple(py, values)
    }

    /// Iterates over the records of a buffer that holds a whole number of
    /// them, as `struct.iter_unpack`.
    fn iter_unpack<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = as_bytes(data)?;
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
        let format = pyo3::types::PyString::new(py, self.inner.format());
        Ok(format!("Record({})", format.repr()?))
    }
}
