//! The figures of one bench run, as written by `--json` (schema
//! `tether-bench/1`, documented in docs/cli-bench.md).
//!
//! Every duration is in nanoseconds or seconds (the key says which), every
//! rate per second, every size in bytes. An experiment that did not run is
//! `null`.

use serde::{Deserialize, Serialize};

pub use crate::busy_poll::BusyPoll;
use crate::control::{Stack, Transport};
use crate::experiment::Experiment;

/// Name and version of this JSON layout.
pub const SCHEMA: &str = "tether-bench/1";

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Version of the `tether` that measured.
    pub tether_version: String,
    /// When the run started, seconds since the Unix epoch.
    pub started_unix_s: u64,
    /// Wall time of the whole run.
    pub duration_s: f64,
    /// The machine the client ran on.
    pub machine: Machine,
    /// The server measured against.
    pub server: ServerInfo,
    /// What was asked for.
    pub settings: Settings,
    /// Experiment 1: ping-pong round trips per transport (tether).
    pub latency: Option<Vec<Latency>>,
    /// Experiment 2: one-way rate per message size and send mode (tether).
    pub rate: Option<Vec<Rate>>,
    /// Experiment 3: persistent link against a connection per message.
    pub connect: Option<Connect>,
    /// Experiment 4: `TCP_NODELAY` on and off.
    pub nagle: Option<Vec<Nagle>>,
    /// Experiment 5: the same measurements over plain `std::net`.
    pub baseline: Option<Baseline>,
    /// Experiment 6: UDP delivery at each offered rate.
    pub udp: Option<Vec<UdpPoint>>,
    /// `--busy-poll`: unpinned round trips with and without busy polling,
    /// beside std::net; `null` without the flag.
    #[serde(default)]
    pub busy_poll: Option<BusyPoll>,
    /// tether against std::net, measured in this run.
    pub comparisons: Vec<Comparison>,
    /// The targets of the project, checked against this run.
    pub targets: Vec<Target>,
}

impl Report {
    /// Every rate point, tether's then std's.
    pub fn all_rates(&self) -> Vec<&Rate> {
        let mut v: Vec<&Rate> = self.rate.iter().flatten().collect();
        v.extend(self.baseline.iter().flat_map(|b| &b.rate));
        v
    }

    /// Every latency point, tether's then std's.
    pub fn all_latency(&self) -> Vec<&Latency> {
        let mut v: Vec<&Latency> = self.latency.iter().flatten().collect();
        v.extend(self.baseline.iter().flat_map(|b| &b.latency));
        v
    }
}

/// The machine the client ran on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// `uname -s`, e.g. `Linux`.
    pub os: String,
    /// `uname -r`.
    pub kernel: String,
    /// `uname -m`.
    pub arch: String,
    /// CPUs this process may use.
    pub cpus: usize,
    /// From /proc/cpuinfo, when there is one.
    pub cpu_model: Option<String>,
    /// `uname -n`.
    pub hostname: String,
}

/// Where the server ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    /// `embedded` (same process, loopback) or `remote`.
    pub mode: ServerMode,
    /// The control endpoint.
    pub endpoint: String,
    /// The server's tether version, from the control exchange.
    pub version: String,
}

/// Where the server of a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMode {
    /// A thread of the measuring process, on loopback.
    Embedded,
    /// A `tether bench --server` elsewhere (or in another process).
    Remote,
}

impl ServerMode {
    /// The name in the JSON and the table.
    pub fn name(self) -> &'static str {
        match self {
            ServerMode::Embedded => "embedded",
            ServerMode::Remote => "remote",
        }
    }
}

/// The settings of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Experiments that ran.
    pub experiments: Vec<Experiment>,
    /// `--quick`.
    pub quick: bool,
    /// Payload of the latency, connect, Nagle and UDP messages, bytes.
    pub size: usize,
    /// Bytes to send per point of the rate experiment (`--total`).
    pub total: u64,
    /// Message sizes of the rate experiment, bytes.
    pub sizes: Vec<usize>,
    /// Time cap of one run of a rate point, seconds.
    pub max_time_s: f64,
    /// CPUs the threads were bound to (embedded server only); `null`
    /// when the scheduler chose.
    pub pinning: Option<PinningInfo>,
    /// Runs of each rate point (taking turns with the other modes of the
    /// size); the report keeps the best. Sizes of 64 KiB and up get three
    /// times as many.
    pub repeats: u32,
    /// Round trips discarded before recording.
    pub latency_warmup: u64,
    /// Most round trips recorded per latency point.
    pub latency_rounds: u64,
    /// Time cap of one latency point, seconds.
    pub latency_time_s: f64,
    /// Most round trips (and connections) per connect point.
    pub connect_count: u64,
    /// Time cap of one connect point, seconds.
    pub connect_time_s: f64,
    /// Offered UDP rates, datagrams/s; `null` is as fast as the sender can.
    pub udp_rates: Vec<Option<f64>>,
    /// Sending time of one UDP point, seconds.
    pub udp_time_s: f64,
    /// The batch path flushes whenever this many bytes are gathered.
    pub batch_bytes: usize,
    /// `--busy-poll`, nanoseconds; `null` without it.
    #[serde(default)]
    pub busy_poll_ns: Option<u64>,
}

