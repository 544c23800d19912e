//! Payload rendering for a person: text when the bytes are text, hex when
//! they are not, cut to a width with the rest counted.

use std::fmt::Write as _;

/// How to show a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Text if the bytes are printable UTF-8, hex otherwise.
    #[default]
    Auto,
    /// Always hex.
    Hex,
    /// Always text; bytes that are not UTF-8 (and control bytes) as `\xNN`.
    Text,
}

impl Mode {
    /// The mode chosen by `--hex` / `--text`.
    pub fn from_flags(hex: bool, text: bool) -> Self {
        match (hex, text) {
            (true, _) => Mode::Hex,
            (_, true) => Mode::Text,
            _ => Mode::Auto,
        }
    }
}

/// True when `payload` reads as text: UTF-8 with no control characters but
/// tab, newline and carriage return.
pub fn is_text(payload: &[u8]) -> bool {
    std::str::from_utf8(payload).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
    })
}

/// Renders `payload` on one line, showing at most `max` bytes of it (0 for
/// all); a cut payload ends with `… +N B`, the bytes not shown.
pub fn render(payload: &[u8], mode: Mode, max: usize) -> String {
    let mut out = String::new();
    render_into(&mut out, payload, mode, max);
    out
}

/// [`render`], appending to `out` (so a printer can reuse one buffer).
pub fn render_into(out: &mut String, payload: &[u8], mode: Mode, max: usize) {
    let hex = match mode {
        Mode::Hex => true,
        Mode::Text => false,
        Mode::Auto => !is_text(payload),
    };
    let shown = if max == 0 || payload.len() <= max {
        payload
    } else if hex {
        &payload[..max]
    } else {
        // Cut at a character boundary so the text stays valid.
        let mut end = max;
        while end > 0 && end < payload.len() && (payload[end] & 0xC0) == 0x80 {
            end -= 1;
        }
        &payload[..end]
    };
    if hex {
        push_hex(out, shown);
    } else {
        push_text(out, shown);
    }
    if shown.len() < payload.len() {
        let _ = write!(out, " … +{} B", payload.len() - shown.len());
    }
}

/// Bytes as `00 01 ff`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// Text with line breaks, tabs and other control characters escaped (so a
/// message stays on one line) and bytes that are not UTF-8 as `\xNN`.
pub fn push_text(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_text_and_binary_becomes_hex() {
        assert_eq!(render(b"Hello, World!", Mode::Auto, 64), "Hello, World!");
        assert_eq!(render(&[0, 1, 1, 0], Mode::Auto, 64), "00 01 01 00");
        assert_eq!(render(b"a\nb", Mode::Auto, 64), "a\\nb");
        assert_eq!(render(b"ab", Mode::Hex, 64), "61 62");
        assert_eq!(render(b"a\xffb\x01", Mode::Text, 64), "a\\xffb\\u{1}");
    }

    #[test]
    fn long_payloads_are_cut_with_the_rest_counted() {
        assert_eq!(render(&[b'x'; 10], Mode::Auto, 4), "xxxx … +6 B");
        assert_eq!(render(&[7; 10], Mode::Auto, 2), "07 07 … +8 B");
        // "é" is two bytes: never cut inside it.
        assert_eq!(render("aé".as_bytes(), Mode::Auto, 2), "a … +2 B");
        assert_eq!(render(&[b'x'; 10], Mode::Auto, 0), "xxxxxxxxxx");
    }
}
