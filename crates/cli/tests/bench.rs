#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `tether bench --quick`: every experiment runs, and its JSON passes schema
//! and sanity checks. No test asserts a speed.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

const EXPERIMENTS: [&str; 6] = ["latency", "rate", "connect", "nagle", "baseline", "udp"];

fn tether() -> Command {
    Command::cargo_bin("tether").unwrap()
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{key} missing or not a number in {v}"))
}

fn int(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{key} missing or not an integer in {v}"))
}

fn check_latency(l: &Value) {
    assert!(["tcp", "unix", "udp"].contains(&l["transport"].as_str().unwrap()));
    assert!(["tether", "std"].contains(&l["stack"].as_str().unwrap()));
    assert!(int(l, "rounds") > 0, "no rounds recorded: {l}");
    let order = ["min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"];
    let values: Vec<u64> = order.iter().map(|k| int(l, k)).collect();
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "percentiles out of order: {l}"
    );
    assert!(values[0] > 0);
    let mean = num(l, "mean_ns");
    assert!(mean >= values[0] as f64 && mean <= values[5] as f64, "{l}");
    assert!(num(l, "seconds") > 0.0);
}

fn check_rate(r: &Value) {
    let size = int(r, "size");
    let sent = int(r, "sent");
    let received = int(r, "received");
    assert!(sent >= 1);
    assert_eq!(sent, received, "a stream lost messages: {r}");
    assert_eq!(int(r, "received_bytes"), received * size, "{r}");
    let mps = num(r, "messages_per_s");
    let bps = num(r, "bytes_per_s");
    if received > 1 {
        assert!(mps > 0.0, "{r}");
        let expect = (received - 1) as f64 / num(r, "seconds");
        assert!((mps - expect).abs() <= expect * 1e-9, "{r}");
        assert!((bps - mps * size as f64).abs() <= bps * 1e-9, "{r}");
    }
    let std_mode = matches!(r["mode"].as_str().unwrap(), "std_per_message" | "std_batch");
    assert_eq!(std_mode, r["stack"] == "std", "{r}");
}

fn check_udp(p: &Value) {
    let sent = int(p, "sent");
    let received = int(p, "received");
    assert!(sent > 0, "{p}");
    assert!(received <= sent, "{p}");
    assert_eq!(
        int(p, "lost"),
        sent - received,
        "loss is sent minus received: {p}"
    );
    assert!(int(p, "size") >= 8);
    let loss = num(p, "loss_ratio");
    assert!(
        (loss - (sent - received) as f64 / sent as f64).abs() < 1e-12,
        "{p}"
    );
    // Never reported faster than it delivered.
    assert!(
        num(p, "delivered_per_s") <= num(p, "sent_per_s") * (1.0 + 1e-9),
        "{p}"
    );
    assert!(
        num(p, "delivered_per_s") <= received as f64 / num(p, "seconds") + 1e-6,
        "{p}"
    );
}

