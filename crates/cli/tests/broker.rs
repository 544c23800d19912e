//! `nats://` and `mqtt://` endpoints and `tether bridge` against real
//! brokers (nats-server, mosquitto) started here on free loopback ports,
//! with clients tether did not write (mosquitto_pub, mosquitto_sub).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker_support;
mod listen_send_support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use broker_support::{bridge, mosquitto, nats, numbers_from, Server};
use listen_send_support::{listen, send, WAIT};

#[test]
fn nats_send_and_listen_records() {
    let broker = nats();
    let p = broker.port;
    let mut listener = listen(
        &format!("nats://127.0.0.1:{p}/grid.>"),
        &["--format", "4?", "-n", "1"],
    );
    send(&[
        &format!("nats://127.0.0.1:{p}/grid.bits"),
        "--format",
        "4?",
        "0",
        "1",
        "1",
        "0",
    ])
    .assert()
    .success();
    assert_eq!(listener.line(), "grid.bits  (False, True, True, False)");
    let (status, _) = listener.wait();
    assert!(status.success());
}

#[test]
fn mqtt_interop_with_mosquitto_clients() {
    let broker = mosquitto();
    let p = broker.port.to_string();
    let mut listener = listen(
        &format!("mqtt://127.0.0.1:{p}/sensors/#"),
        &["--format", "!I f", "-n", "1"],
    );
    mosquitto_pub(&p, "sensors/7", "-s", &[0, 0, 0, 7, 0x3f, 0xc0, 0, 0]);
    assert_eq!(listener.line(), "sensors/7  (7, 1.5)");
    assert!(listener.wait().0.success());

    let mut sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &p,
            "-t",
            "cmd/device7",
            "-C",
            "1",
            "-W",
            "20",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // mosquitto_sub says nothing once subscribed: send until it has one.
    let deadline = Instant::now() + WAIT;
    while sub.try_wait().unwrap().is_none() && Instant::now() < deadline {
        send(&[&format!("mqtt://127.0.0.1:{p}/cmd/device7?qos=1"), "hello"])
            .assert()
            .success();
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = sub.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
}

#[test]
fn oversized_messages_are_refused_naming_both_numbers() {
    let broker = nats();
    let file = std::env::temp_dir().join(format!("tether-big-{}", std::process::id()));
    std::fs::write(&file, vec![0u8; 2_000_000]).unwrap();
    let url = format!("nats://127.0.0.1:{}/big", broker.port);
    let out = send(&[&url, "--file", file.to_str().unwrap()])
        .assert()
        .failure()
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2000000 bytes") && err.contains("1048576 bytes"),
        "{err}"
    );
    let m = mosquitto();
    let url = format!("mqtt://127.0.0.1:{}/big?max_packet=1000", m.port);
    let out = send(&[&url, "--file", file.to_str().unwrap()])
        .assert()
        .failure()
        .get_output()
        .clone();
    let _ = std::fs::remove_file(&file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2000000 bytes") && err.contains("limit of 990 bytes"),
        "{err}"
    );
}

#[test]
fn credentials_in_the_url_are_refused() {
    let out = send(&["nats://user:secret@127.0.0.1:4222/a", "x"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("TETHER_BROKER_PASSWORD"));
}

const N: u32 = 100_000;
/// Messages per mosquitto_pub run. mosquitto_pub 2.0.11 `-l` at QoS 1
/// ends its session early once its 16-bit message ids wrap (past 65,535
/// it takes an old id's PUBACK for the last message's and disconnects,
/// so 100,000 lines reach the broker as about 34,480): stay below that.
const PUB_RUN: u32 = 25_000;

fn numbers(n: u32) -> String {
    numbers_from(0, n)
}

/// Publishes `input` with mosquitto_pub at QoS 1 in one session: `-s`
/// one message, `-l` one per line.
fn mosquitto_pub(port: &str, topic: &str, mode: &str, input: &[u8]) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", port, "-t", topic, "-q", "1", mode])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(input)?;
            c.wait()
        })
        .unwrap();
    assert!(status.success());
}

