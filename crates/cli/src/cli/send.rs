//! Arguments of `tether send`.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::Target;
use clap::Args;

use super::common::{parse_duration, parse_frame_len, FramingArg, FramingParser};

/// `tether send ENDPOINT [MESSAGE...]`.
#[derive(Args, Debug)]
#[command(after_help = "\
Output:
  stdout   with --wait-reply, each reply on its own line (a record as Python
           prints it with --format); nothing otherwise
  stderr   errors, one 'tether: ...' line each

Exit status:
  0 everything was sent (and every reply came); 1 an error: refused, no reply
  within --reply-timeout, or the peer reset the connection or closed it
  before reading everything (a framing mismatch, often); 2 a usage error.
  Ctrl-C stops at once, with the default status of a signal.

Examples:
  tether send tcp://127.0.0.1:9000 \"Hello, World!\"
  printf 'a\\nb\\nc\\n' | tether send tcp://127.0.0.1:9000 --stdin    # three messages, one connection
  tether send tcp://127.0.0.1:9000 --format 'I 2s f' 1 ab 2.7
  tether send tcp://127.0.0.1:9000 --wait-reply ping  # against tether listen --echo: prints ping")]
pub struct SendArgs {
    /// Where to send: tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH;
    /// or publish: nats://HOST:PORT/SUBJECT, mqtt://HOST:PORT/TOPIC[?qos=1]
    /// (one broker message per message).
    pub endpoint: Target,

    /// Messages, one per argument; with --format, the record's values
    /// (integers, floats, true/false, text with \xNN escapes).
    #[arg(allow_hyphen_values = true, value_name = "MESSAGE")]
    pub messages: Vec<String>,

    /// Send each line of stdin (each N-byte record with fixed framing, the
    /// whole input with raw framing), all over one connection.
    #[arg(long, conflicts_with = "file")]
    pub stdin: bool,

    /// Send a file as one message (streamed as is with raw framing).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Pack the values as a Python struct record, e.g. 'I 2s f'. With
    /// --stdin each line holds one record's values, separated by spaces.
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,

    /// How messages are delimited on a stream: length, line, fixed (records
    /// of --format's size, or fixed:N) or raw (bytes as they are, as nc).
    #[arg(long, default_value = "length", value_name = "FRAMING", value_parser = FramingParser)]
    pub framing: FramingArg,

    /// Send the messages this many times.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u64,

    /// Send at most this many messages per second, e.g. 1000 or 1000/s.
    #[arg(long, value_name = "R/s")]
    pub rate: Option<Rate>,

    /// After each message, wait for one reply and print it.
    #[arg(long)]
    pub wait_reply: bool,

    /// How long --wait-reply waits for each reply.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = parse_duration)]
    pub reply_timeout: Duration,

    /// Give up connecting after this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub connect_timeout: Option<Duration>,

    /// Keep trying to connect for this long, for a peer that is not up yet.
    /// Over TCP, a connection lost while sending is made again within this
    /// time, and every message the peer had not acknowledged is sent again.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub retry: Option<Duration>,

    /// Print replies as hex.
    #[arg(long, conflicts_with = "text")]
    pub hex: bool,

    /// Print replies as text (bytes that are not UTF-8 as \xNN).
    #[arg(long)]
    pub text: bool,

    /// Largest message sent or reply accepted [default: 16 MiB]; takes K,
    /// M, G suffixes (32M, 64KiB).
    #[arg(long, default_value = "16 MiB", hide_default_value = true, value_name = "BYTES", value_parser = parse_frame_len)]
    pub max_frame_len: usize,
}

/// A send rate in messages per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = s.strip_suffix("/s").unwrap_or(s);
        match number.parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 => Ok(Rate(r)),
            _ => Err(format!(
                "{s:?} is not a rate: use messages per second, as 1000 or 1000/s"
            )),
        }
    }
}
