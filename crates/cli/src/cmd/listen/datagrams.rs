//! `udp://`: one socket, one message per datagram, echoes sent back to
//! the sender's address.

use std::sync::Arc;

use tether::AsyncDatagramLink;

use super::peer_log::Reason;
use super::sink::Sink;

/// Receives until the listener stops.
pub async fn serve(mut socket: AsyncDatagramLink, sink: Arc<Sink>) {
    loop {
        let received = tokio::select! {
            biased;
            () = sink.stopped() => return,
            received = socket.recv_from() => received,
        };
        match received {
            Ok((payload, from)) => {
                let peer = Arc::from(from.to_string());
                let delivered = sink
                    .deliver(&peer, None, vec![sink.received(payload)])
                    .await;
                for payload in delivered.echo {
                    if let Err(e) = socket.send_to(&payload, from).await {
                        let line = format!("tether: {from}: cannot echo: {e}");
                        sink.log.report(Reason::of("not echoed", &e), line);
                    }
                }
                if !delivered.more {
                    return;
                }
            }
            // An ICMP error from an earlier echo, and the like: keep going.
            Err(e) => sink
                .log
                .report(Reason::of("not received", &e), format!("tether: {e}")),
        }
    }
}
