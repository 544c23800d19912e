//! Arguments of `tether send`.

use clap::Args;

/// `tether send` (being written).
#[derive(Args, Debug)]
pub struct SendArgs {}
