//! Helpers for the `tether listen` / `tether send` tests: a listener child
//! process whose port is read from its first line, and its output.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Generous bound for anything a test waits for; tests stop far sooner.
pub const WAIT: Duration = Duration::from_secs(20);

/// The `tether` binary under test.
pub fn tether() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tether"))
}

/// `tether send ARGS...` as an assert_cmd command.
pub fn send(args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_tether"));
    cmd.arg("send").args(args).timeout(WAIT);
    cmd
}

/// A running `tether listen`.
pub struct Listener {
    child: Child,
    /// The bound endpoint from the first line, as `tcp://127.0.0.1:40123`.
    pub endpoint: String,
    lines: Option<Receiver<String>>,
    stdout: Option<ChildStdout>,
    stderr: Arc<Mutex<String>>,
    stderr_thread: Option<JoinHandle<()>>,
}

/// Starts `tether listen ENDPOINT ARGS...` and waits for "listening on".
pub fn listen(endpoint: &str, args: &[&str]) -> Listener {
    start(endpoint, args, true)
}

/// Like [`listen`], but stdout is left to the test to read (or close).
pub fn listen_raw_stdout(endpoint: &str, args: &[&str]) -> Listener {
    start(endpoint, args, false)
}

fn start(endpoint: &str, args: &[&str], read_lines: bool) -> Listener {
    let mut cmd = tether();
    cmd.arg("listen").arg(endpoint).args(args);
    spawn(cmd, read_lines)
}

/// Starts `cmd` (a `tether listen` or `tether bench --server`, perhaps
/// wrapped) and waits for its first line, which names the bound endpoint.
pub fn spawn(mut cmd: Command, read_lines: bool) -> Listener {
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
    let first = first_rx
        .recv_timeout(WAIT)
        .expect("tether listen printed no first line");
    // "listening on tcp://..." or "tether bench server on tcp://...;".
    let endpoint = first
        .split_whitespace()
        .find(|w| w.contains("://"))
        .map(|w| w.trim_end_matches(';'))
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();
    let stdout = child.stdout.take().unwrap();
    let (lines, stdout) = if read_lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (Some(rx), None)
    } else {
        (None, Some(stdout))
    };
    Listener {
        child,
        endpoint,
        lines,
        stdout,
        stderr,
        stderr_thread: Some(stderr_thread),
    }
}

impl Listener {
    /// `127.0.0.1:40123` (the endpoint without its scheme).
    pub fn addr(&self) -> String {
        self.endpoint
            .split_once("://")
            .map(|(_, a)| a.to_owned())
            .unwrap()
    }

    /// The next stdout line, waiting up to [`WAIT`].
    pub fn line(&self) -> String {
        self.lines
            .as_ref()
            .unwrap()
            .recv_timeout(WAIT)
            .expect("no output line from tether listen in time")
    }

    /// The next `n` stdout lines.
    pub fn lines(&self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// A stdout line if one comes within `wait`.
    pub fn line_within(&self, wait: Duration) -> Option<String> {
        self.lines.as_ref().unwrap().recv_timeout(wait).ok()
    }

    /// Stdout, for tests that read it themselves.
    pub fn take_stdout(&mut self) -> ChildStdout {
        self.stdout.take().unwrap()
    }

    /// Stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub fn interrupt(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill has no memory effects; the pid is our child's.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    }

    /// Waits for the exit (killing the process after [`WAIT`]) and returns
    /// the status and all of stderr.
    pub fn wait(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "tether listen did not exit in time; stderr: {}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        (status, self.stderr())
    }

    /// Remaining stdout lines after the process exited.
    pub fn rest(&self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(l) = self.line_within(Duration::from_millis(500)) {
            out.push(l);
        }
        out
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port that was free a moment ago (bound to port 0, then released),
/// for peers such as `nc -l` that cannot report the port they bound.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads everything from a reader into a string.
pub fn read_all(mut r: impl Read) -> String {
    let mut s = String::new();
    r.read_to_string(&mut s).unwrap();
    s
}