/// Where the threads of the run were bound.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PinningInfo {
    /// The measuring (client) thread.
    pub client_cpu: usize,
    /// The server's thread for round trips (latency, connect, Nagle
    /// latency): the client's CPU, so a wake-up never crosses CPUs.
    pub round_trip_server_cpu: usize,
    /// The server's thread for one-way transfers (rate, UDP): another CPU,
    /// so sender and receiver run in parallel.
    pub one_way_server_cpu: usize,
}

/// Round-trip latency of one transport and stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    /// tcp, unix or udp.
    pub transport: Transport,
    /// tether or std.
    pub stack: Stack,
    /// `TCP_NODELAY` (true for unix and udp, where it does not apply).
    pub nodelay: bool,
    /// Payload bytes per message.
    pub size: usize,
    /// Round trips discarded first.
    pub warmup: u64,
    /// Round trips recorded in the histogram.
    pub rounds: u64,
    /// Round trips with no answer within 100 ms (UDP only); not recorded.
    pub lost: u64,
    /// Wall time of the point, warm-up included.
    pub seconds: f64,
    /// True when the time cap ended the point before the round count.
    pub capped_by_time: bool,
    /// Fastest round trip.
    pub min_ns: u64,
    /// Median round trip.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Slowest round trip.
    pub max_ns: u64,
    /// Mean round trip.
    pub mean_ns: f64,
}

/// How the sender of a rate point writes its messages (and, for the
/// batch modes, how the receiver takes them). The tether receiver borrows
/// every buffered message with `Link::recv_each`, except in
/// [`RateMode::BatchOwned`]; the std receiver parses frames by hand from
/// one big read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateMode {
    /// `Link::send` per message, default options (linger 100 µs).
    Send,
    /// `Link::send` per message with linger 0: one syscall per message.
    SendLinger0,
    /// `Link::feed` per message, `Link::flush` per 64 KiB; received with
    /// `Link::recv_each` (borrowed, no allocation per message).
    Batch,
    /// As [`RateMode::Batch`], received with `Link::recv`: one refcounted
    /// `Bytes` per message.
    BatchOwned,
    /// std: `write_all` of each framed message.
    StdPerMessage,
    /// std: messages framed into a buffer, one `write_all` per 64 KiB.
    StdBatch,
}

impl RateMode {
    /// Every mode, tether first.
    pub const ALL: [RateMode; 6] = [
        RateMode::Send,
        RateMode::SendLinger0,
        RateMode::Batch,
        RateMode::BatchOwned,
        RateMode::StdPerMessage,
        RateMode::StdBatch,
    ];

    /// The std::net modes.
    pub fn is_std(self) -> bool {
        matches!(self, RateMode::StdPerMessage | RateMode::StdBatch)
    }

    /// The name in tables and plots.
    pub fn label(self) -> &'static str {
        match self {
            RateMode::Send => "send (linger 100 µs)",
            RateMode::SendLinger0 => "send (linger 0)",
            RateMode::Batch => "feed+flush, recv_each",
            RateMode::BatchOwned => "feed+flush, recv",
            RateMode::StdPerMessage => "std write_all per msg",
            RateMode::StdBatch => "std one write per batch",
        }
    }

    /// The std::net mode this mode is compared with.
    pub fn baseline(self) -> RateMode {
        match self {
            RateMode::Batch | RateMode::BatchOwned | RateMode::StdBatch => RateMode::StdBatch,
            _ => RateMode::StdPerMessage,
        }
    }
}

/// One-way rate of one message size and send mode, counted by the receiver
/// after parsing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rate {
    /// How the sender wrote.
    pub mode: RateMode,
    /// tether or std (follows from the mode).
    pub stack: Stack,
    /// Always tcp for now.
    pub transport: Transport,
    /// `TCP_NODELAY` on both ends.
    pub nodelay: bool,
    /// Payload bytes per message.
    pub size: usize,
    /// Messages the sender wrote.
    pub sent: u64,
    /// Whole messages the receiver parsed (equals `sent` on a stream).
    pub received: u64,
    /// Payload bytes in those messages.
    pub received_bytes: u64,
    /// Receiver's time from the first parsed message to the end of the
    /// stream.
    pub seconds: f64,
    /// `(received - 1) / seconds`: the first message starts the clock.
    pub messages_per_s: f64,
    /// Payload bytes per second on the same clock.
    pub bytes_per_s: f64,
    /// True when the time cap ended the point before `--total` was sent.
    pub capped_by_time: bool,
}

