//! `tether listen nats://...` and `mqtt://...`: one subscription instead
//! of a listening socket, every broker message handed to the same sink
//! (so printing, `--count`, `--json` and `--format` work as on a link).

use std::future::Future;
use std::sync::Arc;

use tether_bridge::{Broker, BrokerUrl, Credentials, Subscription};

use super::sink::Sink;

/// Connects and subscribes to `url`.
pub async fn subscribe(url: &BrokerUrl) -> anyhow::Result<(Broker, Subscription)> {
    let credentials = Credentials::from_env()?;
    let broker = Broker::connect(url, credentials.as_ref(), None).await?;
    let subscription = broker.subscribe().await?;
    Ok((broker, subscription))
}

/// Hands every message to `sink` until `shutdown` resolves or the sink
/// stops (`--count`, stdout gone). The peer shown is the subject.
pub async fn run(
    (broker, mut subscription): (Broker, Subscription),
    shutdown: impl Future<Output = ()>,
    sink: Arc<Sink>,
) {
    let messages = async {
        let mut last: Option<(String, Arc<str>)> = None;
        while let Some(m) = subscription.next().await {
            // One Arc per subject seen in a row, not per message.
            let peer = match &last {
                Some((subject, peer)) if *subject == m.subject => Arc::clone(peer),
                _ => {
                    let peer: Arc<str> = Arc::from(m.subject.as_str());
                    last = Some((m.subject, Arc::clone(&peer)));
                    peer
                }
            };
            let received = sink.received(m.payload);
            if !sink.deliver(&peer, None, vec![received]).await.more {
                break;
            }
        }
    };
    tokio::select! {
        () = messages => {}
        () = shutdown => {}
        () = sink.printer_gone() => {}
        () = sink.stopped() => {}
    }
    sink.stop();
    let _ = broker.close().await;
}
