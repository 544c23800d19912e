//! Packing and unpacking of single items.

use super::format::{Field, Kind};
use super::{RecordError, Value};

/// Writes the low `dst.len()` bytes of `bits` (at most 8).
#[inline]
fn put(dst: &mut [u8], bits: u64, little: bool) {
    // The fixed sizes compile to single stores.
    match (dst.len(), little) {
        (1, _) => dst[0] = bits as u8,
        (2, true) => dst.copy_from_slice(&(bits as u16).to_le_bytes()),
        (2, false) => dst.copy_from_slice(&(bits as u16).to_be_bytes()),
        (4, true) => dst.copy_from_slice(&(bits as u32).to_le_bytes()),
        (4, false) => dst.copy_from_slice(&(bits as u32).to_be_bytes()),
        (8, true) => dst.copy_from_slice(&bits.to_le_bytes()),
        (8, false) => dst.copy_from_slice(&bits.to_be_bytes()),
        (n, true) => dst.copy_from_slice(&bits.to_le_bytes()[..n]),
        (n, false) => dst.copy_from_slice(&bits.to_be_bytes()[8 - n..]),
    }
}

/// Reads `src.len()` bytes (at most 8) as an unsigned integer.
#[inline]
fn get(src: &[u8], little: bool) -> u64 {
    // The fixed sizes compile to single loads.
    if let Ok(b) = <[u8; 1]>::try_from(src) {
        return u64::from(b[0]);
    }
    if let Ok(b) = <[u8; 2]>::try_from(src) {
        return u64::from(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        });
    }
    if let Ok(b) = <[u8; 4]>::try_from(src) {
        return u64::from(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        });
    }
    if let Ok(b) = <[u8; 8]>::try_from(src) {
        return if little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        };
    }
    let n = src.len();
    let mut buf = [0u8; 8];
    if little {
        buf[..n].copy_from_slice(src);
        u64::from_le_bytes(buf)
    } else {
        buf[8 - n..].copy_from_slice(src);
        u64::from_be_bytes(buf)
    }
}

/// Value `index` is not of a kind `field` takes; `got` names the kind.
pub(crate) fn wrong_type(field: &Field, index: usize, got: &str) -> RecordError {
    RecordError::WrongType {
        index,
        code: char::from(field.code),
        expected: field.kind.expects(),
        got: got.to_owned(),
    }
}

/// Value `index` is an integer outside the range of `field`; `value` is
/// its decimal text.
pub(crate) fn out_of_range(field: &Field, index: usize, value: String) -> RecordError {
    RecordError::OutOfRange {
        index,
        code: char::from(field.code),
        value,
        min: field.min,
        max: field.max,
    }
}

/// The float a float code packs: Python converts ints (and bools) too.
#[inline]
fn float_of(field: &Field, index: usize, value: &Value) -> Result<f64, RecordError> {
    match *value {
        Value::Float(x) => Ok(x),
        Value::Int(i) => Ok(i as f64),
        Value::Bool(b) => Ok(f64::from(u8::from(b))),
        Value::Bytes(_) => Err(wrong_type(field, index, value.kind_name())),
    }
}

/// Packs value `index` into `dst`, which is the item's slot (`field.item`
/// bytes) in a zero-filled record.
#[inline]
pub(crate) fn encode(
    field: &Field,
    little: bool,
    index: usize,
    value: &Value,
    dst: &mut [u8],
) -> Result<(), RecordError> {
    match field.kind {
        Kind::Int => {
            let v = match *value {
                Value::Int(i) => i,
                Value::Bool(b) => i128::from(b),
                _ => return Err(wrong_type(field, index, value.kind_name())),
            };
            if v < field.min || v > field.max {
                return Err(out_of_range(field, index, v.to_string()));
            }
            // Two's complement truncation to the item size.
            put(dst, v as u64, little);
        }
        Kind::Bool => dst[0] = u8::from(value.truth()),
        Kind::Double => {
            let x = float_of(field, index, value)?;
            put(dst, x.to_bits(), little);
        }
        Kind::Float => {
            let x = float_of(field, index, value)?;
            let bits = f32_bits(x).ok_or(RecordError::FloatOverflow {
                index,
                code: 'f',
                value: x,
            })?;
            put(dst, u64::from(bits), little);
        }
        Kind::FloatNative => {
            let x = float_of(field, index, value)?;
            let bits = f32_bits(x).unwrap_or(if x < 0.0 { 0xff80_0000 } else { 0x7f80_0000 });
            put(dst, u64::from(bits), little);
        }
        Kind::Half => {
            let x = float_of(field, index, value)?;
            let bits = f16_bits(x).ok_or(RecordError::FloatOverflow {
                index,
                code: 'e',
                value: x,
            })?;
            put(dst, u64::from(bits), little);
        }
        Kind::Char => match value {
            Value::Bytes(b) if b.len() == 1 => dst[0] = b[0],
            Value::Bytes(b) => {
                return Err(RecordError::NotOneByte {
                    index,
                    len: b.len(),
                })
            }
            _ => return Err(wrong_type(field, index, value.kind_name())),
        },
        Kind::Str => match value {
            Value::Bytes(b) => {
                let n = b.len().min(dst.len());
                dst[..n].copy_from_slice(&b[..n]);
            }
            _ => return Err(wrong_type(field, index, value.kind_name())),
        },
        Kind::Pascal => match value {
            Value::Bytes(b) => {
                // CPython writes a length byte of 0xff one past a `0p`
                // field; this writes nothing for it.
                if let Some((len, rest)) = dst.split_first_mut() {
                    let n = b.len().min(rest.len());
                    rest[..n].copy_from_slice(&b[..n]);
                    *len = n.min(255) as u8;
                }
            }
            _ => return Err(wrong_type(field, index, value.kind_name())),
        },
    }
    Ok(())
}

