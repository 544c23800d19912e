//! `tether bench --broker`: through nats-server and mosquitto (started
//! here on free loopback ports) beside a direct link, with the ratio; with
//! no URL it starts nats-server itself, or says plainly that it cannot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker_support;
mod listen_send_support;

use broker_support::{mosquitto, nats};
use listen_send_support::WAIT;
use serde_json::Value;

fn bench(args: &[&str], path: Option<&str>) -> std::process::Output {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_tether"));
    cmd.args(["bench", "--quick", "--json", "-"]).args(args);
    cmd.timeout(WAIT * 3);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    cmd.output().unwrap()
}

/// The report's figures hang together: both paths measured, the ratios
/// are the quotients of the figures printed beside them.
fn check(out: &std::process::Output, protocol: &str) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema"], "tether-bench-broker/1");
    assert_eq!(r["protocol"], protocol);
    let f = |path: &str, a: &str, b: &str| r[path][a][b].as_f64().unwrap();
    for path in ["direct", "through_broker"] {
        assert!(f(path, "round_trip", "rounds") > 0.0, "{r}");
        assert!(f(path, "round_trip", "p50_ns") > 0.0, "{r}");
        assert!(f(path, "rate", "received") > 0.0, "{r}");
        assert!(
            f(path, "rate", "received") <= f(path, "rate", "sent"),
            "{r}"
        );
    }
    let rtt = f("through_broker", "round_trip", "p50_ns") / f("direct", "round_trip", "p50_ns");
    assert!((r["round_trip_ratio"].as_f64().unwrap() - rtt).abs() < 1e-9 * rtt.max(1.0));
    let rate =
        f("through_broker", "rate", "messages_per_s") / f("direct", "rate", "messages_per_s");
    assert!((r["rate_ratio"].as_f64().unwrap() - rate).abs() < 1e-9 * rate.max(1.0));
    assert!(
        stderr.contains("through the broker a round trip takes"),
        "{stderr}"
    );
    r
}

#[test]
fn bench_through_nats_beside_a_direct_link() {
    let server = nats();
    let out = bench(
        &["--broker", &format!("nats://127.0.0.1:{}", server.port)],
        None,
    );
    let r = check(&out, "nats");
    assert!(
        r["broker"].as_str().unwrap().ends_with("/tether.bench"),
        "{r}"
    );
}

#[test]
fn bench_through_mosquitto_beside_a_direct_link() {
    let server = mosquitto();
    let url = format!("mqtt://127.0.0.1:{}/bench?qos=1", server.port);
    let r = check(&bench(&["--broker", &url], None), "mqtt");
    assert_eq!(r["qos"], 1);
}

#[test]
fn bench_broker_with_no_url_starts_nats_server_or_says_it_cannot() {
    let out = bench(&["--broker"], None);
    check(&out, "nats");
    assert!(String::from_utf8_lossy(&out.stderr).contains("started nats-server on 127.0.0.1:"));
    let out = bench(&["--broker"], Some("/nonexistent"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nats-server, which is not on the PATH"),
        "{stderr}"
    );
}
