//! `tether bench --broker [URL]`: round trip and rate through a NATS or
//! MQTT broker beside a direct link, in the same run. With no URL,
//! nats-server is started on a free loopback port (if it is on the PATH)
//! and stopped at the end.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tether_bench::broker::{self, BrokerPlan, BrokerReport};
use tether_bench::latency::RoundBudget;
use tether_bench::server::Embedded;
use tether_bench::Session;
use tether_bridge::BrokerUrl;

use crate::cli::BenchArgs;
use crate::output::export::broker::{plot, table};
use crate::output::export::OwnReport;
use crate::output::progress::Progress;

/// How long a nats-server we start may take to listen.
const START_WAIT: Duration = Duration::from_secs(10);

/// A nats-server started for the run, killed when dropped.
struct OwnServer(Child);

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the broker experiment and exports it.
pub fn run(args: &BenchArgs, url: &str) -> anyhow::Result<()> {
    let (url, _own) = if url.is_empty() {
        let (url, server) = start_nats(args.quiet)?;
        (url, Some(server))
    } else {
        (bench_url(url)?, None)
    };
    let plan = plan_of(args, url);
    let embedded = Embedded::start()?;
    let mut session = Session::connect(embedded.endpoint())?;
    let progress = Progress::new(4, args.quiet);
    let mut step = 0;
    let outcome = broker::run(&mut session, &plan, |label| {
        progress.step(step, label);
        step += 1;
    });
    progress.finish();
    export(&outcome?, args)
}

/// The URL given, with a subject or topic prefix if it has none.
fn bench_url(text: &str) -> anyhow::Result<BrokerUrl> {
    let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
    let text = if rest.contains('/') {
        text.to_owned()
    } else {
        let prefix = if scheme == "mqtt" {
            "tether/bench"
        } else {
            "tether.bench"
        };
        format!("{scheme}://{rest}/{prefix}")
    };
    Ok(text.parse::<BrokerUrl>()?)
}

/// Starts nats-server on a free loopback port.
fn start_nats(quiet: bool) -> anyhow::Result<(BrokerUrl, OwnServer)> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("cannot find a free loopback port")?
        .port();
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "--broker with no URL starts nats-server, which is not on the PATH: install it (Debian: apt install nats-server) or give a broker URL, e.g. --broker nats://127.0.0.1:4222"
        ),
        Err(e) => bail!("cannot start nats-server: {e}"),
    };
    let server = OwnServer(child);
    let deadline = Instant::now() + START_WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nats-server did not listen on 127.0.0.1:{port} within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if !quiet {
        eprintln!("started nats-server on 127.0.0.1:{port} for this run");
    }
    Ok((bench_url(&format!("nats://127.0.0.1:{port}"))?, server))
}

fn plan_of(args: &BenchArgs, url: BrokerUrl) -> BrokerPlan {
    let size = usize::try_from(args.size).unwrap_or(4);
    if args.quick {
        BrokerPlan {
            url,
            size,
            latency: RoundBudget {
                warmup: 100,
                rounds: 2_000,
                time: Duration::from_millis(500),
            },
            count: 50_000,
            time: Duration::from_millis(500),
        }
    } else {
        BrokerPlan {
            url,
            size,
            latency: RoundBudget {
                warmup: 1_000,
                rounds: 20_000,
                time: Duration::from_secs(3),
            },
            count: 500_000,
            time: Duration::from_secs(3),
        }
    }
}

fn export(report: &BrokerReport, args: &BenchArgs) -> anyhow::Result<()> {
    OwnReport {
        report,
        table: table::render(report),
        plot: &plot::write,
    }
    .export(args.json.as_deref(), args.plot.as_deref(), args.quiet)
}
