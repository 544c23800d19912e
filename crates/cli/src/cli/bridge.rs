//! Arguments of `tether bridge`.

use clap::Args;

use super::common::{parse_frame_len, FramingArg, FramingParser};
use super::Target;

/// `tether bridge FROM TO`.
#[derive(Args, Debug)]
#[command(after_help = "\
A link FROM (tcp://, unix://) is listened on: every message from every peer
is published to TO. A link TO is connected to: every broker message is sent
on, reconnecting with back-off when the peer goes, holding at most --hold
messages meanwhile and counting exactly how many were dropped.

--both also moves messages the other way. Between brokers: TO's messages
are published to FROM. A link FROM: every broker message is sent to every
peer connected when it comes (with none connected it is dropped and
counted); a peer's message goes to the broker only, never to another peer.
A link TO: what the peer sends is published to FROM (not a wildcard then).
The bridge never receives its own publications back (Tether-Origin on NATS,
the payloads it published on MQTT), so nothing loops.

Output:
  stderr   'bridging FROM -> TO' first, then on Ctrl-C or SIGTERM a summary:
           messages moved, refused, dropped, reconnects

Exit status:
  0 stopped by Ctrl-C or SIGTERM (after draining); 1 an error; 2 a usage error

Examples:
  tether bridge tcp://0.0.0.0:9000 nats://127.0.0.1:4222/grid.bits
  tether bridge mqtt://broker:1883/cmd/device7 tcp://10.0.0.9:9000
  tether bridge tcp://0.0.0.0:9000 nats://127.0.0.1:4222/grid.bits --both
  tether bridge 'nats://127.0.0.1:4222/grid.>' 'mqtt://broker:1883/grid?qos=1'")]
pub struct BridgeArgs {
    /// Where messages come from: a link to listen on, or a broker subject
    /// or topic to subscribe to.
    pub from: Target,

    /// Where they go: a broker subject or topic to publish to, or a link
    /// to connect to.
    pub to: Target,

    /// Also move messages from TO back to FROM, to every connected peer
    /// of a link FROM (the bridge never passes its own messages back).
    #[arg(long)]
    pub both: bool,

    /// Messages held while the far side is away; past this, new messages
    /// are dropped and counted.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub hold: usize,

    /// Pass only messages that are one record of this Python struct format
    /// (others are refused and counted).
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,

    /// How messages are delimited on a link: length, line, fixed or raw.
    #[arg(long, default_value = "length", value_name = "FRAMING", value_parser = FramingParser)]
    pub framing: FramingArg,

    /// Largest message taken from a link [default: 16 MiB].
    #[arg(long, default_value = "16 MiB", hide_default_value = true, value_name = "BYTES", value_parser = parse_frame_len)]
    pub max_frame_len: usize,
}
