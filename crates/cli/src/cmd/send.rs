//! `tether send`: connect once and send messages from arguments, stdin, a
//! file or packed records. Blocking links, no runtime: one connection, and
//! as few syscalls as the input allows.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bytes::Bytes;
use tether::{DatagramLink, Endpoint, Framing, Link, Options, Record};

use crate::cli::SendArgs;
use crate::output::caret::parse_format;
use crate::output::render::{self, Mode};

/// Bytes read from stdin or a file per read in raw framing, and the buffer
/// size for reading lines.
const CHUNK: usize = 64 * 1024;

/// Runs `tether send`.
pub fn run(args: SendArgs) -> anyhow::Result<()> {
    let record = args.format.as_deref().map(parse_format).transpose()?;
    let framing = args.framing.resolve(record.as_ref().map(Record::size))?;
    check_sources(&args)?;
    // Messages from arguments and files are made before connecting, so a
    // value that does not fit its field costs no connection.
    let prepared = prepare(&args, record.as_ref(), framing)?;
    let mut sender = Sender::open(&args, framing, record)?;
    let endpoint = args.endpoint.to_string();
    send_all(&args, prepared, &mut sender)
        .and_then(|()| sender.finish())
        .with_context(|| format!("sending to {endpoint}"))
}

/// The messages known before connecting: `None` for streamed input.
fn prepare(
    args: &SendArgs,
    record: Option<&Record>,
    framing: Framing,
) -> anyhow::Result<Option<Vec<Vec<u8>>>> {
    if args.stdin {
        return Ok(None);
    }
    if let Some(path) = &args.file {
        if framing == Framing::Raw {
            return Ok(None);
        }
        return Ok(Some(vec![read_file(path, args.max_frame_len)?]));
    }
    Ok(Some(match record {
        Some(record) => vec![pack(record, &args.messages)?],
        None => args
            .messages
            .iter()
            .map(|m| m.clone().into_bytes())
            .collect(),
    }))
}

/// Exactly one source of messages: arguments, `--stdin` or `--file`.
fn check_sources(args: &SendArgs) -> anyhow::Result<()> {
    let from_args = !args.messages.is_empty();
    if args.stdin && from_args {
        bail!("give messages as arguments or with --stdin, not both");
    }
    if args.file.is_some() && from_args {
        bail!("give messages as arguments or with --file, not both");
    }
    if !args.stdin && args.file.is_none() && !from_args {
        bail!("nothing to send: give MESSAGE arguments, --stdin or --file PATH");
    }
    if args.stdin && args.repeat != 1 {
        bail!("--repeat cannot replay --stdin; save the input to a file and use --file");
    }
    if args.file.is_some() && args.format.is_some() {
        bail!("--format packs values given as arguments or on stdin, not a --file");
    }
    Ok(())
}

fn send_all(
    args: &SendArgs,
    prepared: Option<Vec<Vec<u8>>>,
    sender: &mut Sender,
) -> anyhow::Result<()> {
    if let Some(messages) = prepared {
        return sender.send_repeated(&messages, args.repeat);
    }
    if let Some(path) = &args.file {
        // Raw framing has no message to keep whole: stream the file.
        for _ in 0..args.repeat {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            send_raw(BufReader::with_capacity(CHUNK, file), sender)?;
        }
        return Ok(());
    }
    let stdin = BufReader::with_capacity(CHUNK, io::stdin().lock());
    send_stream(stdin, "stdin", sender)
}

fn pack(record: &Record, texts: &[impl AsRef<str>]) -> anyhow::Result<Vec<u8>> {
    let values = record.parse_values(texts).context("invalid value")?;
    record.pack(&values).context("invalid value")
}

/// A file as one message, refused before reading if over the limit.
fn read_file(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > max as u64 {
        bail!(
            "{} is {len} bytes, over the {max}-byte message limit; raise --max-frame-len or use --framing raw",
            path.display()
        );
    }
    let mut payload = Vec::with_capacity(len as usize);
    // `take` so a file that grows while read still respects the limit.
    file.take(max as u64 + 1)
        .read_to_end(&mut payload)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if payload.len() > max {
        bail!(
            "{} grew past the {max}-byte message limit while read",
            path.display()
        );
    }
    Ok(payload)
}

