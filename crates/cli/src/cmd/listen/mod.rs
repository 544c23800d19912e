//! `tether listen`: accept many peers at once on tokio and print (or echo,
//! or save) every message.
//!
//! Shape (mini-redis): [`server::run`] accepts until a shutdown future
//! resolves, one task per [`connection`] reads, and one [`printer`] thread
//! owns stdout, so lines never interleave and a slow terminal or pipe
//! slows the readers through a bounded queue (the [`sink`]) instead of
//! filling memory. A connection hands over every message that one read
//! brought in one batch, so a flood costs one hand-off per read, not per
//! message. Ctrl-C, SIGTERM, `--timeout` and a closed stdout make the
//! shutdown future; `--count` and a failed write stop the server from
//! inside.

mod broker;
mod connection;
mod datagrams;
mod limits;
mod memory;
mod peer_log;
mod printer;
mod server;
mod sink;
mod stats;
mod stdout_gone;

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::{self, BufWriter};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tether::{Budget, Endpoint, Framing, Options, Record};
use tokio::sync::mpsc;

use self::printer::Printer;
use self::server::Bound;
use self::sink::Sink;
use crate::cli::{ListenArgs, Target};
use crate::output::caret::parse_format;
use crate::output::render::Mode;
use crate::output::summary::Summary;

/// Batches waiting for the printer; past this, readers wait (backpressure).
const PRINT_QUEUE: usize = 64;

/// Runs `tether listen`.
pub fn run(args: ListenArgs) -> anyhow::Result<()> {
    let record = args.format.as_deref().map(parse_format).transpose()?;
    let framing = args.framing.resolve(record.as_ref().map(Record::size))?;
    memory::fix_mmap_threshold();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(listen(args, record, framing))
}

async fn listen(args: ListenArgs, record: Option<Record>, framing: Framing) -> anyhow::Result<()> {
    let is_udp = matches!(args.endpoint, Target::Link(Endpoint::Udp { .. }));
    // Many peers need many descriptors: take what the hard limit allows.
    let fd_limit = limits::raise_fd_limit().unwrap_or(1024);
    let options = Options::new()
        .framing(framing)
        .max_frame_len(args.max_frame_len)
        .socket_mode(args.socket_mode)
        .idle_timeout(args.idle_timeout)
        .frame_timeout(Some(args.frame_timeout).filter(|t| !t.is_zero()))
        .budget((args.max_buffered > 0).then(|| Budget::new(args.max_buffered)));
    // Bind before anything is printed, so "port in use" is the only line.
    let source = Source::open(&args.endpoint, &options).await?;
    let output = args.output.as_deref().map(open_output).transpose()?;
    let shutdown = shutdown_on(args.timeout)?;
    eprintln!(
        "listening on {} ({}) — Ctrl-C to stop",
        source.name()?,
        source.describe(is_udp, record.as_ref(), framing)
    );
    let started = Instant::now();

    let mut printer = Printer::new(Mode::from_flags(args.hex, args.text), record, output);
    printer.json = args.json;
    printer.quiet = args.quiet;
    printer.max_show = args.max_show;
    let (to_printer, from_tasks) = mpsc::channel(PRINT_QUEUE);
    let printing = tokio::task::spawn_blocking(move || printer.run(from_tasks));
    let mut sink = Sink::new(to_printer, args.count)
        .echo(args.echo)
        .stamp_time(args.json)
        .drain(args.drain_timeout);
    sink.limits = limits::Limits {
        max_connections: args
            .max_connections
            .unwrap_or_else(|| limits::default_max_connections(fd_limit)),
    };
    let sink = Arc::new(sink);

    let stats = async {
        if args.stats {
            stats::live(&sink, is_udp).await;
        }
    };
    let is_link = matches!(source, Source::Link(_));
    let serve = async {
        match source {
            Source::Link(bound) => server::run(bound, shutdown, Arc::clone(&sink)).await,
            Source::Broker(sub) => broker::run(sub, shutdown, Arc::clone(&sink)).await,
        }
    };
    tokio::join!(serve, stats);

    let connections = (is_link && !is_udp).then(|| sink.tally.connections.load(Ordering::Relaxed));
    let dropped = sink.tally.dropped.load(Ordering::Relaxed);
    let undelivered = sink.tally.undelivered.load(Ordering::Relaxed);
    // The printer ends once the last sender (held by the sink) is gone.
    drop(sink);
    let ((messages, bytes), printed) = printing.await.context("the printer thread failed")?;
    let summary = Summary {
        connections,
        messages,
        bytes,
        dropped,
        undelivered,
        // Until the last line is written, not the last message read.
        elapsed: started.elapsed(),
    };
    eprintln!("{summary}");
    match printed {
        // `| head` closed stdout: a normal way to stop.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the output"),
    }
}

/// Where messages come from: a bound socket or a broker subscription.
enum Source {
    Link(Bound),
    Broker((tether_bridge::Broker, tether_bridge::Subscription)),
}

impl Source {
    async fn open(target: &Target, options: &Options) -> anyhow::Result<Source> {
        Ok(match target {
            Target::Link(endpoint) => Source::Link(Bound::bind(endpoint, options).await?),
            Target::Broker(url) => Source::Broker(broker::subscribe(url).await?),
        })
    }

    fn name(&self) -> anyhow::Result<String> {
        Ok(match self {
            Source::Link(bound) => bound.local_addr()?.to_string(),
            Source::Broker((broker, _)) => broker.url().to_string(),
        })
    }

    fn describe(&self, is_udp: bool, record: Option<&Record>, framing: Framing) -> String {
        match (self, record) {
            (Source::Broker(_), Some(r)) => {
                format!("one {:?} record per broker message", r.format())
            }
            (Source::Broker(_), None) => "one message per broker message".to_owned(),
            (Source::Link(_), _) => describe(is_udp, record, framing),
        }
    }
}

/// `(length framing)`, `(one message per datagram)`, ...
fn describe(is_udp: bool, record: Option<&Record>, framing: Framing) -> String {
    if is_udp {
        return "one message per datagram".to_owned();
    }
    match (record, framing) {
        (Some(r), Framing::Fixed(n)) => format!("fixed framing, {n}-byte {:?} records", r.format()),
        _ => format!("{framing} framing"),
    }
}

fn open_output(path: &std::path::Path) -> anyhow::Result<BufWriter<File>> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open --output file {}", path.display()))?;
    Ok(BufWriter::new(file))
}

/// The shutdown future: Ctrl-C (SIGINT), SIGTERM, `--timeout` or a closed
/// stdout. The
/// handlers are installed here, before "listening on" is printed, so a
/// signal sent as soon as that line appears is never the default (fatal)
/// one.
pub(crate) fn shutdown_on(timeout: Option<Duration>) -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt =
        signal(SignalKind::interrupt()).context("cannot install the Ctrl-C handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
    let stdout_gone = stdout_gone::watch();
    Ok(async move {
        let timeout = async {
            match timeout {
                Some(after) => tokio::time::sleep(after).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
            () = timeout => {}
            Ok(()) = stdout_gone => {}
        }
    })
}
