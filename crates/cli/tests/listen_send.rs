//! `tether listen` and `tether send` against real sockets: every flag.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use support::{listen, send, tether, WAIT};

#[test]
fn text_and_binary_messages_print_with_peer_and_size() {
    let mut l = listen("tcp://127.0.0.1:0", &[]);
    send(&[&l.endpoint, "Hello, World!"]).assert().success();
    send(&[&l.endpoint, "--format", "4B", "0", "1", "1", "0"])
        .assert()
        .success();
    let lines = l.lines(2);
    let hello = lines[0].split_once("  ").unwrap();
    assert!(hello.0.starts_with("127.0.0.1:"), "{lines:?}");
    assert_eq!(hello.1, "13 B  Hello, World!");
    assert!(lines[1].ends_with("  4 B   00 01 01 00"), "{lines:?}");
    l.interrupt();
    let (status, stderr) = l.wait();
    assert!(status.success());
    assert!(
        stderr.contains("2 connections, 2 messages, 17 B in"),
        "{stderr}"
    );
}

#[test]
fn stdin_lines_travel_over_one_connection() {
    let mut l = listen("tcp://127.0.0.1:0", &["--count", "3"]);
    send(&[&l.endpoint, "--stdin"])
        .write_stdin("a\nb\nc\n")
        .assert()
        .success();
    let lines = l.lines(3);
    let peers: Vec<&str> = lines
        .iter()
        .map(|l| l.split("  ").next().unwrap())
        .collect();
    assert!(peers.iter().all(|p| *p == peers[0]), "{lines:?}");
    let bodies: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(bodies, ["a", "b", "c"]);
    let (status, stderr) = l.wait();
    assert!(status.success());
    assert!(stderr.contains("1 connection, 3 messages"), "{stderr}");
}

#[test]
fn format_decodes_records_as_python_prints_them() {
    let l = listen("tcp://127.0.0.1:0", &["--format", "I 2s f"]);
    send(&[&l.endpoint, "--format", "I 2s f", "1", "ab", "2.7"])
        .assert()
        .success();
    send(&[&l.endpoint, "short"]).assert().success();
    assert!(l.line().ends_with("  (1, b'ab', 2.700000047683716)"));
    let bad = l.line();
    assert!(
        bad.contains("5 B") && bad.contains("73 68 6f 72 74") && bad.contains("not a"),
        "{bad}"
    );
}

#[test]
fn format_values_cover_negatives_bools_floats_and_escapes() {
    let l = listen("tcp://127.0.0.1:0", &["--format", "<b ? d 3s c"]);
    send(&[
        &l.endpoint,
        "--format",
        "<b ? d 3s c",
        "-5",
        "true",
        "-0.5",
        "a\\x00b",
        "\\xff",
    ])
    .assert()
    .success();
    assert!(l
        .line()
        .ends_with("  (-5, True, -0.5, b'a\\x00b', b'\\xff')"));
}

#[test]
fn stdin_with_format_packs_one_record_per_line() {
    let l = listen("tcp://127.0.0.1:0", &["--format", "I 2s f"]);
    send(&[&l.endpoint, "--format", "I 2s f", "--stdin"])
        .write_stdin("1 ab 2.5\n2 cd -1\n")
        .assert()
        .success();
    assert!(l.line().ends_with("(1, b'ab', 2.5)"));
    assert!(l.line().ends_with("(2, b'cd', -1.0)"));
}

#[test]
fn fixed_framing_with_format_reads_bare_records() {
    let l = listen(
        "tcp://127.0.0.1:0",
        &["--framing", "fixed", "--format", "<H H"],
    );
    // Two bare 4-byte records in one write, no length prefix.
    let mut peer = TcpStream::connect(l.addr()).unwrap();
    peer.write_all(&[1, 0, 2, 0, 3, 0, 4, 0]).unwrap();
    drop(peer);
    assert!(l.line().ends_with("  (1, 2)"));
    assert!(l.line().ends_with("  (3, 4)"));
    // And from tether send, with the same framing.
    send(&[
        &l.endpoint,
        "--framing",
        "fixed",
        "--format",
        "<H H",
        "5",
        "6",
    ])
    .assert()
    .success();
    assert!(l.line().ends_with("  (5, 6)"));
}

