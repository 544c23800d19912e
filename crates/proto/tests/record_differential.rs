//! Differential tests of the record codec against CPython's `struct`.
//!
//! Random formats and values are packed by [`Record`] and by one long-lived
//! `python3` process (JSON lines over pipes, bytes as hex); the bytes, the
//! `repr` of the unpacked tuple, `calcsize` and which inputs are rejected
//! must all agree. Set `TETHER_PYTHON` to use another interpreter. A
//! missing interpreter fails the tests: they are not skipped.
//!
//! Not generated: `0p`, where CPython 3.11 writes out of bounds and cannot
//! unpack (see the `record` module docs).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Value as Json};
use tether_proto::{Record, Value};

mod record_cases;
use record_cases::*;

const HELPER: &str = r#"
import json, struct, sys

def value(v):
    kind, x = v
    if kind == "i":
        return int(x)
    if kind == "b":
        return bool(x)
    if kind == "f":
        return struct.unpack("<d", bytes.fromhex(x))[0]
    return bytes.fromhex(x)

def err(e):
    return "%s: %s" % (type(e).__name__, e)

print(json.dumps({"version": sys.version}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    out = {}
    try:
        s = struct.Struct(req["fmt"])
        out["size"] = s.size
    except Exception as e:
        out["fmt_error"] = err(e)
        print(json.dumps(out), flush=True)
        continue
    if "values" in req:
        try:
            packed = s.pack(*[value(v) for v in req["values"]])
            out["packed"] = packed.hex()
            out["repr"] = repr(s.unpack(packed))
        except Exception as e:
            out["pack_error"] = err(e)
    if "data" in req:
        try:
            out["data_repr"] = repr(s.unpack(bytes.fromhex(req["data"])))
        except Exception as e:
            out["data_error"] = err(e)
    print(json.dumps(out), flush=True)
"#;

struct Python {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    version: String,
}

impl Python {
    fn spawn() -> Python {
        let exe = std::env::var("TETHER_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let mut child = Command::new(&exe)
            .args(["-u", "-c", HELPER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {exe:?}: {e}. The record differential tests compare against \
                     CPython's struct module and need python3 on PATH (or TETHER_PYTHON set)"
                )
            });
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let hello: Json = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{exe:?} did not start the helper ({e}): {line:?}"));
        let version = hello["version"].as_str().unwrap().to_owned();
        Python {
            _child: child,
            stdin,
            stdout,
            version,
        }
    }

    fn ask(&mut self, request: &Json) -> Json {
        writeln!(self.stdin, "{request}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "python {} gave no answer ({e}) to {request}: {line:?}",
                self.version
            )
        })
    }
}

/// One CPython process for all the tests of this binary.
fn python(request: &Json) -> (Json, String) {
    static PYTHON: OnceLock<Mutex<Python>> = OnceLock::new();
    let mut py = PYTHON
        .get_or_init(|| Mutex::new(Python::spawn()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let answer = py.ask(request);
    (answer, py.version.clone())
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(["i", i.to_string()]),
        Value::Bool(b) => json!(["b", b]),
        Value::Float(x) => json!(["f", hex::encode(x.to_le_bytes())]),
        Value::Bytes(b) => json!(["y", hex::encode(b)]),
    }
}

/// Records up to this size are packed and unpacked; larger ones (formats
/// like `99999999x`) only have their size compared.
const MAX_PACKED: usize = 1 << 16;

/// Whether `format` has a `p` with a count of 0, which CPython 3.11 cannot
/// unpack.
fn has_zero_p(format: &str) -> bool {
    let b = format.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        if c != b'p' {
            return false;
        }
        let digits = b[..i]
            .iter()
            .rev()
            .take_while(|d| d.is_ascii_digit())
            .count();
        digits > 0 && b[i - digits..i].iter().all(|&d| d == b'0')
    })
}

/// Checks one case against CPython; returns whether packing succeeded.
fn check(case: &Case) -> Result<bool, TestCaseError> {
    let format = &case.format;
    let record = Record::new(format);
    let mut request = json!({ "fmt": format });
    let mut data = None;
    if let Ok(r) = &record {
        if r.size() <= MAX_PACKED {
            request["values"] = case.values.iter().map(to_json).collect();
            // Unpack arbitrary bytes too: '?' bytes other than 0 and 1,
            // Pascal lengths over the count, NaN payloads, subnormal halves.
            let bytes: Vec<u8> = case
                .data_seed
                .iter()
                .cycle()
                .take(r.size())
                .copied()
                .collect();
            if bytes.len() == r.size() {
                request["data"] = json!(hex::encode(&bytes));
                data = Some(bytes);
            }
        }
    }
    let (py, version) = python(&request);
    let ctx = format!(
        "format {format:?}, values {:?}, python {version}",
        case.values
    );
    let record = match (record, py.get("fmt_error")) {
        (Ok(r), None) => r,
        (Err(_), Some(_)) => return Ok(false),
        (Ok(r), Some(e)) => {
            return Err(TestCaseError::fail(format!(
                "Rust accepts {format:?} (size {}), Python rejects it: {e}",
                r.size()
            )))
        }
        (Err(e), None) => {
            return Err(TestCaseError::fail(format!(
                "Rust rejects {format:?} ({e}), Python accepts it"
            )))
        }
    };
    prop_assert_eq!(
        record.size() as u64,
        py["size"].as_u64().unwrap(),
        "calcsize, {}",
        ctx
    );
    if let Some(data) = data {
        check_unpack(&record, &data, &py, &ctx)?;
    }
    if request.get("values").is_none() {
        return Ok(false);
    }
    check_pack(&record, &case.values, &py, &ctx)
}

