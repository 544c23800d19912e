//! Messages held while the far side is away: at most `cap` of them; past
//! that the newest are dropped and counted, so the summary says exactly
//! how many never went out. Sans-IO.

use std::collections::VecDeque;

use bytes::Bytes;

/// A bounded queue with drop accounting.
#[derive(Debug)]
pub struct Hold {
    cap: usize,
    queue: VecDeque<Bytes>,
    dropped: u64,
}

impl Hold {
    /// Holds at most `cap` messages.
    pub fn new(cap: usize) -> Self {
        Hold {
            cap,
            queue: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Holds `message`, or drops it (and counts it) when full. Returns
    /// whether it was held.
    pub fn push(&mut self, message: Bytes) -> bool {
        if self.queue.len() >= self.cap {
            self.dropped += 1;
            return false;
        }
        self.queue.push_back(message);
        true
    }

    /// The oldest message, to send now.
    pub fn front(&self) -> Option<&Bytes> {
        self.queue.front()
    }

    /// The oldest message went out.
    pub fn pop(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    /// Whether the next push would be dropped.
    pub fn is_full(&self) -> bool {
        self.queue.len() >= self.cap
    }

    /// The held messages from the `skip`th on, oldest first: the ones not
    /// yet handed to the far side when `skip` were.
    pub fn from(&self, skip: usize) -> impl Iterator<Item = &Bytes> {
        self.queue.iter().skip(skip)
    }

    /// The oldest `n` messages were confirmed delivered: they leave.
    pub fn confirm(&mut self, n: usize) {
        self.queue.drain(..n.min(self.queue.len()));
    }

    /// Messages held.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Messages dropped because the hold was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Gives up on what is held (at the end of a run), counting it as
    /// dropped.
    pub fn abandon(&mut self) -> u64 {
        let n = self.queue.len() as u64;
        self.queue.clear();
        self.dropped += n;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_the_newest_past_the_cap_and_counts_exactly() {
        let mut h = Hold::new(2);
        assert!(h.push(Bytes::from_static(b"a")));
        assert!(h.push(Bytes::from_static(b"b")));
        assert!(!h.push(Bytes::from_static(b"c")));
        assert_eq!((h.len(), h.dropped()), (2, 1));
        assert_eq!(h.pop().as_deref(), Some(&b"a"[..]));
        assert!(h.push(Bytes::from_static(b"d")));
        assert_eq!(h.front().map(|b| &b[..]), Some(&b"b"[..]));
        assert_eq!(h.abandon(), 2);
        assert_eq!((h.len(), h.dropped(), h.is_empty()), (0, 3, true));
    }

    #[test]
    fn confirmed_messages_leave_oldest_first() {
        let mut h = Hold::new(3);
        for m in [&b"a"[..], b"b", b"c"] {
            h.push(Bytes::copy_from_slice(m));
        }
        assert!(h.is_full());
        let rest: Vec<&[u8]> = h.from(1).map(|b| &b[..]).collect();
        assert_eq!(rest, [&b"b"[..], b"c"]);
        h.confirm(2);
        assert_eq!((h.len(), h.front().map(|b| &b[..])), (1, Some(&b"c"[..])));
        h.confirm(5);
        assert!(h.is_empty() && !h.is_full());
        assert_eq!(h.dropped(), 0);
    }

    #[test]
    fn a_zero_cap_drops_everything() {
        let mut h = Hold::new(0);
        assert!(!h.push(Bytes::new()));
        assert_eq!(h.dropped(), 1);
    }
}
