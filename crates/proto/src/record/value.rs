//! Values packed into and unpacked from records.

use std::fmt;
use std::ops::{Deref, DerefMut};

use super::repr::{write_bytes_repr, PyFloat};

/// One value of a record, as a Python object `struct` packs or unpacks.
///
/// Unpacking gives [`Value::Int`] for integer codes (`b B h H i I l L q Q
/// n N P`), [`Value::Bool`] for `?`, [`Value::Float`] for `e f d` and
/// [`Value::Bytes`] for `s p c` (a `c` gives one byte, as in Python).
///
/// Packing is as lenient as Python: integer codes take `Int` or `Bool`;
/// float codes take `Float`, `Int` or `Bool`; `?` takes anything and packs
/// its truth (nonzero numbers, NaN and non-empty bytes are true); `s`, `p`
/// and `c` take only `Bytes`.
///
/// [`fmt::Display`] prints Python's `repr` of the value: `7`, `True`,
/// `2.700000047683716`, `1e+16`, `nan`, `b'a\x00'`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer; every integer code's range fits.
    Int(i128),
    /// A boolean, from `?`.
    Bool(bool),
    /// A float, from `e`, `f` or `d`.
    Float(f64),
    /// Bytes, from `s`, `p` or `c`.
    Bytes(Vec<u8>),
}

impl Value {
    /// The integer, for `Int` and `Bool` (as 0 or 1).
    pub fn as_int(&self) -> Option<i128> {
        match *self {
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(i128::from(b)),
            _ => None,
        }
    }

    /// The float, for `Float`, and `Int` or `Bool` converted as Python does.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(x) => Some(x),
            // Rounds to nearest, ties to even, like Python's int.__float__.
            Value::Int(i) => Some(i as f64),
            Value::Bool(b) => Some(f64::from(u8::from(b))),
            Value::Bytes(_) => None,
        }
    }

    /// The boolean, for `Bool` only.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes, for `Bytes` only.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Python's truth of the value, as `?` packs it.
    pub fn truth(&self) -> bool {
        match self {
            Value::Int(i) => *i != 0,
            Value::Bool(b) => *b,
            // NaN is true in Python; -0.0 is false.
            Value::Float(x) => *x != 0.0,
            Value::Bytes(b) => !b.is_empty(),
        }
    }

    /// How error messages name the kind of this value.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a bool",
            Value::Float(_) => "a float",
            Value::Bytes(_) => "bytes",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Float(x) => write!(f, "{}", PyFloat(*x)),
            Value::Bytes(b) => write_bytes_repr(f, b),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(i128::from(v))
            }
        }
    )*};
}

from_int!(i8, i16, i32, i64, i128, u8, u16, u32, u64);

impl From<isize> for Value {
    fn from(v: isize) -> Self {
        // isize is at most 64 bits on every Rust target.
        Value::Int(v as i128)
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        // usize is at most 64 bits on every Rust target.
        Value::Int(v as i128)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for Value {
    fn from(v: &[u8; N]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<&str> for Value {
    /// The UTF-8 bytes of the string.
    fn from(v: &str) -> Self {
        Value::Bytes(v.as_bytes().to_vec())
    }
}

/// The values of one unpacked record, in format order.
///
/// Derefs to `[Value]`. [`fmt::Display`] prints exactly Python's `repr` of
/// the tuple `struct.unpack` returns: `(1, b'ab', 2.700000047683716)`,
/// `(1,)`, `()`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values(pub Vec<Value>);

impl Values {
    /// The values as a `Vec`.
    pub fn into_vec(self) -> Vec<Value> {
        self.0
    }
}

impl Deref for Values {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.0
    }
}

impl DerefMut for Values {
    fn deref_mut(&mut self) -> &mut [Value] {
        &mut self.0
    }
}

impl From<Vec<Value>> for Values {
    fn from(v: Vec<Value>) -> Self {
        Values(v)
    }
}

impl From<Values> for Vec<Value> {
    fn from(v: Values) -> Self {
        v.0
    }
}

impl IntoIterator for Values {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{v}")?;
        }
        if self.0.len() == 1 {
            f.write_str(",")?;
        }
        f.write_str(")")
    }
}