/// Sends a stream of input as its framing says: lines (records of values
/// with `--format`), `fixed:N` chunks, or bytes as they come for raw.
fn send_stream<R: Read>(
    mut input: BufReader<R>,
    name: &str,
    sender: &mut Sender,
) -> anyhow::Result<()> {
    if let Some(record) = sender.record.clone() {
        let mut line = Vec::new();
        let mut number = 0u64;
        while read_line(&mut input, &mut line, sender.max_frame_len)
            .with_context(|| format!("line {} of {name}", number + 1))?
        {
            number += 1;
            let text = String::from_utf8_lossy(&line);
            let payload = pack(&record, &text.split_whitespace().collect::<Vec<_>>())
                .with_context(|| format!("line {number} of {name}"))?;
            sender.emit(&payload, input.buffer().is_empty())?;
        }
        return Ok(());
    }
    match sender.framing {
        Framing::Raw => send_raw(input, sender),
        Framing::Fixed(size) => {
            let mut record = vec![0; size.get()];
            loop {
                let got = read_full(&mut input, &mut record)
                    .with_context(|| format!("cannot read {name}"))?;
                if got == 0 {
                    return Ok(());
                }
                if got < record.len() {
                    bail!("{name} ended inside a record: got {got} of {size} bytes");
                }
                sender.emit(&record, input.buffer().is_empty())?;
            }
        }
        Framing::Length | Framing::Line => {
            let mut line = Vec::new();
            let mut number = 0u64;
            while read_line(&mut input, &mut line, sender.max_frame_len)
                .with_context(|| format!("line {} of {name}", number + 1))?
            {
                number += 1;
                sender.emit(&line, input.buffer().is_empty())?;
            }
            Ok(())
        }
    }
}

/// Raw framing: bytes are sent as they arrive, as nc does.
fn send_raw(mut input: impl BufRead, sender: &mut Sender) -> anyhow::Result<()> {
    loop {
        let chunk = input.fill_buf().context("cannot read the input")?;
        if chunk.is_empty() {
            return Ok(());
        }
        let n = chunk.len();
        sender.emit_raw(chunk)?;
        input.consume(n);
    }
}

/// Reads one line without its `\n` into `line`; false at the end of input.
/// A last line without `\n` counts. A line over `max` bytes is an error
/// before it is buffered whole.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> anyhow::Result<bool> {
    line.clear();
    loop {
        let available = input.fill_buf().context("cannot read the input")?;
        if available.is_empty() {
            return Ok(!line.is_empty());
        }
        let (take, found) = match memchr::memchr(b'\n', available) {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if line.len() + take > max {
            bail!("longer than the {max}-byte message limit; raise --max-frame-len");
        }
        line.extend_from_slice(&available[..take]);
        input.consume(take + usize::from(found));
        if found {
            return Ok(true);
        }
    }
}

/// Fills `buf` unless the input ends first; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A stream link or a UDP socket, with pacing and reply printing.
struct Sender {
    link: Transport,
    framing: Framing,
    max_frame_len: usize,
    record: Option<Arc<Record>>,
    pacer: Option<Pacer>,
    wait_reply: Option<Duration>,
    reply_mode: Mode,
    stdout: io::Stdout,
}

enum Transport {
    Stream(Link),
    Datagram(DatagramLink),
}

impl Sender {
    fn open(args: &SendArgs, framing: Framing, record: Option<Record>) -> anyhow::Result<Sender> {
        let options = Options::new()
            .framing(framing)
            .max_frame_len(args.max_frame_len);
        let link = match &args.endpoint {
            Endpoint::Udp { .. } => Transport::Datagram(DatagramLink::connect(&args.endpoint)?),
            endpoint => Transport::Stream(match (args.retry, args.connect_timeout) {
                (Some(within), _) => Link::connect_retry(endpoint, within, &options)?,
                (None, Some(timeout)) => Link::connect_timeout(endpoint, timeout, &options)?,
                (None, None) => Link::connect_with(endpoint, &options)?,
            }),
        };
        Ok(Sender {
            link,
            framing,
            max_frame_len: args.max_frame_len,
            record: record.map(Arc::new),
            pacer: args.rate.map(|r| Pacer::new(r.0)),
            wait_reply: args.wait_reply.then_some(args.reply_timeout),
            reply_mode: Mode::from_flags(args.hex, args.text),
            stdout: io::stdout(),
        })
    }