#[test]
fn bridge_tcp_to_nats_carries_100k_in_order() {
    let broker = nats();
    let p = broker.port;
    let mut listener = listen(
        &format!("nats://127.0.0.1:{p}/grid.bits"),
        &["--format", "!I", "-n", &N.to_string()],
    );
    let bridge = bridge(
        "tcp://127.0.0.1:0",
        &format!("nats://127.0.0.1:{p}/grid.bits"),
        &[],
    );
    let addr = bridge.addr.clone().unwrap();
    send(&[&addr, "--format", "!I", "--stdin"])
        .write_stdin(numbers(N))
        .assert()
        .success();
    for i in 0..N {
        assert_eq!(listener.line(), format!("grid.bits  ({i},)"));
    }
    assert!(listener.wait().0.success());
    let summary = bridge.stop();
    assert!(
        summary.contains(&format!("{N} messages passed, 0 refused, 0 dropped")),
        "{summary}"
    );
}

#[test]
fn bridge_mqtt_to_tcp_carries_100k_in_order_at_qos1() {
    let broker = mosquitto();
    let p = broker.port.to_string();
    let mut listener = listen("tcp://127.0.0.1:0", &[]);
    let target = listener.endpoint.clone();
    let bridge = bridge(
        &format!("mqtt://127.0.0.1:{p}/cmd/device7?qos=1"),
        &target,
        &[],
    );
    for start in (0..N).step_by(PUB_RUN as usize) {
        let lines = numbers_from(start, (start + PUB_RUN).min(N));
        mosquitto_pub(&p, "cmd/device7", "-l", lines.as_bytes());
    }
    for i in 0..N {
        let line = listener
            .line_within(WAIT)
            .unwrap_or_else(|| panic!("message {i} did not come"));
        assert!(line.ends_with(&format!("  {i}")), "message {i}: {line}");
    }
    let summary = bridge.stop();
    assert!(
        summary.contains(&format!("{N} messages passed, 0 refused, 0 dropped")),
        "{summary}"
    );
    listener.interrupt();
    let _ = listener.wait();
}

#[test]
fn bridge_tcp_to_mqtt_carries_100k_in_order_at_qos1() {
    let broker = mosquitto();
    let p = broker.port;
    let sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &p.to_string(),
            "-t",
            "grid/bits",
            "-q",
            "1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sub = Server {
        child: sub,
        port: p,
    };
    let bridge = bridge(
        "tcp://127.0.0.1:0",
        &format!("mqtt://127.0.0.1:{p}/grid/bits?qos=1"),
        &[],
    );
    let addr = bridge.addr.clone().unwrap();
    let out = BufReader::new(sub.child.stdout.take().unwrap());
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // mosquitto_sub says nothing once subscribed: probe until one comes.
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "mosquitto_sub never subscribed");
        send(&[&addr, "probe"]).assert().success();
        if lines.recv_timeout(Duration::from_millis(200)).is_ok() {
            break;
        }
    }
    send(&[&addr, "--stdin"])
        .write_stdin(numbers(N))
        .assert()
        .success();
    let mut next = 0;
    while next < N {
        let line = lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("message {next} did not come"));
        // Probes sent while the first was on its way come first.
        if next == 0 && line == "probe" {
            continue;
        }
        assert_eq!(line, next.to_string(), "message {next}");
        next += 1;
    }
    let summary = bridge.stop();
    assert!(summary.contains("0 refused, 0 dropped"), "{summary}");
}

/// `--both` with a link FROM: each broker message goes to every connected
/// peer, and a peer's own message, published, comes back to no peer.
#[test]
fn bridge_both_sends_broker_messages_to_every_peer_and_none_back() {
    let broker = nats();
    let url = format!("nats://127.0.0.1:{}/both.t", broker.port);
    let mut listener = listen(&url, &["-n", "2"]);
    let bridge = bridge("tcp://127.0.0.1:0", &url, &["--both"]);
    let addr = bridge.addr.clone().unwrap();
    let mut peers: Vec<tether::Link> = ["from-a", "from-b"]
        .iter()
        .map(|m| {
            let mut link = tether::Link::connect(addr.as_str()).unwrap();
            link.send(m.as_bytes()).unwrap();
            link
        })
        .collect();
    // Both published, so both peers are accepted before "down" is sent.
    let mut got = listener.lines(2);
    got.sort();
    assert!(
        got[0].ends_with("from-a") && got[1].ends_with("from-b"),
        "{got:?}"
    );
    assert!(listener.wait().0.success());
    send(&[&url, "down"]).assert().success();
    for link in &mut peers {
        let first = link.recv_timeout(WAIT).unwrap().expect("nothing came back");
        assert_eq!(&first[..], b"down");
        assert_eq!(link.recv_timeout(Duration::from_millis(300)).unwrap(), None);
    }
    let summary = bridge.stop();
    assert!(
        summary.contains("4 messages passed, 0 refused, 0 dropped"),
        "{summary}"
    );
}
