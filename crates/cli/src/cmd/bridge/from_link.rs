//! A link FROM: listen, and publish every message of every peer. A peer
//! that goes away ends only its own task; the broker side is the
//! [`publisher`](super::publisher), with its bounded hold. With `--both`
//! every broker message goes to every peer connected when it comes (none
//! connected: dropped and counted); the bridge's own publications do not
//! come back from the broker, so a peer's message reaches no peer.

use std::future::Future;
use std::sync::Arc;

use std::sync::atomic::Ordering;

use bytes::Bytes;
use tether::{AsyncLink, AsyncListener, Endpoint, Options};
use tether_bridge::{Broker, Subscription};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;

use super::publisher;
use super::tally::Tally;

/// Messages between the links and the publisher.
const QUEUE: usize = 1024;

/// Accepts until `shutdown`, then drains into the broker and closes it.
/// With `back` (`--both`), its messages go to every connected peer.
pub async fn run(
    from: &Endpoint,
    options: &Options,
    broker: Broker,
    back: Option<Subscription>,
    hold: usize,
    tally: &Arc<Tally>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let listener = AsyncListener::bind_with(from, options).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    let (tx, rx) = mpsc::channel(QUEUE);
    let (stop, stopped) = oneshot::channel::<()>();
    let mut publish = Box::pin(publisher::run(&broker, rx, hold, tally, async {
        let _ = stopped.await;
    }));
    let (fan, _) = broadcast::channel::<Bytes>(QUEUE);
    let mut peers = JoinSet::new();
    let both = back.is_some();
    let accept = async {
        loop {
            let Ok((link, _peer)) = listener.accept().await else {
                continue;
            };
            let down = both.then(|| fan.subscribe());
            peers.spawn(peer(link, tx.clone(), down, Arc::clone(tally)));
        }
    };
    let spread = async {
        match back {
            Some(back) => spread(back, &fan, tally).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = accept => {}
        () = spread => {}
        () = &mut publish => {}
        () = shutdown => {}
    }
    // The peers read on while the publisher drains (it counts what they
    // give past its deadline as dropped); then they stop.
    let _ = stop.send(());
    publish.await;
    peers.shutdown().await;
    broker.close().await?;
    Ok(())
}

/// One peer: its messages go to the publisher; with `down`, the broker's
/// messages go to it.
async fn peer(
    mut link: AsyncLink,
    tx: mpsc::Sender<Bytes>,
    mut down: Option<broadcast::Receiver<Bytes>>,
    tally: Arc<Tally>,
) {
    loop {
        let from_broker = async {
            match down.as_mut() {
                Some(d) => d.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            m = link.recv() => match m {
                Ok(m) => if tx.send(m).await.is_err() { return },
                Err(_) => return,
            },
            m = from_broker => match m {
                Ok(m) => {
                    if link.send(&m).await.is_err() {
                        tally.dropped.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    tally.passed.fetch_add(1, Ordering::Relaxed);
                }
                // A peer too slow to keep up loses what it missed, counted.
                Err(RecvError::Lagged(n)) => {
                    tally.dropped.fetch_add(n, Ordering::Relaxed);
                }
                Err(RecvError::Closed) => down = None,
            },
        }
    }
}

/// Hands every message of `back` to the peers connected now.
async fn spread(mut back: Subscription, fan: &broadcast::Sender<Bytes>, tally: &Tally) {
    while let Some(m) = back.next().await {
        if tally.admits(&m.payload) && fan.send(m.payload).is_err() {
            tally.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
