//! The record format: arbitrary format strings must parse or fail cleanly,
//! and a parsed format must unpack arbitrary bytes without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_proto::Record;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (format, bytes) = data.split_at(split);
    let Ok(format) = std::str::from_utf8(format) else {
        return;
    };
    if format.len() > 64 {
        return;
    }
    let Ok(record) = Record::new(format) else {
        return;
    };
    let bytes = bytes.get(1..).unwrap_or_default();
    if let Ok(values) = record.unpack_from(bytes, 0) {
        let _ = values.to_string();
        if let Ok(packed) = record.pack(&values.0) {
            assert_eq!(packed.len(), record.size());
        }
    }
});
