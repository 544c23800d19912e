//! `--stats`: once a second, messages/s and bytes/s on stderr.

use std::io::{self, IsTerminal};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::sink::Sink;
use crate::output::summary::stats_line;

/// Prints a rate line each second until the listener stops: rewritten in
/// place on a terminal, one line per second otherwise.
pub async fn live(sink: &Sink, is_udp: bool) {
    let in_place = io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let (mut last_messages, mut last_bytes, mut last_at) = (0, 0, Instant::now());
    loop {
        tokio::select! {
            () = sink.stopped() => break,
            _ = tick.tick() => {}
        }
        let (messages, bytes, now) = (
            sink.counted(),
            sink.tally.bytes.load(Ordering::Relaxed),
            Instant::now(),
        );
        let secs = now.duration_since(last_at).as_secs_f64().max(1e-9);
        let line = stats_line(
            (messages - last_messages) as f64 / secs,
            (bytes - last_bytes) as f64 / secs,
            messages,
            (!is_udp).then(|| sink.tally.connections.load(Ordering::Relaxed)),
        );
        if in_place {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
        (last_messages, last_bytes, last_at) = (messages, bytes, now);
    }
    if in_place {
        eprintln!();
    }
}
