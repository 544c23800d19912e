//! `tether listen` (being written).

use crate::cli::ListenArgs;

/// Runs `tether listen`.
pub fn run(_args: ListenArgs) -> anyhow::Result<()> {
    anyhow::bail!("tether listen is not built yet")
}
