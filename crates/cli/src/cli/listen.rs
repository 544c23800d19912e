//! Arguments of `tether listen`.

use std::path::PathBuf;
use std::time::Duration;

use super::Target;
use clap::Args;

use super::common::{parse_duration, parse_frame_len, FramingArg, FramingParser};

/// `tether listen ENDPOINT`.
#[derive(Args, Debug)]
#[command(after_help = "\
Output:
  stdout   one line per message: PEER  SIZE  PAYLOAD (text, hex, or the record
           as Python prints it); with --json one object per line
  stderr   status lines: 'listening on ...' first, errors, --stats, and the
           summary ('3 connections, 5 messages, 28 B in 4.1 s') last

JSON fields (--json):
  time (RFC 3339, UTC), peer, conn (absent for UDP), size, encoding (utf-8 or
  base64), payload; with --format also fields (the values) or error

Stopping:
  Ctrl-C or SIGTERM stops accepting, prints the messages already received,
  then the summary; so do --count, --timeout and a closed stdout (| head).

Exit status:
  0 stopped as above (also when stdout was closed); 1 an error (port in use,
  an --output file that cannot be opened, ...); 2 a usage error

Examples:
  tether listen tcp://0.0.0.0:9000
  tether listen tcp://127.0.0.1:9000 --echo        # answers tether send --wait-reply
  tether listen tcp://0.0.0.0:10000 --framing fixed --format 'I 2s f'
  tether listen udp://0.0.0.0:9001 --json | jq .")]
pub struct ListenArgs {
    /// Where to listen: tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH
    /// (port 0 picks a free port, shown on the first line); or subscribe:
    /// nats://HOST:PORT/SUBJECT, mqtt://HOST:PORT/TOPIC[?qos=1]
    /// (wildcards allowed; credentials from TETHER_BROKER_USER and
    /// TETHER_BROKER_PASSWORD or TETHER_BROKER_PASSWORD_FILE).
    pub endpoint: Target,

    /// How messages are delimited on a stream: length (4-byte big-endian
    /// prefix), line (\n), fixed (records of --format's size, or fixed:N
    /// bytes) or raw (each read is a message, as with nc).
    #[arg(long, default_value = "length", value_name = "FRAMING", value_parser = FramingParser)]
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

    /// At a stop, how long connections may still spend delivering (an
    /// echo to a peer that does not read); what is left is dropped and
    /// counted in the summary.
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Connections served at once [default: the fd limit less 32]; at the
    /// cap, newcomers wait in the kernel's backlog.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// Close a connection that sends nothing for this long (off by
    /// default: devices may talk rarely).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// A frame whose first bytes have arrived must be whole within this,
    /// or its connection is closed (a peer sending a byte at a time);
    /// 0 waits for ever.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub frame_timeout: Duration,

    /// Bytes held in unfinished frames across all connections
    /// [default: 256 MiB]; a connection that would go over it is not read
    /// (its sender waits) until the budget frees, and one that waits past
    /// the --frame-timeout is closed. 0: no budget.
    #[arg(long, default_value = "256 MiB", hide_default_value = true, value_name = "BYTES", value_parser = parse_frame_len)]
    pub max_buffered: usize,

    /// Permissions of a unix:// socket file, in octal (0600: only you may
    /// connect; 0666: every user).
    #[arg(long, default_value = "0600", value_name = "MODE", value_parser = parse_mode)]
    pub socket_mode: u32,

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

    /// Largest message accepted [default: 16 MiB]; takes K, M, G suffixes
    /// (32M, 64KiB). A peer that sends a larger frame is dropped.
    #[arg(long, default_value = "16 MiB", hide_default_value = true, value_name = "BYTES", value_parser = parse_frame_len)]
    pub max_frame_len: usize,
}

/// `0600`, `660`: an octal file mode.
fn parse_mode(s: &str) -> Result<u32, String> {
    match u32::from_str_radix(s, 8) {
        Ok(mode) if mode <= 0o777 => Ok(mode),
        _ => Err(format!("{s:?} is not an octal mode such as 0600")),
    }
}
