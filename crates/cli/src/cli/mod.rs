//! Command-line arguments (clap structs only; the work is in `cmd/`).

pub mod balls;
mod bench;
mod bridge;
mod common;
mod completions;
mod copy;
mod listen;
mod send;
mod target;

pub use balls::BallsArgs;
pub use bench::BenchArgs;
pub use bridge::BridgeArgs;
pub use completions::CompletionsArgs;
pub use copy::CopyArgs;
pub use listen::ListenArgs;
pub use send::SendArgs;
pub use target::Target;

use clap::{Parser, Subcommand};

/// Move messages between programs with the least delay, and measure it.
#[derive(Parser, Debug)]
#[command(
    name = "tether",
    version,
    propagate_version = true,
    after_help = "Examples:\n  tether bench                                   what each way of sending costs, on loopback\n  tether listen tcp://0.0.0.0:9000               print every message that arrives\n  tether send tcp://127.0.0.1:9000 \"Hello, World!\"\n  tether send tcp://127.0.0.1:9000 --format '!I 2s f' 1 ab 2.7"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Accept connections and print (or echo, or save) every message.
    Listen(ListenArgs),
    /// Connect and send messages, text, files or struct records.
    Send(SendArgs),
    /// Measure latency and rates of each way of sending, on loopback or
    /// against a remote `tether bench --server`.
    Bench(BenchArgs),
    /// Move messages between a link and a broker (nats://, mqtt://), or
    /// between two brokers.
    Bridge(BridgeArgs),
    /// Bounce balls across a ring of screens (a window, the terminal, or none).
    Balls(BallsArgs),
    /// Copy files and directories, encrypted and resumable, authenticated
    /// by a short code.
    Copy(CopyArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
}
