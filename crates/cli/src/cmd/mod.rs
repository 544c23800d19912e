//! One file per subcommand.

pub mod balls;
pub mod bench;
pub mod bridge;
pub mod broker_bench;
pub mod completions;
pub mod copy;
pub mod languages;
pub mod listen;
pub mod rate_points;
pub mod send;
