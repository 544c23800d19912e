//! `tether bench` (being written).

use crate::cli::BenchArgs;

/// Runs `tether bench`.
pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("tether bench is not built yet")
}
