#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Remote mode across processes: `tether bench --server` in one, clients in
//! others; and the control exchange of docs/PROTOCOL.md spoken by hand.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};
use tether::{Link, Options};

/// A `tether bench --server` child, killed when dropped.
struct Server {
    child: Child,
    endpoint: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let mut child = Command::cargo_bin("tether")
        .unwrap()
        .args(["bench", "--server", "tcp://127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first stderr line names the bound endpoint.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server printed no endpoint");
    let endpoint = first
        .split_whitespace()
        .find(|w| w.starts_with("tcp://"))
        .unwrap()
        .trim_end_matches(';')
        .to_owned();
    Server { child, endpoint }
}

fn client(endpoint: &str, only: &str) -> Command {
    let mut cmd = Command::cargo_bin("tether").unwrap();
    cmd.args([
        "bench", endpoint, "--quick", "--quiet", "--json", "-", "--only", only,
    ]);
    cmd
}

#[test]
fn remote_mode_serves_clients_one_after_another_and_at_once() {
    let server = start_server();
    let out = client(&server.endpoint, "latency,rate,baseline")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["server"]["mode"], "remote");
    assert_eq!(r["server"]["endpoint"], server.endpoint);
    assert_eq!(r["server"]["version"], env!("CARGO_PKG_VERSION"));
    let lat = r["latency"].as_array().unwrap();
    // The server is on loopback, so Unix sockets are measured too.
    assert_eq!(lat.len(), 3);
    for x in r["rate"].as_array().unwrap() {
        assert_eq!(x["sent"], x["received"]);
    }
    assert!(!r["comparisons"].as_array().unwrap().is_empty());

    // Two clients at once.
    let children: Vec<_> = ["udp", "connect,nagle"]
        .iter()
        .map(|only| {
            client(&server.endpoint, only)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (child, key) in children.into_iter().zip(["udp", "connect"]) {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!r[key].is_null(), "{key} missing");
    }
}

#[test]
fn unreachable_server_is_one_clear_line() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = Command::cargo_bin("tether")
        .unwrap()
        .args(["bench", &format!("tcp://127.0.0.1:{port}"), "--quick"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "tether: cannot reach the bench server at tcp://127.0.0.1:{port}"
        )),
        "{err}"
    );
}

fn send(link: &mut Link, v: Value) {
    link.send(&serde_json::to_vec(&v).unwrap()).unwrap();
}

fn recv(link: &mut Link) -> Value {
    let m = link
        .recv_timeout(Duration::from_secs(20))
        .unwrap()
        .expect("no reply from the bench server");
    serde_json::from_slice(&m).unwrap()
}

#[test]
fn control_exchange_as_documented() {
    let server = start_server();
    let opts = Options::new();

    // A client of another protocol version is told so.
    let mut link = Link::connect_with(server.endpoint.as_str(), &opts).unwrap();
    send(
        &mut link,
        json!({"type": "hello", "protocol": 99, "version": "x"}),
    );
    let reply = recv(&mut link);
    assert_eq!(reply["type"], "error");
    assert!(reply["message"].as_str().unwrap().contains("protocol 1"));

    // hello, settings, ready, run, traffic, done, results.
    let mut link = Link::connect_with(server.endpoint.as_str(), &opts).unwrap();
    send(
        &mut link,
        json!({"type": "hello", "protocol": 1, "version": "test"}),
    );
    let hello = recv(&mut link);
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["protocol"], 1);

    // Settings before anything else wrong are answered with an error and
    // the link stays usable.
    send(&mut link, json!({"type": "run"}));
    assert_eq!(recv(&mut link)["type"], "error");

    send(
        &mut link,
        json!({"type": "settings", "role": "echo", "transport": "tcp", "stack": "tether",
               "nodelay": true, "max_datagrams": 0}),
    );
    let ready = recv(&mut link);
    assert_eq!(ready["type"], "ready", "{ready}");
    let data_ep = ready["endpoint"].as_str().unwrap().to_owned();
    assert!(data_ep.starts_with("tcp://127.0.0.1:"), "{data_ep}");
    send(&mut link, json!({"type": "run"}));
    let mut data = Link::connect_with(data_ep.as_str(), &opts).unwrap();
    for i in 0..10u8 {
        data.send(&[i; 3]).unwrap();
        assert_eq!(&data.recv().unwrap()[..], &[i; 3]);
    }
    drop(data);
    send(&mut link, json!({"type": "done"}));
    let results = recv(&mut link);
    assert_eq!(results["type"], "results", "{results}");
    assert_eq!(results["messages"], 10);
    assert_eq!(results["bytes"], 30);
    assert_eq!(results["connections"], 1);

    // A sink over std framing, on the same control link.
    send(
        &mut link,
        json!({"type": "settings", "role": "sink", "transport": "tcp", "stack": "std",
               "nodelay": true, "max_datagrams": 0}),
    );
    let ready = recv(&mut link);
    let data_ep = ready["endpoint"].as_str().unwrap().to_owned();
    send(&mut link, json!({"type": "run"}));
    let mut data = Link::connect_with(data_ep.as_str(), &opts).unwrap();
    data.send_all([&b"a"[..], b"bb", b"ccc"]).unwrap();
    data.shutdown(std::net::Shutdown::Write).unwrap();
    drop(data);
    send(&mut link, json!({"type": "done"}));
    let results = recv(&mut link);
    assert_eq!(results["messages"], 3, "{results}");
    assert_eq!(results["bytes"], 6);

    // Garbage is refused with an error before the server hangs up.
    send(&mut link, json!({"type": "launch_missiles"}));
    assert_eq!(recv(&mut link)["type"], "error");
}
