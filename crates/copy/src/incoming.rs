//! The receiving side of a copy as a sans-IO state machine.
//!
//! It takes the peer's opened messages one at a time and says what to do
//! with the disk ([`Event`]); it checks every name, every count and every
//! file's BLAKE3, and refuses anything out of order.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, ProtocolError, Result};
use crate::name;
use crate::wire::{
    Entry, EntryKind, Held, Msg, Offer, MAX_ENTRIES, MAX_RECORD_PLAINTEXT, OFFER_LEN, T_DATA,
    T_FILE_END, T_FILE_SKIP, T_FILE_START, UNKNOWN_SIZE,
};

/// What the driver must do after a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing yet.
    Nothing,
    /// The manifest is complete and every name passed: show it, ask, and
    /// call [`Incoming::accept`].
    ManifestReady,
    /// Open file `index`'s part file, keeping its first `offset` bytes.
    Start {
        /// Entry index.
        index: u32,
        /// Bytes of the part file to keep (0: start it again).
        offset: u64,
        /// The final file exists and is to be replaced (`--overwrite`).
        replaces: bool,
    },
    /// Append these bytes to the open file.
    Data(Vec<u8>),
    /// The open file is complete and its BLAKE3 checked: give it its name.
    End {
        /// Entry index.
        index: u32,
        /// Its BLAKE3.
        hash: [u8; 32],
    },
    /// File `index` is already there, identical.
    Skip {
        /// Entry index.
        index: u32,
    },
    /// Everything arrived: set the directories' modes and times, answer RESULT.
    Done,
}

/// A part file the driver found, with the hasher that read it.
#[derive(Debug, Clone)]
pub struct HeldFile {
    /// Entry index.
    pub index: u32,
    /// Part file or whole file.
    pub held: Held,
    /// Bytes held.
    pub len: u64,
    /// BLAKE3 state after those bytes.
    pub hasher: blake3::Hasher,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Manifest,
    Deciding,
    Data,
    Finished,
}

#[derive(Debug)]
struct Current {
    index: u32,
    size: u64,
    got: u64,
    hasher: blake3::Hasher,
}

/// The receiver's state machine.
#[derive(Debug)]
pub struct Incoming {
    peer: String,
    overwrite: bool,
    state: State,
    entries: Vec<Entry>,
    names: HashSet<String>,
    dirs: HashSet<String>,
    total: u64,
    held: HashMap<u32, HeldFile>,
    current: Option<Current>,
    next_index: u32,
    files_seen: u64,
    files: u64,
}

impl Incoming {
    /// A receiver for `peer` (named in errors); `overwrite` allows replacing files.
    pub fn new(peer: &str, overwrite: bool) -> Incoming {
        Incoming {
            peer: peer.to_owned(),
            overwrite,
            state: State::Manifest,
            entries: Vec::new(),
            names: HashSet::new(),
            dirs: HashSet::new(),
            total: 0,
            held: HashMap::new(),
            current: None,
            next_index: 0,
            files_seen: 0,
            files: 0,
        }
    }

