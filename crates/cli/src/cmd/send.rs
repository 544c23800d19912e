//! `tether send` (being written).

use crate::cli::SendArgs;

/// Runs `tether send`.
pub fn run(_args: SendArgs) -> anyhow::Result<()> {
    anyhow::bail!("tether send is not built yet")
}
