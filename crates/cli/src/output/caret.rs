//! Record formats from the command line, with errors that point at the
//! offending character.

use tether::{Record, RecordError};

/// Parses `--format FMT`; a bad format becomes an error naming the flag
/// with a caret under the character at fault.
pub fn parse_format(format: &str) -> anyhow::Result<Record> {
    Record::new(format).map_err(|e| anyhow::anyhow!("{}", explain(format, &e)))
}

/// `invalid --format: bad character 'x' ...`, then the format and a caret
/// under the character the error names, when it names one.
pub fn explain(format: &str, error: &RecordError) -> String {
    let position = match error {
        RecordError::BadChar { position, .. }
        | RecordError::MissingCode { position, .. }
        | RecordError::NativeOnly { position, .. }
        | RecordError::MisplacedByteOrder { position, .. } => Some(*position),
        _ => None,
    };
    let mut out = format!("invalid --format: {error}");
    if let Some(position) = position {
        out.push_str("\n  ");
        out.push_str(format);
        out.push_str("\n  ");
        out.extend(std::iter::repeat(' ').take(position));
        out.push('^');
    }
    out
}
