//! The fault suite's network: two network namespaces joined by a veth pair,
//! made and torn down by each test (unique names, removed on drop, so on a
//! failing assertion too), loss from `iptables -m statistic`, and processes
//! started inside either namespace.
//!
//! Only root can make namespaces; elsewhere [`Net::new`] says why and the
//! test skips.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod child;
pub mod relay;
#[path = "../listen_send_support/mod.rs"]
pub mod support;

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Address of the first namespace's end of the veth pair (the sender's).
pub const A_ADDR: &str = "10.203.0.1";
/// Address of the second namespace's end (the listener's).
pub const B_ADDR: &str = "10.203.0.2";

/// Two namespaces, `a` (senders) and `b` (listeners), over one veth pair.
pub struct Net {
    /// Name of the sender's namespace.
    pub a: String,
    /// Name of the listener's namespace.
    pub b: String,
    /// The sender's end of the veth pair (in `a`).
    dev_a: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Net {
    /// Makes the pair, or returns `None` (after saying why on stderr) where
    /// namespaces cannot be made: not root, no `ip`, no netns support.
    pub fn new(test: &str) -> Option<Net> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped {test}: network namespaces need root (run .ci/test as root)");
            return None;
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{}x{n}", std::process::id());
        let net = Net {
            a: format!("tfa{tag}"),
            b: format!("tfb{tag}"),
            dev_a: format!("va{tag}"),
        };
        if let Err(why) = net.build(&tag) {
            eprintln!("skipped {test}: cannot make network namespaces: {why}");
            return None;
        }
        Some(net)
    }

    fn build(&self, tag: &str) -> Result<(), String> {
        for ns in [&self.a, &self.b] {
            try_run("ip", &["netns", "add", ns])?;
        }
        // Interface names are at most 15 bytes.
        let (va, vb) = (self.dev_a.clone(), format!("vb{tag}"));
        try_run(
            "ip",
            &[
                "link", "add", &va, "netns", &self.a, "type", "veth", "peer", "name", &vb, "netns",
                &self.b,
            ],
        )?;
        for (ns, dev, addr) in [(&self.a, &va, A_ADDR), (&self.b, &vb, B_ADDR)] {
            let cidr = format!("{addr}/24");
            try_run("ip", &["-n", ns, "addr", "add", &cidr, "dev", dev])?;
            // One segment per packet, as on a wire: a veth otherwise passes
            // 64 KiB TSO packets, and dropping one is not packet loss.
            try_run("ip", &["-n", ns, "link", "set", dev, "gso_max_segs", "1"])?;
            try_run("ip", &["-n", ns, "link", "set", dev, "up"])?;
            try_run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    /// Runs `program ARGS...` inside namespace `ns`; panics on failure.
    pub fn exec(&self, ns: &str, program: &str, args: &[&str]) -> String {
        let mut all = vec!["netns", "exec", ns, program];
        all.extend_from_slice(args);
        match try_run("ip", &all) {
            Ok(out) => out,
            Err(why) => panic!("{program} {args:?} in {ns}: {why}"),
        }
    }

    /// A command that runs `program` inside namespace `ns`.
    pub fn command(&self, ns: &str, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, program]);
        cmd
    }

    /// Drops a random share `p` of the packets of `proto` arriving in `ns`
    /// over the veth pair (an iptables rule in its INPUT chain, whose
    /// counter says how many).
    pub fn drop_incoming(&self, ns: &str, proto: &str, p: f64) {
        let p = format!("{p}");
        self.exec(
            ns,
            "iptables",
            &[
                "-A",
                "INPUT",
                "!",
                "-i",
                "lo",
                "-p",
                proto,
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                &p,
                "-j",
                "DROP",
            ],
        );
    }

    /// Limits what the sender's namespace sends over the pair to `mbit`
    /// megabits a second (a token bucket), so a fast sender waits on a full
    /// socket buffer, as over a slow link.
    pub fn limit_rate(&self, mbit: u32) {
        let rate = format!("{mbit}mbit");
        let args = [
            "qdisc",
            "add",
            "dev",
            &self.dev_a,
            "root",
            "tbf",
            "rate",
            &rate,
        ];
        let mut all = args.to_vec();
        all.extend_from_slice(&["burst", "64kb", "latency", "50ms"]);
        self.exec(&self.a, "tc", &all);
    }

    /// Waits (at most `wait`) until an established TCP connection in `ns`
    /// has received data.
    pub fn wait_receiving(&self, ns: &str, wait: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + wait;
        while std::time::Instant::now() < deadline {
            // `ss -i` shows bytes_received only once some came.
            if self
                .exec(ns, "ss", &["-Htni", "state", "established"])
                .contains("bytes_received:")
            {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        false
    }

    /// Packets the DROP rules of `ns`'s INPUT chain have dropped so far.
    pub fn dropped(&self, ns: &str) -> u64 {
        let listing = self.exec(ns, "iptables", &["-L", "INPUT", "-v", "-x", "-n"]);
        listing
            .lines()
            .filter(|l| l.split_whitespace().nth(2) == Some("DROP"))
            .map(|l| l.split_whitespace().next().unwrap().parse::<u64>().unwrap())
            .sum()
    }

    /// One counter of `/proc/net/snmp` in `ns`, as `("Udp", "RcvbufErrors")`.
    pub fn snmp(&self, ns: &str, group: &str, field: &str) -> u64 {
        let text = self.exec(ns, "cat", &["/proc/net/snmp"]);
        let prefix = format!("{group}:");
        let mut rows = text.lines().filter(|l| l.starts_with(&prefix));
        let (names, values) = (rows.next().unwrap(), rows.next().unwrap());
        let at = names.split_whitespace().position(|n| n == field).unwrap();
        values.split_whitespace().nth(at).unwrap().parse().unwrap()
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        // Deleting a namespace takes its veth end, and so the pair, along.
        for ns in [&self.a, &self.b] {
            if let Err(why) = try_run("ip", &["netns", "del", ns]) {
                eprintln!("cannot delete network namespace {ns}: {why}");
            }
        }
    }
}

/// Runs a command and returns its stdout, or what went wrong.
fn try_run(program: &str, args: &[&str]) -> Result<String, String> {
    let out: Output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
