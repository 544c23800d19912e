//! `tether copy` as a user runs it: two processes on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use std::{fs, thread};

fn tether() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tether"));
    c.env_remove("TETHER_CODE").stdin(Stdio::null());
    c
}

/// A listening `tether copy` and what it printed first.
struct Listening {
    child: Child,
    endpoint: String,
    code: String,
    rest: mpsc::Receiver<String>,
}

fn listen(args: &[&str]) -> Listening {
    let mut child = tether()
        .args(["copy", "--listen", "tcp://127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the listener prints its code");
    // waiting on tcp://127.0.0.1:PORT; code: CODE   (tell ...)
    let endpoint = first
        .split(' ')
        .nth(2)
        .unwrap()
        .trim_end_matches(';')
        .to_owned();
    let code = first
        .split("code: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    Listening {
        child,
        endpoint,
        code,
        rest: rx,
    }
}

impl Listening {
    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        let text: Vec<String> = self.rest.try_iter().collect();
        (status.code().unwrap_or(-1), text.join("\n"))
    }
}

fn code_file(dir: &Path, code: &str) -> String {
    let p = dir.join("code");
    fs::write(&p, format!("{code}\n")).unwrap();
    p.to_string_lossy().into_owned()
}

fn connect(args: &[&str], code_path: &str) -> Child {
    tether()
        .args(["copy", "--code-file", code_path])
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_wrong_code_exits_3_on_both_sides_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    fs::create_dir_all(&src).unwrap();
    fs::create_dir_all(&dst).unwrap();
    fs::write(src.join("f"), b"secret data").unwrap();
    let l = listen(&[dst.to_str().unwrap()]);
    let wrong = if l.code.starts_with("2-") {
        l.code.replacen("2-", "3-", 1)
    } else {
        format!("2-{}", l.code.split_once('-').unwrap().1)
    };
    let c = connect(
        &[src.join("f").to_str().unwrap(), &l.endpoint],
        &code_file(tmp.path(), &wrong),
    );
    let (cs, cerr) = finish(c);
    let (ls, lerr) = l.finish();
    assert_eq!((cs, ls), (3, 3), "{cerr}\n{lerr}");
    assert!(
        cerr.contains("wrong code") && lerr.contains("wrong code"),
        "{cerr}\n{lerr}"
    );
    assert_eq!(fs::read_dir(&dst).unwrap().count(), 0);
}

#[test]
fn the_code_is_never_in_a_command_line_or_an_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("f");
    fs::write(&src, b"x").unwrap();
    let l = listen(&["--yes", tmp.path().join("dst").to_str().unwrap()]);
    let pid = l.child.id();
    for what in ["cmdline", "environ"] {
        let text = fs::read(format!("/proc/{pid}/{what}")).unwrap();
        assert!(
            !String::from_utf8_lossy(&text).contains(&l.code),
            "listener {what}"
        );
    }
    // A connector that waits on a peer that never answers, so it can be looked at.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let at = format!("tcp://{}", silent.local_addr().unwrap());
    let c = connect(
        &[src.to_str().unwrap(), &at],
        &code_file(tmp.path(), &l.code),
    );
    let (_conn, _) = silent.accept().unwrap();
    for what in ["cmdline", "environ"] {
        let text = fs::read(format!("/proc/{}/{what}", c.id())).unwrap();
        assert!(
            !String::from_utf8_lossy(&text).contains(&l.code),
            "connector {what}"
        );
    }
    let mut c = c;
    c.kill().unwrap();
    let _ = c.wait();
    let mut l = l;
    l.child.kill().unwrap();
    let _ = l.child.wait();
}

#[test]
fn stdin_to_a_file_and_a_file_to_stdout_with_a_json_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 249) as u8).collect();
    fs::write(tmp.path().join("in"), &data).unwrap();
    // Listener serves stdin; the connector fetches into a file.
    let mut l = tether()
        .args(["copy", "--listen", "tcp://127.0.0.1:0", "-"])
        .stdin(fs::File::open(tmp.path().join("in")).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(l.stderr.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let endpoint = first
        .split(' ')
        .nth(2)
        .unwrap()
        .trim_end_matches(';')
        .to_owned();
    let code = first
        .split("code: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let out = tmp.path().join("out");
    let c = connect(
        &["--json", &endpoint, out.to_str().unwrap()],
        &code_file(tmp.path(), &code),
    );
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(l.wait().unwrap().success());
    assert_eq!(fs::read(&out).unwrap(), data);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"], 1);
    assert_eq!(v["bytes"], 300_000);
    assert_eq!(v["direction"], "received");
    // And the file back out to stdout.
    let l = listen(&[out.to_str().unwrap()]);
    let c = connect(&[&l.endpoint, "-"], &code_file(tmp.path(), &l.code));
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, data);
    assert_eq!(l.finish().0, 0);
}

/// Kills one side with SIGKILL once the receiver holds `at` bytes.
fn kill_when(part: &Path, at: u64, victim: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if fs::metadata(part).map(|m| m.len() >= at).unwrap_or(false) {
            victim.kill().unwrap();
            return true;
        }
        if victim.try_wait().unwrap().is_some() {
            return false;
        }
        thread::sleep(Duration::from_micros(300));
    }
    false
}

#[test]
fn sigkill_on_either_side_at_random_offsets_then_resume_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let size = 24u64 << 20;
    let data: Vec<u8> = (0..size as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let src = tmp.path().join("big.bin");
    fs::write(&src, &data).unwrap();
    let dst = tmp.path().join("dst");
    fs::create_dir(&dst).unwrap();
    let part = dst.join("big.bin.tether-part");
    let mut rng = fastrand::Rng::with_seed(7);
    let mut kills = 0;
    for round in 0..6 {
        let l = listen(&["--json", dst.to_str().unwrap()]);
        let mut c = connect(
            &["--json", src.to_str().unwrap(), &l.endpoint],
            &code_file(tmp.path(), &l.code),
        );
        let held = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let at = held + rng.u64(1..(size - held).max(2) / 2);
        let mut l = l;
        let killed = if round % 2 == 0 {
            kill_when(&part, at, &mut c)
        } else {
            kill_when(&part, at, &mut l.child)
        };
        kills += u32::from(killed);
        let _ = c.wait();
        let _ = l.child.kill();
        let _ = l.child.wait();
        if !killed {
            break;
        }
        assert!(!dst.join("big.bin").exists() || fs::read(dst.join("big.bin")).unwrap() == data);
    }
    assert!(kills >= 2, "only {kills} kills landed");
    // A round may finish before its kill lands: then the last run skips the file.
    let whole = dst.join("big.bin").exists();
    let held = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let l = listen(&["--json", dst.to_str().unwrap()]);
    let c = connect(
        &["--json", src.to_str().unwrap(), &l.endpoint],
        &code_file(tmp.path(), &l.code),
    );
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(l.finish().0, 0);
    assert_eq!(fs::read(dst.join("big.bin")).unwrap(), data);
    assert!(!part.exists());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Nothing that the receiver held was sent again.
    if whole {
        assert_eq!(
            (v["skipped_files"].as_u64(), v["bytes"].as_u64()),
            (Some(1), Some(0))
        );
    } else {
        assert_eq!(v["resumed_bytes"], held);
        assert_eq!(v["bytes"], size - held);
    }
}
