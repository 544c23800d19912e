//! Interop with a NATS client tether did not write: nats-py, from PyPI
//! (`.ci/test` installs it into `.venv`), driven by
//! interop/python/nats_peer.py. Payloads go both ways byte for byte:
//! every byte value, text, and one of 200 KiB.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker_support;
mod listen_send_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use broker_support::{nats, Server};
use listen_send_support::{listen, send};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `.venv/bin/python interop/python/nats_peer.py ARGS...`.
fn peer(args: &[&str]) -> Command {
    let python = root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: .ci/test makes it, with nats-py",
        python.display()
    );
    let mut cmd = Command::new(python);
    cmd.arg(root().join("interop/python/nats_peer.py"))
        .args(args);
    cmd
}

/// Three payloads, each written to its own file in `dir`.
fn payloads(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let every_byte: Vec<u8> = (0..=255).collect();
    let big: Vec<u8> = (0..200 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    [every_byte, b"hello, nats-py".to_vec(), big]
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| {
            let path = dir.join(format!("payload-{i}"));
            std::fs::write(&path, &bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

/// A broker, its URL, a scratch directory with the payloads, and the
/// file the receiving side writes.
struct Run {
    _broker: Server,
    url: String,
    dir: PathBuf,
    sent: Vec<(PathBuf, Vec<u8>)>,
    out: PathBuf,
}

fn run(name: &str) -> Run {
    let broker = nats();
    let url = format!("nats://127.0.0.1:{}", broker.port);
    let dir = std::env::temp_dir().join(format!("tether-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sent = payloads(&dir);
    let out = dir.join("received");
    Run {
        _broker: broker,
        url,
        dir,
        sent,
        out,
    }
}

impl Run {
    /// What the receiver wrote is `want`, byte for byte.
    fn check(self, want: &[u8]) {
        let got = std::fs::read(&self.out).unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        assert!(
            got == want,
            "payloads differ ({} bytes, want {})",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn nats_py_receives_what_tether_send_published() {
    let r = run("natspy-sub");
    let (url, sent, out) = (&r.url, &r.sent, &r.out);
    let mut sub = peer(&["sub", url, "grid.bits", "3", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sub.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "subscribed\n");
    for (path, _) in sent {
        send(&[
            &format!("{url}/grid.bits"),
            "--file",
            path.to_str().unwrap(),
        ])
        .assert()
        .success();
    }
    assert!(sub.wait().unwrap().success());
    let want: Vec<u8> = sent
        .iter()
        .flat_map(|(_, b)| [(b.len() as u64).to_be_bytes().to_vec(), b.clone()].concat())
        .collect();
    r.check(&want);
}

#[test]
fn tether_listen_receives_what_nats_py_published() {
    let r = run("natspy-pub");
    let (url, sent, out) = (&r.url, &r.sent, &r.out);
    let mut listener = listen(
        &format!("{url}/grid.>"),
        &["-q", "-n", "3", "-o", out.to_str().unwrap()],
    );
    let mut args = vec!["pub", url.as_str(), "grid.bits"];
    args.extend(sent.iter().map(|(p, _)| p.to_str().unwrap()));
    assert!(peer(&args).status().unwrap().success());
    let (status, stderr) = listener.wait();
    assert!(status.success(), "{stderr}");
    let want: Vec<u8> = sent.iter().flat_map(|(_, b)| b.clone()).collect();
    r.check(&want);
}