    /// The manifest so far (all of it after [`Event::ManifestReady`]).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The sum of known file sizes in the manifest.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn protocol(&self, source: ProtocolError) -> Error {
        Error::Protocol {
            peer: self.peer.clone(),
            source,
        }
    }

    fn unexpected(&self, msg: &Msg, when: &'static str) -> Error {
        self.protocol(ProtocolError::Unexpected {
            got: msg.record_type(),
            when,
        })
    }

    /// Takes the peer's next message.
    pub fn handle(&mut self, msg: Msg) -> Result<Event> {
        if let Msg::Error(kind, text) = &msg {
            self.state = State::Finished;
            let text = name::sanitize(text);
            return Err(Error::Peer {
                peer: self.peer.clone(),
                kind: *kind,
                text,
            });
        }
        match self.state {
            State::Manifest => self.on_manifest(msg),
            State::Data => self.on_data(msg),
            State::Deciding => Err(self.unexpected(&msg, "before the offers")),
            State::Finished => Err(self.protocol(ProtocolError::AfterFinal)),
        }
    }

    fn on_manifest(&mut self, msg: Msg) -> Result<Event> {
        match msg {
            Msg::Manifest(entries) => {
                for e in entries {
                    self.add_entry(e)?;
                }
                Ok(Event::Nothing)
            }
            Msg::ManifestEnd { count, total } => {
                let n = self.entries.len() as u64;
                if count != n {
                    return Err(self.protocol(ProtocolError::Mismatch {
                        what: "entries",
                        said: count,
                        was: n,
                    }));
                }
                if total != self.total {
                    let was = self.total;
                    return Err(self.protocol(ProtocolError::Mismatch {
                        what: "bytes",
                        said: total,
                        was,
                    }));
                }
                self.state = State::Deciding;
                Ok(Event::ManifestReady)
            }
            other => Err(self.unexpected(&other, "in the manifest")),
        }
    }

    fn add_entry(&mut self, e: Entry) -> Result<()> {
        if self.entries.len() as u64 >= MAX_ENTRIES {
            let was = self.entries.len() as u64 + 1;
            return Err(self.protocol(ProtocolError::Mismatch {
                what: "entries over the limit",
                said: MAX_ENTRIES,
                was,
            }));
        }
        let refuse = |why| Error::RefusedName {
            name: name::sanitize(&e.name),
            why,
        };
        name::check(&e.name).map_err(refuse)?;
        if let Some((parent, _)) = e.name.rsplit_once('/') {
            if !self.dirs.contains(parent) {
                return Err(refuse("parent is not a directory listed before it"));
            }
        }
        if !self.names.insert(e.name.clone()) {
            return Err(refuse("duplicate name"));
        }
        match e.kind {
            EntryKind::Dir => {
                if e.size != 0 {
                    return Err(refuse("directory with a size"));
                }
                self.dirs.insert(e.name.clone());
            }
            EntryKind::File => {
                self.files += 1;
                if e.size != UNKNOWN_SIZE {
                    self.total = self.total.saturating_add(e.size);
                }
            }
        }
        self.entries.push(e);
        Ok(())
    }

    /// Accepts the manifest, given what the disk already holds; returns the
    /// OFFER and OFFER_END messages to send.
    pub fn accept(&mut self, held: Vec<HeldFile>) -> Vec<Msg> {
        let per_record = MAX_RECORD_PLAINTEXT / OFFER_LEN;
        let offers: Vec<Offer> = held
            .iter()
            .map(|h| Offer {
                index: h.index,
                held: h.held,
                len: h.len,
                hash: *h.hasher.finalize().as_bytes(),
            })
            .collect();
        let mut msgs: Vec<Msg> = offers
            .chunks(per_record)
            .map(|c| Msg::Offer(c.to_vec()))
            .collect();
        msgs.push(Msg::OfferEnd);
        self.held = held.into_iter().map(|h| (h.index, h)).collect();
        self.state = State::Data;
        msgs
    }

    fn on_data(&mut self, msg: Msg) -> Result<Event> {
        match (msg, self.current.is_some()) {
            (Msg::Data(d), true) => self.on_chunk(d),
            (Msg::FileEnd(hash), true) => self.on_end(hash),
            (Msg::FileStart { index, offset }, false) => self.on_start(index, offset),
            (Msg::FileSkip(index), false) => {
                self.take_index(index, T_FILE_SKIP)?;
                match self.held.get(&index) {
                    Some(h) if h.held == Held::Whole => Ok(Event::Skip { index }),
                    _ => Err(self.protocol(ProtocolError::BadField {
                        t: T_FILE_SKIP,
                        what: "index not held",
                        value: index.into(),
                    })),
                }
            }
            (Msg::Done, false) => {
                if self.files_seen != self.files {
                    let (said, was) = (self.files, self.files_seen);
                    return Err(self.protocol(ProtocolError::Mismatch {
                        what: "files sent",
                        said,
                        was,
                    }));
                }
                self.state = State::Finished;
                Ok(Event::Done)
            }
            (other, true) => Err(self.unexpected(&other, "inside a file")),
            (other, false) => Err(self.unexpected(&other, "between files")),
        }
    }

    /// Checks that `index` is a file after the last one, and moves past it.
    fn take_index(&mut self, index: u32, t: u8) -> Result<u64> {
        let bad = |what| ProtocolError::BadField {
            t,
            what,
            value: index.into(),
        };
        if index < self.next_index {
            return Err(self.protocol(bad("index out of order")));
        }
        match self.entries.get(index as usize) {
            Some(e) if e.kind == EntryKind::File => {
                self.next_index = index + 1;
                self.files_seen += 1;
                Ok(e.size)
            }
            _ => Err(self.protocol(bad("index not a file"))),
        }
    }

    fn on_start(&mut self, index: u32, offset: u64) -> Result<Event> {
        let size = self.take_index(index, T_FILE_START)?;
        let held = self.held.remove(&index);
        let replaces = matches!(&held, Some(h) if h.held == Held::Whole);
        if replaces && !self.overwrite {
            return Err(Error::Exists {
                name: name::sanitize(&self.entries[index as usize].name),
            });
        }
        let hasher = match held {
            Some(h) if h.held == Held::Part && offset == h.len => h.hasher,
            _ if offset == 0 => blake3::Hasher::new(),
            _ => {
                let bad = ProtocolError::BadField {
                    t: T_FILE_START,
                    what: "offset",
                    value: offset,
                };
                return Err(self.protocol(bad));
            }
        };
        if size != UNKNOWN_SIZE && offset > size {
            let bad = ProtocolError::Mismatch {
                what: "offset past the size",
                said: size,
                was: offset,
            };
            return Err(self.protocol(bad));
        }
        self.current = Some(Current {
            index,
            size,
            got: offset,
            hasher,
        });
        Ok(Event::Start {
            index,
            offset,
            replaces,
        })
    }

    fn on_chunk(&mut self, d: Vec<u8>) -> Result<Event> {
        let Some(cur) = self.current.as_mut() else {
            return Err(self.protocol(ProtocolError::Unexpected {
                got: T_DATA,
                when: "between files",
            }));
        };
        let got = cur.got + d.len() as u64;
        if cur.size != UNKNOWN_SIZE && got > cur.size {
            let said = cur.size;
            return Err(self.protocol(ProtocolError::Mismatch {
                what: "file longer than its size",
                said,
                was: got,
            }));
        }
        cur.got = got;
        cur.hasher.update(&d);
        Ok(Event::Data(d))
    }

    fn on_end(&mut self, hash: [u8; 32]) -> Result<Event> {
        let Some(cur) = self.current.take() else {
            return Err(self.protocol(ProtocolError::Unexpected {
                got: T_FILE_END,
                when: "between files",
            }));
        };
        if cur.size != UNKNOWN_SIZE && cur.got != cur.size {
            let bad = ProtocolError::Mismatch {
                what: "file shorter than its size",
                said: cur.size,
                was: cur.got,
            };
            return Err(self.protocol(bad));
        }
        let mine = cur.hasher.finalize();
        // blake3::Hash compares in constant time.
        if mine != blake3::Hash::from(hash) {
            let name = name::sanitize(&self.entries[cur.index as usize].name);
            return Err(Error::HashMismatch { name });
        }
        Ok(Event::End {
            index: cur.index,
            hash,
        })
    }

    /// Whether the peer's DONE has arrived.
    pub fn is_done(&self) -> bool {
        self.state == State::Finished
    }
}
