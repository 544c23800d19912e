//! Arguments of `tether bench`.

use clap::Args;

/// `tether bench` (being written).
#[derive(Args, Debug)]
pub struct BenchArgs {}
