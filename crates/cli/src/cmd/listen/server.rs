//! The server (mini-redis `server::run(listener, shutdown)`): accepts
//! until `shutdown` resolves, one task per connection, everything handed
//! to a [`Sink`]. Shutdown is an input: Ctrl-C is one source of it, a
//! test another; `--count` and a printer that has gone stop it from inside.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tether::{AsyncDatagramLink, AsyncListener, Endpoint, Options};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connection::{self, peer_name};
use super::datagrams;
use super::limits::{out_of_fds, Reserve};
use super::memory;
use super::peer_log::Reason;
use super::sink::Sink;

/// A bound listening socket: a stream listener or a UDP socket.
#[derive(Debug)]
pub enum Bound {
    /// `tcp://` or `unix://`.
    Stream(AsyncListener),
    /// `udp://`.
    Datagram(AsyncDatagramLink),
}

impl Bound {
    /// Binds `endpoint`; accepted links get `options`.
    pub async fn bind(endpoint: &Endpoint, options: &Options) -> tether::Result<Bound> {
        Ok(match endpoint {
            Endpoint::Udp { .. } => Bound::Datagram(AsyncDatagramLink::bind(endpoint).await?),
            _ => Bound::Stream(AsyncListener::bind_with(endpoint, options).await?),
        })
    }

    /// The bound endpoint, with the real port after port 0.
    pub fn local_addr(&self) -> tether::Result<Endpoint> {
        match self {
            Bound::Stream(l) => l.local_addr(),
            Bound::Datagram(s) => s.local_addr(),
        }
    }
}

/// Serves until `shutdown` resolves (or the sink stops the listener), then
/// waits for every connection to hand over what it holds.
pub async fn run(bound: Bound, shutdown: impl Future<Output = ()>, sink: Arc<Sink>) {
    let watch = async {
        tokio::select! {
            () = shutdown => sink.stop(),
            () = sink.printer_gone() => sink.stop(),
            () = sink.stopped() => {}
        }
    };
    let serve = async {
        match bound {
            Bound::Stream(listener) => accept_loop(listener, Arc::clone(&sink)).await,
            Bound::Datagram(socket) => datagrams::serve(socket, Arc::clone(&sink)).await,
        }
        // A connection may end the listening (`--count`) without a stop
        // from outside: end the watch too.
        sink.stop();
    };
    let log = async {
        tokio::select! {
            () = sink.stopped() => {}
            () = sink.log.summarise_each_second() => {}
        }
    };
    tokio::join!(watch, serve, log);
    sink.log.finish();
}

