//! A link TO: connect, and send every broker message on. When the peer
//! goes, messages are held (at most `hold`) while the link reconnects with
//! back-off; past that they are dropped and counted. At the end, what is
//! still held after a short drain is counted dropped too. With `--both`
//! what the peer sends on the link goes to the broker (through the
//! [`publisher`](super::publisher)).

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tether::{AsyncLink, Endpoint, Options};
use tether_bridge::backoff::Backoff;
use tether_bridge::hold::Hold;
use tether_bridge::Subscription;
use tokio::sync::mpsc;

use super::tally::Tally;

/// How long the end of a run tries to deliver what is held.
const DRAIN: Duration = Duration::from_secs(2);

/// The link side: connected or waiting to retry.
struct Peer<'a> {
    to: &'a Endpoint,
    options: &'a Options,
    link: Option<AsyncLink>,
    backoff: Backoff,
    retry_at: Instant,
}

impl Peer<'_> {
    /// Sends what is held, oldest first; keeps it held if the peer is away.
    async fn flush(&mut self, hold: &mut Hold, tally: &Tally) {
        while let Some(message) = hold.front() {
            if self.link.is_none() {
                let now = Instant::now();
                if now < self.retry_at {
                    return;
                }
                match AsyncLink::connect_with(self.to, self.options).await {
                    Ok(link) => {
                        self.backoff.succeeded();
                        self.link = Some(link);
                    }
                    Err(_) => {
                        self.retry_at = self.backoff.failed(now);
                        return;
                    }
                }
            }
            let Some(link) = self.link.as_mut() else {
                return;
            };
            if link.send(message).await.is_err() {
                // Whether the peer took it is unknown: it stays held and
                // goes again on the next link (at least once).
                self.link = None;
                tally.reconnects.fetch_add(1, Ordering::Relaxed);
                self.retry_at = self.backoff.failed(Instant::now());
                return;
            }
            hold.pop();
            tally.passed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Sends every message of `subscription` to `to` until `shutdown`; with
/// `back`, hands what the peer sends to it.
pub async fn run(
    mut subscription: Subscription,
    to: &Endpoint,
    options: &Options,
    back: Option<mpsc::Sender<Bytes>>,
    hold: usize,
    tally: &Tally,
    shutdown: impl Future<Output = ()>,
) {
    let mut peer = Peer {
        to,
        options,
        link: None,
        backoff: Backoff::default(),
        retry_at: Instant::now(),
    };
    let mut held = Hold::new(hold.max(1));
    tokio::pin!(shutdown);
    loop {
        let retry = tokio::time::sleep_until(peer.retry_at.into());
        let reading = back.is_some() && peer.link.is_some();
        let waiting = !held.is_empty() && peer.link.is_none();
        let from_peer = async {
            match peer.link.as_mut() {
                Some(link) if reading => link.recv().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            m = from_peer => match (m, back.as_ref()) {
                (Ok(m), Some(back)) => {
                    if back.send(m).await.is_err() {
                        break;
                    }
                }
                _ => {
                    // The peer went: reconnect when there is something to send.
                    peer.link = None;
                    tally.reconnects.fetch_add(1, Ordering::Relaxed);
                    peer.retry_at = peer.backoff.failed(Instant::now());
                }
            },
            m = subscription.next() => match m {
                Some(m) if tally.admits(&m.payload) => {
                    held.push(m.payload);
                }
                Some(_) => {}
                None => break,
            },
            () = retry, if waiting => {}
            () = &mut shutdown => break,
        }
        peer.flush(&mut held, tally).await;
    }
    let drained = async {
        while !held.is_empty() {
            peer.flush(&mut held, tally).await;
            tokio::time::sleep_until(peer.retry_at.into()).await;
        }
    };
    let _ = tokio::time::timeout(DRAIN, drained).await;
    if let Some(link) = peer.link.as_mut() {
        let _ = link.shutdown().await;
    }
    held.abandon();
    tally.dropped.fetch_add(held.dropped(), Ordering::Relaxed);
}
