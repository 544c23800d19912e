//! The receiving side: manifest, question, offers, then the files
//! through three threads (read the link; open records; check and write).

use std::fs::File;
use std::io::{self, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};

use tether::Link;

use super::{link_error, opened, recv_msg, tell, Hooks, Options, Stats, Summary};
use crate::error::{Error, Result};
use crate::handshake::Session;
use crate::incoming::{Event, Incoming};
use crate::seal::{Opener, FLAG_FINAL, HEADER_LEN, TAG_LEN};
use crate::target::Target;
use crate::wire::{Entry, EntryKind, Msg, MAX_RECORD_PLAINTEXT};

const DEPTH: usize = 4;
/// At most this many frames in one hand-off between threads.
const BATCH_RECORDS: usize = 256;
/// Frames this long are read into buffers that are reused.
const REUSE_FROM: usize = 64 * 1024;

/// A record as read: its header (`short` bytes of it missing when the
/// frame was shorter) and the rest, in a buffer that is reused.
struct Frame {
    header: [u8; HEADER_LEN],
    short: usize,
    body: Vec<u8>,
}

/// Where the bytes go.
enum Dest {
    Dir(Target),
    Stdout,
}

pub(super) fn pull(
    mut link: Link,
    session: Session,
    dest: PathBuf,
    opts: &Options,
    hooks: &mut Hooks<'_>,
    peer: &str,
) -> Result<Summary> {
    let Session {
        mut sealer,
        mut opener,
        aead,
        ..
    } = session;
    let mut inc = Incoming::new(peer, opts.overwrite);
    let sender = link.sender();
    let mut started = std::time::Instant::now();
    let r =
        prepare(&mut link, &mut opener, &mut inc, &dest, opts, hooks, peer).and_then(|target| {
            started = std::time::Instant::now();
            for m in inc.accept(target.1) {
                let f = sealer
                    .seal_msg(&m)
                    .map_err(|e| Error::Local(e.to_string()))?;
                sender.feed(&f).map_err(|cause| link_error(cause, peer))?;
            }
            sender.flush().map_err(|cause| link_error(cause, peer))?;
            pipeline(link, opener, &mut inc, target.0, hooks, peer)
        });
    let r = r.and_then(|hashes| {
        let f = sealer
            .seal_msg(&Msg::Result)
            .map_err(|e| Error::Local(e.to_string()))?;
        sender
            .send(&f)
            .and_then(|()| sender.flush())
            .map_err(|cause| link_error(cause, peer))?;
        Ok(hashes)
    });
    match r {
        Ok((summary_bytes, resumed, skipped, hashes)) => {
            let files = inc
                .entries()
                .iter()
                .filter(|e| e.kind == EntryKind::File)
                .count() as u64;
            Ok(Summary {
                sent: false,
                files,
                dirs: inc.entries().len() as u64 - files,
                bytes: summary_bytes,
                resumed_bytes: resumed,
                skipped_files: skipped,
                seconds: started.elapsed().as_secs_f64(),
                aead: aead.name(),
                hashes,
            })
        }
        Err(e) => {
            tell(&sender, &mut sealer, &e);
            let _ = sender.shutdown(Shutdown::Both);
            Err(e)
        }
    }
}

/// Reads the manifest, asks, opens the target, makes the directories and
/// finds what is already held.
#[allow(clippy::too_many_arguments)]
fn prepare(
    link: &mut Link,
    opener: &mut Opener,
    inc: &mut Incoming,
    dest: &std::path::Path,
    opts: &Options,
    hooks: &mut Hooks<'_>,
    peer: &str,
) -> Result<(Dest, Vec<crate::incoming::HeldFile>)> {
    while inc.handle(recv_msg(link, opener, peer)?)? != Event::ManifestReady {}
    let entries = inc.entries();
    let files = entries.iter().filter(|e| e.kind == EntryKind::File).count() as u64;
    hooks.stats.set_totals(files, inc.total());
    if !(hooks.ask)(entries, inc.total()) {
        return Err(Error::Declined);
    }
    let one_file = entries.len() == 1 && entries[0].kind == EntryKind::File;
    if dest.as_os_str() == "-" {
        if !one_file {
            return Err(Error::Local(format!(
                "standard output takes one file; the peer sends {} entries",
                entries.len()
            )));
        }
        return Ok((Dest::Stdout, Vec::new()));
    }
    let mut target = Target::open(dest, one_file, opts.overwrite)?;
    let mut held = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match e.kind {
            EntryKind::Dir => target.make_dir(&e.name)?,
            EntryKind::File => held.extend(target.held(i as u32, e)?),
        }
    }
    Ok((Dest::Dir(target), held))
}

type Hashes = (u64, u64, u64, Vec<(String, [u8; 32])>);

