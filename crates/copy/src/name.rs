//! Names from the peer: the rules they must keep, and how to show them.

/// Longest name in the manifest, in bytes.
pub const MAX_NAME_LEN: usize = 4096;

/// The suffix of a file being received.
pub const PART_SUFFIX: &str = ".tether-part";

/// Checks a manifest name: relative, `/`-separated, no empty, `.` or `..`
/// component, no NUL or control character, not ending in [`PART_SUFFIX`].
/// Returns the rule broken.
pub fn check(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty name");
    }
    if name.starts_with('/') {
        return Err("absolute path");
    }
    if name.len() > MAX_NAME_LEN {
        return Err("name too long");
    }
    if name.chars().any(is_control) {
        return Err("control character in name");
    }
    if name.contains('\\') {
        return Err("backslash in name");
    }
    for part in name.split('/') {
        match part {
            "" => return Err("empty path component"),
            "." | ".." => return Err("`.` or `..` component"),
            p if p.len() > 255 => return Err("component longer than 255 bytes"),
            _ => {}
        }
    }
    if name.ends_with(PART_SUFFIX) {
        return Err("name ends in .tether-part");
    }
    Ok(())
}

/// Characters a terminal could act on: C0, DEL, C1, and the bidirectional
/// overrides that reorder what is shown.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A name made safe to print: control characters escaped (`\u{1b}`).
pub fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if is_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first component of a name (its top-level entry).
pub fn top(name: &str) -> &str {
    name.split('/').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            "../x",
            "/etc/x",
            "a/../../x",
            "a/./b",
            "a//b",
            "",
            "a/",
            "x\u{1b}[2J",
            "nul\0",
            "a\\..\\b",
            "f.tether-part",
            "\u{202e}txt.exe",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for good in [
            "a",
            "a b/ü.txt",
            "photos/2024/IMG 1.jpg",
            "..a",
            "a..",
            ".hidden",
        ] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn sanitize_escapes_what_a_terminal_would_obey() {
        assert_eq!(sanitize("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(sanitize("ü ok"), "ü ok");
    }
}
