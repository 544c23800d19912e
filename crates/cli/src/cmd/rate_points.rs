//! The rate-point arguments that `tether bench` and `tether bench
//! --languages` share, checked once.

use std::time::Duration;

use anyhow::bail;
use tether::DEFAULT_MAX_FRAME_LEN;

use crate::cli::BenchArgs;
use crate::output::units::size_label;

/// A size argument as a payload length, if it is within the frame limit.
pub(crate) fn frame_size(n: u64) -> Option<usize> {
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= DEFAULT_MAX_FRAME_LEN)
}

/// `--sizes`, `--total` and `--max-time`, checked: the rate points of both
/// the bench plan and the languages plan.
pub(crate) struct RatePoints {
    sizes: Option<Vec<usize>>,
    total: Option<u64>,
    max_time: Option<Duration>,
}

impl RatePoints {
    /// Checks the arguments (sizes within the frame limit, a total of at
    /// least one byte); sizes come sorted and without repeats.
    pub(crate) fn of(args: &BenchArgs) -> anyhow::Result<RatePoints> {
        let limit = size_label(DEFAULT_MAX_FRAME_LEN);
        let sizes = if args.sizes.is_empty() {
            None
        } else {
            let mut sizes = Vec::with_capacity(args.sizes.len());
            for &s in &args.sizes {
                match frame_size(s) {
                    Some(n) if n > 0 => sizes.push(n),
                    _ => bail!("--sizes: {s} is not between 1 byte and the {limit} frame limit"),
                }
            }
            sizes.sort_unstable();
            sizes.dedup();
            Some(sizes)
        };
        if args.total == Some(0) {
            bail!("--total must be at least 1 byte");
        }
        Ok(RatePoints {
            sizes,
            total: args.total,
            max_time: args.max_time.map(Duration::from_secs_f64),
        })
    }

    /// Overrides the plan's defaults with what was given.
    pub(crate) fn apply(self, sizes: &mut Vec<usize>, total: &mut u64, max_time: &mut Duration) {
        if let Some(s) = self.sizes {
            *sizes = s;
        }
        if let Some(t) = self.total {
            *total = t;
        }
        if let Some(t) = self.max_time {
            *max_time = t;
        }
    }
}