/// Receives the files: a thread reads the link, one opens the records,
/// this one checks and writes.
fn pipeline(
    link: Link,
    opener: Opener,
    inc: &mut Incoming,
    dest: Dest,
    hooks: &Hooks<'_>,
    peer: &str,
) -> Result<Hashes> {
    std::thread::scope(|s| {
        let (to_open, opening) = sync_channel::<tether::Result<Vec<Frame>>>(DEPTH);
        let (to_write, writing) = sync_channel::<Vec<Result<Msg>>>(DEPTH);
        let (to_reuse, reuse) = sync_channel::<Vec<u8>>(2 * DEPTH + 4);
        let mut link = link;
        // Frames go from thread to thread in batches (every whole frame
        // the link has read), so small files cost a hand-off per batch.
        s.spawn(move || loop {
            let mut batch = Vec::new();
            let mut last = false;
            let r = link.recv_each(BATCH_RECORDS, None, |m| {
                // Each frame is copied once, from the link's buffer into
                // one that is opened in place and written from there.
                let mut body = if m.len() >= REUSE_FROM {
                    reuse
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(MAX_RECORD_PLAINTEXT + TAG_LEN))
                } else {
                    Vec::with_capacity(m.len())
                };
                let h = m.len().min(HEADER_LEN);
                let mut header = [0; HEADER_LEN];
                header[..h].copy_from_slice(&m[..h]);
                body.clear();
                body.extend_from_slice(&m[h..]);
                last |= header[1] & FLAG_FINAL != 0;
                batch.push(Frame {
                    header,
                    short: HEADER_LEN - h,
                    body,
                });
            });
            let r = r.map(|_| batch);
            last |= r.is_err();
            if to_open.send(r).is_err() || last {
                break;
            }
        });
        let mut opener = opener;
        s.spawn(move || {
            for r in opening {
                let mut out = Vec::new();
                let mut last = false;
                match r {
                    Err(cause) => out.push(Err(link_error(cause, peer))),
                    Ok(frames) => {
                        for f in frames {
                            let m = opened(opener.open_owned(f.header, f.short, f.body), peer);
                            last = m.as_ref().map_or(true, Msg::is_final);
                            out.push(m);
                            if last {
                                break;
                            }
                        }
                    }
                }
                last |= out.last().is_some_and(|m| m.is_err());
                if to_write.send(out).is_err() || last {
                    break;
                }
            }
        });
        let mut w = Writing {
            dest,
            reuse: to_reuse,
            file: None,
            stats: &hooks.stats,
            bytes: 0,
            resumed: 0,
            skipped: 0,
            hashes: Vec::new(),
        };
        for m in writing.into_iter().flatten() {
            let ev = inc.handle(m?);
            let ev = match ev {
                Err(e @ Error::HashMismatch { .. }) => {
                    w.discard(inc.entries());
                    return Err(e);
                }
                ev => ev?,
            };
            if w.on(ev, inc.entries())? {
                return Ok((w.bytes, w.resumed, w.skipped, w.hashes));
            }
        }
        Err(Error::Local(
            "the link closed without a final record".into(),
        ))
    })
}

struct Writing<'a> {
    dest: Dest,
    /// Data buffers go back to the reading thread.
    reuse: SyncSender<Vec<u8>>,
    /// The file being written: index, handle (None for stdout), replaces.
    file: Option<(u32, Option<File>, bool)>,
    stats: &'a Stats,
    bytes: u64,
    resumed: u64,
    skipped: u64,
    hashes: Vec<(String, [u8; 32])>,
}

impl Writing<'_> {
    /// Does what an event says; `true` when the copy is complete.
    fn on(&mut self, ev: Event, entries: &[Entry]) -> Result<bool> {
        match ev {
            Event::Nothing | Event::ManifestReady => {}
            Event::Start {
                index,
                offset,
                replaces,
            } => {
                let f = match &mut self.dest {
                    Dest::Dir(t) => Some(t.open_part(&entries[index as usize].name, offset)?),
                    Dest::Stdout => None,
                };
                self.resumed += offset;
                self.stats.add_bytes(offset);
                self.file = Some((index, f, replaces));
            }
            Event::Data(d) => {
                let name = self
                    .file
                    .as_ref()
                    .map_or("", |(i, ..)| entries[*i as usize].name.as_str());
                let r = match self.file.as_mut() {
                    Some((_, Some(f), _)) => f.write_all(&d),
                    _ => io::stdout().lock().write_all(&d),
                };
                r.map_err(|e| Error::io("cannot write", name, e))?;
                self.bytes += d.len() as u64;
                self.stats.add_bytes(d.len() as u64);
                let _ = self.reuse.try_send(d);
            }
            Event::End { index, hash } => {
                let e = &entries[index as usize];
                match (self.file.take(), &mut self.dest) {
                    (Some((_, Some(f), replaces)), Dest::Dir(t)) => {
                        t.finish_file(e, f, replaces)?
                    }
                    _ => io::stdout()
                        .lock()
                        .flush()
                        .map_err(|err| Error::io("cannot write", &e.name, err))?,
                }
                self.stats.add_file();
                self.hashes.push((e.name.clone(), hash));
            }
            Event::Skip { index } => {
                let e = &entries[index as usize];
                self.skipped += 1;
                self.stats.add_file();
                self.stats.add_bytes(e.size);
                self.hashes.push((e.name.clone(), [0; 32]));
            }
            Event::Done => {
                if let Dest::Dir(t) = &mut self.dest {
                    for e in entries.iter().rev().filter(|e| e.kind == EntryKind::Dir) {
                        t.finish_dir(e)?;
                    }
                }
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Drops the part file that failed its BLAKE3 check.
    fn discard(&mut self, entries: &[Entry]) {
        if let (Some((i, f, _)), Dest::Dir(t)) = (self.file.take(), &mut self.dest) {
            drop(f);
            t.remove_part(&entries[i as usize].name);
        }
    }
}
