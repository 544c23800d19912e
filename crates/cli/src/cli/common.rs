//! Option types the subcommands share: framing, durations and sizes.

use std::ffi::OsStr;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use tether::Framing;

/// A framing as the user names it: like [`Framing`], but `fixed` may leave
/// the size to `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingArg {
    /// 4-byte big-endian length prefix.
    Length,
    /// Newline-terminated lines.
    Line,
    /// Records of a fixed size: given, or taken from `--format`.
    Fixed(Option<NonZeroUsize>),
    /// No framing.
    Raw,
}

impl FromStr for FramingArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "length" => Ok(Self::Length),
            "line" => Ok(Self::Line),
            "raw" => Ok(Self::Raw),
            "fixed" => Ok(Self::Fixed(None)),
            "fixed:0" => Err("fixed:N needs N of at least 1 (the record size in bytes)".to_owned()),
            _ => match s.parse::<Framing>() {
                Ok(Framing::Fixed(n)) => Ok(Self::Fixed(Some(n))),
                _ => Err(format!(
                    "{s:?} is not a framing: use length, line, raw, fixed (with --format) or fixed:N"
                )),
            },
        }
    }
}

impl FramingArg {
    /// The framing to use, given the record size of `--format` if any.
    pub fn resolve(self, record_size: Option<usize>) -> anyhow::Result<Framing> {
        Ok(match self {
            Self::Length => Framing::Length,
            Self::Line => Framing::Line,
            Self::Raw => Framing::Raw,
            Self::Fixed(Some(n)) => Framing::Fixed(n),
            Self::Fixed(None) => {
                let size = record_size.ok_or_else(|| {
                    anyhow::anyhow!(
                        "--framing fixed needs --format FMT (records of its size) or a size, as fixed:12"
                    )
                })?;
                let size = NonZeroUsize::new(size).ok_or_else(|| {
                    anyhow::anyhow!("--framing fixed needs a --format of at least one byte")
                })?;
                Framing::Fixed(size)
            }
        })
    }
}

/// Parses `10s`, `500ms`, `2m`, `1h30m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("{s:?} is not a duration of zero or more seconds"));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration ({e}); use e.g. 10s, 500ms, 2m"))
}

/// Parses `--framing`, and offers its values to help and shell completions
/// (`fixed:N` is accepted too).
#[derive(Debug, Clone, Copy)]
pub struct FramingParser;

impl TypedValueParser for FramingParser {
    type Value = FramingArg;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<FramingArg, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::raw(ErrorKind::InvalidUtf8, "--framing must be UTF-8"))?;
        text.parse()
            .map_err(|e: String| clap::Error::raw(ErrorKind::ValueValidation, format!("{e}\n")))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let values = [
            PossibleValue::new("length").help("4-byte big-endian length prefix"),
            PossibleValue::new("line").help("each \\n-terminated line"),
            PossibleValue::new("fixed").help("records of --format's size (or fixed:N bytes)"),
            PossibleValue::new("raw").help("each read is a message"),
        ];
        Some(Box::new(values.into_iter()))
    }
}

/// A message size limit: `16777216`, `64K`, `16M`, `16 MiB`.
pub fn parse_frame_len(s: &str) -> Result<usize, String> {
    let n = parse_size(s)?;
    usize::try_from(n).map_err(|_| format!("{s:?} is too large"))
}

/// `4`, `64K`, `64KiB`, `1M`, `1MiB`, `1G` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (examples: 4, 64K, 1MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4"), Ok(4));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1 g"), Ok(1 << 30));
        assert!(parse_size("x").is_err());
        assert!(parse_size("4T").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }

    #[test]
    fn the_default_frame_len_reads_as_the_library_constant() {
        assert_eq!(parse_frame_len("16 MiB"), Ok(tether::DEFAULT_MAX_FRAME_LEN));
        assert_eq!(parse_frame_len("32M"), Ok(32 << 20));
    }

    #[test]
    fn fixed_0_says_n_must_be_at_least_1() {
        let e = "fixed:0".parse::<FramingArg>().unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
    }
}