#[test]
fn fixed_framing_needs_a_size() {
    tether()
        .args(["listen", "tcp://127.0.0.1:0", "--framing", "fixed"])
        .output()
        .map(|o| {
            assert!(!o.status.success());
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("--framing fixed needs --format"), "{err}");
        })
        .unwrap();
}

#[test]
fn json_lines_snapshot() {
    let l = listen("tcp://127.0.0.1:0", &["--json", "--format", "<I 2s f"]);
    send(&[&l.endpoint, "--format", "<I 2s f", "1", "ab", "2.7"])
        .assert()
        .success();
    send(&[&l.endpoint, "--format", "<I 2s f", "7", "\\xff\\x00", "-1"])
        .assert()
        .success();
    send(&[&l.endpoint, "hello"]).assert().success();
    let objects: Vec<serde_json::Value> = l
        .lines(3)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for o in &objects {
        let peer = o["peer"].as_str().unwrap();
        assert!(peer.starts_with("127.0.0.1:"), "{peer}");
        let time = o["time"].as_str().unwrap();
        assert!(humantime::parse_rfc3339(time).is_ok(), "{time}");
    }
    insta::assert_json_snapshot!(objects, {
        "[].time" => "[time]",
        "[].peer" => "[peer]",
        "[].conn" => "[conn]",
    });
}

#[test]
fn udp_datagrams_are_messages() {
    let l = listen("udp://127.0.0.1:0", &["--json"]);
    assert!(l.endpoint.starts_with("udp://127.0.0.1:"));
    send(&[&l.endpoint, "one", "two"]).assert().success();
    let a: serde_json::Value = serde_json::from_str(&l.line()).unwrap();
    let b: serde_json::Value = serde_json::from_str(&l.line()).unwrap();
    assert_eq!(a["payload"], "one");
    assert_eq!(b["payload"], "two");
    assert!(a.get("conn").is_none());
}

#[test]
fn udp_echo_and_wait_reply() {
    let l = listen("udp://127.0.0.1:0", &["--echo"]);
    send(&[&l.endpoint, "--wait-reply", "ping"])
        .assert()
        .success()
        .stdout("ping\n");
}

#[test]
fn unix_socket_listen_and_send() {
    let dir = tempfile::tempdir().unwrap();
    let ep = format!("unix://{}", dir.path().join("t.sock").display());
    let mut l = listen(&ep, &["--count", "1"]);
    assert_eq!(l.endpoint, ep);
    send(&[&ep, "over unix"]).assert().success();
    assert_eq!(l.line(), "unix#1  9 B   over unix");
    assert!(l.wait().0.success());
    // The socket file is removed when the listener stops.
    assert!(!dir.path().join("t.sock").exists());
}

#[test]
fn count_stops_after_exactly_n_messages() {
    let mut l = listen("tcp://127.0.0.1:0", &["--count", "2"]);
    // Three messages, possibly all in one read: only two are printed.
    send(&[&l.endpoint, "a", "b", "c"]).assert().success();
    let (status, stderr) = l.wait();
    assert!(status.success());
    assert_eq!(l.rest().len(), 2);
    assert!(stderr.contains("2 messages"), "{stderr}");
}

#[test]
fn timeout_stops_the_listener() {
    let start = Instant::now();
    let mut l = listen("tcp://127.0.0.1:0", &["--timeout", "300ms"]);
    let (status, stderr) = l.wait();
    assert!(status.success());
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(
        stderr.contains("0 connections, 0 messages, 0 B in"),
        "{stderr}"
    );
}

#[test]
fn stats_prints_a_rate_line() {
    let mut l = listen("tcp://127.0.0.1:0", &["--stats", "--timeout", "1.6"]);
    send(&[&l.endpoint, "--repeat", "10", "x"])
        .assert()
        .success();
    let (status, stderr) = l.wait();
    assert!(status.success());
    assert!(
        stderr.contains("msg/s") && stderr.contains("(total 10 messages, 1 connection)"),
        "{stderr}"
    );
}

