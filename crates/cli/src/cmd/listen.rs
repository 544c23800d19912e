//! `tether listen`: accept many peers at once on tokio and print (or echo,
//! or save) every message.
//!
//! Shape (mini-redis `server::run(listener, shutdown)`): one task accepts,
//! one task per connection reads, and one printer thread owns stdout, so
//! lines never interleave and a slow terminal or pipe slows the readers
//! through a bounded channel instead of filling memory. A connection hands
//! over every message that is already decodable in one batch, so a flood
//! costs one channel hand-off per read, not per message. Shutdown is an
//! input: Ctrl-C, SIGTERM, `--timeout`, `--count` and a closed stdout all
//! cancel one token.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use bytes::Bytes;
use futures_core::Stream as _;
use tether::{
    AsyncDatagramLink, AsyncLink, AsyncListener, Endpoint, Error, Framing, Options, Record,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::ListenArgs;
use crate::output::caret::parse_format;
use crate::output::render::Mode;
use crate::output::summary::{stats_line, Summary};
use crate::output::{json, line};

/// Batches waiting for the printer; past this, readers wait (backpressure).
const PRINT_QUEUE: usize = 64;
/// A batch closes at this many messages or bytes (or when no more are ready),
/// which bounds what the queue can hold.
const BATCH_MESSAGES: usize = 4096;
const BATCH_BYTES: usize = 256 * 1024;

/// Runs `tether listen`.
pub fn run(args: ListenArgs) -> anyhow::Result<()> {
    let record = args.format.as_deref().map(parse_format).transpose()?;
    let framing = args.framing.resolve(record.as_ref().map(Record::size))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(listen(args, record, framing))
}

/// Received messages of one peer on their way to the printer.
struct Batch {
    peer: Arc<str>,
    conn: Option<u64>,
    messages: Vec<Received>,
}

/// One received message.
struct Received {
    time: Option<SystemTime>,
    payload: Bytes,
}

/// What every task shares: counters, the shutdown token and the printer.
struct Shared {
    shutdown: CancellationToken,
    to_printer: mpsc::Sender<Batch>,
    count: Option<u64>,
    echo: bool,
    stamp_time: bool,
    received: AtomicU64,
    bytes: AtomicU64,
    connections: AtomicU64,
    dropped: AtomicU64,
}

impl Shared {
    /// Hands a batch to the printer, cut to what `--count` still allows;
    /// false once the listener is done (count reached, or nobody prints
    /// any more).
    async fn deliver(&self, mut batch: Batch) -> bool {
        let n = batch.messages.len() as u64;
        let before = self.received.fetch_add(n, Ordering::Relaxed);
        let mut last = false;
        if let Some(limit) = self.count {
            let allowed = limit.saturating_sub(before);
            if allowed == 0 {
                return false;
            }
            if allowed <= n {
                batch.messages.truncate(allowed as usize);
                last = true;
            }
        }
        let bytes: usize = batch.messages.iter().map(|m| m.payload.len()).sum();
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if self.to_printer.send(batch).await.is_err() {
            return false;
        }
        if last {
            self.shutdown.cancel();
        }
        !last
    }

    fn printed(&self) -> u64 {
        let n = self.received.load(Ordering::Relaxed);
        self.count.map_or(n, |limit| n.min(limit))
    }

    fn now(&self) -> Option<SystemTime> {
        self.stamp_time.then(SystemTime::now)
    }
}

async fn listen(args: ListenArgs, record: Option<Record>, framing: Framing) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let (to_printer, from_tasks) = mpsc::channel(PRINT_QUEUE);
    let shared = Arc::new(Shared {
        shutdown: shutdown.clone(),
        to_printer,
        count: args.count,
        echo: args.echo,
        stamp_time: args.json,
        received: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        connections: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
    });
    let is_udp = matches!(args.endpoint, Endpoint::Udp { .. });
    let options = Options::new()
        .framing(framing)
        .max_frame_len(args.max_frame_len);

    // Bind before anything is printed, so "port in use" is the only line.
    let server = if is_udp {
        Server::Datagram(AsyncDatagramLink::bind(&args.endpoint).await?)
    } else {
        Server::Stream(AsyncListener::bind_with(&args.endpoint, &options).await?)
    };
    let output = match &args.output {
        Some(path) => Some(BufWriter::new(File::create(path).with_context(|| {
            format!("cannot create --output file {}", path.display())
        })?)),
        None => None,
    };
    stop_on_signals(shutdown.clone())?;
    let local = server.local_addr()?;
    let how = if is_udp {
        "one message per datagram".to_owned()
    } else {
        match (&record, framing) {
            (Some(r), Framing::Fixed(n)) => {
                format!("fixed framing, {n}-byte {:?} records", r.format())
            }
            _ => format!("{framing} framing"),
        }
    };
    eprintln!("listening on {local} ({how}) — Ctrl-C to stop");
    let started = Instant::now();

    let printer = Printer {
        mode: Mode::from_flags(args.hex, args.text),
        json: args.json,
        quiet: args.quiet,
        max_show: args.max_show,
        record,
        output,
        line: String::with_capacity(256),
        printed: (0, 0),
    };
    let printing = {
        let shutdown = shutdown.clone();
        tokio::task::spawn_blocking(move || printer.run(from_tasks, &shutdown))
    };

    if let Some(after) = args.timeout {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(after) => shutdown.cancel(),
                () = shutdown.cancelled() => {}
            }
        });
    }
    let stats = args
        .stats
        .then(|| tokio::spawn(live_stats(Arc::clone(&shared), is_udp)));

    match server {
        Server::Stream(listener) => serve_stream(listener, Arc::clone(&shared)).await,
        Server::Datagram(socket) => serve_datagrams(socket, Arc::clone(&shared)).await,
    }
    if let Some(stats) = stats {
        let _ = stats.await;
    }

    let connections = (!is_udp).then(|| shared.connections.load(Ordering::Relaxed));
    let dropped = shared.dropped.load(Ordering::Relaxed);
    // The printer ends once the last sender (held by `shared`) is gone.
    drop(shared);
    let ((messages, bytes), printed) = printing.await.context("the printer thread failed")?;
    let summary = Summary {
        connections,
        messages,
        bytes,
        dropped,
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

enum Server {
    Stream(AsyncListener),
    Datagram(AsyncDatagramLink),
}

impl Server {
    fn local_addr(&self) -> tether::Result<Endpoint> {
        match self {
            Server::Stream(l) => l.local_addr(),
            Server::Datagram(s) => s.local_addr(),
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM stop the listener. The handlers are
/// installed here, before "listening on" is printed, so a signal sent as
/// soon as that line appears is never the default (fatal) one.
fn stop_on_signals(shutdown: CancellationToken) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt =
        signal(SignalKind::interrupt()).context("cannot install the Ctrl-C handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => shutdown.cancel(),
            _ = terminate.recv() => shutdown.cancel(),
            () = shutdown.cancelled() => {}
        }
    });
    Ok(())
}

/// Accepts until shutdown, one task per connection; then waits for the
/// connection tasks, which stop at the same token.
async fn serve_stream(listener: AsyncListener, shared: Arc<Shared>) {
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            () = shared.shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((link, peer)) => {
                    let id = shared.connections.fetch_add(1, Ordering::Relaxed) + 1;
                    tasks.spawn(serve_connection(link, peer_name(&peer, id), id, Arc::clone(&shared)));
                }
                Err(e) => {
                    // Out of file descriptors and the like: say so, pause
                    // briefly rather than spin, keep serving.
                    eprintln!("tether: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    // Stop accepting before the connections wind down.
    drop(listener);
    while tasks.join_next().await.is_some() {}
}

async fn serve_connection(mut link: AsyncLink, peer: Arc<str>, id: u64, shared: Arc<Shared>) {
    loop {
        let first = tokio::select! {
            biased;
            () = shared.shutdown.cancelled() => {
                finish_held(&mut link, &peer, id, &shared).await;
                break;
            }
            received = link.recv() => received,
        };
        let mut end = None;
        let mut messages = Vec::new();
        let mut bytes = 0;
        match first {
            Ok(payload) => {
                bytes += payload.len();
                messages.push(Received {
                    time: shared.now(),
                    payload,
                });
            }
            Err(e) => end = Some(e),
        }
        // Whatever else is already decodable (or already in the socket)
        // joins the batch, without waiting.
        while end.is_none() && messages.len() < BATCH_MESSAGES && bytes < BATCH_BYTES {
            match ready_now(&mut link).await {
                None => break,
                Some(Ok(payload)) => {
                    bytes += payload.len();
                    messages.push(Received {
                        time: shared.now(),
                        payload,
                    });
                }
                Some(Err(e)) => end = Some(e),
            }
        }
        if !messages.is_empty() {
            let echo: Option<Vec<Bytes>> = shared
                .echo
                .then(|| messages.iter().map(|m| m.payload.clone()).collect());
            let batch = Batch {
                peer: Arc::clone(&peer),
                conn: Some(id),
                messages,
            };
            if !shared.deliver(batch).await {
                break;
            }
            if let Some(echo) = echo {
                if let Err(e) = link.send_all(echo).await {
                    eprintln!("tether: {peer}: cannot echo: {e}");
                    break;
                }
            }
        }
        match end {
            None => {}
            Some(Error::Closed) => break,
            Some(e @ Error::Codec(_)) => {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                eprintln!("tether: {peer}: {e}; connection dropped");
                break;
            }
            Some(e) => {
                eprintln!("tether: {peer}: {e}");
                break;
            }
        }
    }
}

/// At shutdown, prints the whole messages this connection already holds
/// (read but not yet handed over), without waiting for more.
async fn finish_held(link: &mut AsyncLink, peer: &Arc<str>, id: u64, shared: &Shared) {
    let mut messages = Vec::new();
    while messages.len() < BATCH_MESSAGES {
        match ready_now(link).await {
            Some(Ok(payload)) => messages.push(Received {
                time: shared.now(),
                payload,
            }),
            _ => break,
        }
    }
    if !messages.is_empty() {
        let batch = Batch {
            peer: Arc::clone(peer),
            conn: Some(id),
            messages,
        };
        shared.deliver(batch).await;
    }
}

/// The next message if it is ready without waiting: `None` if it is not,
/// `Some(Err(Closed))` at the end of the stream.
async fn ready_now(link: &mut AsyncLink) -> Option<tether::Result<Bytes>> {
    std::future::poll_fn(|cx| match Pin::new(&mut *link).poll_next(cx) {
        Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
        Poll::Ready(None) => Poll::Ready(Some(Err(Error::Closed))),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

async fn serve_datagrams(mut socket: AsyncDatagramLink, shared: Arc<Shared>) {
    loop {
        let received = tokio::select! {
            biased;
            () = shared.shutdown.cancelled() => break,
            received = socket.recv_from() => received,
        };
        match received {
            Ok((payload, from)) => {
                let echo = shared.echo.then(|| payload.clone());
                let batch = Batch {
                    peer: Arc::from(from.to_string()),
                    conn: None,
                    messages: vec![Received {
                        time: shared.now(),
                        payload,
                    }],
                };
                if !shared.deliver(batch).await {
                    break;
                }
                if let Some(payload) = echo {
                    if let Err(e) = socket.send_to(&payload, from).await {
                        eprintln!("tether: {from}: cannot echo: {e}");
                    }
                }
            }
            // An ICMP error from an earlier echo, and the like: keep going.
            Err(e) => eprintln!("tether: {e}"),
        }
    }
}

/// `127.0.0.1:51544` or `[::1]:40000` for TCP; Unix peers rarely have a
/// path, so they are named by connection number.
fn peer_name(peer: &Endpoint, id: u64) -> Arc<str> {
    match peer {
        Endpoint::Tcp { host, port } | Endpoint::Udp { host, port } if host.contains(':') => {
            Arc::from(format!("[{host}]:{port}"))
        }
        Endpoint::Tcp { host, port } | Endpoint::Udp { host, port } => {
            Arc::from(format!("{host}:{port}"))
        }
        Endpoint::Unix(_) => Arc::from(format!("unix#{id}")),
    }
}

/// Once a second, messages/s and bytes/s on stderr: rewritten in place on a
/// terminal, one line per second otherwise.
async fn live_stats(shared: Arc<Shared>, is_udp: bool) {
    let in_place = io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let (mut last_messages, mut last_bytes, mut last_at) = (0, 0, Instant::now());
    loop {
        tokio::select! {
            () = shared.shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let (messages, bytes, now) = (
            shared.printed(),
            shared.bytes.load(Ordering::Relaxed),
            Instant::now(),
        );
        let secs = now.duration_since(last_at).as_secs_f64().max(1e-9);
        let line = stats_line(
            (messages - last_messages) as f64 / secs,
            (bytes - last_bytes) as f64 / secs,
            messages,
            (!is_udp).then(|| shared.connections.load(Ordering::Relaxed)),
        );
        if in_place {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
        (last_messages, last_bytes, last_at) = (messages, bytes, now);
    }
    if in_place {
        eprintln!();
    }
}

/// Owns stdout (and the `--output` file): formats and writes every message.
struct Printer {
    mode: Mode,
    json: bool,
    quiet: bool,
    max_show: usize,
    record: Option<Record>,
    output: Option<BufWriter<File>>,
    /// Reused for every line, so printing allocates nothing per message.
    line: String,
    /// Messages and payload bytes written, for the summary.
    printed: (u64, u64),
}

impl Printer {
    /// Prints until every sender is gone. Flushes whenever the queue runs
    /// dry, so a person sees each message at once and a flood is written
    /// in large blocks. A write error cancels the listener. Returns the
    /// messages and bytes printed, and how printing ended.
    fn run(
        mut self,
        mut from_tasks: mpsc::Receiver<Batch>,
        shutdown: &CancellationToken,
    ) -> ((u64, u64), io::Result<()>) {
        let mut stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        let result = (|| {
            while let Some(first) = from_tasks.blocking_recv() {
                self.print(&mut stdout, &first)?;
                while let Ok(next) = from_tasks.try_recv() {
                    self.print(&mut stdout, &next)?;
                }
                stdout.flush()?;
                if let Some(out) = &mut self.output {
                    out.flush()?;
                }
            }
            Ok(())
        })();
        if result.is_err() {
            shutdown.cancel();
        }
        (self.printed, result)
    }

    fn print(&mut self, stdout: &mut impl Write, batch: &Batch) -> io::Result<()> {
        for m in &batch.messages {
            self.print_one(stdout, &batch.peer, batch.conn, m)?;
            self.printed.0 += 1;
            self.printed.1 += m.payload.len() as u64;
        }
        Ok(())
    }

    fn print_one(
        &mut self,
        stdout: &mut impl Write,
        peer: &str,
        conn: Option<u64>,
        m: &Received,
    ) -> io::Result<()> {
        if let Some(out) = &mut self.output {
            out.write_all(&m.payload)?;
        }
        if self.quiet {
            return Ok(());
        }
        if self.json {
            let time = m.time.unwrap_or_else(SystemTime::now);
            let mut message = json::Message::new(time, peer, conn, &m.payload);
            if let Some(record) = &self.record {
                match record.unpack(&m.payload) {
                    Ok(values) => message.fields = Some(json::fields(&values)),
                    Err(e) => message.error = Some(e.to_string()),
                }
            }
            serde_json::to_writer(&mut *stdout, &message)?;
            return stdout.write_all(b"\n");
        }
        self.line.clear();
        match &self.record {
            Some(record) => match record.unpack(&m.payload) {
                Ok(values) => self.line.push_str(&line::record(peer, &values)),
                Err(e) => self
                    .line
                    .push_str(&line::not_a_record(peer, &m.payload, record, &e)),
            },
            None => line::message_into(&mut self.line, peer, &m.payload, self.mode, self.max_show),
        }
        self.line.push('\n');
        stdout.write_all(self.line.as_bytes())
    }
}