/// Checks a whole report; `only` lists the experiments that ran.
fn check_report(r: &Value, only: &[&str]) {
    assert_eq!(r["schema"], "tether-bench/1");
    assert_eq!(r["tether_version"], env!("CARGO_PKG_VERSION"));
    let m = &r["machine"];
    assert!(int(m, "cpus") >= 1);
    assert!(!m["kernel"].as_str().unwrap().is_empty());
    assert_eq!(r["server"]["mode"], "embedded");
    let ran: Vec<&str> = r["settings"]["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(ran, only);
    for e in EXPERIMENTS {
        assert_eq!(
            r[e].is_null(),
            !only.contains(&e),
            "experiment {e} present/absent wrongly"
        );
    }
    if r["settings"]["busy_poll_ns"].is_null() {
        assert!(r["busy_poll"].is_null());
    }
    check_stream_experiments(r);
    check_other_experiments(r);
    check_verdicts(r, only);
}

/// Checks the latency, rate and connect sections, where they ran.
fn check_stream_experiments(r: &Value) {
    if let Some(lat) = r["latency"].as_array() {
        let transports: Vec<&str> = lat
            .iter()
            .map(|l| l["transport"].as_str().unwrap())
            .collect();
        assert_eq!(transports, ["tcp", "unix", "udp"]);
        lat.iter().for_each(check_latency);
        assert!(lat.iter().all(|l| l["stack"] == "tether"));
    }
    if let Some(rates) = r["rate"].as_array() {
        let sizes = r["settings"]["sizes"].as_array().unwrap().len();
        assert_eq!(rates.len(), sizes * 4, "four tether modes per size");
        rates.iter().for_each(check_rate);
    }
    if !r["connect"].is_null() {
        let c = &r["connect"];
        let p = num(&c["persistent"], "per_s");
        let n = num(&c["per_connection"], "per_s");
        assert!(int(&c["persistent"], "messages") > 0);
        assert!(int(&c["per_connection"], "messages") > 0);
        assert!((num(c, "ratio") - p / n).abs() <= 1e-9 * p / n);
    }
}

/// Checks the Nagle, baseline and UDP sections, where they ran.
fn check_other_experiments(r: &Value) {
    if let Some(n) = r["nagle"].as_array() {
        let settings: Vec<bool> = n.iter().map(|x| x["nodelay"].as_bool().unwrap()).collect();
        assert_eq!(settings, [true, false]);
        for x in n {
            check_latency(&x["latency"]);
            check_rate(&x["rate"]);
            assert_eq!(x["latency"]["nodelay"], x["nodelay"]);
            assert_eq!(x["rate"]["nodelay"], x["nodelay"]);
        }
    }
    if !r["baseline"].is_null() {
        let b = &r["baseline"];
        for l in b["latency"].as_array().unwrap() {
            check_latency(l);
            assert_eq!(l["stack"], "std");
        }
        for x in b["rate"].as_array().unwrap() {
            check_rate(x);
            assert_eq!(x["stack"], "std");
        }
    }
    if let Some(u) = r["udp"].as_array() {
        assert!(!u.is_empty());
        u.iter().for_each(check_udp);
        // Bounded by time, even when the sender cannot keep the rate.
        let cap = num(&r["settings"], "udp_time_s");
        for p in u {
            assert!(num(p, "seconds") <= cap + 0.25, "{p}");
        }
    }
}

/// Checks the comparisons (ratios, present only with the baseline) and
/// the targets (met as their op says).
fn check_verdicts(r: &Value, only: &[&str]) {
    for c in r["comparisons"].as_array().unwrap() {
        let (t, s) = (num(c, "tether"), num(c, "std"));
        if s > 0.0 {
            assert!(
                (num(c, "ratio") - t / s).abs() <= 1e-9 * (t / s).max(1.0),
                "{c}"
            );
        }
    }
    let with_baseline = only.contains(&"baseline");
    assert_eq!(
        r["comparisons"].as_array().unwrap().is_empty(),
        !(with_baseline && (only.contains(&"latency") || only.contains(&"rate"))),
    );
    for t in r["targets"].as_array().unwrap() {
        let (v, b) = (num(t, "value"), num(t, "bound"));
        let met = match t["op"].as_str().unwrap() {
            "<=" => v <= b,
            ">=" => v >= b,
            other => panic!("unknown op {other}"),
        };
        assert_eq!(t["met"].as_bool().unwrap(), met, "{t}");
    }
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path)
        .unwrap()
        .starts_with(b"\x89PNG\r\n\x1a\n")
}

