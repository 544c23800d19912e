//! The sending side of a copy as a sans-IO state machine: the manifest
//! out, the receiver's offers in, then the receiver's RESULT.

use std::collections::HashMap;

use crate::error::{Error, ProtocolError, Result};
use crate::name;
use crate::wire::{entry_len, Entry, EntryKind, Held, Msg, Offer, MAX_RECORD_PLAINTEXT, T_OFFER};

#[derive(Debug, PartialEq, Eq)]
enum State {
    Offers,
    Sending,
    Finished,
}

/// What the sender does with one file, given the receiver's offer and the
/// BLAKE3 of the same prefix of its own file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Send from this byte on (0: the whole file).
    From(u64),
    /// The receiver's whole copy is identical.
    Skip,
}

/// The sender's state machine.
#[derive(Debug)]
pub struct Outgoing {
    peer: String,
    state: State,
    entries: Vec<Entry>,
    offers: HashMap<u32, Offer>,
}

impl Outgoing {
    /// A sender of `entries` to `peer`.
    pub fn new(peer: &str, entries: Vec<Entry>) -> Outgoing {
        Outgoing {
            peer: peer.to_owned(),
            state: State::Offers,
            entries,
            offers: HashMap::new(),
        }
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The MANIFEST records (each at most 1 MiB) and MANIFEST_END.
    pub fn manifest(&self) -> Vec<Msg> {
        let mut msgs = Vec::new();
        let mut batch = Vec::new();
        let mut len = 0;
        for e in &self.entries {
            if len + entry_len(e) > MAX_RECORD_PLAINTEXT {
                msgs.push(Msg::Manifest(std::mem::take(&mut batch)));
                len = 0;
            }
            len += entry_len(e);
            batch.push(e.clone());
        }
        if !batch.is_empty() {
            msgs.push(Msg::Manifest(batch));
        }
        let total = self
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && e.size != u64::MAX)
            .map(|e| e.size)
            .sum();
        msgs.push(Msg::ManifestEnd {
            count: self.entries.len() as u64,
            total,
        });
        msgs
    }

    fn protocol(&self, source: ProtocolError) -> Error {
        Error::Protocol {
            peer: self.peer.clone(),
            source,
        }
    }

    /// Takes the receiver's reply after the files: RESULT is success.
    pub fn finish(&self, msg: Msg) -> Result<()> {
        match msg {
            Msg::Result if self.state == State::Sending => Ok(()),
            Msg::Error(kind, text) => Err(Error::Peer {
                peer: self.peer.clone(),
                kind,
                text: name::sanitize(&text),
            }),
            other => Err(self.protocol(ProtocolError::Unexpected {
                got: other.record_type(),
                when: "after the files",
            })),
        }
    }

    /// Takes the receiver's next message before the files; `true` once
    /// the offers are all in (then send the files).
    pub fn handle(&mut self, msg: Msg) -> Result<bool> {
        match (&self.state, msg) {
            (_, Msg::Error(kind, text)) => {
                self.state = State::Finished;
                Err(Error::Peer {
                    peer: self.peer.clone(),
                    kind,
                    text: name::sanitize(&text),
                })
            }
            (State::Offers, Msg::Offer(offers)) => {
                for o in offers {
                    self.add_offer(o)?;
                }
                Ok(false)
            }
            (State::Offers, Msg::OfferEnd) => {
                self.state = State::Sending;
                Ok(true)
            }
            (_, other) => Err(self.protocol(ProtocolError::Unexpected {
                got: other.record_type(),
                when: "from the receiver",
            })),
        }
    }

    fn add_offer(&mut self, o: Offer) -> Result<()> {
        let bad = |what| ProtocolError::BadField {
            t: T_OFFER,
            what,
            value: o.index.into(),
        };
        match self.entries.get(o.index as usize) {
            Some(e) if e.kind == EntryKind::File => {}
            _ => return Err(self.protocol(bad("offer for no file"))),
        }
        if self.offers.insert(o.index, o).is_some() {
            return Err(self.protocol(bad("second offer for a file")));
        }
        Ok(())
    }

    /// The receiver's offer for file `index`, if any.
    pub fn offer(&self, index: u32) -> Option<Offer> {
        self.offers.get(&index).copied()
    }
}

/// Decides what to send of one file of `size` bytes: `mine` is the BLAKE3
/// of this side's first `offer.len` bytes (None if the file is shorter).
pub fn plan(offer: Option<&Offer>, size: u64, mine: Option<&[u8; 32]>) -> Plan {
    match (offer, mine) {
        // Equal hashes of equal lengths: blake3::Hash compares in constant time.
        (Some(o), Some(h)) if blake3::Hash::from(o.hash) == blake3::Hash::from(*h) => {
            match o.held {
                Held::Whole if o.len == size => Plan::Skip,
                Held::Part if o.len <= size => Plan::From(o.len),
                _ => Plan::From(0),
            }
        }
        _ => Plan::From(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_resumes_only_on_a_matching_prefix() {
        let o = Offer {
            index: 0,
            held: Held::Part,
            len: 10,
            hash: [1; 32],
        };
        assert_eq!(plan(Some(&o), 20, Some(&[1; 32])), Plan::From(10));
        assert_eq!(plan(Some(&o), 20, Some(&[2; 32])), Plan::From(0));
        assert_eq!(plan(Some(&o), 5, None), Plan::From(0));
        let w = Offer {
            held: Held::Whole,
            len: 20,
            ..o
        };
        assert_eq!(plan(Some(&w), 20, Some(&[1; 32])), Plan::Skip);
        assert_eq!(plan(Some(&w), 21, Some(&[1; 32])), Plan::From(0));
        assert_eq!(plan(None, 21, None), Plan::From(0));
    }
}
