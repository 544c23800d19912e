//! Faults across two network namespaces (root only; skipped elsewhere with
//! the reason): TCP under packet loss, UDP loss and reordering counted by
//! `tether bench` against what the fault injector counted, senders killed
//! mid-frame, and a listener restarted under a sender with `--retry`.
//! Ignored by default (they change the network); `.ci/test` runs them with
//! `--ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "faults_support/mod.rs"]
mod faults_support;

use std::io::Write as _;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;

use faults_support::child::{peer_reports, terminate, wait_bounded, wait_stderr, WAIT};
use faults_support::{Net, B_ADDR};

/// Messages of the loss case.
const NUMBERED: usize = 100_000;

/// `n` numbered messages, each `{i:08}` and a newline, for `--stdin`.
fn numbered(n: usize) -> String {
    (0..n).map(|i| format!("{i:08}\n")).collect()
}

/// The numbers in a `--output` file of 8-byte numbered messages.
fn numbers_in(path: &std::path::Path) -> Vec<usize> {
    let bytes = std::fs::read(path).unwrap_or_default();
    assert_eq!(
        bytes.len() % 8,
        0,
        "a partial message in {}",
        path.display()
    );
    bytes
        .chunks(8)
        .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
        .collect()
}

#[test]
#[ignore = "needs root: run by .ci/test with --ignored"]
fn tcp_at_5_percent_loss_each_way_delivers_100k_messages_complete_and_in_order() {
    let Some(net) = Net::new("tcp loss") else {
        return;
    };
    net.drop_incoming(&net.b, "tcp", 0.05);
    net.drop_incoming(&net.a, "tcp", 0.05);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("received");
    let count = NUMBERED.to_string();
    let mut listener = net.listen(
        &net.b,
        &format!("tcp://{B_ADDR}:0"),
        &[
            "--quiet",
            "--count",
            &count,
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let mut sender = net
        .tether(&net.a, &["send", &listener.endpoint, "--stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let input = numbered(NUMBERED);
    sender
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let sent = wait_bounded(&mut sender, WAIT);
    let (status, stderr) = listener.wait();
    let dropped = (net.dropped(&net.b), net.dropped(&net.a));
    eprintln!("tcp loss: packets dropped (to listener, to sender) {dropped:?}");
    assert!(sent.success(), "sender: {sent:?}");
    assert!(status.success(), "{stderr}");
    assert!(dropped.0 > 0 && dropped.1 > 0, "no loss was injected");
    assert_eq!(numbers_in(&out), (0..NUMBERED).collect::<Vec<_>>());
}

#[test]
#[ignore = "needs root: run by .ci/test with --ignored"]
fn udp_bench_loss_and_reordering_match_what_the_injector_counted() {
    let Some(net) = Net::new("udp bench") else {
        return;
    };
    net.drop_incoming(&net.b, "udp", 0.03);
    let relay = net.reorder_udp();
    let server = net.bench_server(&net.b, &format!("tcp://{B_ADDR}:0"));
    let out = net
        .tether(
            &net.a,
            &[
                "bench",
                &server.endpoint,
                "--only",
                "udp",
                "--quick",
                "--json",
                "-",
                "--quiet",
            ],
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = json["udp"].as_array().unwrap();
    let sum = |key: &str| points.iter().map(|p| p[key].as_u64().unwrap()).sum::<u64>();
    let (sent, received, lost, reordered) =
        (sum("sent"), sum("received"), sum("lost"), sum("reordered"));
    let mut relay = relay;
    relay.stop();
    let made_late = relay.reordered.load(Ordering::Relaxed);
    let at_relay = relay.overflowed.load(Ordering::Relaxed);
    let injected = net.dropped(&net.b);
    let overflowed = net.snmp(&net.b, "Udp", "RcvbufErrors");
    eprintln!(
        "udp bench: sent {sent}, received {received}, lost {lost}, reordered {reordered}; \
         injector dropped {injected} and made {made_late} late; kernel buffer drops {overflowed} \
         ({at_relay} at the relay)"
    );
    assert!(injected > 0, "no loss was injected");
    assert!(made_late > 0, "nothing was reordered");
    // What the relay could not take is dropped at its socket, before any
    // reordering; it never overfills the sink's socket.
    assert_eq!(
        overflowed, at_relay,
        "the bench sink's socket dropped datagrams"
    );
    assert_eq!(lost, injected + at_relay, "loss the injector did not make");
    assert_eq!(reordered, made_late);
    drop(server);
}

/// Iterations of the kill case, and the message size it sends.
const KILLS: usize = 20;
const BIG: usize = 1 << 20;

#[test]
#[ignore = "needs root: run by .ci/test with --ignored"]
fn a_sender_killed_at_random_points_never_yields_a_partial_message() {
    let Some(net) = Net::new("sigkill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big");
    std::fs::write(&file, vec![b'x'; BIG]).unwrap();
    // A slow link keeps the sender blocked inside a frame, so each kill
    // leaves one partly sent.
    net.limit_rate(200);
    let mut listener = net.listen(&net.b, &format!("tcp://{B_ADDR}:0"), &["--max-show", "8"]);
    let size_column = format!("  {BIG} B");
    let mut lines = Vec::new();
    for i in 0..KILLS {
        let mut sender = net
            .tether(
                &net.a,
                &[
                    "send",
                    &listener.endpoint,
                    "--file",
                    file.to_str().unwrap(),
                    "--repeat",
                    "1000",
                ],
            )
            .spawn()
            .unwrap();
        // Connected, its first bytes through, then a random moment at
        // which it waits inside a send (a kill between two sends would
        // leave no frame half-sent, which is no fault to report).
        assert!(
            net.wait_receiving(&net.b, WAIT),
            "kill {i}: nothing arrived"
        );
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..100)));
        assert!(
            wait_blocked_in_send(sender.id()),
            "kill {i}: the sender never waited in a send"
        );
        sender.kill().unwrap();
        let _ = sender.wait();
        let reported = wait_stderr(
            &listener,
            "connection closed mid-frame",
            "closed mid-frame",
            i + 1,
            Duration::from_secs(15),
        );
        if !reported {
            terminate(&listener);
            let (_, stderr) = listener.wait();
            panic!("kill {i}: no Truncated report: {stderr}");
        }
        while let Some(line) = listener.line_within(Duration::from_millis(1)) {
            lines.push(line);
        }
    }
    terminate(&listener);
    let (status, stderr) = listener.wait();
    lines.extend(listener.rest());
    assert!(status.success(), "{stderr}");
    for line in &lines {
        assert!(line.contains(&size_column), "a partial message: {line}");
    }
    eprintln!(
        "sigkill: {KILLS} kills, {} whole messages, {KILLS} truncated",
        lines.len()
    );
    assert_eq!(
        peer_reports(&stderr, "connection closed mid-frame", "closed mid-frame"),
        KILLS,
        "{stderr}"
    );
}

/// Waits (at most 5 s) until process `pid` sleeps in a socket send
/// (`write`, `writev`, `sendto` or `sendmsg`, waiting for buffer room).
fn wait_blocked_in_send(pid: u32) -> bool {
    const SENDS: [&str; 4] = ["1", "20", "44", "46"];
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
        let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        let number = syscall.split(' ').next().unwrap_or("");
        if wchan == "wait_woken" && SENDS.contains(&number) {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

/// Messages of the restart case, and the rate they are sent at.
const RESTART_MESSAGES: usize = 12_000;

#[test]
#[ignore = "needs root: run by .ci/test with --ignored"]
fn a_listener_restarted_under_load_loses_nothing_a_retrying_sender_had_not_sent() {
    let Some(net) = Net::new("restart") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (out1, out2) = (dir.path().join("first"), dir.path().join("second"));
    let output = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let mut first = net.listen(
        &net.b,
        &format!("tcp://{B_ADDR}:0"),
        &["--quiet", "--output", &output(&out1)],
    );
    let endpoint = first.endpoint.clone();
    let args = [
        "send", &endpoint, "--stdin", "--rate", "4000/s", "--retry", "20s",
    ];
    let mut sender = net
        .tether(&net.a, &args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = sender.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(numbered(RESTART_MESSAGES).as_bytes()));
    // Restart once a sixth of the messages are through.
    let through = || std::fs::metadata(&out1).map_or(0, |m| m.len() as usize / 8);
    let deadline = std::time::Instant::now() + WAIT;
    while through() < RESTART_MESSAGES / 6 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    terminate(&first);
    let (status, stderr) = first.wait();
    assert!(status.success(), "{stderr}");
    std::thread::sleep(Duration::from_millis(300));
    let mut second = net.listen(&net.b, &endpoint, &["--quiet", "--output", &output(&out2)]);
    let sent = wait_bounded(&mut sender, WAIT);
    feeder.join().unwrap().unwrap();
    let mut sender_err = String::new();
    std::io::Read::read_to_string(&mut sender.stderr.take().unwrap(), &mut sender_err).unwrap();
    terminate(&second);
    let (status, stderr) = second.wait();
    assert!(sent.success() && status.success(), "{sender_err}\n{stderr}");
    let (got1, got2) = (numbers_in(&out1), numbers_in(&out2));
    let k = got1.len();
    assert_eq!(
        got1,
        (0..k).collect::<Vec<_>>(),
        "the first listener's messages"
    );
    let from = resent_from(&sender_err);
    assert_eq!(
        got2,
        (from..RESTART_MESSAGES).collect::<Vec<_>>(),
        "{sender_err}"
    );
    eprintln!(
        "restart: first listener {k} messages, sent again from {from}: {} lost (acknowledged, never read), {} twice",
        from.saturating_sub(k),
        k.saturating_sub(from)
    );
}

/// The 0-based number of the first message the sender sent again, from its
/// "sending again from message N" line (N counts from 1).
fn resent_from(stderr: &str) -> usize {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("sending again from message"))
        .collect();
    assert_eq!(lines.len(), 1, "one reconnection: {stderr}");
    let n: usize = lines[0]
        .split("from message ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", lines[0]));
    n - 1
}
