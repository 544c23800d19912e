//! The sending side: manifest, offers, then the files through three
//! threads (read and hash; seal; write to the link) while this thread
//! waits for the receiver's answer.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};

use tether::Link;

use super::{give_up, link_error, recv_msg, Hooks, Options, Stats, Summary};
use crate::error::{Error, Result};
use crate::handshake::Session;
use crate::outgoing::{plan, Outgoing, Plan};
use crate::seal::{Sealer, HEADER_LEN, TAG_LEN};
use crate::source::{Origin, Source};
use crate::wire::{EntryKind, Msg, T_DATA, UNKNOWN_SIZE};

/// Frames in flight between two stages.
const DEPTH: usize = 4;

/// Frames at least this long are written at once, behind anything
/// gathered, in one `writev` and without a copy; shorter ones are gathered.
const WRITE_AT_ONCE: usize = 16 * 1024;

/// Records gathered before one hand-off to the sealing thread, so that
/// many small files cost one channel message and one wake-up per batch,
/// not three per file; a big record is handed off at once.
const BATCH_BYTES: usize = 256 * 1024;
/// At most this many records in one hand-off.
const BATCH_RECORDS: usize = 256;

/// A record on its way: `buf[..HEADER_LEN + len]` is its header and
/// plaintext, and `buf` has room for the tag after them. Data buffers go
/// back to the reader once written, so a copy allocates a few, not one per
/// record, and never clears them.
struct Rec {
    buf: Vec<u8>,
    len: usize,
}

pub(super) fn push(
    mut link: Link,
    mut session: Session,
    source: Source,
    opts: &Options,
    hooks: &Hooks<'_>,
    peer: &str,
) -> Result<Summary> {
    let mut out = Outgoing::new(peer, source.entries);
    let files = out
        .entries()
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .count() as u64;
    let total = out
        .entries()
        .iter()
        .filter(|e| e.kind == EntryKind::File && e.size != UNKNOWN_SIZE)
        .map(|e| e.size)
        .sum();
    hooks.stats.set_totals(files, total);
    for m in out.manifest() {
        let f = session
            .sealer
            .seal_msg(&m)
            .map_err(|e| Error::Local(e.to_string()))?;
        link.feed(&f).map_err(|cause| link_error(cause, peer))?;
    }
    link.flush().map_err(|cause| link_error(cause, peer))?;
    loop {
        let msg = recv_msg(&mut link, &mut session.opener, peer);
        match msg.and_then(|m| out.handle(m)) {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return Err(give_up(&mut link, &mut session.sealer, e)),
        }
    }
    let started = std::time::Instant::now();
    let mut summary = Summary {
        sent: true,
        files,
        dirs: out.entries().len() as u64 - files,
        aead: session.aead.name(),
        ..Summary::default()
    };
    pipeline(
        link,
        session,
        &out,
        &source.origins,
        opts,
        hooks,
        &mut summary,
        peer,
    )?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn pipeline(
    mut link: Link,
    session: Session,
    out: &Outgoing,
    origins: &[Origin],
    opts: &Options,
    hooks: &Hooks<'_>,
    summary: &mut Summary,
    peer: &str,
) -> Result<()> {
    let Session {
        mut sealer,
        mut opener,
        ..
    } = session;
    let stop = AtomicBool::new(false);
    let sender = link.sender();
    let stats: &Stats = &hooks.stats;
    let data_len = HEADER_LEN + opts.chunk + TAG_LEN;
    std::thread::scope(|s| {
        let (to_seal, sealing) = sync_channel::<Vec<Rec>>(DEPTH);
        let (to_write, writing) = sync_channel::<Vec<Rec>>(DEPTH);
        let (to_reuse, reuse) = sync_channel::<Vec<u8>>(2 * DEPTH + 4);
        let reader = s.spawn(|| {
            let mut r = Reading {
                out,
                tx: to_seal,
                batch: Vec::new(),
                batch_bytes: 0,
                free: reuse,
                stop: &stop,
                stats,
                chunk: opts.chunk,
                summary: Summary::default(),
            };
            r.all(origins).map(|()| r.summary)
        });
        let sealer_t = s.spawn(move || {
            for mut batch in sealing {
                for r in &mut batch {
                    match sealer.seal_record(&mut r.buf, r.len) {
                        Ok(n) => r.len = n,
                        Err(_) => return,
                    }
                }
                if to_write.send(batch).is_err() {
                    return;
                }
            }
        });
        let sender = &sender;
        let writer = s.spawn(move || write_frames(sender, writing, &to_reuse, data_len));
        let reply = recv_msg(&mut link, &mut opener, peer).and_then(|m| out.finish(m));
        stop.store(true, Ordering::Relaxed);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(Error::Local("the reader thread panicked".into())));
        let _ = sealer_t.join();
        let written = writer.join().unwrap_or(Ok(()));
        match (reply, read) {
            (Ok(()), Ok(r)) => {
                summary.bytes = r.bytes;
                summary.resumed_bytes = r.resumed_bytes;
                summary.skipped_files = r.skipped_files;
                summary.hashes = r.hashes;
                Ok(())
            }
            (Err(e @ Error::Peer { .. }), _) => Err(e),
            (_, Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(written
                .err()
                .map(|cause| link_error(cause, peer))
                .unwrap_or(e)),
        }
    })
}

/// Writes sealed frames (`len` is then the frame's length): a big one at
/// once, small ones gathered while more are ready and flushed when the
/// queue runs dry. Data buffers (`data_len` long) go back for reuse.
fn write_frames(
    sender: &tether::Sender,
    rx: Receiver<Vec<Rec>>,
    reuse: &SyncSender<Vec<u8>>,
    data_len: usize,
) -> tether::Result<()> {
    loop {
        let batch = match rx.try_recv() {
            Ok(f) => f,
            Err(TryRecvError::Empty) => {
                sender.flush()?;
                match rx.recv() {
                    Ok(f) => f,
                    Err(_) => return sender.flush(),
                }
            }
            Err(TryRecvError::Disconnected) => return sender.flush(),
        };
        for r in batch {
            let frame = &r.buf[..r.len];
            if frame.len() >= WRITE_AT_ONCE {
                sender.send(frame)?;
            } else {
                sender.feed(frame)?;
            }
            if r.buf.len() == data_len {
                let _ = reuse.try_send(r.buf);
            }
        }
    }
}

/// The reading stage: files in manifest order, each planned from the
/// receiver's offer, read in chunks and hashed.
struct Reading<'a> {
    out: &'a Outgoing,
    tx: SyncSender<Vec<Rec>>,
    /// Records not yet handed off, and their plaintext bytes.
    batch: Vec<Rec>,
    batch_bytes: usize,
    free: Receiver<Vec<u8>>,
    stop: &'a AtomicBool,
    stats: &'a Stats,
    chunk: usize,
    summary: Summary,
}

