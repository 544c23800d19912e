//! Arguments of `tether bench`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tether::Endpoint;

use tether_bench::Experiment;

use super::common::{parse_duration, parse_size};

/// `tether bench [SERVER]` or `tether bench --server ENDPOINT`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  tether bench                          all experiments on loopback (under a minute)
  tether bench --quick --json -         a few seconds, JSON on stdout
  tether bench --only latency,baseline --size 64
  tether bench --plot plots/ --json bench.json
  tether bench --languages --plot plots/  Rust, Python and Java senders compared
  tether bench --broker nats://127.0.0.1:4222   through a broker, beside a direct link
  tether bench --server tcp://0.0.0.0:7878    on one machine
  tether bench tcp://server:7878              on the other")]
pub struct BenchArgs {
    /// A remote `tether bench --server` to measure against (default: an
    /// embedded server on 127.0.0.1).
    #[arg(value_name = "SERVER", conflicts_with = "server")]
    pub target: Option<Endpoint>,

    /// Serve bench clients on ENDPOINT (tcp:// or unix://) until stopped,
    /// instead of measuring.
    #[arg(long, value_name = "ENDPOINT")]
    pub server: Option<Endpoint>,

    /// Run only these experiments (comma-separated). Ratios to std::net
    /// need `baseline` too.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub only: Vec<ExperimentArg>,

    /// Which language is faster: the round trip and the rate points from
    /// senders in Rust, Python and Java (tether and each language's own
    /// sockets) instead of the experiments. Needs the checkout's interop/
    /// ($TETHER_INTEROP), python3 ($TETHER_PYTHON) and a JDK 17; a sender
    /// whose runtime is missing is skipped with a note.
    #[arg(long, conflicts_with_all = ["server", "only"])]
    pub languages: bool,

    /// What a broker costs: round trip and rate of --size messages through
    /// the broker at URL (nats:// or mqtt://, a subject or topic prefix
    /// optional), beside a direct link in the same run. With no URL,
    /// nats-server (if on the PATH) is started on a free loopback port.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "",
          conflicts_with_all = ["server", "only", "languages"])]
    pub broker: Option<String>,

    /// A short run (a few seconds) with small counts: for CI and a first
    /// look. Its figures are noisier.
    #[arg(long)]
    pub quick: bool,

    /// Payload of latency, connect, Nagle and UDP messages, in bytes
    /// (suffixes K, M: binary).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "4")]
    pub size: u64,

    /// Bytes sent per point of the rate experiment [default: 64M, 4M with
    /// --quick].
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub total: Option<u64>,

    /// Message sizes of the rate experiment (comma-separated)
    /// [default: 1,4,10,100,1K,10K,100K,1M].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_size)]
    pub sizes: Vec<u64>,

    /// Time cap of each rate point, in seconds [default: 0.25, 0.08 with
    /// --quick].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub max_time: Option<f64>,

    /// Also measure tcp round trips with both tether ends spinning this
    /// long (e.g. 50us) on non-blocking reads before they sleep, beside
    /// blocking tether and std::net, unpinned. Each end burns up to a CPU
    /// while it spins.
    #[arg(long, value_name = "DURATION", value_parser = parse_busy_poll, conflicts_with_all = ["server", "languages"])]
    pub busy_poll: Option<Duration>,

    /// Leave threads where the scheduler puts them. By default, with the
    /// embedded server, round trips run both ends on one CPU and one-way
    /// transfers one end per CPU, so runs can be compared.
    #[arg(long)]
    pub no_pin: bool,

    /// Write every figure as JSON to FILE ("-" for stdout; the table then
    /// goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write PNG and SVG charts into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,

    /// No progress bar and no table (for scripts; use with --json).
    #[arg(long, short)]
    pub quiet: bool,
}

/// An experiment as `--only` names it: the engine's [`Experiment`], with
/// its names and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExperimentArg(pub Experiment);

impl clap::ValueEnum for ExperimentArg {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [ExperimentArg; 6] = {
            let a = Experiment::ALL;
            [
                ExperimentArg(a[0]),
                ExperimentArg(a[1]),
                ExperimentArg(a[2]),
                ExperimentArg(a[3]),
                ExperimentArg(a[4]),
                ExperimentArg(a[5]),
            ]
        };
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.about()))
    }
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('s').parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 3600.0 => Ok(x),
        _ => Err(format!("{s:?} is not a time in seconds between 0 and 3600")),
    }
}

/// A busy-poll time between 1 µs and the server's cap.
fn parse_busy_poll(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    let max = tether_bench::control::MAX_BUSY_POLL;
    if d < Duration::from_micros(1) || d > max {
        return Err(format!(
            "{s:?} is not a busy-poll time between 1us and {}ms",
            max.as_millis()
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_poll_parses_in_range() {
        assert_eq!(parse_busy_poll("50us"), Ok(Duration::from_micros(50)));
        assert!(parse_busy_poll("0").is_err());
        assert!(parse_busy_poll("1s").is_err());
    }

    #[test]
    fn seconds_parse_in_range() {
        assert_eq!(parse_seconds("0.5"), Ok(0.5));
        assert_eq!(parse_seconds("2s"), Ok(2.0));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("nan").is_err());
    }
}
