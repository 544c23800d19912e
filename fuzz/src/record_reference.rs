//! A reference reader of `struct` records with standard sizes (formats
//! that start with `<`, `>`, `!` or `=`), written from the table in
//! Python's documentation: no alignment, fixed sizes, one rule per code.

use tether_proto::Value;

/// Size and values of `data` read as `format`, or `None` when `format` is
/// not a standard-size format this reference reads (or not valid at all).
/// `data` must be the record's size: `Some((size, None))` otherwise.
pub fn unpack(format: &str, data: &[u8]) -> Option<(usize, Option<Vec<Value>>)> {
    let (little, body) = match format.as_bytes().first()? {
        b'<' => (true, &format[1..]),
        b'>' | b'!' => (false, &format[1..]),
        b'=' => (cfg!(target_endian = "little"), &format[1..]),
        _ => return None,
    };
    let items = parse(body)?;
    let size = items.iter().try_fold(0usize, |sum, &(count, code)| {
        sum.checked_add(count.checked_mul(item_size(code)?)?)
    })?;
    if size > isize::MAX as usize {
        return None;
    }
    if data.len() != size {
        return Some((size, None));
    }
    let mut values = Vec::new();
    let mut at = 0;
    for (count, code) in items {
        match code {
            b'x' => at += count,
            b's' => {
                values.push(Value::Bytes(data[at..at + count].to_vec()));
                at += count;
            }
            b'p' => {
                let field = &data[at..at + count];
                let text = match field.split_first() {
                    Some((&len, rest)) => rest[..usize::from(len).min(rest.len())].to_vec(),
                    None => Vec::new(),
                };
                values.push(Value::Bytes(text));
                at += count;
            }
            _ => {
                let n = item_size(code)?;
                for _ in 0..count {
                    values.push(read(code, &data[at..at + n], little));
                    at += n;
                }
            }
        }
    }
    Some((size, Some(values)))
}

/// (count, code) pairs; `None` for a bad character, a count with no code
/// after it, or a count too large.
fn parse(body: &str) -> Option<Vec<(usize, u8)>> {
    let bytes = body.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if b" \t\n\r\x0b\x0c".contains(&bytes[i]) {
            i += 1;
            continue;
        }
        let mut count: Option<usize> = None;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            let digit = usize::from(bytes[i] - b'0');
            count = Some(count.unwrap_or(0).checked_mul(10)?.checked_add(digit)?);
            i += 1;
        }
        let code = *bytes.get(i)?;
        item_size(code)?;
        items.push((count.unwrap_or(1), code));
        i += 1;
    }
    Some(items)
}

/// Bytes per item of a standard-size code (per byte for `x`, `s`, `p`).
fn item_size(code: u8) -> Option<usize> {
    Some(match code {
        b'x' | b'c' | b'b' | b'B' | b'?' | b's' | b'p' => 1,
        b'h' | b'H' | b'e' => 2,
        b'i' | b'I' | b'l' | b'L' | b'f' => 4,
        b'q' | b'Q' | b'd' => 8,
        _ => return None,
    })
}

/// One item of a number, bool or char code.
fn read(code: u8, bytes: &[u8], little: bool) -> Value {
    let mut ordered = bytes.to_vec();
    if !little {
        ordered.reverse();
    }
    // Now little-endian: byte k is worth 256^k.
    let unsigned = ordered
        .iter()
        .rev()
        .fold(0u128, |acc, &b| acc * 256 + u128::from(b));
    let bits = 8 * bytes.len() as u32;
    let signed = if unsigned >> (bits - 1) == 1 {
        unsigned as i128 - (1i128 << bits)
    } else {
        unsigned as i128
    };
    match code {
        b'c' => Value::Bytes(bytes.to_vec()),
        b'?' => Value::Bool(unsigned != 0),
        b'b' | b'h' | b'i' | b'l' | b'q' => Value::Int(signed),
        b'e' => Value::Float(half(unsigned as u16)),
        b'f' => Value::Float(f64::from(f32::from_bits(unsigned as u32))),
        b'd' => Value::Float(f64::from_bits(unsigned as u64)),
        _ => Value::Int(unsigned as i128),
    }
}

/// IEEE 754 half precision: sign, 5 exponent bits (bias 15), 10 fraction
/// bits; exponent 0 is subnormal, 31 is infinity or NaN.
fn half(h: u16) -> f64 {
    let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let fraction = f64::from(h & 0x3ff);
    sign * match exponent {
        0 => fraction / 1024.0 * 2f64.powi(-14),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + fraction / 1024.0) * 2f64.powi(e - 15),
    }
}