impl Reading<'_> {
    fn emit(&mut self, msg: &Msg) -> Result<()> {
        let mut buf = Sealer::frame(msg.record_type(), msg.is_final(), 48);
        msg.encode_body(&mut buf);
        let len = buf.len() - HEADER_LEN;
        buf.resize(buf.len() + TAG_LEN, 0);
        self.send(Rec { buf, len })?;
        if msg.is_final() {
            self.hand_off()?;
        }
        Ok(())
    }

    /// Adds a record to the batch, handing the batch off when it is big.
    fn send(&mut self, r: Rec) -> Result<()> {
        self.batch_bytes += r.len;
        self.batch.push(r);
        if self.batch_bytes >= BATCH_BYTES || self.batch.len() >= BATCH_RECORDS {
            self.hand_off()?;
        }
        Ok(())
    }

    fn hand_off(&mut self) -> Result<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::Local("stopped".into()));
        }
        if self.batch.is_empty() {
            return Ok(());
        }
        self.batch_bytes = 0;
        self.tx
            .send(std::mem::take(&mut self.batch))
            .map_err(|_| Error::Local("the link is gone".into()))
    }

    fn all(&mut self, origins: &[Origin]) -> Result<()> {
        let entries = self.out.entries();
        for (i, (e, origin)) in entries.iter().zip(origins).enumerate() {
            let r = match origin {
                Origin::Dir => Ok(()),
                Origin::File(path) => {
                    let shown = path.display().to_string();
                    File::open(path)
                        .map_err(|err| Error::io("cannot open", &shown, err))
                        .and_then(|f| self.file(i as u32, &e.name, e.size, f))
                }
                Origin::Stdin => self.stream(i as u32, &e.name, io::stdin().lock()),
            };
            if let Err(err) = r {
                if !matches!(err, Error::Local(ref s) if s == "stopped" || s == "the link is gone")
                {
                    let _ = self.emit(&Msg::Error(err.kind(), err.to_string()));
                }
                return Err(err);
            }
        }
        self.emit(&Msg::Done)
    }

    /// One file of `size` bytes: skip it, resume it, or send it whole.
    fn file(&mut self, index: u32, name: &str, size: u64, mut f: File) -> Result<()> {
        let offer = self.out.offer(index);
        let mut hasher = blake3::Hasher::new();
        let mine = match offer {
            Some(o) if o.len <= size => {
                copy_through(&mut f, o.len, &mut hasher, name)?;
                Some(*hasher.finalize().as_bytes())
            }
            _ => None,
        };
        match plan(offer.as_ref(), size, mine.as_ref()) {
            Plan::Skip => {
                self.stats.add_bytes(size);
                self.stats.add_file();
                self.summary.skipped_files += 1;
                self.summary
                    .hashes
                    .push((name.to_owned(), mine.unwrap_or_default()));
                self.emit(&Msg::FileSkip(index))
            }
            Plan::From(offset) => {
                if offset == 0 && mine.is_some() {
                    hasher = blake3::Hasher::new();
                    io::Seek::rewind(&mut f).map_err(|e| Error::io("cannot rewind", name, e))?;
                }
                self.summary.resumed_bytes += offset;
                self.stats.add_bytes(offset);
                self.emit(&Msg::FileStart { index, offset })?;
                let sent = self.chunks(&mut f, Some(size - offset), &mut hasher, name)?;
                if sent != size - offset {
                    return Err(Error::Local(format!(
                        "{} changed while it was sent",
                        crate::name::sanitize(name)
                    )));
                }
                self.end(name, hasher)
            }
        }
    }

    /// A stream of unknown size (stdin): always sent whole.
    fn stream(&mut self, index: u32, name: &str, mut r: impl Read) -> Result<()> {
        let mut hasher = blake3::Hasher::new();
        self.emit(&Msg::FileStart { index, offset: 0 })?;
        self.chunks(&mut r, None, &mut hasher, name)?;
        self.end(name, hasher)
    }

    fn end(&mut self, name: &str, hasher: blake3::Hasher) -> Result<()> {
        let hash = *hasher.finalize().as_bytes();
        self.stats.add_file();
        self.summary.hashes.push((name.to_owned(), hash));
        self.emit(&Msg::FileEnd(hash))
    }

    /// Sends DATA records of up to `chunk` bytes until `limit` bytes or the
    /// end of `r`; returns how many were sent.
    fn chunks(
        &mut self,
        r: &mut impl Read,
        limit: Option<u64>,
        hasher: &mut blake3::Hasher,
        name: &str,
    ) -> Result<u64> {
        let mut sent = 0u64;
        loop {
            let want = match limit {
                Some(l) => (l - sent).min(self.chunk as u64) as usize,
                None => self.chunk,
            };
            if want == 0 {
                return Ok(sent);
            }
            // A whole chunk goes in a buffer back from the writer, or a new
            // one (zeroed once); a small file's rest in a buffer its size.
            let full = HEADER_LEN + self.chunk + TAG_LEN;
            let mut buf = if want == self.chunk {
                self.free.try_recv().unwrap_or_else(|_| vec![0; full])
            } else {
                vec![0; HEADER_LEN + want + TAG_LEN]
            };
            buf[..HEADER_LEN].copy_from_slice(&[T_DATA, 0]);
            let n = read_full(r, &mut buf[HEADER_LEN..HEADER_LEN + want])
                .map_err(|e| Error::io("cannot read", name, e))?;
            if n == 0 {
                return Ok(sent);
            }
            hasher.update(&buf[HEADER_LEN..HEADER_LEN + n]);
            sent += n as u64;
            self.summary.bytes += n as u64;
            self.stats.add_bytes(n as u64);
            self.send(Rec { buf, len: n })?;
            if limit.is_none() {
                // A stream may pause: what was read goes out before the next read waits.
                self.hand_off()?;
            }
        }
    }
}

/// Reads until `buf` is full or the end; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Feeds the first `len` bytes of `f` through `hasher`.
fn copy_through(f: &mut File, len: u64, hasher: &mut blake3::Hasher, name: &str) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = read_full(f, &mut buf[..want]).map_err(|e| Error::io("cannot read", name, e))?;
        if n == 0 {
            return Err(Error::Local(format!(
                "{} shrank while it was read",
                crate::name::sanitize(name)
            )));
        }
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(())
}
