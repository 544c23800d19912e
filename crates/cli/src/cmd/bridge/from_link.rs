//! A link FROM: listen, and publish every message of every peer. A peer
//! that goes away ends only its own task.

use std::future::Future;
use std::sync::Arc;

use tether::{AsyncListener, Endpoint, Options};
use tether_bridge::Broker;
use tokio::task::JoinSet;

use super::tally::Tally;

/// Accepts until `shutdown`, then waits for the broker to have everything.
pub async fn run(
    from: &Endpoint,
    options: &Options,
    broker: Broker,
    tally: &Arc<Tally>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let listener = AsyncListener::bind_with(from, options).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    let broker = Arc::new(broker);
    let (failed_tx, mut failed) = tokio::sync::mpsc::channel::<anyhow::Error>(1);
    let mut peers = JoinSet::new();
    let accept = async {
        loop {
            let Ok((mut link, _peer)) = listener.accept().await else {
                continue;
            };
            let broker = Arc::clone(&broker);
            let failed_tx = failed_tx.clone();
            let tally = Arc::clone(tally);
            peers.spawn(async move {
                while let Ok(message) = link.recv().await {
                    if let Err(e) = tally.publish(&broker, message).await {
                        let _ = failed_tx.send(e).await;
                        return;
                    }
                }
            });
        }
    };
    let result = tokio::select! {
        () = accept => Ok(()),
        Some(e) = failed.recv() => Err(e),
        () = shutdown => Ok(()),
    };
    peers.shutdown().await;
    let broker = Arc::into_inner(broker);
    if let Some(broker) = broker {
        broker.close().await?;
    }
    result
}
