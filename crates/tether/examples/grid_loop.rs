//! The first user's loop: a 4-bit array sent per cell of a grid, from a
//! nested loop, to a receiver on loopback. Measures, for several linger
//! settings, what each `send` costs the loop and how long each message takes
//! to reach the receiver.
//!
//! ```text
//! cargo run --release -p tether --example grid_loop [-- --work-us 20]
//! ```
//! `--work-us N` spins N µs between sends, as a loop that computes would.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::thread;
use std::time::{Duration, Instant};

use tether::{Link, Listener, Options};

const ROWS: usize = 200;
const COLS: usize = 250;

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(linger: Duration, work: Duration) {
    let listener = Listener::bind("tcp://127.0.0.1:0").unwrap();
    let ep = listener.local_addr().unwrap();
    let base = Instant::now();
    let receiver = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        let mut delays = Vec::with_capacity(ROWS * COLS);
        while let Ok(msg) = link.recv() {
            let now = base.elapsed().as_nanos() as u64;
            let sent = u64::from_le_bytes(msg[4..12].try_into().unwrap());
            delays.push(now.saturating_sub(sent));
        }
        delays
    });
    let mut link = Link::connect_with(&ep, &Options::new().linger(linger)).unwrap();
    let mut send_time = Duration::ZERO;
    let mut msg = [0u8; 12];
    for row in 0..ROWS {
        for col in 0..COLS {
            let spin = Instant::now();
            while spin.elapsed() < work {
                std::hint::spin_loop();
            }
            let bits = (row * COLS + col) as u8 & 0x0f;
            msg[..4].copy_from_slice(&[bits >> 3 & 1, bits >> 2 & 1, bits >> 1 & 1, bits & 1]);
            let t = Instant::now();
            msg[4..].copy_from_slice(&(base.elapsed().as_nanos() as u64).to_le_bytes());
            link.send(&msg).unwrap();
            send_time += t.elapsed();
        }
    }
    drop(link);
    let mut delays = receiver.join().unwrap();
    assert_eq!(delays.len(), ROWS * COLS, "every message must arrive");
    delays.sort_unstable();
    let n = (ROWS * COLS) as f64;
    println!(
        "linger {:>6}  send {:>7.0} ns/msg  delivery p50 {:>6.1} µs  p99 {:>7.1} µs  max {:>7.1} µs",
        format!("{}µs", linger.as_micros()),
        send_time.as_nanos() as f64 / n,
        percentile(&delays, 0.5) as f64 / 1e3,
        percentile(&delays, 0.99) as f64 / 1e3,
        *delays.last().unwrap() as f64 / 1e3,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let work_us = args
        .iter()
        .position(|a| a == "--work-us")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse::<u64>().expect("--work-us takes microseconds"))
        .unwrap_or(0);
    println!(
        "{} sends of a 4-bit array (4 B) + 8 B timestamp, {} µs of work between sends",
        ROWS * COLS,
        work_us
    );
    for linger_us in [0, 20, 100, 500] {
        run(
            Duration::from_micros(linger_us),
            Duration::from_micros(work_us),
        );
    }
}