/// Unpacks one item from its slot `src` (`field.item` bytes).
#[inline]
pub(crate) fn decode(field: &Field, little: bool, src: &[u8]) -> Value {
    match field.kind {
        Kind::Int => {
            let bits = get(src, little);
            if field.signed {
                let shift = 64 - 8 * src.len() as u32;
                Value::Int(i128::from(((bits << shift) as i64) >> shift))
            } else {
                Value::Int(i128::from(bits))
            }
        }
        Kind::Bool => Value::Bool(src[0] != 0),
        Kind::Double => Value::Float(f64::from_bits(get(src, little))),
        Kind::Float | Kind::FloatNative => {
            Value::Float(f64::from(f32::from_bits(get(src, little) as u32)))
        }
        Kind::Half => Value::Float(f16_value(get(src, little) as u16)),
        Kind::Char | Kind::Str => Value::Bytes(src.to_vec()),
        Kind::Pascal => match src.split_first() {
            Some((&len, rest)) => {
                let n = usize::from(len).min(rest.len());
                Value::Bytes(rest[..n].to_vec())
            }
            None => Value::Bytes(Vec::new()),
        },
    }
}

/// `x` as f32 bits, or `None` if a finite `x` rounds to infinity
/// (CPython's `PyFloat_Pack4`). NaNs keep their sign and top payload bits
/// and become quiet, as the x86 conversion does.
pub(crate) fn f32_bits(x: f64) -> Option<u32> {
    if x.is_nan() {
        let b = x.to_bits();
        let sign = ((b >> 63) as u32) << 31;
        let payload = ((b >> 29) as u32) & 0x007f_ffff;
        return Some(sign | 0x7fc0_0000 | payload);
    }
    let y = x as f32;
    if y.is_infinite() && !x.is_infinite() {
        return None;
    }
    Some(y.to_bits())
}

/// `x` as IEEE half-precision bits, rounding half to even, or `None` if it
/// is finite and too large (a port of CPython's `PyFloat_Pack2`).
pub(crate) fn f16_bits(x: f64) -> Option<u16> {
    let sign = u16::from(x.is_sign_negative());
    if x.is_nan() {
        return Some((sign << 15) | (0x1f << 10) | 0x200);
    }
    if x.is_infinite() {
        return Some((sign << 15) | (0x1f << 10));
    }
    if x == 0.0 {
        return Some(sign << 15);
    }
    let a = x.abs();
    // a = f * 2^e with 1 <= f < 2.
    let (mut f, mut e) = frexp(a);
    f *= 2.0;
    e -= 1;
    if e >= 16 {
        return None;
    } else if e < -25 {
        // Underflow to zero.
        f = 0.0;
        e = 0;
    } else if e < -14 {
        // Subnormal.
        f = ldexp(f, 14 + e);
        e = 0;
    } else {
        e += 15;
        f -= 1.0;
    }
    f *= 1024.0;
    // f < 1024 here, so the truncation keeps the integer part.
    let mut bits = f as u16;
    let rest = f - f64::from(bits);
    if rest > 0.5 || (rest == 0.5 && bits % 2 == 1) {
        bits += 1;
        if bits == 1024 {
            bits = 0;
            e += 1;
            if e == 31 {
                return None;
            }
        }
    }
    // 0 <= e <= 30 here.
    Some((sign << 15) | ((e as u16) << 10) | bits)
}

/// The value of IEEE half-precision bits (CPython's `PyFloat_Unpack2`).
pub(crate) fn f16_value(h: u16) -> f64 {
    let negative = h & 0x8000 != 0;
    let e = i32::from((h >> 10) & 0x1f);
    let f = h & 0x3ff;
    let magnitude = if e == 0x1f {
        if f == 0 {
            f64::INFINITY
        } else {
            f64::NAN
        }
    } else if e == 0 {
        ldexp(f64::from(f) / 1024.0, -14)
    } else {
        ldexp(f64::from(f) / 1024.0 + 1.0, e - 15)
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Splits a finite positive `x` into `f * 2^e` with `0.5 <= f < 1`.
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(x * f64::from_bits(0x4350_0000_0000_0000)); // 2^54
        return (f, e - 54);
    }
    let f = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (f, exp - 1022)
}

/// `x * 2^e` for `-1022 <= e <= 1023`, exact unless the result is
/// subnormal (never for the ranges used here).
fn ldexp(x: f64, e: i32) -> f64 {
    // 2^e, built from its exponent bits; the clamp keeps the bits valid.
    let biased = (e.clamp(-1022, 1023) + 1023) as u64;
    x * f64::from_bits(biased << 52)
}