#[test]
fn echo_answers_wait_reply() {
    let l = listen("tcp://127.0.0.1:0", &["--echo"]);
    send(&[&l.endpoint, "--wait-reply", "ping", "pong"])
        .assert()
        .success()
        .stdout("ping\npong\n");
    // Records decode on the way back too.
    send(&[&l.endpoint, "--wait-reply", "--format", "<h", "-2"])
        .assert()
        .success()
        .stdout("(-2,)\n");
}

#[test]
fn wait_reply_without_a_reply_fails_in_time() {
    let l = listen("tcp://127.0.0.1:0", &[]);
    send(&[&l.endpoint, "--wait-reply", "--reply-timeout", "200ms", "x"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no reply within 200ms"));
}

#[test]
fn output_file_gets_raw_payloads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payloads.bin");
    let mut l = listen(
        "tcp://127.0.0.1:0",
        &["--output", path.to_str().unwrap(), "--count", "3"],
    );
    send(&[&l.endpoint, "ab", "cd"]).assert().success();
    send(&[&l.endpoint, "--format", "2B", "0", "255"])
        .assert()
        .success();
    assert!(l.wait().0.success());
    assert_eq!(std::fs::read(&path).unwrap(), b"abcd\x00\xff");
}

#[test]
fn hex_and_text_force_a_rendering() {
    let l = listen("tcp://127.0.0.1:0", &["--hex"]);
    send(&[&l.endpoint, "Hi"]).assert().success();
    assert!(l.line().ends_with("2 B   48 69"));
    let l = listen("tcp://127.0.0.1:0", &["--text"]);
    send(&[&l.endpoint, "--format", "3B", "104", "255", "105"])
        .assert()
        .success();
    assert!(l.line().ends_with("3 B   h\\xffi"));
}

#[test]
fn long_messages_are_cut_with_the_size_shown() {
    let l = listen("tcp://127.0.0.1:0", &[]);
    let long = "x".repeat(600);
    send(&[&l.endpoint, &long]).assert().success();
    let line = l.line();
    assert!(line.contains("  600 B  "), "{line}");
    assert!(
        line.ends_with(&format!("{} … +536 B", "x".repeat(64))),
        "{line}"
    );
    let l = listen("tcp://127.0.0.1:0", &["--max-show", "0"]);
    send(&[&l.endpoint, &long]).assert().success();
    assert!(l.line().ends_with(&long));
}

#[test]
fn repeat_and_rate() {
    let mut l = listen("tcp://127.0.0.1:0", &["--count", "6"]);
    let start = Instant::now();
    send(&[&l.endpoint, "--repeat", "3", "--rate", "50/s", "a", "b"])
        .assert()
        .success();
    // Six sends at 50/s: the last leaves 5 intervals (100 ms) after the first.
    assert!(start.elapsed() >= Duration::from_millis(90));
    let lines = l.lines(6);
    let bodies: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(bodies, ["a", "b", "a", "b", "a", "b"]);
    assert!(l.wait().0.success());
}

#[test]
fn file_is_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msg.txt");
    std::fs::write(&path, "line one\nline two\n").unwrap();
    let l = listen("tcp://127.0.0.1:0", &[]);
    send(&[&l.endpoint, "--file", path.to_str().unwrap()])
        .assert()
        .success();
    assert!(l.line().ends_with("18 B  line one\\nline two\\n"));
    // Over the limit: refused before connecting.
    send(&[
        &l.endpoint,
        "--file",
        path.to_str().unwrap(),
        "--max-frame-len",
        "10",
    ])
    .assert()
    .failure()
    .stderr(predicate::str::contains("over the 10-byte message limit"));
}

