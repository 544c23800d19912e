//! Runs `tether balls --headless --json` peers as child processes and
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
//! collects their events.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A child peer and the events it printed so far.
pub struct Child_ {
    pub child: Child,
    pub events: Arc<Mutex<Vec<Value>>>,
    reader: Option<thread::JoinHandle<()>>,
}

pub fn spawn(args: &[&str]) -> Child_ {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("tether"))
        .args(["balls", "--headless", "--json"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            sink.lock().unwrap().push(v);
        }
    });
    Child_ {
        child,
        events,
        reader: Some(reader),
    }
}

impl Child_ {
    /// Waits (at most 10 s) for the first event that `pred` accepts.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(v) = self.events.lock().unwrap().iter().find(|v| pred(v)) {
                return v.clone();
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("no {what} within 10 s");
    }

    /// The endpoint it listens on.
    pub fn endpoint(&self) -> String {
        let v = self.wait_for("listening", |v| v["event"] == "listening");
        v["endpoint"].as_str().unwrap().to_string()
    }

    /// Waits for it to exit (at most 20 s) and returns all its events.
    pub fn finish(mut self) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "peer did not stop");
            thread::sleep(Duration::from_millis(20));
        }
        self.collect()
    }

    /// Kills it with `signal` and returns what it printed before.
    pub fn kill(mut self, signal: i32) -> Vec<Value> {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid, signal) };
        let _ = self.child.wait();
        self.collect()
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    fn collect(&mut self) -> Vec<Value> {
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.events.lock().unwrap().clone()
    }
}

impl Drop for Child_ {
    /// A test that fails must not leave a peer behind (a stopped one).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Ids of balls in events of `kind`.
pub fn ids(events: &[Value], kind: &str) -> Vec<u64> {
    events
        .iter()
        .filter(|v| v["event"] == kind)
        .filter_map(|v| v["ball"]["id"].as_u64())
        .collect()
}

/// The balls a peer held when it stopped.
pub fn held_at_end(events: &[Value]) -> Vec<u64> {
    let end = events
        .iter()
        .find(|v| v["event"] == "end")
        .expect("an end event");
    end["balls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// Every ball created in `logs` is held exactly once at the end: on a
/// screen or offered (`balls`), or else waiting for its sender's word
/// (`pending`) at one peer and held by no one (the sender had committed).
/// Returns the ids held nowhere (lost with a killed peer).
pub fn census(logs: &[&[Value]]) -> Vec<u64> {
    use std::collections::{HashMap, HashSet};
    let mut created: HashSet<u64> = HashSet::new();
    let mut held: HashMap<u64, usize> = HashMap::new();
    let mut pending: HashMap<u64, usize> = HashMap::new();
    for log in logs {
        created.extend(ids(log, "created"));
        let Some(end) = log.iter().find(|v| v["event"] == "end") else {
            continue;
        };
        for (field, count) in [("balls", &mut held), ("pending", &mut pending)] {
            // A peer of version 1 has no `pending`.
            for id in end[field].as_array().into_iter().flatten() {
                *count.entry(id.as_u64().unwrap()).or_default() += 1;
            }
        }
    }
    for (id, n) in &pending {
        if !held.contains_key(id) {
            assert_eq!(*n, 1, "ball {id} pending at {n} peers");
            held.insert(*id, 1);
        }
    }
    assert!(held.values().all(|n| *n == 1), "duplicated: {held:?}");
    assert!(
        held.keys().all(|id| created.contains(id)),
        "a ball from nowhere"
    );
    created
        .into_iter()
        .filter(|id| !held.contains_key(id))
        .collect()
}
