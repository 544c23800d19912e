//! Arguments of `tether listen`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tether::Endpoint;

use super::common::{parse_duration, FramingArg};

/// `tether listen ENDPOINT`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  tether listen tcp://0.0.0.0:9000
  tether listen tcp://0.0.0.0:10000 --framing fixed --format 'I 2s f'
  tether listen udp://0.0.0.0:9001 --json | jq .")]
pub struct ListenArgs {
    /// Where to listen: tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH
    /// (port 0 picks a free port, shown on the first line).
    pub endpoint: Endpoint,

    /// How messages are delimited on a stream: length (4-byte big-endian
    /// prefix), line (\n), fixed (records of --format's size, or fixed:N
    /// bytes) or raw (each read is a message, as with nc).
    #[arg(long, default_value = "length", value_name = "FRAMING")]
    pub framing: FramingArg,

    /// Decode each message as a Python struct record, e.g. 'I 2s f', and
    /// print it as Python would.
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,

    /// Print payloads as hex, whatever they hold.
    #[arg(long, conflicts_with = "text")]
    pub hex: bool,

    /// Print payloads as text (bytes that are not UTF-8 as \xNN).
    #[arg(long)]
    pub text: bool,

    /// Print one JSON object per message (peer, time, size, payload, fields).
    #[arg(long)]
    pub json: bool,

    /// Stop after this many messages.
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<u64>,

    /// Stop after this long, e.g. 10s, 500ms, 2m (a bare number is seconds).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Print a live messages/s and bytes/s line on stderr, once a second.
    #[arg(long)]
    pub stats: bool,

    /// Send every message back to its sender (a ready peer for ping-pong).
    #[arg(long)]
    pub echo: bool,

    /// Append every raw payload to FILE (message lines are still printed).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Do not print message lines (the summary is still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Show at most this many bytes of each payload; 0 shows all.
    #[arg(long, default_value_t = 64, value_name = "BYTES")]
    pub max_show: usize,

    /// Largest message accepted, in bytes; a peer that sends a larger frame
    /// is dropped.
    #[arg(long, default_value_t = tether::DEFAULT_MAX_FRAME_LEN, value_name = "BYTES")]
    pub max_frame_len: usize,
}
