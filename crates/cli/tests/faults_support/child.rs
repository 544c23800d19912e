//! `tether` processes inside a namespace: listeners (the listen/send
//! tests' [`Listener`], started through `ip netns exec`) and senders.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::support::{spawn, Listener};
use super::Net;

/// Generous bound for a sender to finish; tests stop far sooner.
pub const WAIT: Duration = Duration::from_secs(60);

/// The `tether` binary under test.
pub const TETHER: &str = env!("CARGO_BIN_EXE_tether");

impl Net {
    /// Starts `tether listen ENDPOINT ARGS...` in `ns`, waits for its
    /// "listening on" line; its stdout lines are collected.
    pub fn listen(&self, ns: &str, endpoint: &str, args: &[&str]) -> Listener {
        let mut cmd = self.command(ns, TETHER);
        cmd.arg("listen").arg(endpoint).args(args);
        spawn(cmd, true)
    }

    /// Starts `tether bench --server ENDPOINT` in `ns`.
    pub fn bench_server(&self, ns: &str, endpoint: &str) -> Listener {
        let mut cmd = self.command(ns, TETHER);
        cmd.args(["bench", "--server", endpoint]);
        spawn(cmd, true)
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

/// Waits until `l`'s stderr reports `n` peers ended with `cause` (true),
/// or `wait` passes (false); see [`peer_reports`].
pub fn wait_stderr(l: &Listener, whole: &str, cause: &str, n: usize, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if peer_reports(&l.stderr(), whole, cause) >= n {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// How many peers `stderr` reports as ended with `cause`. The listener
/// prints the first few of a kind each second whole (they contain
/// `whole`) and then one summary for that second ("tether: 4 peers lost
/// in the last second: CAUSE"), whose count takes in the whole ones too.
pub fn peer_reports(stderr: &str, whole: &str, cause: &str) -> usize {
    // Lines of one kind printed whole in a second (the listener's peer log).
    const SHOWN: usize = 3;
    let summary_end = format!(" in the last second: {cause}");
    stderr
        .lines()
        .map(|line| {
            if line.contains(whole) {
                return 1;
            }
            line.strip_prefix("tether: ")
                .filter(|rest| rest.ends_with(&summary_end))
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.replace(',', "").parse::<usize>().ok())
                .map_or(0, |n| n.saturating_sub(SHOWN))
        })
        .sum()
}

/// Sends SIGTERM to `l`.
pub fn terminate(l: &Listener) {
    // SAFETY: kill has no memory effects; the pid is our child's (the
    // `ip netns exec` wrapper execs into tether).
    unsafe { libc::kill(l.pid() as libc::pid_t, libc::SIGTERM) };
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