/// Experiment 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connect {
    /// Payload of the request and of the reply.
    pub size: usize,
    /// Round trips over one connection.
    pub persistent: ConnectRun,
    /// Connect, send, receive the reply, close; once per message.
    pub per_connection: ConnectRun,
    /// `persistent.per_s / per_connection.per_s`.
    pub ratio: f64,
}

/// One side of experiment 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectRun {
    /// Messages answered.
    pub messages: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// `messages / seconds`.
    pub per_s: f64,
    /// Mean time per message, nanoseconds.
    pub mean_ns: f64,
    /// True when the time cap ended the run before the count.
    pub capped_by_time: bool,
}

/// Experiment 4: one setting of `TCP_NODELAY`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nagle {
    /// true: Nagle's algorithm off (tether's default).
    pub nodelay: bool,
    /// Round trips over TCP.
    pub latency: Latency,
    /// Small messages, `send` with linger 0, one syscall each.
    pub rate: Rate,
}

/// Experiment 5: plain std::net, no tether code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// Round trips per transport.
    pub latency: Vec<Latency>,
    /// One-way rates per size, `std_per_message` and `std_batch`.
    pub rate: Vec<Rate>,
}

/// Experiment 6: one offered rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UdpPoint {
    /// Payload bytes per datagram (at least 8: the sequence number).
    pub size: usize,
    /// Datagrams per second asked for; `null` is unpaced.
    pub offered_per_s: Option<f64>,
    /// Sender's time from first to last datagram.
    pub seconds: f64,
    /// Datagrams sent.
    pub sent: u64,
    /// Distinct datagrams received.
    pub received: u64,
    /// `sent - received`.
    pub lost: u64,
    /// Datagrams that arrived after one with a higher sequence number.
    pub reordered: u64,
    /// Datagrams that arrived twice (not counted in `received`).
    pub duplicates: u64,
    /// `sent / seconds`.
    pub sent_per_s: f64,
    /// `received` over the longer of the sender's time and the receiver's
    /// first-to-last arrival: never more than was delivered.
    pub delivered_per_s: f64,
    /// `lost / sent`.
    pub loss_ratio: f64,
}

/// One figure of tether set against the same figure over std::net.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    /// What is compared, e.g. `latency p50, tcp`.
    pub what: String,
    /// tether's figure.
    pub tether: f64,
    /// std::net's figure.
    pub std: f64,
    /// `ns` or `msg/s` or `B/s`.
    pub unit: Unit,
    /// `tether / std`.
    pub ratio: f64,
    /// `lower` or `higher`: which way is better.
    pub better: Better,
}

/// The unit of a compared figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// Nanoseconds (a time).
    #[serde(rename = "ns")]
    Nanoseconds,
    /// Messages per second.
    #[serde(rename = "msg/s")]
    MessagesPerSecond,
    /// Payload bytes per second.
    #[serde(rename = "B/s")]
    BytesPerSecond,
}

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Smaller is better (times).
    Lower,
    /// Larger is better (rates).
    Higher,
}

/// How a target's value is held against its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// At most the bound.
    #[serde(rename = "<=")]
    AtMost,
    /// At least the bound.
    #[serde(rename = ">=")]
    AtLeast,
}

impl Op {
    /// `<=` or `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtMost => "<=",
            Op::AtLeast => ">=",
        }
    }

    /// Whether `value` meets `bound`.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Op::AtMost => value <= bound,
            Op::AtLeast => value >= bound,
        }
    }
}

/// A target of the project, checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// What is checked.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// `<=` or `>=`.
    pub op: Op,
    /// The bound.
    pub bound: f64,
    /// Whether the value meets the bound.
    pub met: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_label_names_the_default_linger() {
        // The label is a constant string; it must stay true.
        assert_eq!(
            tether::DEFAULT_LINGER,
            std::time::Duration::from_micros(100)
        );
        assert!(RateMode::Send.label().contains("100 µs"));
    }

    #[test]
    fn enums_serialise_as_the_strings_of_schema_1() {
        fn text<T: Serialize>(v: T) -> String {
            serde_json::to_string(&v).unwrap_or_default()
        }
        assert_eq!(text(Unit::Nanoseconds), "\"ns\"");
        assert_eq!(text(Unit::MessagesPerSecond), "\"msg/s\"");
        assert_eq!(text(Unit::BytesPerSecond), "\"B/s\"");
        assert_eq!(text(Better::Lower), "\"lower\"");
        assert_eq!(text(Better::Higher), "\"higher\"");
        assert_eq!(text(Op::AtMost), "\"<=\"");
        assert_eq!(text(Op::AtLeast), "\">=\"");
        assert_eq!(text(ServerMode::Embedded), "\"embedded\"");
        assert_eq!(text(ServerMode::Remote), "\"remote\"");
    }
}
