//! Showing the manifest to the receiving user, and asking.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};

use tether_copy::name::{sanitize, top};
use tether_copy::wire::{Entry, EntryKind, UNKNOWN_SIZE};

use crate::output::units::human_bytes;

/// Top-level names shown before "and N more".
const SHOW_TOP: usize = 5;

/// One line: count, size, top-level names (sanitised).
pub fn describe(entries: &[Entry], total: u64) -> String {
    let files = entries.iter().filter(|e| e.kind == EntryKind::File).count();
    let unknown = entries.iter().any(|e| e.size == UNKNOWN_SIZE);
    let mut tops = BTreeSet::new();
    for e in entries {
        let t = top(&e.name);
        let is_dir = e.kind == EntryKind::Dir || t.len() < e.name.len();
        tops.insert(if is_dir {
            format!("{}/", sanitize(t))
        } else {
            sanitize(t)
        });
    }
    let mut names: Vec<String> = tops.iter().take(SHOW_TOP).cloned().collect();
    if tops.len() > SHOW_TOP {
        names.push(format!("and {} more", tops.len() - SHOW_TOP));
    }
    let size = if unknown {
        "a stream of unknown size".to_owned()
    } else {
        human_bytes(total)
    };
    format!(
        "{} {}, {size}: {}",
        group(files as u64),
        if files == 1 { "file" } else { "files" },
        names.join(", ")
    )
}

/// `1,204`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Shows the manifest on stderr; on a terminal, asks unless `yes`.
pub fn manifest(entries: &[Entry], total: u64, yes: bool) -> bool {
    let line = describe(entries, total);
    if yes || !std::io::stdin().is_terminal() {
        eprintln!("receiving {line}");
        return true;
    }
    eprint!("receive {line}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "Yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_and_sanitises() {
        let e = |kind, name: &str, size| Entry {
            kind,
            name: name.into(),
            mode: 0o644,
            mtime_s: 0,
            mtime_ns: 0,
            size,
        };
        let entries = vec![
            e(EntryKind::Dir, "photos", 0),
            e(EntryKind::File, "photos/a.jpg", 1024),
            e(EntryKind::File, "notes\u{1b}[2J.txt", 1024),
        ];
        assert_eq!(
            describe(&entries, 2048),
            "2 files, 2.0 KiB: notes\\u{1b}[2J.txt, photos/"
        );
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(12), "12");
    }
}
