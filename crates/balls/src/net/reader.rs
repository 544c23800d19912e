//! The receiving thread of one ring link.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use tether::Link;

use super::event::NetEvent;
use super::POLL;
use crate::wire::Message;
use crate::world::Side;

/// Reports the link up, then every message on it, until it breaks, a
/// record is refused, or `stop` is set; then reports it down.
pub(crate) fn read_link(
    mut link: Link,
    side: Side,
    generation: u64,
    tx: &mpsc::Sender<NetEvent>,
    stop: &AtomicBool,
) {
    let endpoint = link
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |e| e.to_string());
    let sender = link.sender();
    let up = NetEvent::Up {
        side,
        generation,
        endpoint,
        sender: sender.clone(),
    };
    if tx.send(up).is_err() {
        return;
    }
    let reason = loop {
        if stop.load(Ordering::Relaxed) {
            break "stopped".to_string();
        }
        match link.recv_timeout(POLL) {
            Ok(None) => continue,
            Ok(Some(bytes)) => match Message::decode(&bytes) {
                Ok(message) => {
                    let ev = NetEvent::Message {
                        side,
                        generation,
                        message,
                    };
                    if tx.send(ev).is_err() {
                        break "stopped".to_string();
                    }
                }
                // The protocol says to close a link that breaks its rules.
                Err(err) => break err.to_string(),
            },
            Err(err) => break err.to_string(),
        }
    };
    let _ = sender.shutdown(std::net::Shutdown::Both);
    let _ = tx.send(NetEvent::Down {
        side,
        generation,
        reason,
    });
}

/// Shared by the threads of one transport: set to stop them all.
pub(crate) type StopFlag = Arc<AtomicBool>;