/// Accepts until the stop, one task per connection; then waits for the
/// connection tasks, which stop at the same signal. At the connection cap
/// it stops accepting (the kernel's backlog holds newcomers) rather than
/// fail on every accept.
async fn accept_loop(listener: AsyncListener, sink: Arc<Sink>) {
    let mut tasks = JoinSet::new();
    let slots = Arc::new(Semaphore::new(sink.limits.max_connections.max(1)));
    let mut reserve = Reserve::new();
    let closed = Arc::new(AtomicU64::new(0));
    let trimmer = tokio::spawn(memory::trim_after_bursts(
        Arc::clone(&closed),
        Arc::clone(&sink),
    ));
    loop {
        let slot = tokio::select! {
            () = sink.stopped() => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        tokio::select! {
            () = sink.stopped() => break,
            accepted = listener.accept() => match accepted {
                Ok((link, peer)) => {
                    let id = sink.tally.connections.fetch_add(1, Ordering::Relaxed) + 1;
                    let (sink, closed) = (Arc::clone(&sink), Arc::clone(&closed));
                    tasks.spawn(async move {
                        connection::serve(link, peer_name(&peer, id), id, sink).await;
                        drop(slot);
                        closed.fetch_add(1, Ordering::Relaxed);
                    });
                }
                Err(e) if out_of_fds(&e) => {
                    // Give up the reserve descriptor, take the pending peer
                    // and close it at once, so accept does not spin.
                    reserve.release();
                    if let Ok(Ok((link, _))) =
                        tokio::time::timeout(Duration::from_millis(10), listener.accept()).await
                    {
                        drop(link);
                    }
                    reserve.retake();
                    let line = format!("tether: accept failed: {e}; a peer was turned away");
                    sink.log.report(Reason::of("turned away", &e), line);
                }
                Err(e) => {
                    // Pause briefly rather than spin, keep serving.
                    sink.log.report(
                        Reason::of("not accepted", &e),
                        format!("tether: accept failed: {e}"),
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    // Stop accepting before the connections wind down.
    drop(listener);
    while tasks.join_next().await.is_some() {}
    trimmer.abort();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::cmd::listen::limits::Limits;
    use tether::AsyncLink;
    use tokio::sync::{mpsc, oneshot};

    const WAIT: Duration = Duration::from_secs(10);

    /// A listener on a free loopback port serving `sink` until the sender
    /// it returns is used (or dropped).
    async fn serve(
        sink: &Arc<Sink>,
        options: &Options,
    ) -> (Endpoint, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let bound = Bound::bind(&"tcp://127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap();
        let ep = bound.local_addr().unwrap();
        let (stop, shutdown) = oneshot::channel::<()>();
        let server = tokio::spawn(run(
            bound,
            async {
                let _ = shutdown.await;
            },
            Arc::clone(sink),
        ));
        (ep, stop, server)
    }

    #[tokio::test]
    async fn run_stops_when_its_shutdown_future_resolves() {
        let (to_printer, mut printed) = mpsc::channel(8);
        let sink = Arc::new(Sink::new(to_printer, None));
        let (ep, stop, server) = serve(&sink, &Options::default()).await;
        let mut link = AsyncLink::connect(&ep).await.unwrap();
        link.send(b"hello").await.unwrap();
        let batch = tokio::time::timeout(WAIT, printed.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&batch.messages[0].payload[..], b"hello");
        // Still serving while the client stays connected...
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!server.is_finished());
        // ...until the shutdown future resolves; the receiver is still
        // here, so nothing else stopped it.
        stop.send(()).unwrap();
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert!(sink.is_stopped());
        assert_eq!(sink.tally.connections.load(Ordering::Relaxed), 1);
        assert_eq!(sink.counted(), 1);
    }

    /// Issue 11, item 1: a peer that never reads its echoes used to hold
    /// the listener past SIGINT for as long as it stayed.
    #[tokio::test]
    async fn a_stop_ends_an_echo_to_a_peer_that_never_reads() {
        let (to_printer, mut printed) = mpsc::channel(1024);
        tokio::spawn(async move { while printed.recv().await.is_some() {} });
        let sink = Arc::new(
            Sink::new(to_printer, None)
                .echo(true)
                .drain(Duration::from_millis(200)),
        );
        let (ep, stop, server) = serve(&sink, &Options::default()).await;
        let mut link = AsyncLink::connect(&ep).await.unwrap();
        // 64 MiB of messages, never reading the echoes: both socket
        // buffers fill and the echo blocks.
        let chunk = vec![7u8; 64 * 1024];
        for _ in 0..1024 {
            if tokio::time::timeout(Duration::from_millis(500), link.send(&chunk))
                .await
                .is_err()
            {
                break;
            }
        }
        stop.send(()).unwrap();
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert!(sink.tally.undelivered.load(Ordering::Relaxed) > 0);
        drop(link);
    }

    /// Issue 11, item 2: at the cap a newcomer waits in the backlog and
    /// is served once a slot frees; an idle peer is closed.
    #[tokio::test]
    async fn the_cap_holds_newcomers_and_idle_peers_are_closed() {
        let (to_printer, mut printed) = mpsc::channel(64);
        let mut sink = Sink::new(to_printer, None);
        sink.limits = Limits { max_connections: 1 };
        let sink = Arc::new(sink);
        let idle = Options::new().idle_timeout(Some(Duration::from_millis(300)));
        let (ep, stop, server) = serve(&sink, &idle).await;
        let mut first = AsyncLink::connect(&ep).await.unwrap();
        first.send(b"one").await.unwrap();
        let batch = tokio::time::timeout(WAIT, printed.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&batch.messages[0].payload[..], b"one");
        let mut second = AsyncLink::connect(&ep).await.unwrap();
        second.send(b"two").await.unwrap();
        // Not served while the first holds the only slot...
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(printed.try_recv().is_err());
        assert_eq!(sink.tally.connections.load(Ordering::Relaxed), 1);
        // ...until the idle timeout closes the first.
        let batch = tokio::time::timeout(WAIT, printed.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&batch.messages[0].payload[..], b"two");
        assert!(tokio::time::timeout(WAIT, first.recv())
            .await
            .unwrap()
            .is_err());
        stop.send(()).unwrap();
        tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        drop(second);
    }
}