    fn send_repeated(&mut self, messages: &[Vec<u8>], repeat: u64) -> anyhow::Result<()> {
        // Everything is at hand: gather it all (the link writes whenever
        // 256 KiB have gathered) and flush once at the end.
        for round in 1..=repeat {
            for (i, message) in messages.iter().enumerate() {
                self.emit(message, round == repeat && i + 1 == messages.len())?;
            }
        }
        Ok(())
    }

    /// Sends one message. Unpaced, it is gathered with those that follow
    /// and written when `idle` says no more input is at hand (or the batch
    /// fills), so a flood costs few syscalls and a person typing waits for
    /// none.
    fn emit(&mut self, payload: &[u8], idle: bool) -> anyhow::Result<()> {
        if let Some(pacer) = &mut self.pacer {
            pacer.wait();
        }
        let direct = self.pacer.is_some() || self.wait_reply.is_some();
        match &mut self.link {
            Transport::Stream(link) if direct => link.send(payload)?,
            Transport::Stream(link) => {
                link.feed(payload)?;
                if idle {
                    link.flush()?;
                }
            }
            Transport::Datagram(socket) => socket.send(payload)?,
        }
        if let Some(timeout) = self.wait_reply {
            self.print_reply(timeout)?;
        }
        Ok(())
    }

    /// Raw bytes: on a stream, written as they are; over UDP, one datagram
    /// per chunk read (split to fit a datagram).
    fn emit_raw(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        match &mut self.link {
            Transport::Stream(link) => {
                link.send(chunk)?;
                link.flush()?;
                Ok(())
            }
            // Datagrams small enough for UDP over IPv4 and IPv6 alike.
            Transport::Datagram(_) => {
                for piece in chunk.chunks(tether::MAX_UDP_PAYLOAD_V4) {
                    self.emit(piece, true)?;
                }
                Ok(())
            }
        }
    }

    fn print_reply(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let reply: Option<Bytes> = match &mut self.link {
            Transport::Stream(link) => link.recv_timeout(timeout)?,
            Transport::Datagram(socket) => socket.recv_timeout(timeout)?,
        };
        let Some(reply) = reply else {
            bail!("no reply within {}", humantime::format_duration(timeout));
        };
        let text = match &self.record {
            Some(record) => match record.unpack(&reply) {
                Ok(values) => values.to_string(),
                Err(_) => render::render(&reply, self.reply_mode, 0),
            },
            None => render::render(&reply, self.reply_mode, 0),
        };
        let mut out = self.stdout.lock();
        writeln!(out, "{text}")?;
        out.flush()?;
        Ok(())
    }

    /// Writes what is gathered and closes the write side, so the peer sees
    /// a clean end.
    fn finish(&mut self) -> anyhow::Result<()> {
        if let Transport::Stream(link) = &mut self.link {
            link.flush()?;
            match link.shutdown(Shutdown::Write) {
                // The peer may already have gone after reading everything.
                Ok(()) | Err(tether::Error::Io(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Spaces sends evenly at a rate. After a stall it catches up for at most
/// a tenth of a second's worth of sends, rather than bursting.
struct Pacer {
    interval: Duration,
    next: Instant,
}

/// How far behind schedule the pacer may run before it forgets the debt.
const MAX_CATCH_UP: Duration = Duration::from_millis(100);

impl Pacer {
    fn new(per_second: f64) -> Self {
        Pacer {
            interval: Duration::try_from_secs_f64(1.0 / per_second).unwrap_or(Duration::MAX),
            next: Instant::now(),
        }
    }

    fn wait(&mut self) {
        let now = Instant::now();
        if self.next > now {
            std::thread::sleep(self.next - now);
        } else if now - self.next > MAX_CATCH_UP {
            self.next = now;
        }
        self.next = self.next.checked_add(self.interval).unwrap_or(self.next);
    }
}
