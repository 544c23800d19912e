//! Arguments of `tether listen`.

use clap::Args;

/// `tether listen` (being written).
#[derive(Args, Debug)]
pub struct ListenArgs {}
