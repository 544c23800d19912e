//! Faults under `tether bridge tcp:// -> broker`: the broker killed
//! (SIGKILL) and restarted mid-run, nats-server and mosquitto alike. The
//! bridge reconnects with back-off, holds at most `--hold` messages while
//! the broker is away and says exactly how many it dropped: every number
//! sent is either received or counted dropped. Peers that come and go do
//! not stop it, and Ctrl-C drains and exits 0 with a summary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker_support;
mod listen_send_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{ChildStdin, Stdio};
use std::time::{Duration, Instant};

use broker_support::{bridge, count, mosquitto_on, nats_on, numbers_from, Gate, Server};
use listen_send_support::{free_port, listen, send, tether, Listener, WAIT};

/// Messages before the kill, during the outage, and after the restart.
const BEFORE: u32 = 10_000;
const DURING: u32 = 5_000;
const AFTER: u32 = 10_000;
/// The bridge's `--hold`: less than DURING, so some must be dropped.
const HOLD: &str = "1000";

/// The number a listener line ends with, or `None` for a probe.
fn number(line: &str) -> Option<u32> {
    line.split_whitespace().last().and_then(|w| w.parse().ok())
}

/// Reads lines until `n` distinct numbers have come (or [`WAIT`] passes
/// with none), adding them to `got`.
fn collect(listener: &Listener, got: &mut BTreeSet<u32>, n: usize) {
    while got.len() < n {
        let Some(line) = listener.line_within(WAIT) else {
            return;
        };
        if let Some(i) = number(&line) {
            got.insert(i);
        }
    }
}

fn write(stdin: &mut ChildStdin, start: u32, end: u32) {
    stdin
        .write_all(numbers_from(start, end).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
}

/// Kills the broker mid-run and restarts it on the same port; `start` is
/// nats_on or mosquitto_on, `url` makes a URL to a port.
fn restart_mid_run(start: fn(u16) -> Server, url: fn(u16) -> String) {
    let port = free_port();
    let mut server = Some(start(port));
    let gate = Gate::new(port);
    let listener = listen(&url(port), &[]);
    let bridge = bridge("tcp://127.0.0.1:0", &url(gate.port), &["--hold", HOLD]);
    let addr = bridge.addr.clone().unwrap();
    let mut sender = tether()
        .args(["send", &addr, "--stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = sender.stdin.take().unwrap();
    let mut got = BTreeSet::new();

    // Kill it while messages are on their way.
    write(&mut stdin, 0, BEFORE);
    collect(&listener, &mut got, 2_000);
    gate.shut();
    drop(server.take());
    write(&mut stdin, BEFORE, BEFORE + DURING);
    std::thread::sleep(Duration::from_secs(1));

    // Back on the same port; the bridge may reconnect only once our own
    // subscriber is back, or what it publishes first would reach no one.
    server = Some(start(port));
    let deadline = Instant::now() + WAIT;
    'probing: loop {
        assert!(
            Instant::now() < deadline,
            "the listener never came back: {}",
            listener.stderr()
        );
        send(&[&url(port), "probe"]).assert().success();
        // Numbers from before the kill may still be on their way.
        while let Some(line) = listener.line_within(Duration::from_millis(200)) {
            match number(&line) {
                Some(i) => got.insert(i),
                None => break 'probing,
            };
        }
    }
    gate.open();
    // Past the longest back-off (2 s), so what follows finds it back.
    std::thread::sleep(Duration::from_millis(2_500));
    let sent = BEFORE + DURING + AFTER;
    write(&mut stdin, BEFORE + DURING, sent);
    drop(stdin);
    assert!(sender.wait().unwrap().success());
    std::thread::sleep(Duration::from_millis(500));
    let summary = bridge.stop();
    let dropped = count(&summary, "dropped");
    collect(&listener, &mut got, sent as usize - dropped as usize);

    assert!(
        dropped > 0,
        "more than --hold came while the broker was away: {summary}"
    );
    assert!(count(&summary, "reconnects") >= 1, "{summary}");
    assert!(got.iter().all(|&i| i < sent));
    assert!(
        got.last() >= Some(&(BEFORE + DURING)),
        "nothing after the restart came"
    );
    assert_eq!(
        got.len() as u64 + dropped,
        u64::from(sent),
        "received + dropped != sent; {summary}"
    );
    drop(server);
}

#[test]
fn nats_killed_and_restarted_mid_run_loss_is_counted_exactly() {
    restart_mid_run(nats_on, |p| format!("nats://127.0.0.1:{p}/grid.bits"));
}

#[test]
fn mosquitto_killed_and_restarted_mid_run_loss_is_counted_exactly() {
    restart_mid_run(mosquitto_on, |p| {
        format!("mqtt://127.0.0.1:{p}/grid/bits?qos=1")
    });
}

#[test]
fn peers_that_come_and_go_do_not_stop_the_bridge() {
    let port = free_port();
    let _server = nats_on(port);
    let mut listener = listen(&format!("nats://127.0.0.1:{port}/grid.bits"), &["-n", "3"]);
    let bridge = bridge(
        "tcp://127.0.0.1:0",
        &format!("nats://127.0.0.1:{port}/grid.bits"),
        &[],
    );
    let addr = bridge.addr.clone().unwrap();
    for word in ["one", "two", "three"] {
        send(&[&addr, word]).assert().success();
    }
    let words: Vec<String> = listener
        .lines(3)
        .iter()
        .map(|l| l.split_whitespace().last().unwrap().to_owned())
        .collect();
    assert_eq!(words, ["one", "two", "three"]);
    assert!(listener.wait().0.success());
    let summary = bridge.stop();
    assert!(
        summary.starts_with("3 messages passed, 0 refused, 0 dropped"),
        "{summary}"
    );
}
