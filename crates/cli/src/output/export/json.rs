//! The bench report as JSON (schema `tether-bench/1`, documented in
//! docs/cli-bench.md): pretty-printed, one newline at the end.

use std::path::PathBuf;

use tether_bench::Report;

use super::{write_bytes, Exporter, Target};

/// The JSON exporter.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter;

/// The report as the JSON text `--json` writes.
pub fn render(report: &Report) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}

impl Exporter for JsonExporter {
    fn export(&self, report: &Report, target: &Target) -> anyhow::Result<Vec<PathBuf>> {
        write_bytes(target, render(report)?.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Same keys, same strings, integers and flags; floats
    /// equal to the last bits a text round trip can lose.
    fn same(a: &Value, b: &Value, at: &str) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let kx: Vec<_> = x.keys().collect();
                let ky: Vec<_> = y.keys().collect();
                assert_eq!(kx, ky, "keys at {at}");
                for (k, v) in x {
                    same(v, &y[k], &format!("{at}.{k}"));
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "length at {at}");
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    same(v, w, &format!("{at}[{i}]"));
                }
            }
            (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= x.abs() * 1e-15, "{x} != {y} at {at}");
            }
            _ => assert_eq!(a, b, "at {at}"),
        }
    }

    /// The JSON of a real run reads back into the model and writes out the
    /// same document: the typed fields keep schema 1's strings.
    #[test]
    fn a_recorded_report_round_trips_to_the_same_document() {
        let text = include_str!("../../../tests/fixtures/bench-report.json");
        let report: Report = serde_json::from_str(text).unwrap();
        let again = render(&report).unwrap();
        assert!(again.ends_with("}\n"));
        let want: Value = serde_json::from_str(text).unwrap();
        let got: Value = serde_json::from_str(&again).unwrap();
        same(&want, &got, "");
    }
}
