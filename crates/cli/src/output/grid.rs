//! Text tables: rows under headers, columns padded to their widest cell,
//! and the line under a table that says what it means.

/// Left or right alignment of a column.
#[derive(Clone, Copy, PartialEq)]
pub enum Align {
    /// Padded on the right.
    Left,
    /// Padded on the left.
    Right,
}

/// Lays out rows under headers, columns padded to their widest cell; a
/// column with no alignment given is right-aligned.
pub fn grid(out: &mut String, headers: &[&str], align: &[Align], rows: &[Vec<String>]) {
    let cols = headers.len();
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::from("  ");
        for (i, cell) in cells.iter().enumerate().take(cols) {
            let pad = " ".repeat(widths[i] - width(cell));
            let a = align.get(i).copied().unwrap_or(Align::Right);
            if a == Align::Left {
                text.push_str(cell);
                text.push_str(&pad);
            } else {
                text.push_str(&pad);
                text.push_str(cell);
            }
            text.push_str("  ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(
        out,
        &headers.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    for row in rows {
        line(out, row);
    }
}

/// One line on what a table means: `  => text`.
pub fn meaning(out: &mut String, text: &str) {
    out.push_str("  => ");
    out.push_str(text);
    out.push('\n');
}
