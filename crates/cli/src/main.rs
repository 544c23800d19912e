//! The `tether` command line tool.

use clap::Parser;

/// Move messages between programs with the least delay, and measure it.
#[derive(Parser, Debug)]
#[command(name = "tether", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
