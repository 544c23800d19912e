//! One line per message, for a person: peer, size, then the payload as
//! text, hex or a decoded record.

use std::fmt::Write as _;

use tether::{Record, Values};

use super::render::{self, Mode};

/// Size column: `13 B  `, `4 B   `, at least two spaces after the number.
fn push_size(out: &mut String, size: usize) {
    let start = out.len();
    let _ = write!(out, "{size} B");
    let width = (out.len() - start + 2).max(6);
    while out.len() - start < width {
        out.push(' ');
    }
}

/// `127.0.0.1:51544  13 B  Hello, World!`
pub fn message(peer: &str, payload: &[u8], mode: Mode, max_show: usize) -> String {
    let mut out = String::new();
    message_into(&mut out, peer, payload, mode, max_show);
    out
}

/// [`message`], appending to `out` (so a printer can reuse one buffer).
pub fn message_into(out: &mut String, peer: &str, payload: &[u8], mode: Mode, max_show: usize) {
    out.push_str(peer);
    out.push_str("  ");
    push_size(out, payload.len());
    render::render_into(out, payload, mode, max_show);
}

/// `127.0.0.1:51560  (1, b'ab', 2.700000047683716)`
pub fn record(peer: &str, values: &Values) -> String {
    format!("{peer}  {values}")
}

/// A message that is not a record of the format: shown in hex, with why.
pub fn not_a_record(
    peer: &str,
    payload: &[u8],
    record: &Record,
    error: &dyn std::fmt::Display,
) -> String {
    let mut out = message(peer, payload, Mode::Hex, 64);
    let _ = write!(out, "  (not a {:?} record: {error})", record.format());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_the_documented_layout() {
        assert_eq!(
            message("127.0.0.1:51544", b"Hello, World!", Mode::Auto, 64),
            "127.0.0.1:51544  13 B  Hello, World!"
        );
        assert_eq!(
            message("127.0.0.1:51550", &[0, 1, 1, 0], Mode::Auto, 64),
            "127.0.0.1:51550  4 B   00 01 01 00"
        );
        assert_eq!(
            message("p", &[b'x'; 600], Mode::Auto, 2),
            "p  600 B  xx … +598 B"
        );
    }
}
