//! One JSON object per message, for a program (`--json | jq`).

use std::time::SystemTime;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value as Json};
use tether::{Value, Values};

/// A received message as `tether listen --json` prints it.
///
/// `encoding` says how `payload` is written: `utf-8` (the text itself) or
/// `base64`. `fields` appears with `--format`: the record's values, bytes
/// fields as text when they are UTF-8 and `{"base64": ...}` otherwise;
/// `error` says why a message did not decode.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    /// Receive time, RFC 3339 in UTC with microseconds.
    pub time: String,
    /// Who sent it: `127.0.0.1:51544`, `[::1]:40000`, `unix#3`.
    pub peer: &'a str,
    /// Connection number, from 1 (absent for UDP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conn: Option<u64>,
    /// Payload size in bytes.
    pub size: usize,
    /// `utf-8` or `base64`.
    pub encoding: &'static str,
    /// The payload.
    pub payload: String,
    /// Decoded record fields, with `--format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Json>>,
    /// Why the message is not a record of the format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl<'a> Message<'a> {
    /// The JSON form of one message received at `time`.
    pub fn new(time: SystemTime, peer: &'a str, conn: Option<u64>, payload: &[u8]) -> Self {
        let (encoding, payload_text) = match std::str::from_utf8(payload) {
            Ok(text) => ("utf-8", text.to_owned()),
            Err(_) => ("base64", base64_text(payload)),
        };
        Message {
            time: humantime::format_rfc3339_micros(time).to_string(),
            peer,
            conn,
            size: payload.len(),
            encoding,
            payload: payload_text,
            fields: None,
            error: None,
        }
    }
}

fn base64_text(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The JSON form of a record's values.
pub fn fields(values: &Values) -> Vec<Json> {
    values.iter().map(field).collect()
}

/// One value: integers as numbers (as strings beyond 64 bits, where JSON
/// readers lose precision anyway), floats as numbers (`"nan"`, `"inf"`,
/// `"-inf"` as strings), bools, bytes as text or `{"base64": ...}`.
pub fn field(value: &Value) -> Json {
    match value {
        Value::Int(i) => {
            if let Ok(v) = i64::try_from(*i) {
                Json::from(v)
            } else if let Ok(v) = u64::try_from(*i) {
                Json::from(v)
            } else {
                Json::from(i.to_string())
            }
        }
        Value::Bool(b) => Json::from(*b),
        Value::Float(x) if x.is_finite() => Json::from(*x),
        Value::Float(x) if x.is_nan() => Json::from("nan"),
        Value::Float(x) if *x > 0.0 => Json::from("inf"),
        Value::Float(_) => Json::from("-inf"),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) => Json::from(text),
            Err(_) => json!({ "base64": base64_text(b) }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_text_or_base64() {
        let m = Message::new(SystemTime::UNIX_EPOCH, "p", Some(1), b"hi");
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["encoding"], "utf-8");
        assert_eq!(v["payload"], "hi");
        assert_eq!(v["time"], "1970-01-01T00:00:00.000000Z");
        let m = Message::new(SystemTime::UNIX_EPOCH, "p", None, &[0xff, 0]);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["encoding"], "base64");
        assert_eq!(v["payload"], "/wA=");
        assert!(v.get("conn").is_none());
    }

    #[test]
    fn fields_map_to_json_kinds() {
        let values = Values(vec![
            Value::Int(-1),
            Value::Int(i128::from(u64::MAX) + 1),
            Value::Bool(true),
            Value::Float(2.5),
            Value::Float(f64::NAN),
            Value::Bytes(b"ab".to_vec()),
            Value::Bytes(vec![0xff]),
        ]);
        assert_eq!(
            Json::from(fields(&values)),
            json!([-1, "18446744073709551616", true, 2.5, "nan", "ab", {"base64": "/w=="}])
        );
    }
}