#[test]
fn quick_run_of_every_experiment_passes_schema_and_sanity_checks() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let plots = dir.path().join("plots");
    let out = tether()
        .args(["bench", "--quick", "--json"])
        .arg(&json)
        .arg("--plot")
        .arg(&plots)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    check_report(&report, &EXPERIMENTS);
    assert!(report["settings"]["quick"].as_bool().unwrap());
    // Without --busy-poll, every target but the busy-poll one.
    assert_eq!(report["targets"].as_array().unwrap().len(), 4);

    // The table: one section per experiment, each saying what it means.
    let table = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "\nLatency:",
        "\nRate:",
        "\nPersistent vs open/teardown:",
        "\nNagle:",
        "\nBaseline:",
        "\nUDP:",
        "\nTargets",
    ] {
        assert!(table.contains(heading), "no {heading:?} in\n{table}");
    }
    assert!(table.matches("\n  => ").count() >= 6, "{table}");
    assert!(table.contains(" µs") && table.contains("msg/s"), "{table}");

    for name in ["rate-vs-size", "latency", "connect"] {
        assert!(is_png(&plots.join(format!("{name}.png"))), "{name}.png");
        let svg = std::fs::read_to_string(plots.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("</svg>"),
            "{name}.svg"
        );
    }
    let svg = std::fs::read_to_string(plots.join("rate-vs-size.svg")).unwrap();
    assert!(svg.contains("message size (bytes, log)"));
    assert!(svg.contains("messages/s, log"));
}

#[test]
fn each_experiment_runs_alone() {
    for e in EXPERIMENTS {
        let out = tether()
            .args(["bench", "--quick", "--quiet", "--json", "-", "--only", e])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "--only {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        check_report(&report, &[e]);
    }
}

#[test]
fn json_on_stdout_moves_the_table_to_stderr() {
    let out = tether()
        .args([
            "bench",
            "--quick",
            "--json",
            "-",
            "--only",
            "latency,baseline",
            "--size",
            "16",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_report(&report, &["latency", "baseline"]);
    assert_eq!(report["settings"]["size"], 16);
    assert!(report["latency"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["size"] == 16));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("\nLatency:"), "{stderr}");
    assert!(stderr.contains("latency p50, tcp"), "{stderr}");
}

#[test]
fn total_and_max_time_bound_the_rate_points() {
    let out = tether()
        .args([
            "bench",
            "--quiet",
            "--json",
            "-",
            "--only",
            "rate",
            "--total",
            "64K",
            "--max-time",
            "0.05",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["settings"]["total"], 65536);
    for r in report["rate"].as_array().unwrap() {
        let size = int(r, "size");
        assert!(int(r, "sent") <= (65536 / size).max(16), "{r}");
    }
}

#[test]
fn busy_poll_adds_unpinned_round_trips_beside_std() {
    let plots = tempfile::tempdir().unwrap();
    let out = tether()
        .args(["bench", "--quick", "--quiet", "--json", "-"])
        .args(["--only", "latency", "--busy-poll", "20us", "--plot"])
        .arg(plots.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["settings"]["busy_poll_ns"], 20_000);
    let b = &r["busy_poll"];
    assert_eq!(b["busy_poll_ns"], 20_000);
    for (key, stack) in [
        ("tether", "tether"),
        ("tether_busy_poll", "tether"),
        ("std", "std"),
    ] {
        check_latency(&b[key]);
        assert_eq!(b[key]["stack"], stack, "{key}");
        assert_eq!(b[key]["transport"], "tcp", "{key}");
    }
    let p50 = |k: &str| num(&b[k], "p50_ns");
    let want = p50("tether_busy_poll") / p50("std");
    assert!((num(b, "ratio_to_std") - want).abs() <= 1e-9 * want, "{b}");
    let names: Vec<&str> = r["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["latency p50 unpinned, busy poll / std blocking"]);
    let what: Vec<&str> = r["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["what"].as_str().unwrap())
        .collect();
    assert_eq!(what, ["latency p50, tcp, busy poll, unpinned"]);
    assert!(is_png(&plots.path().join("busy-poll.png")));
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let out = tether()
        .args(["bench", "--only", "rate", "--busy-poll", "50us"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("tether: --busy-poll measures round trips"),
        "{err}"
    );
    let out = tether()
        .args(["bench", "--busy-poll", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tether().args(["bench", "--only", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tether().args(["bench", "--size", "32M"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tether: --size 33554432 is over the 16 MiB"),
        "{err}"
    );
}
