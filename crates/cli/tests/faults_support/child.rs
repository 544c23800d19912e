//! `tether` processes inside a namespace: a listener whose port is read
//! from its first line, with its stdout lines and stderr collected.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Net;

/// Generous bound for anything a test waits for; tests stop far sooner.
pub const WAIT: Duration = Duration::from_secs(60);

/// The `tether` binary under test.
pub const TETHER: &str = env!("CARGO_BIN_EXE_tether");

/// A running `tether listen` (or bench server) in a namespace.
pub struct Listener {
    child: Child,
    /// The bound endpoint from the first line, as `tcp://10.203.0.2:40123`.
    pub endpoint: String,
    lines: Receiver<String>,
    stdout_thread: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<String>>,
    stderr_thread: Option<JoinHandle<()>>,
}

impl Net {
    /// Starts `tether listen ENDPOINT ARGS...` in `ns`, waits for its
    /// "listening on" line.
    pub fn listen(&self, ns: &str, endpoint: &str, args: &[&str]) -> Listener {
        let mut cmd = self.command(ns, TETHER);
        cmd.arg("listen").arg(endpoint).args(args);
        Listener::start(cmd)
    }

    /// Starts `tether bench --server ENDPOINT` in `ns`.
    pub fn bench_server(&self, ns: &str, endpoint: &str) -> Listener {
        let mut cmd = self.command(ns, TETHER);
        cmd.args(["bench", "--server", endpoint]);
        Listener::start(cmd)
    }

    /// `tether ARGS...` in `ns`, stdout and stderr piped, stdin null.
    pub fn tether(&self, ns: &str, args: &[&str]) -> Command {
        let mut cmd = self.command(ns, TETHER);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }
}

impl Listener {
    fn start(mut cmd: Command) -> Listener {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tether listen");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (first_tx, first_rx) = mpsc::channel();
        let stderr_thread = {
            let stderr = Arc::clone(&stderr);
            let mut pipe = BufReader::new(child.stderr.take().unwrap());
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut first = Some(first_tx);
                while pipe.read_line(&mut line).unwrap_or(0) > 0 {
                    if let Some(tx) = first.take() {
                        let _ = tx.send(line.clone());
                    }
                    stderr.lock().unwrap().push_str(&line);
                    line.clear();
                }
            })
        };
        let first: String = first_rx.recv_timeout(WAIT).unwrap_or_default();
        // "listening on tcp://..." or "tether bench server on tcp://...;".
        let Some(endpoint) = first
            .split_whitespace()
            .find(|w| w.contains("://"))
            .map(|w| w.trim_end_matches(';'))
        else {
            let _ = child.kill();
            panic!("unexpected first line of tether listen: {first:?}");
        };
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stdout_thread = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Listener {
            child,
            endpoint: endpoint.to_owned(),
            lines,
            stdout_thread: Some(stdout_thread),
            stderr,
            stderr_thread: Some(stderr_thread),
        }
    }

    /// The port from the first line.
    pub fn port(&self) -> u16 {
        self.endpoint.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// The next stdout line, if one comes within `wait`.
    pub fn line_within(&self, wait: Duration) -> Option<String> {
        self.lines.recv_timeout(wait).ok()
    }

    /// Stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `n` lines containing `needle` (true), or
    /// `wait` passes (false).
    pub fn wait_stderr(&self, needle: &str, n: usize, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self.stderr().matches(needle).count() >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// The process id (the `ip netns exec` wrapper execs into tether).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far, in bytes (`VmHWM`).
    pub fn peak_rss(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (as `libc::SIGTERM`).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill with a pid we own has no memory preconditions.
        unsafe { libc::kill(self.pid() as libc::pid_t, signal) };
    }

    /// Waits for the exit (killing it after [`WAIT`]); the exit status, every
    /// stdout line and stderr.
    pub fn wait(mut self) -> (ExitStatus, Vec<String>, String) {
        let status = wait_bounded(&mut self.child, WAIT);
        if let Some(t) = self.stdout_thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        let lines = self.lines.try_iter().collect();
        (status, lines, self.stderr())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` at most `wait`, then kills it; its status.
pub fn wait_bounded(child: &mut Child, wait: Duration) -> ExitStatus {
    let deadline = Instant::now() + wait;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
