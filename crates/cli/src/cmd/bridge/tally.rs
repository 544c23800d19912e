//! What a bridge did: messages passed, refused (not a record of
//! `--format`, or over the broker's limit) and dropped (the hold was full
//! or the run ended with messages held), for the summary.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tether_bridge::{Broker, Subscription};

use crate::output::summary::plural;

/// Counters of one bridge.
#[derive(Debug, Default)]
pub struct Tally {
    record_size: Option<usize>,
    pub passed: AtomicU64,
    pub refused: AtomicU64,
    pub dropped: AtomicU64,
    pub reconnects: AtomicU64,
}

impl Tally {
    /// A tally that refuses messages not of `record_size` bytes.
    pub fn new(record_size: Option<usize>) -> Self {
        Tally {
            record_size,
            ..Tally::default()
        }
    }

    /// Whether `message` may pass (`--format`): counts it refused if not.
    pub fn admits(&self, message: &[u8]) -> bool {
        match self.record_size {
            Some(n) if message.len() != n => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                false
            }
            _ => true,
        }
    }

    /// Publishes `message` to `broker`, counting it passed or refused.
    pub async fn publish(&self, broker: &Broker, message: Bytes) -> anyhow::Result<()> {
        if !self.admits(&message) {
            return Ok(());
        }
        match broker.publish(message).await {
            Ok(()) => {
                self.passed.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e @ tether_bridge::Error::TooLarge { .. }) => {
                eprintln!("tether: {e}; refused");
                self.refused.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The summary line.
    pub fn summary(&self, elapsed: Duration) -> String {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "{} passed, {} refused, {} dropped, {} in {:.1} s",
            plural(n(&self.passed), "message", "messages"),
            n(&self.refused),
            n(&self.dropped),
            plural(n(&self.reconnects), "reconnect", "reconnects"),
            elapsed.as_secs_f64()
        )
    }
}

async fn pump(from: &mut Subscription, to: &Broker, tally: &Tally) -> anyhow::Result<()> {
    while let Some(m) = from.next().await {
        tally.publish(to, m.payload).await?;
    }
    Ok(())
}

/// Broker to broker (and back with `both`), until `shutdown`.
pub async fn brokers(
    a: &Broker,
    b: &Broker,
    both: bool,
    tally: &Tally,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut forth = a.subscribe().await?;
    let mut back = if both {
        Some(b.subscribe().await?)
    } else {
        None
    };
    let back = async {
        match back.as_mut() {
            Some(sub) => pump(sub, a, tally).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = pump(&mut forth, b, tally) => r,
        r = back => r,
        () = shutdown => Ok(()),
    }
}
