//! Target `record`: arbitrary format strings parse or fail cleanly; a
//! standard-size format parses exactly when the reference reader reads it,
//! to the same size, and unpacks any bytes to the same values; every
//! unpacked record packs back to the same bytes, also in place at any
//! offset of a larger buffer.

use tether_proto::{Record, Value};

use crate::record_reference;

/// Longest format tried: longer ones only repeat what short ones reach.
const MAX_FORMAT: usize = 64;

/// Input: the format, a 0 byte, one offset byte, then the record's bytes.
pub fn check(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (format, rest) = data.split_at(split);
    let Ok(format) = std::str::from_utf8(format) else {
        return;
    };
    if format.len() > MAX_FORMAT {
        return;
    }
    let (offset, bytes) = match rest.get(1..) {
        Some([offset, bytes @ ..]) => (usize::from(*offset), bytes),
        _ => (0, &[][..]),
    };
    let parsed = Record::new(format);
    let record = match (&parsed, format.len() <= 32) {
        (Ok(record), _) => record,
        (Err(_), true) => {
            // Short enough that a huge count is unlikely: a format the
            // reference reads is one tether must read.
            assert!(
                record_reference::unpack(format, &[]).is_none(),
                "{format:?}: {parsed:?}"
            );
            return;
        }
        (Err(_), false) => return,
    };
    let size = record.size();
    let data = bytes.get(..size).unwrap_or(bytes);
    let unpacked = record.unpack(data);
    if let Some((ref_size, ref_values)) = record_reference::unpack(format, data) {
        assert_eq!(size, ref_size, "{format:?}");
        match (&unpacked, ref_values) {
            (Ok(values), Some(want)) => {
                assert!(same(values, &want), "{format:?}: {values} vs {want:?}")
            }
            (Err(_), None) => {}
            (got, want) => panic!("{format:?} on {data:?}: {got:?} vs {want:?}"),
        }
    }
    let Ok(values) = unpacked else {
        return;
    };
    let _ = values.to_string();
    let Ok(packed) = record.pack(&values) else {
        // `e`, `f` with standard sizes: NaN payloads and such still pack;
        // nothing unpacked is out of range.
        panic!("{format:?}: unpacked {values} does not pack");
    };
    assert_eq!(packed.len(), size);
    assert!(record
        .unpack(&packed)
        .is_ok_and(|again| same(&again, &values)));
    // In place, at an offset of a larger buffer: the same bytes, nothing
    // around them touched, and unpack_from reads them back.
    let mut buf = vec![0xa5u8; offset + size + 3];
    if let Err(e) = record.pack_at(&mut buf, offset, &values) {
        panic!("{format:?}: pack_at {offset}: {e}");
    }
    assert_eq!(&buf[offset..offset + size], &packed[..]);
    assert!(buf[..offset]
        .iter()
        .chain(&buf[offset + size..])
        .all(|&b| b == 0xa5));
    let back = record.unpack_from(&buf, offset);
    assert!(back.is_ok_and(|again| same(&again, &values)));
    // Python's negative offsets: -k is len - k.
    let from_end = isize::try_from(buf.len() - offset).map(|k| -k);
    if let Ok(negative) = from_end {
        assert_eq!(
            record.unpack_span(buf.len(), negative),
            Ok(offset..offset + size)
        );
    }
}

/// Equal values, floats compared bit for bit (NaN payloads included).
fn same(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Value::Float(x), Value::Float(y)) => {
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
            }
            (x, y) => x == y,
        })
}
