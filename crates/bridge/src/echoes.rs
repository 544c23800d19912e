//! MQTT 3.1.1 has no way to mark a message's origin, and a client
//! subscribed to the topic it publishes on gets its own messages back. A
//! bridge remembers a digest of what it published recently and drops one
//! matching message coming back, so `--both` never loops. Sans-IO.

use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

/// Recently published payloads (by digest), oldest first.
#[derive(Debug)]
pub struct Echoes {
    cap: usize,
    sent: VecDeque<u64>,
}

fn digest(topic: &str, payload: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    topic.hash(&mut h);
    payload.hash(&mut h);
    h.finish()
}

impl Echoes {
    /// Remembers up to `cap` messages.
    pub fn new(cap: usize) -> Self {
        Echoes {
            cap,
            sent: VecDeque::new(),
        }
    }

    /// `payload` was published on `topic`.
    pub fn published(&mut self, topic: &str, payload: &[u8]) {
        if self.sent.len() >= self.cap {
            self.sent.pop_front();
        }
        self.sent.push_back(digest(topic, payload));
    }

    /// Whether a message that arrived is our own coming back (and then
    /// forgets it, so a second, equal message from elsewhere passes).
    pub fn is_own(&mut self, topic: &str, payload: &[u8]) -> bool {
        let d = digest(topic, payload);
        match self.sent.iter().position(|&s| s == d) {
            Some(i) => {
                self.sent.remove(i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_own_message_is_dropped_once() {
        let mut e = Echoes::new(2);
        e.published("t", b"a");
        e.published("t", b"a");
        assert!(e.is_own("t", b"a"));
        assert!(e.is_own("t", b"a"));
        assert!(!e.is_own("t", b"a"));
        assert!(!e.is_own("u", b"a"));
        e.published("t", b"1");
        e.published("t", b"2");
        e.published("t", b"3");
        assert!(!e.is_own("t", b"1"), "the oldest is forgotten past the cap");
        assert!(e.is_own("t", b"3"));
    }
}
