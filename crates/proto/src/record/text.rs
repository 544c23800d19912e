//! Reading values from command-line texts.

use super::format::{Field, Kind};
use super::{RecordError, Value};

/// Reads the text of value `index` for `field`.
pub(crate) fn parse_text(field: &Field, index: usize, text: &str) -> Result<Value, RecordError> {
    let bad = |expected: &'static str| RecordError::BadText {
        index,
        code: char::from(field.code),
        text: text.to_owned(),
        expected,
    };
    match field.kind {
        Kind::Int => parse_int(text.trim())
            .map(Value::Int)
            .ok_or_else(|| bad("an integer")),
        Kind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(bad("true, false, 1 or 0")),
        },
        Kind::Half | Kind::Float | Kind::FloatNative | Kind::Double => {
            // Rust's parser: "2.7", "-5", "1e-3", "inf", "-inf", "nan".
            text.trim()
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| bad("a number"))
        }
        Kind::Char | Kind::Str | Kind::Pascal => {
            let bytes = unescape(text)
                .ok_or_else(|| bad("text with \\xNN, \\\\, \\n, \\t or \\r escapes"))?;
            if field.kind == Kind::Char && bytes.len() != 1 {
                return Err(bad("exactly 1 byte"));
            }
            Ok(Value::Bytes(bytes))
        }
    }
}

/// An integer in decimal, or with a `0x`, `0o` or `0b` prefix, optionally
/// signed.
fn parse_int(t: &str) -> Option<i128> {
    let (negative, rest) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = rest.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0o") => (8, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        _ => (10, rest),
    };
    // from_str_radix would take a second sign.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    // Parse the magnitude as u128 so that i128::MIN reads too.
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if negative {
        0i128.checked_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// Text to bytes: UTF-8, with `\xNN`, `\\`, `\n`, `\t` and `\r` escapes.
fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next()? {
            b'\\' => out.push(b'\\'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'x' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                // Two hex digits make at most 0xff.
                out.push((hi * 16 + lo) as u8);
            }
            _ => return None,
        }
    }
    Some(out)
}
