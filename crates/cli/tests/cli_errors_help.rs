//! Usage errors are one `tether:` line; size flags take suffixes; help and
//! completions say what a new user needs.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::io::Write;
use std::net::TcpStream;
use std::process::Stdio;

use support::{listen, tether};

/// Runs `tether ARGS...` and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = tether().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_are_one_tether_line() {
    for (args, says) in [
        (
            &["listen", "tpc://127.0.0.1:9000"][..],
            r#"unknown scheme "tpc" in "tpc://127.0.0.1:9000""#,
        ),
        (
            &["listen", "tcp://127.0.0.1:0", "--framing", "fixed:0"][..],
            "at least 1",
        ),
        (&["listen"][..], "ENDPOINT"),
        (&["lisen", "tcp://127.0.0.1:0"][..], "lisen"),
        (
            &["send", "tcp://127.0.0.1:1", "--rate", "fast", "x"][..],
            "fast",
        ),
    ] {
        let (code, _, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with("tether: "), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn the_errno_appears_once() {
    let port = support::free_port();
    let (code, _, stderr) = run(&["send", &format!("tcp://127.0.0.1:{port}"), "x"]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.matches("os error 111").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("111").count(), 1, "{stderr}");
}

#[test]
fn max_frame_len_takes_size_suffixes_and_help_shows_mib() {
    let mut l = listen("tcp://127.0.0.1:0", &["--max-frame-len", "1K"]);
    let mut peer = TcpStream::connect(l.addr()).unwrap();
    // A 2,000-byte frame is over 1 KiB: the peer is dropped.
    peer.write_all(&2000u32.to_be_bytes()).unwrap();
    let _ = peer.write_all(&[b'x'; 2000]);
    // The listener closes that connection: wait for it (bounded by WAIT).
    peer.set_read_timeout(Some(support::WAIT)).unwrap();
    let _ = std::io::Read::read(&mut peer, &mut [0; 16]);
    l.interrupt();
    let (status, stderr) = l.wait();
    assert!(status.success());
    assert!(
        stderr.contains("1 connection dropped for bad framing"),
        "{stderr}"
    );
    for cmd in ["listen", "send"] {
        let (_, help, _) = run(&[cmd, "--help"]);
        assert!(help.contains("[default: 16 MiB]"), "{help}");
    }
    let (code, _, _) = run(&[
        "listen",
        "tcp://127.0.0.1:0",
        "--max-frame-len",
        "32M",
        "--timeout",
        "0",
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn completions_offer_the_framings() {
    let (code, bash, _) = run(&["completions", "bash"]);
    assert_eq!(code, Some(0));
    assert!(bash.contains("length line fixed raw"), "{bash}");
}

#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    let mut child = tether()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // as `| head` does once it has its lines
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_says_where_output_goes_how_to_stop_and_the_exit_statuses() {
    let (_, listen, _) = run(&["listen", "--help"]);
    for needed in [
        "stdout",
        "stderr",
        "Ctrl-C",
        "Exit status",
        "JSON fields",
        "encoding",
    ] {
        assert!(listen.contains(needed), "listen --help lacks {needed:?}");
    }
    let (_, send, _) = run(&["send", "--help"]);
    for needed in ["stdout", "stderr", "Exit status", "--wait-reply ping"] {
        assert!(send.contains(needed), "send --help lacks {needed:?}");
    }
}
