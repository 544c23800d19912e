#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `tether bench --languages --quick`: the Rust, Python and Java senders run
//! (or are skipped with a reason when their runtime is missing, never an
//! error), and every rate point delivered every message. No test asserts a
//! speed.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with the tether package if the checkout has one (.venv), else python3.
fn python() -> String {
    let venv = root().join(".venv/bin/python");
    if venv.is_file() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

fn languages(envs: &[(&str, &str)]) -> (Value, String) {
    let mut cmd = Command::cargo_bin("tether").unwrap();
    cmd.args([
        "bench",
        "--languages",
        "--quick",
        "--sizes",
        "4,1K",
        "--json",
        "-",
    ])
    .env("TETHER_INTEROP", root().join("interop"))
    .env("TETHER_PYTHON", python());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "tether bench --languages failed: {stderr}"
    );
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn labels(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = &s["sender"];
            format!(
                "{} {}",
                s["language"].as_str().unwrap(),
                s["stack"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn every_sender_runs_or_says_why_not() {
    let (v, stderr) = languages(&[]);
    let ran = labels(&v, "senders");
    let skipped = labels(&v, "skipped");
    assert_eq!(ran.len() + skipped.len(), 6, "{v}");
    assert!(ran.contains(&"rust tether".to_string()) && ran.contains(&"rust std".to_string()));
    for s in v["senders"].as_array().unwrap() {
        let rates = s["rates"].as_array().unwrap();
        assert_eq!(rates.len(), 2, "{s}");
        for r in rates {
            assert_eq!(r["sent"], r["received"], "a stream lost messages: {r}");
            assert!(r["messages_per_s"].as_f64().unwrap() > 0.0, "{r}");
        }
        assert!(s["round_trip"]["p50_ns"].as_u64().unwrap() > 0, "{s}");
    }
    // The table went to stderr, as --json took stdout.
    assert!(stderr.contains("Which language is faster?"), "{stderr}");
    assert!(stderr.contains("round trip p50, 4 B"), "{stderr}");
}

#[test]
fn a_missing_runtime_is_skipped_with_a_note() {
    // No java on an empty PATH, and a Python that does not exist.
    let (v, stderr) = languages(&[("PATH", ""), ("TETHER_PYTHON", "/nonexistent/python3")]);
    assert_eq!(labels(&v, "senders"), ["rust tether", "rust std"]);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 4, "{v}");
    for k in skipped {
        let reason = k["reason"].as_str().unwrap();
        assert!(reason.contains("not found"), "{reason}");
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("Java tether") && l.contains("skipped: java not found")),
        "{stderr}"
    );
}
