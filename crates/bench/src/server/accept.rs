//! The accept loop of the bench server: one thread per client, a bounded
//! number at once, until the stop flag is set.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tether::Listener;

use super::client;
use super::stop::POLL;

/// Bench clients served at once; more wait in the listen backlog.
const MAX_CLIENTS: usize = 32;

/// Serves bench clients until `stop` is set; one thread per client.
/// `log` gets one line per client connecting and leaving.
pub fn serve(
    listener: &Listener,
    stop: &Arc<AtomicBool>,
    allow_pinning: bool,
    log: impl Fn(&str) + Send + Sync + Clone + 'static,
) -> anyhow::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        if active.load(Ordering::Relaxed) >= MAX_CLIENTS {
            std::thread::sleep(POLL);
            continue;
        }
        let Some(link) = listener
            .accept_timeout(POLL)
            .context("cannot accept a bench client")?
        else {
            continue;
        };
        let peer = link
            .peer_addr()
            .map(|p| p.to_string())
            .unwrap_or_else(|_| "?".into());
        active.fetch_add(1, Ordering::Relaxed);
        let (stop, active, log) = (Arc::clone(stop), Arc::clone(&active), log.clone());
        let spawned = std::thread::Builder::new()
            .name("bench-client".into())
            .spawn(move || {
                log(&format!("client {peer} connected"));
                match client::handle(link, &stop, allow_pinning) {
                    Ok(()) => log(&format!("client {peer} done")),
                    Err(e) => log(&format!("client {peer}: {e:#}")),
                }
                active.fetch_sub(1, Ordering::Relaxed);
            });
        if let Err(e) = spawned {
            return Err(e).context("cannot start a thread for a bench client");
        }
    }
    Ok(())
}
