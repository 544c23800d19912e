//! Helpers for the broker tests: nats-server and mosquitto started on
//! free loopback ports (and again on the same port, for a restart), a
//! running `tether bridge`, and a gate between the bridge and its broker.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

mod gate;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

pub use gate::Gate;

use crate::listen_send_support::{free_port, tether, WAIT};

/// A broker process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program ARGS...` and waits until it listens on `port`.
pub fn start(program: &str, args: &[&str], port: u16) -> Server {
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program} (.ci/test installs it): {e}"));
    let server = Server { child, port };
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{program} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// nats-server on a free loopback port.
pub fn nats() -> Server {
    nats_on(free_port())
}

/// nats-server on `port` (again, after a kill).
pub fn nats_on(port: u16) -> Server {
    start(
        "nats-server",
        &["-a", "127.0.0.1", "-p", &port.to_string()],
        port,
    )
}

/// mosquitto on a free loopback port.
pub fn mosquitto() -> Server {
    mosquitto_on(free_port())
}

/// mosquitto on `port` (again, after a kill).
pub fn mosquitto_on(port: u16) -> Server {
    let conf = std::env::temp_dir().join(format!("tether-mosq-{port}.conf"));
    // Past 1000 queued QoS 1 messages (the default) mosquitto drops them
    // for a slow subscriber: keep them all, as a broker meant for QoS 1 should.
    let text = format!("listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n");
    std::fs::write(&conf, text).unwrap();
    start("mosquitto", &["-c", conf.to_str().unwrap()], port)
}

/// A running `tether bridge`, its stderr read line by line.
pub struct Bridge {
    pub child: Child,
    /// The address a link FROM listens on.
    pub addr: Option<String>,
    err: BufReader<ChildStderr>,
}

/// Starts `tether bridge FROM TO ARGS...` and reads its first lines.
pub fn bridge(from: &str, to: &str, args: &[&str]) -> Bridge {
    let mut child = tether()
        .args(["bridge", from, to])
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.starts_with("bridging"), "{line}");
    let mut addr = None;
    if from.starts_with("tcp://") {
        line.clear();
        err.read_line(&mut line).unwrap();
        addr = line.trim().strip_prefix("listening on ").map(str::to_owned);
    }
    Bridge { child, addr, err }
}

impl Bridge {
    /// Ctrl-C; asserts exit status 0 and returns the rest of stderr (the
    /// summary).
    pub fn stop(mut self) -> String {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill has no memory effects; the pid is our child's.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let mut rest = String::new();
        let _ = self.err.read_to_string(&mut rest);
        assert!(self.child.wait().unwrap().success(), "{rest}");
        rest
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One count of a bridge summary ("3 messages passed, 0 refused, 1
/// dropped, 1 reconnect in 2.0 s"), by the word after it (a plural
/// word also finds its singular).
pub fn count(summary: &str, word: &str) -> u64 {
    let words: Vec<&str> = summary
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .collect();
    let at = words
        .iter()
        .position(|w| *w == word || Some(*w) == word.strip_suffix('s'))
        .unwrap_or_else(|| panic!("no {word:?} in {summary:?}"));
    let n = if word == "passed" { at - 2 } else { at - 1 };
    words[n].parse().unwrap()
}

/// Lines `start..end`, each a number.
pub fn numbers_from(start: u32, end: u32) -> String {
    (start..end).map(|i| format!("{i}\n")).collect()
}
