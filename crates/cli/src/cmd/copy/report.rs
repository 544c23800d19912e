//! The summary after a copy: one line for a person, or `--json`.

use std::io::Write;

use serde_json::json;
use tether_copy::driver::Summary;

use super::ask::group;
use crate::output::units::fmt_bytes_per_s;
use crate::output::units::human_bytes;

/// Prints the summary: JSON on stdout (stderr when stdout carried the
/// data), or one line on stderr.
pub fn print(s: &Summary, json: bool, verbose: bool, stdout_is_data: bool) {
    let secs = s.seconds;
    let rate = if secs > 0.0 {
        s.bytes as f64 / secs
    } else {
        0.0
    };
    if json {
        let mut v = json!({
            "direction": if s.sent { "sent" } else { "received" },
            "files": s.files,
            "dirs": s.dirs,
            "bytes": s.bytes,
            "resumed_bytes": s.resumed_bytes,
            "skipped_files": s.skipped_files,
            "seconds": secs,
            "rate_bytes_per_s": rate,
            "aead": s.aead,
        });
        if verbose {
            let hashes: Vec<_> = s
                .hashes
                .iter()
                .map(|(name, h)| json!({"name": name, "blake3": if *h == [0; 32] { None } else { Some(hex(h)) }}))
                .collect();
            v["hashes"] = json!(hashes);
        }
        let text = v.to_string();
        if stdout_is_data {
            eprintln!("{text}");
        } else {
            let _ = writeln!(std::io::stdout(), "{text}");
        }
        return;
    }
    let mut line = format!(
        "done: {} {}, {} in {} s ({}), every file checked (BLAKE3)",
        group(s.files),
        if s.files == 1 { "file" } else { "files" },
        human_bytes(s.bytes),
        if secs < 10.0 {
            format!("{secs:.2}")
        } else {
            format!("{secs:.1}")
        },
        fmt_bytes_per_s(rate)
    );
    if s.resumed_bytes > 0 || s.skipped_files > 0 {
        line.push_str(&format!(
            "; {} resumed, {} already there",
            human_bytes(s.resumed_bytes),
            group(s.skipped_files)
        ));
    }
    eprintln!("{line}");
    if verbose {
        for (name, h) in &s.hashes {
            let h = if *h == [0; 32] {
                "(already there)".to_owned()
            } else {
                hex(h)
            };
            eprintln!("  {h}  {}", tether_copy::name::sanitize(name));
        }
    }
}

fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}
