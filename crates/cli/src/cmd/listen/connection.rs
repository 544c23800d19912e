//! One accepted connection: read batches, hand them to the sink, echo.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use tether::{AsyncLink, Endpoint, Error};

use super::peer_log::Reason;
use super::sink::Sink;

/// A batch closes at this many messages (or with what one read brought),
/// which bounds what the printer's queue can hold.
const BATCH_MESSAGES: usize = 4096;
/// Room for messages a quiet connection keeps between batches.
const IDLE_BATCH: usize = 64;

/// Reads until the peer closes, the framing breaks or the listener stops;
/// at a stop, the whole messages already read are still handed over.
pub async fn serve(mut link: AsyncLink, peer: Arc<str>, id: u64, sink: Arc<Sink>) {
    let mut payloads: Vec<Bytes> = Vec::new();
    loop {
        let got = tokio::select! {
            biased;
            () = sink.stopped() => {
                finish_held(&mut link, &peer, id, &sink).await;
                return;
            }
            // Cancel-safe: a message is never half taken.
            got = link.recv_batch(&mut payloads, BATCH_MESSAGES, None) => got,
        };
        let end = got.err();
        if !payloads.is_empty() && !hand_over(&mut link, &peer, id, &sink, &mut payloads).await {
            return;
        }
        if payloads.capacity() > IDLE_BATCH {
            // A burst's batch vector is not kept while the peer is quiet.
            payloads = Vec::new();
        }
        match end {
            None => {}
            Some(Error::Closed) => return,
            Some(Error::IdleTimeout { .. }) => {
                let cause = "idle for the --idle-timeout";
                let line = format!("tether: {peer}: {cause}; connection closed");
                sink.log.report(Reason::new("closed", cause), line);
                return;
            }
            Some(Error::FrameTimeout { got, .. }) => {
                let cause = "frame not whole within the --frame-timeout";
                let line =
                    format!("tether: {peer}: {cause} ({got} bytes of it came); connection dropped");
                sink.log.report(Reason::new("dropped", cause), line);
                return;
            }
            Some(e @ Error::Codec(_)) => {
                sink.tally.dropped.fetch_add(1, Ordering::Relaxed);
                let line = format!("tether: {peer}: {e}; connection dropped");
                sink.log.report(Reason::of("dropped", &e), line);
                return;
            }
            Some(e) => {
                sink.log
                    .report(Reason::of("lost", &e), format!("tether: {peer}: {e}"));
                return;
            }
        }
    }
}

/// Gives the sink what was read (emptying `payloads`) and echoes what it
/// took; false once this connection should end.
async fn hand_over(
    link: &mut AsyncLink,
    peer: &Arc<str>,
    id: u64,
    sink: &Sink,
    payloads: &mut Vec<Bytes>,
) -> bool {
    let messages = payloads.drain(..).map(|p| sink.received(p)).collect();
    let delivered = sink.deliver(peer, Some(id), messages).await;
    if !delivered.echo.is_empty() {
        let n = delivered.echo.len() as u64;
        tokio::select! {
            sent = link.send_all(delivered.echo) => if let Err(e) = sent {
                let line = format!("tether: {peer}: cannot echo: {e}");
                sink.log.report(Reason::of("not echoed", &e), line);
                return false;
            },
            // A peer that never reads its replies must not hold the stop:
            // what it has not taken by the drain time is dropped, counted.
            () = sink.drain_over() => {
                sink.tally.undelivered.fetch_add(n, Ordering::Relaxed);
                return false;
            }
        }
    }
    delivered.more
}

/// At a stop, hands over the whole messages this connection already holds
/// (read but not yet handed over), without waiting for more.
async fn finish_held(link: &mut AsyncLink, peer: &Arc<str>, id: u64, sink: &Sink) {
    let mut payloads = Vec::new();
    while payloads.len() < BATCH_MESSAGES {
        match link.try_recv().await {
            Ok(Some(payload)) => payloads.push(payload),
            _ => break,
        }
    }
    if !payloads.is_empty() {
        hand_over(link, peer, id, sink, &mut payloads).await;
    }
}

/// `127.0.0.1:51544` or `[::1]:40000`: the library's display of the
/// endpoint (which brackets IPv6 hosts) without its scheme. Unix peers
/// rarely have a path, so they are named by connection number.
pub fn peer_name(peer: &Endpoint, id: u64) -> Arc<str> {
    if let Endpoint::Unix(_) = peer {
        return Arc::from(format!("unix#{id}"));
    }
    let shown = peer.to_string();
    match shown.split_once("://") {
        Some((_, address)) => Arc::from(address),
        None => Arc::from(shown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_named_as_the_library_shows_them() {
        let v4: std::net::SocketAddr = "127.0.0.1:51544".parse().unwrap_or_else(|_| unreachable!());
        let v6: std::net::SocketAddr = "[::1]:40000".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(&*peer_name(&Endpoint::tcp(v4), 1), "127.0.0.1:51544");
        assert_eq!(&*peer_name(&Endpoint::tcp(v6), 1), "[::1]:40000");
        assert_eq!(&*peer_name(&Endpoint::Unix("".into()), 7), "unix#7");
    }
}
