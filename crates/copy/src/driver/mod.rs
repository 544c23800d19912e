//! The driver: the protocol over a `tether::Link`, files on disk, and
//! pipelined threads so that disk, crypto and network overlap.

mod pull;
mod push;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use tether::{Link, Options as LinkOptions};

pub use stats::{Stats, Summary};

use crate::code::Code;
use crate::error::{Error, ProtocolError, Result};
use crate::handshake::{Handshake, Hello, Role, Session, CAN_RECEIVE, CAN_SEND};
use crate::seal::{Aead, OpenError, Opener, Sealer};
use crate::source::Source;
use crate::wire::{Entry, Msg};

/// The largest frame a copy link carries: a 1 MiB record, its header and tag, with room.
pub const MAX_FRAME: usize = 2 << 20;

/// Link options for a copy: length framing, 2 MiB frames, no linger (the
/// driver gathers and flushes itself).
pub fn link_options() -> LinkOptions {
    LinkOptions::new()
        .max_frame_len(MAX_FRAME)
        .linger(Duration::ZERO)
}

/// What this side does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Send these paths (`-`: standard input).
    Send(Vec<PathBuf>),
    /// Receive into this path (`-`: standard output).
    Receive(PathBuf),
}

/// Choices that shape a copy.
#[derive(Debug, Clone)]
pub struct Options {
    /// Replace files that exist.
    pub overwrite: bool,
    /// Follow symlinks when sending.
    pub follow: bool,
    /// Bytes of file data per record (64 KiB to 1 MiB).
    pub chunk: usize,
    /// The AEAD to seal with (`None`: the faster on this CPU).
    pub aead: Option<Aead>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            overwrite: false,
            follow: false,
            chunk: 1 << 20,
            aead: None,
        }
    }
}

/// Calls back into the program that runs the copy.
pub struct Hooks<'a> {
    /// Shown the manifest (entries, total bytes) before receiving; `false` declines.
    pub ask: &'a mut dyn FnMut(&[Entry], u64) -> bool,
    /// Told of sources that are skipped (symlinks, devices).
    pub note: &'a mut dyn FnMut(&str),
    /// Counters the driver keeps up to date, for a progress bar.
    pub stats: std::sync::Arc<Stats>,
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

/// Runs a copy on the connecting side: `job` says which way.
pub fn connector(
    link: Link,
    code: &Code,
    job: Job,
    opts: &Options,
    hooks: Hooks<'_>,
) -> Result<Summary> {
    let intent = match job {
        Job::Send(_) => CAN_SEND,
        Job::Receive(_) => CAN_RECEIVE,
    };
    run(link, code, Role::Connector, intent, opts, hooks, |_| {
        Ok(job)
    })
}

/// Runs a copy on the listening side: with one path, the connector
/// decides whether this side serves it or receives into it; with more,
/// this side serves them.
pub fn listener(
    link: Link,
    code: &Code,
    paths: Vec<PathBuf>,
    opts: &Options,
    hooks: Hooks<'_>,
) -> Result<Summary> {
    let intent = if paths.len() == 1 {
        CAN_SEND | CAN_RECEIVE
    } else {
        CAN_SEND
    };
    run(
        link,
        code,
        Role::Listener,
        intent,
        opts,
        hooks,
        move |peer: Hello| {
            if peer.intent == CAN_SEND {
                match <[PathBuf; 1]>::try_from(paths) {
                    Ok([p]) => Ok(Job::Receive(p)),
                    Err(_) => Err(Error::Local(
                        "the peer wants to send, and this side serves several paths".into(),
                    )),
                }
            } else {
                Ok(Job::Send(paths))
            }
        },
    )
}

