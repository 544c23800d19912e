//! Python objects to record values and back, field by field as `struct`
//! converts them, and the bytes of buffer-protocol objects.

use std::ops::Range;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyMemoryView, PySlice, PyTuple};
use tether::{Record, Value, Values};

use crate::errors::record_err;

/// One value per field, each converted as its format code takes it; the
/// count is checked first, as `struct` does.
pub(crate) fn to_values(rec: &Record, values: &Bound<'_, PyTuple>) -> PyResult<Vec<Value>> {
    let py = values.py();
    rec.check_count(values.len())
        .map_err(|e| record_err(py, e))?;
    rec.value_codes()
        .zip(values.iter())
        .enumerate()
        .map(|(index, (code, obj))| match code {
            // Anything, by its truth; an exception from __bool__ propagates.
            '?' => Ok(Value::Bool(obj.is_truthy()?)),
            'e' | 'f' | 'd' => float_value(rec, index, &obj),
            'c' | 's' | 'p' => bytes_value(rec, index, &obj),
            _ => int_value(rec, index, &obj),
        })
        .collect()
}

/// An integer code takes an int or an object with `__index__`, never a
/// float or an object with only `__int__`.
fn int_value(rec: &Record, index: usize, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    // bool before int: in Python a bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    let int = match obj.cast::<PyInt>() {
        Ok(int) => int.clone(),
        Err(_) => match index_of(obj) {
            Ok(int) => int,
            Err(e) if e.is_instance_of::<PyTypeError>(py) => {
                return Err(record_err(py, rec.wrong_type(index, &kind_of(obj)?)))
            }
            Err(e) => return Err(e),
        },
    };
    // Every code's range is inside i64 or u64; anything else is out of it.
    if let Ok(i) = int.extract::<i64>() {
        return Ok(Value::Int(i128::from(i)));
    }
    if let Ok(u) = int.extract::<u64>() {
        return Ok(Value::Int(i128::from(u)));
    }
    let digits = int.str()?;
    Err(record_err(py, rec.out_of_range(index, &digits.to_cow()?)))
}

/// `operator.index(obj)`.
fn index_of<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyInt>> {
    // SAFETY: PyNumber_Index takes a borrowed object and returns a new
    // reference, or NULL with an exception set.
    let int =
        unsafe { Bound::from_owned_ptr_or_err(obj.py(), pyo3::ffi::PyNumber_Index(obj.as_ptr())) }?;
    Ok(int.cast_into::<PyInt>()?)
}

/// A float code takes what `float()` does not refuse: floats, ints, and
/// objects with `__float__` or `__index__`.
fn float_value(rec: &Record, index: usize, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    if let Ok(x) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(x.value()));
    }
    match obj.extract::<f64>() {
        Ok(x) => Ok(Value::Float(x)),
        Err(e) if e.is_instance_of::<PyTypeError>(py) => {
            Err(record_err(py, rec.wrong_type(index, &kind_of(obj)?)))
        }
        Err(e) if e.is_instance_of::<PyOverflowError>(py) => Err(record_err(
            py,
            rec.wrong_type(index, "an int too large for a float"),
        )),
        Err(e) => Err(e),
    }
}

/// `c`, `s` and `p` take bytes or a bytearray.
fn bytes_value(rec: &Record, index: usize, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    Err(record_err(obj.py(), rec.wrong_type(index, &kind_of(obj)?)))
}

/// How an error names the type of `obj`: "a str", "an int".
fn kind_of(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let name = obj.get_type().name()?.to_string();
    let article = match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    };
    Ok(format!("{article} {name}"))
}

/// Unpacked values as a Python tuple.
pub(crate) fn to_tuple<'py>(py: Python<'py>, values: Values) -> PyResult<Bound<'py, PyTuple>> {
    let items = values
        .into_vec()
        .into_iter()
        .map(|v| {
            Ok(match v {
                Value::Int(i) => int_object(py, i)?,
                Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
                Value::Float(x) => PyFloat::new(py, x).into_any(),
                Value::Bytes(b) => PyBytes::new(py, &b).into_any(),
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// An unpacked integer (always within i64 or u64) as a Python int; the
/// 64-bit conversions are single C calls, i128's are not under the
/// stable ABI.
fn int_object(py: Python<'_>, i: i128) -> PyResult<Bound<'_, PyAny>> {
    Ok(if let Ok(v) = i64::try_from(i) {
        v.into_pyobject(py)?.into_any()
    } else if let Ok(v) = u64::try_from(i) {
        v.into_pyobject(py)?.into_any()
    } else {
        i.into_pyobject(py)?.into_any()
    })
}

/// A C-contiguous view of `buffer` as unsigned bytes (`struct` needs a
/// contiguous buffer too); a TypeError for objects without the buffer
/// protocol.
pub(crate) fn byte_view<'py>(buffer: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    PyMemoryView::from(buffer)?.call_method1("cast", ("B",))
}

/// The bytes `span` of a byte view.
pub(crate) fn view_bytes<'py>(
    view: &Bound<'py, PyAny>,
    span: Range<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let slice = slice_of(view.py(), span)?;
    Ok(view
        .get_item(slice)?
        .call_method0("tobytes")?
        .cast_into::<PyBytes>()?)
}

/// Writes `bytes` over the bytes `span` of a writable byte view.
pub(crate) fn write_view(
    view: &Bound<'_, PyAny>,
    span: Range<usize>,
    bytes: &[u8],
) -> PyResult<()> {
    let py = view.py();
    if view.getattr("readonly")?.is_truthy()? {
        return Err(PyTypeError::new_err(
            "pack_into needs a writable buffer (bytearray, memoryview, array), not a read-only one",
        ));
    }
    view.set_item(slice_of(py, span)?, PyBytes::new(py, bytes))
}

fn slice_of(py: Python<'_>, span: Range<usize>) -> PyResult<Bound<'_, PySlice>> {
    // Spans lie inside a buffer, whose length Python keeps below isize::MAX.
    let start = isize::try_from(span.start)?;
    let end = isize::try_from(span.end)?;
    Ok(PySlice::new(py, start, end, 1))
}
