//! `tether listen unix://PATH` against a second listener on the same path:
//! the second is refused, and the first never sees it as a connection.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;

use support::{listen, tether};

/// Issue 11, item 4: the stale-socket check of the second start used to
/// connect to the live listener, which counted "1 connection".
#[test]
fn a_second_listener_is_refused_and_the_live_one_sees_no_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.sock");
    let ep = format!("unix://{}", path.display());
    let mut live = listen(&ep, &["--socket-mode", "0660"]);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o660
    );
    let second = tether()
        .args(["listen", &ep, "--timeout", "5"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("a listener is live on this socket"), "{err}");
    live.interrupt();
    let (status, stderr) = live.wait();
    assert!(status.success(), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(summary.starts_with("0 connections, 0 messages"), "{stderr}");
    // The socket file went with the listener that made it.
    assert!(!path.exists());
}