fn run(
    mut link: Link,
    code: &Code,
    role: Role,
    intent: u8,
    opts: &Options,
    mut hooks: Hooks<'_>,
    decide: impl FnOnce(Hello) -> Result<Job>,
) -> Result<Summary> {
    let peer = link
        .peer_addr()
        .map(|p| p.to_string())
        .unwrap_or_else(|_| "the peer".into());
    let hello = Hello {
        role,
        intent,
        aead: opts.aead.unwrap_or_else(Aead::best),
    };
    let mut session = shake(&mut link, code, hello, &peer)?;
    let job = match decide(session.peer) {
        Ok(job) => job,
        Err(e) => return Err(give_up(&mut link, &mut session.sealer, e)),
    };
    match job {
        Job::Send(paths) => {
            let source = match Source::collect(&paths, opts.follow) {
                Ok(s) => s,
                Err(e) => return Err(give_up(&mut link, &mut session.sealer, e)),
            };
            source.skipped.iter().for_each(|s| (hooks.note)(s));
            push::push(link, session, source, opts, &hooks, &peer)
        }
        Job::Receive(dest) => pull::pull(link, session, dest, opts, &mut hooks, &peer),
    }
}

/// HELLO and PAKE out, the peer's in, CONFIRM both ways.
fn shake(link: &mut Link, code: &Code, hello: Hello, peer: &str) -> Result<Session> {
    let gone = |cause| Error::PeerGone {
        peer: peer.to_owned(),
        cause,
    };
    let (hs, frames) = Handshake::start(code, hello);
    link.send_all(&frames).map_err(gone)?;
    let their_hello = link.recv().map_err(gone)?;
    let their_pake = link.recv().map_err(gone)?;
    let (confirming, confirm) =
        hs.receive(&their_hello, &their_pake)
            .map_err(|source| Error::Protocol {
                peer: peer.to_owned(),
                source,
            })?;
    link.send(&confirm).map_err(gone)?;
    let their_confirm = link.recv().map_err(gone)?;
    confirming.finish(&their_confirm)
}

/// Receives and opens the peer's next record.
fn recv_msg(link: &mut Link, opener: &mut Opener, peer: &str) -> Result<Msg> {
    let frame = link.recv().map_err(|cause| link_error(cause, peer))?;
    open(frame, opener, peer)
}

fn open(frame: tether::Bytes, opener: &mut Opener, peer: &str) -> Result<Msg> {
    let mut buf = bytes::BytesMut::from(frame);
    opened(opener.open_msg(&mut buf), peer)
}

/// What opening a record found, as this crate's error.
fn opened(r: std::result::Result<Msg, OpenError>, peer: &str) -> Result<Msg> {
    r.map_err(|e| match e {
        OpenError::Tampered { counter } => Error::Tampered {
            counter,
            peer: peer.to_owned(),
        },
        OpenError::Protocol(source) => Error::Protocol {
            peer: peer.to_owned(),
            source,
        },
    })
}

/// After the handshake, a stream that ends before the peer's final record,
/// between records or inside one, is an integrity failure: a cut cannot be
/// told from a peer that stopped. A reset or a failed write means the peer
/// went away.
fn link_error(cause: tether::Error, peer: &str) -> Error {
    match cause {
        tether::Error::Closed | tether::Error::Truncated { .. } => Error::Truncated {
            peer: peer.to_owned(),
        },
        tether::Error::Codec(_) => Error::Protocol {
            peer: peer.to_owned(),
            source: ProtocolError::NoFinal,
        },
        cause => Error::PeerGone {
            peer: peer.to_owned(),
            cause,
        },
    }
}

/// Tells the peer why this side stops (best effort), and returns the reason.
fn give_up(link: &mut Link, sealer: &mut Sealer, e: Error) -> Error {
    tell(&link.sender(), sealer, &e);
    e
}

fn tell(sender: &tether::Sender, sealer: &mut Sealer, e: &Error) {
    let kind = match e {
        Error::Peer { .. } | Error::PeerGone { .. } | Error::Truncated { .. } => return,
        e => e.kind(),
    };
    if let Ok(f) = sealer.seal_msg(&Msg::Error(kind, e.to_string())) {
        let _ = sender.send(&f);
        let _ = sender.flush();
    }
}
