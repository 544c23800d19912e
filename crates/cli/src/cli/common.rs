//! Option types that `tether listen` and `tether send` share: framing
//! and durations.

use std::num::NonZeroUsize;
use std::str::FromStr;
use std::time::Duration;

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