#[test]
fn retry_waits_for_a_listener_that_starts_later() {
    let port = support::free_port();
    let ep = format!("tcp://127.0.0.1:{port}");
    let mut sender = tether()
        .args(["send", &ep, "--retry", "10s", "late"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let l = listen(&ep, &[]);
    assert!(l.line().ends_with("late"));
    assert!(sender.wait().unwrap().success());
}

#[test]
fn connect_timeout_is_accepted_and_refusal_names_the_endpoint() {
    let port = support::free_port();
    let ep = format!("tcp://127.0.0.1:{port}");
    let out = send(&[&ep, "--connect-timeout", "1s", "x"])
        .assert()
        .failure()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("tether: cannot connect to {ep}")),
        "{err}"
    );
    assert!(err.contains("refused"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn port_in_use_is_one_line() {
    let l = listen("tcp://127.0.0.1:0", &[]);
    let out = tether().args(["listen", &l.endpoint]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("tether: cannot listen on {}", l.endpoint)),
        "{err}"
    );
    assert!(err.contains("in use"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn bad_format_points_at_the_character() {
    send(&["tcp://127.0.0.1:9", "--format", "I 2% f", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("position 3"))
        .stderr(predicate::str::contains("\n  I 2% f\n     ^\n"));
    tether()
        .args(["listen", "tcp://127.0.0.1:0", "--format", "<I N"])
        .output()
        .map(|o| {
            assert!(!o.status.success());
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("\n  <I N\n     ^\n"), "{err}");
        })
        .unwrap();
}

#[test]
fn value_that_does_not_fit_is_refused_before_connecting() {
    // Port 9 on loopback is closed: reaching it would fail differently.
    send(&["tcp://127.0.0.1:9", "--format", "B", "256"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("256").and(predicate::str::contains("0..=255")));
    send(&["tcp://127.0.0.1:9", "--format", "?", "maybe"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("\"maybe\""));
}

#[test]
fn oversized_frame_drops_that_connection_only() {
    let l = listen("tcp://127.0.0.1:0", &["--max-frame-len", "1000"]);
    let mut bad = TcpStream::connect(l.addr()).unwrap();
    bad.write_all(&[0xff, 0xff, 0xff, 0xff]).unwrap();
    // The listener closes it: read sees the end (or a reset).
    bad.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0; 1];
    assert!(matches!(bad.read(&mut buf), Ok(0) | Err(_)));
    send(&[&l.endpoint, "still here"]).assert().success();
    assert!(l.line().ends_with("still here"));
    let stderr = l.stderr();
    assert!(
        stderr
            .contains("frame of 4294967295 bytes exceeds the 1000 bytes limit; connection dropped"),
        "{stderr}"
    );
}

#[test]
fn closed_stdout_ends_the_listener_cleanly() {
    let mut l = support::listen_raw_stdout("tcp://127.0.0.1:0", &[]);
    let stdout = l.take_stdout();
    send(&[&l.endpoint, "a", "b", "c"]).assert().success();
    // Read the first three lines, as `| head -3` does, then close the pipe.
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    for _ in 0..3 {
        line.clear();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    }
    drop(reader);
    // The next message finds the pipe closed; keep sending until it exits.
    let deadline = Instant::now() + WAIT;
    while l.running() && Instant::now() < deadline {
        let _ = send(&[&l.endpoint, "more"]).output();
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, stderr) = l.wait();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("tether:"), "{stderr}");
}

#[test]
fn send_needs_something_to_send() {
    send(&["tcp://127.0.0.1:9"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nothing to send"));
}

#[test]
fn help_shows_examples_and_completions_print() {
    for cmd in ["listen", "send"] {
        tether()
            .args([cmd, "--help"])
            .output()
            .map(|o| {
                let help = String::from_utf8(o.stdout).unwrap();
                assert!(help.contains("Examples:"), "{help}");
                assert!(help.contains(&format!("tether {cmd} tcp://")), "{help}");
            })
            .unwrap();
    }
    for shell in ["bash", "zsh", "fish"] {
        let o = tether().args(["completions", shell]).output().unwrap();
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(
            text.contains("framing") && text.contains("wait-reply"),
            "{shell}"
        );
    }
}

#[test]
fn raw_stdin_over_udp_is_cut_into_datagrams_that_fit() {
    let l = listen("udp://127.0.0.1:0", &[]);
    send(&[&l.endpoint, "--framing", "raw", "--stdin"])
        .write_stdin(vec![b'u'; 70_000])
        .assert()
        .success();
    // However stdin was read, no datagram is over the IPv4 limit and
    // nothing is lost.
    let mut total = 0;
    while total < 70_000 {
        let line = l.line();
        let size: usize = line
            .split("  ")
            .nth(1)
            .and_then(|s| s.trim().strip_suffix(" B"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(size <= 65_507, "{size}");
        total += size;
    }
    assert_eq!(total, 70_000);
}