/// Unpacks `data` as CPython did (or as it failed to, for `0p`).
fn check_unpack(record: &Record, data: &[u8], py: &Json, ctx: &str) -> Result<(), TestCaseError> {
    let ours = record.unpack(data).unwrap().to_string();
    match py.get("data_error") {
        Some(e) => prop_assert!(
            has_zero_p(record.format()) && e.as_str().unwrap().starts_with("SystemError"),
            "Python cannot unpack {:?}: {}; {}",
            data,
            e,
            ctx
        ),
        None => prop_assert_eq!(
            &ours,
            py["data_repr"].as_str().unwrap(),
            "unpack of {:?}, {}",
            data,
            ctx
        ),
    }
    Ok(())
}

/// Packs `values` as CPython did, or fails where it failed; returns
/// whether packing succeeded.
fn check_pack(
    record: &Record,
    values: &[Value],
    py: &Json,
    ctx: &str,
) -> Result<bool, TestCaseError> {
    match (record.pack(values), py.get("pack_error")) {
        (Ok(bytes), None) => {
            prop_assert_eq!(
                hex::encode(&bytes),
                py["packed"].as_str().unwrap(),
                "pack, {}",
                ctx
            );
            let ours = record.unpack(&bytes).unwrap().to_string();
            prop_assert_eq!(&ours, py["repr"].as_str().unwrap(), "repr, {}", ctx);
            Ok(true)
        }
        (Err(_), Some(_)) => Ok(false),
        (Ok(bytes), Some(e)) => Err(TestCaseError::fail(format!(
            "Rust packs {}, Python fails: {e}; {ctx}",
            hex::encode(bytes)
        ))),
        (Err(e), None) => Err(TestCaseError::fail(format!(
            "Rust fails ({e}), Python packs {}; {ctx}",
            py["packed"]
        ))),
    }
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// Random formats and values: sizes, bytes, reprs and rejections agree.
    #[test]
    fn pack_and_unpack_match_cpython(case in case()) {
        check(&case)?;
    }
}

/// Characters formats are made of, and some they must not contain.
const FORMAT_CHARS: &str = "xcbB?hHiIlLqQnNefdspP@=<>!0123456789 \t\n\x0b yzZ#\0é-";

proptest! {
    #![proptest_config(config(1000))]

    /// Random strings: Rust and Python accept the same formats, with the
    /// same sizes.
    #[test]
    fn formats_are_accepted_and_rejected_as_cpython(
        chars in prop::collection::vec(prop::sample::select(FORMAT_CHARS.chars().collect::<Vec<_>>()), 0..10)
    ) {
        let format: String = chars.into_iter().collect();
        let case = Case { format, values: vec![], data_seed: vec![0] };
        check(&case)?;
    }
}

/// Every code under every prefix, with the edges of its range and just
/// past them.
#[test]
fn every_code_at_its_edges() {
    let mut packed = 0;
    for prefix in PREFIXES {
        let native = prefix.is_empty() || prefix == "@";
        for &code in CODES {
            let format = format!("{prefix}{}", char::from(code));
            let values: Vec<Vec<Value>> = match code {
                b'x' => vec![vec![]],
                b'c' => vec![vec![b"\0".into()], vec![b"\xff".into()], vec![b"".into()]],
                b's' => vec![vec![b"".into()], vec![b"ab".into()]],
                b'p' => vec![
                    vec![b"".into()],
                    vec![b"ab".into()],
                    vec![vec![7u8; 256].into()],
                ],
                b'?' => vec![vec![true.into()], vec![0.into()]],
                b'e' | b'f' | b'd' => [0.0, -0.0, 65504.0, 65520.0, 3.5e38, 1e300, f64::NAN]
                    .iter()
                    .map(|&x| vec![x.into()])
                    .collect(),
                _ => {
                    let (min, max) = int_range(code, native);
                    [min - 1, min, max, max + 1]
                        .iter()
                        .map(|&v| vec![v.into()])
                        .collect()
                }
            };
            for values in values {
                let case = Case {
                    format: format.clone(),
                    values,
                    data_seed: vec![0xa5, 0x01],
                };
                packed += usize::from(check(&case).unwrap());
            }
        }
    }
    assert!(packed > 100, "only {packed} cases packed");
}

/// Pascal strings whose length byte is capped by the count or by 255.
#[test]
fn long_pascal_strings() {
    for count in [1, 2, 255, 256, 257, 300] {
        for len in [0, 1, 254, 255, 256, 299, 300, 301] {
            let case = Case {
                format: format!("<{count}p"),
                values: vec![vec![b'a'; len].into()],
                data_seed: vec![0xff, b'z'],
            };
            assert!(check(&case).unwrap());
        }
    }
}

/// Formats at the size limit and around the grammar's corners.
#[test]
fn corner_formats() {
    for format in [
        "",
        "<",
        " ",
        " <i",
        "<i ",
        "i<",
        "<<",
        "3 i",
        "5",
        "<5",
        "5 ",
        "c0i",
        "b0s i",
        "<0n",
        "=P",
        "!N",
        ">n",
        "9223372036854775807x",
        "9223372036854775808x",
        "4611686018427387903h",
        "4611686018427387904h",
        "b9223372036854775807x",
        "9223372036854775807xi",
        "9223372036854775806xi",
        "9223372036854775800xi",
        "9223372036854775807c",
        "99999999999999999999999s",
        "i\0i",
        "é",
        "\x0bi\x0c",
        "\x1ci",
        "0p",
        "<b0p",
        "0px",
    ] {
        let case = Case {
            format: format.to_owned(),
            values: vec![],
            data_seed: vec![0],
        };
        check(&case).unwrap();
    }
    assert!(has_zero_p("<i 0p") && has_zero_p("00p") && !has_zero_p("10p p"));
}
