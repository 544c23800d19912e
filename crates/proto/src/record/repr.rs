//! Python's `repr` of floats and bytes.

use std::fmt::{self, Write as _};

/// Formats an `f64` as Python's `repr(float)` does: the shortest digits
/// that read back to the same value, in fixed notation for decimal
/// exponents from -4 to 15 (`0.0001`, `1e+16`, `1e-05`), always with a
/// `.0` or a fractional part in fixed notation; `inf`, `-inf`, `nan`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PyFloat(pub(crate) f64);

impl fmt::Display for PyFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("nan");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        let mut buf = [0u8; 24];
        let (digits, exp) = shortest(x.abs(), &mut buf)?;
        let negative = x.is_sign_negative();
        // Position of the decimal point relative to the digits, as dtoa's
        // `decpt`: value = 0.DIGITS * 10^decpt.
        let decpt = i64::from(exp) + 1;
        if negative {
            f.write_char('-')?;
        }
        if decpt <= -4 || decpt > 16 {
            let (first, rest) = digits.split_at(1);
            f.write_str(first)?;
            if !rest.is_empty() {
                f.write_char('.')?;
                f.write_str(rest)?;
            }
            let e = decpt - 1;
            let sign = if e < 0 { '-' } else { '+' };
            write!(f, "e{sign}{:02}", e.unsigned_abs())
        } else if decpt <= 0 {
            f.write_str("0.")?;
            for _ in 0..(-decpt) {
                f.write_char('0')?;
            }
            f.write_str(digits)
        } else {
            // 1 <= decpt <= 16, so the cast cannot truncate.
            let point = decpt as usize;
            if point >= digits.len() {
                f.write_str(digits)?;
                for _ in digits.len()..point {
                    f.write_char('0')?;
                }
                f.write_str(".0")
            } else {
                let (int, frac) = digits.split_at(point);
                f.write_str(int)?;
                f.write_char('.')?;
                f.write_str(frac)
            }
        }
    }
}

/// The shortest decimal digits that read back as the finite `x >= 0`, and
/// the decimal exponent of the first: `x = D.DDD * 10^exp`. As Python's
/// `repr` (dtoa mode 0), among the shortest strings the closest to `x` is
/// taken, and an exact tie goes to the even last digit.
fn shortest(x: f64, buf: &mut [u8; 24]) -> Result<(&str, i32), fmt::Error> {
    // Rust's `{:e}` gives the shortest round-trip digits, closest to `x`
    // among them, but breaks exact ties upwards: "1e16", "2.5e-7", "0e0".
    let mut sci = String::with_capacity(32);
    write!(sci, "{x:e}")?;
    let (mantissa, exp) = sci.split_once('e').ok_or(fmt::Error)?;
    let mut exp: i32 = exp.parse().map_err(|_| fmt::Error)?;
    let mut n = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        *buf.get_mut(n).ok_or(fmt::Error)? = b;
        n += 1;
    }
    let d: u64 = std::str::from_utf8(&buf[..n])
        .map_err(|_| fmt::Error)?
        .parse()
        .map_err(|_| fmt::Error)?;
    // d * 10^unit is the value of the digits.
    let unit = i64::from(exp) - (n as i64 - 1);
    if d % 2 == 1 {
        // Is x exactly halfway to a neighbour, which ends in an even digit?
        let other = if is_exactly(x, 10 * d - 5, unit - 1) {
            d - 1
        } else if is_exactly(x, 10 * d + 5, unit - 1) {
            d + 1
        } else {
            0
        };
        if other != 0 {
            let mut text = String::with_capacity(24);
            write!(text, "{other}e{unit}")?;
            if text.parse::<f64>() == Ok(x) {
                let mut digits = [0u8; 24];
                let mut len = 0;
                write!(Cursor(&mut digits, &mut len), "{other}")?;
                let new_exp = unit + len as i64 - 1;
                while len > 1 && digits[len - 1] == b'0' {
                    len -= 1;
                }
                buf[..len].copy_from_slice(&digits[..len]);
                n = len;
                exp = i32::try_from(new_exp).map_err(|_| fmt::Error)?;
            }
        }
    }
    let digits = std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?;
    Ok((digits, exp))
}

/// Writes into a fixed buffer.
struct Cursor<'a>(&'a mut [u8; 24], &'a mut usize);

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = *self.1 + s.len();
        self.0
            .get_mut(*self.1..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        *self.1 = end;
        Ok(())
    }
}

/// Whether the finite `x > 0` equals `big * 10^k` exactly.
fn is_exactly(x: f64, big: u64, k: i64) -> bool {
    if big == 0 {
        return false;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), biased - 1075)
    };
    if m == 0 {
        return false;
    }
    // x = odd_m * 2^(e + tm); big * 10^k = odd_big * 5^k * 2^(k + tb).
    let (tm, tb) = (
        i64::from(m.trailing_zeros()),
        i64::from(big.trailing_zeros()),
    );
    let (odd_m, odd_big) = (m >> tm, big >> tb);
    if e + tm != k + tb {
        return false;
    }
    let Ok(power) = u32::try_from(k.unsigned_abs()) else {
        return false;
    };
    let Some(five) = 5u64.checked_pow(power) else {
        return false;
    };
    if k >= 0 {
        odd_big.checked_mul(five) == Some(odd_m)
    } else {
        odd_m.checked_mul(five) == Some(odd_big)
    }
}

/// Writes Python's `repr(bytes)`: `b'..'`, or `b".."` when the bytes hold a
/// `'` and no `"`; escapes `\\`, the quote in use, `\t`, `\n`, `\r`, and
/// `\xNN` for other bytes below 0x20 or from 0x7f.
pub(crate) fn write_bytes_repr(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    f.write_char('b')?;
    f.write_char(char::from(quote))?;
    for &b in bytes {
        match b {
            b'\\' => f.write_str("\\\\")?,
            b'\t' => f.write_str("\\t")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            _ if b == quote => {
                f.write_char('\\')?;
                f.write_char(char::from(b))?;
            }
            0x20..=0x7e => f.write_char(char::from(b))?,
            _ => write!(f, "\\x{b:02x}")?,
        }
    }
    f.write_char(char::from(quote))
}
