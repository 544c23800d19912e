//! The sending side of `tether send`: a stream link or a UDP socket, with
//! pacing and reply printing.

use std::io::{self, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd as _, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use tether::{DatagramLink, Endpoint, Framing, Link, Options, Record};

use super::resend::{self, Unacked, CHECK_EVERY};
use crate::cli::SendArgs;
use crate::output::render::{self, Mode};

/// A stream link or a UDP socket, with pacing and reply printing.
pub struct Outgoing {
    link: Wire,
    /// How messages are delimited.
    pub framing: Framing,
    /// Largest message, in bytes.
    pub max_frame_len: usize,
    /// The record values are packed as, if any.
    pub record: Option<Arc<Record>>,
    endpoint: String,
    pacer: Option<Pacer>,
    wait_reply: Option<Duration>,
    reply_mode: Mode,
    stdout: io::Stdout,
    retry: Option<Retry>,
}

/// `--retry` on a TCP stream: where to connect again, and what to resend.
struct Retry {
    endpoint: Endpoint,
    within: Duration,
    options: Options,
    unacked: Unacked,
}

/// Connections a sender makes again at most after losing one.
const MAX_RECONNECTS: u32 = 100;

/// What carries the messages.
enum Wire {
    Stream(Link),
    Datagram(DatagramLink),
}

impl Outgoing {
    /// Connects (or binds, for UDP) as the arguments say.
    pub fn open(
        args: &SendArgs,
        endpoint: &Endpoint,
        framing: Framing,
        record: Option<Record>,
    ) -> anyhow::Result<Outgoing> {
        let options = Options::new()
            .framing(framing)
            .max_frame_len(args.max_frame_len);
        let link = match endpoint {
            Endpoint::Udp { .. } => Wire::Datagram(DatagramLink::connect(endpoint)?),
            endpoint => Wire::Stream(match (args.retry, args.connect_timeout) {
                (Some(within), _) => Link::connect_retry(endpoint, within, &options)?,
                (None, Some(timeout)) => Link::connect_timeout(endpoint, timeout, &options)?,
                (None, None) => Link::connect_with(endpoint, &options)?,
            }),
        };
        let retry = match (&link, args.retry) {
            // Only framed TCP says which whole messages were acknowledged;
            // replies are not asked again.
            (Wire::Stream(l), Some(within))
                if resend::tells_acks(l.as_raw_fd())
                    && framing != Framing::Raw
                    && !args.wait_reply =>
            {
                let mut unacked = Unacked::default();
                unacked.connected(l.as_raw_fd());
                Some(Retry {
                    endpoint: endpoint.clone(),
                    within,
                    options,
                    unacked,
                })
            }
            _ => None,
        };
        Ok(Outgoing {
            retry,
            link,
            framing,
            max_frame_len: args.max_frame_len,
            record: record.map(Arc::new),
            endpoint: args.endpoint.to_string(),
            pacer: args.rate.map(|r| Pacer::new(r.0)),
            wait_reply: args.wait_reply.then_some(args.reply_timeout),
            reply_mode: Mode::from_flags(args.hex, args.text),
            stdout: io::stdout(),
        })
    }

    pub fn send_repeated(&mut self, messages: &[Vec<u8>], repeat: u64) -> anyhow::Result<()> {
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
    pub fn emit(&mut self, payload: &[u8], idle: bool) -> anyhow::Result<()> {
        if let Some(pacer) = &mut self.pacer {
            pacer.wait();
        }
        let direct = self.pacer.is_some() || self.wait_reply.is_some();
        if let Some(retry) = &mut self.retry {
            retry.unacked.push(payload, self.framing);
        }
        let sent = match &mut self.link {
            Wire::Stream(link) if direct => link.send(payload),
            Wire::Stream(link) => {
                link.feed(payload)
                    .and_then(|()| if idle { link.flush() } else { Ok(()) })
            }
            Wire::Datagram(socket) => socket.send(payload),
        };
        match sent {
            Ok(()) => self.forget_acknowledged(direct || idle),
            Err(e) => self.resend(e)?,
        }
        if let Some(timeout) = self.wait_reply {
            self.print_reply(timeout)?;
        }
        Ok(())
    }

    /// Raw bytes: on a stream, written as they are; over UDP, one datagram
    /// per chunk read (split to fit a datagram).
    pub fn emit_raw(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        match &mut self.link {
            Wire::Stream(link) => {
                link.send(chunk)?;
                link.flush()?;
                Ok(())
            }
            // Datagrams small enough for UDP over IPv4 and IPv6 alike.
            Wire::Datagram(_) => {
                for piece in chunk.chunks(tether::MAX_UDP_PAYLOAD_V4) {
                    self.emit(piece, true)?;
                }
                Ok(())
            }
        }
    }

    fn print_reply(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let reply: tether::Result<Option<Bytes>> = match &mut self.link {
            Wire::Stream(link) => link.recv_timeout(timeout),
            Wire::Datagram(socket) => socket.recv_timeout(timeout),
        };
        let waiting = || WaitingForReply(self.endpoint.clone());
        let Some(reply) = reply.context(waiting())? else {
            return Err(
                anyhow!("no reply within {}", humantime::format_duration(timeout))
                    .context(waiting()),
            );
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
    /// a clean end; then waits briefly for the peer's close, so a peer that
    /// reset the connection (dropping what was sent, as a listener does
    /// with frames it cannot decode) makes the send fail.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        if let Wire::Stream(link) = &mut self.link {
            if let Err(e) = link.flush() {
                self.resend(e)?;
            }
        }
        if let Wire::Stream(link) = &mut self.link {
            match link.shutdown(Shutdown::Write) {
                // The peer may already have gone after reading everything.
                Ok(()) | Err(tether::Error::Io(_)) => {}
                Err(e) => return Err(e.into()),
            }
            let deadline = Instant::now() + CLOSE_WAIT;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match link.recv_timeout(left) {
                    // Replies nobody waits for: keep draining.
                    Ok(Some(_)) if !left.is_zero() => {}
                    Err(tether::Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                        bail!("the peer reset the connection, so it may not have read everything (does it use the same --framing?)")
                    }
                    // A close that crossed data sent after it ends in a
                    // reset, a moment after the close.
                    Err(tether::Error::Closed) if reset_after_close(link.as_raw_fd(), deadline) => {
                        bail!("the peer closed the connection before reading everything (does it use the same --framing?)")
                    }
                    // Closed, gone quiet, or anything else: what was sent
                    // was taken.
                    _ => return Ok(()),
                }
            }
        }
        Ok(())
    }
}

impl Outgoing {
    /// With `--retry`, forgets what the peer acknowledged: after a write
    /// (`now`), or once the held messages pass [`CHECK_EVERY`] bytes.
    fn forget_acknowledged(&mut self, now: bool) {
        if let (Some(retry), Wire::Stream(link)) = (&mut self.retry, &self.link) {
            if now || retry.unacked.held() >= CHECK_EVERY {
                retry.unacked.prune(link.as_raw_fd());
            }
        }
    }

    /// The connection was lost with `cause`: without `--retry` (or for an
    /// error that is not a lost connection) that is the error; with it,
    /// connects again within the `--retry` time and sends every message the
    /// peer had not acknowledged.
    fn resend(&mut self, mut cause: tether::Error) -> anyhow::Result<()> {
        for _ in 0..MAX_RECONNECTS {
            let Some(retry) = self.retry.as_mut().filter(|_| lost(&cause)) else {
                return Err(cause.into());
            };
            let mut link = Link::connect_retry(&retry.endpoint, retry.within, &retry.options)
                .with_context(|| format!("connection lost ({cause}); reconnecting"))?;
            retry.unacked.connected(link.as_raw_fd());
            let pending = retry.unacked.take();
            eprintln!(
                "tether: connection to {} lost ({cause}); reconnected, sending again from message {} ({} the peer had not acknowledged)",
                self.endpoint,
                retry.unacked.acked() + 1,
                pending.len()
            );
            for payload in &pending {
                retry.unacked.push(payload, self.framing);
            }
            let sent = pending
                .iter()
                .try_for_each(|p| link.feed(p))
                .and_then(|()| link.flush());
            self.link = Wire::Stream(link);
            match sent {
                Ok(()) => return Ok(()),
                Err(e) => cause = e,
            }
        }
        Err(anyhow!(
            "connection lost {MAX_RECONNECTS} times; last: {cause}"
        ))
    }
}

/// Whether `e` means the connection is gone (and a new one may carry on).
fn lost(e: &tether::Error) -> bool {
    matches!(
        e,
        tether::Error::Io(_) | tether::Error::Closed | tether::Error::Truncated { .. }
    )
}

/// How long a sender waits for its peer to close after the last message: a
/// listener closes at once; a peer that keeps the connection open costs
/// this much.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// After the peer's close: waits (until `deadline`) for the connection to
/// finish closing, then tells whether it ended in a reset (the peer got
/// data after it had closed, and dropped it).
fn reset_after_close(fd: RawFd, deadline: Instant) -> bool {
    while tcp_state(fd).is_some_and(|s| s != TCP_CLOSE && s != TCP_TIME_WAIT)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `err` and `len` are valid for the option's size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    r == 0 && (err == libc::ECONNRESET || err == libc::EPIPE)
}

/// Linux's `TCP_CLOSE` and `TCP_TIME_WAIT` states (`tcpi_state`).
const TCP_CLOSE: u8 = 7;
const TCP_TIME_WAIT: u8 = 6;

/// The TCP state of `fd`; `None` for a socket that is not TCP.
fn tcp_state(fd: RawFd) -> Option<u8> {
    resend::tcp_info(fd).map(|info| info.tcpi_state)
}

/// Marks an error met while waiting for a reply, not while sending.
#[derive(Debug)]
pub struct WaitingForReply(pub String);

impl std::fmt::Display for WaitingForReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "waiting for a reply from {}", self.0)
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
