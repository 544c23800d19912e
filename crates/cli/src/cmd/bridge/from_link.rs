//! A link FROM: listen, and publish every message of every peer. A peer
//! that goes away ends only its own task; the broker side is the
//! [`publisher`](super::publisher), with its bounded hold.

use std::future::Future;
use std::sync::Arc;

use tether::{AsyncListener, Endpoint, Options};
use tether_bridge::Broker;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::publisher;
use super::tally::Tally;

/// Messages between the links and the publisher.
const QUEUE: usize = 1024;

/// Accepts until `shutdown`, then drains into the broker and closes it.
pub async fn run(
    from: &Endpoint,
    options: &Options,
    broker: Broker,
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
    let mut peers = JoinSet::new();
    let accept = async {
        loop {
            let Ok((mut link, _peer)) = listener.accept().await else {
                continue;
            };
            let tx = tx.clone();
            peers.spawn(async move {
                while let Ok(message) = link.recv().await {
                    if tx.send(message).await.is_err() {
                        return;
                    }
                }
            });
        }
    };
    tokio::select! {
        () = accept => {}
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
