//! `tether listen` / `tether send` with the wider world: netcat
//! (netcat-openbsd) both ways, and Python stdlib peers that know nothing of
//! tether.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use support::{listen, send, WAIT};

fn nc() -> Command {
    Command::new("nc")
}

/// Waits for a child (reading its output meanwhile, so a full pipe cannot
/// stall it) with a bound on time; kills it if it overstays.
fn wait_output(child: Child) -> std::process::Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(WAIT) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let pid = libc::pid_t::try_from(pid).unwrap();
            // SAFETY: kill has no memory effects; the pid is our child's.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("peer process did not exit in time");
        }
    }
}

/// `python3 -c CODE ARGS...`; the script prints its port first if it
/// listens.
fn python(code: &str, args: &[&str]) -> Child {
    Command::new("python3")
        .arg("-c")
        .arg(code)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 is needed for the interop tests")
}

#[test]
fn nc_sends_to_listen_raw() {
    let l = listen("tcp://127.0.0.1:0", &["--framing", "raw", "--count", "1"]);
    let port = l.addr().rsplit(':').next().unwrap().to_owned();
    let mut child = nc()
        .args(["-N", "127.0.0.1", &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello from nc")
        .unwrap();
    assert!(wait_output(child).status.success());
    assert!(l.line().ends_with("  13 B  hello from nc"));
}

#[test]
fn send_raw_reaches_nc_byte_for_byte() {
    let port = support::free_port().to_string();
    let child = nc()
        .args(["-l", "127.0.0.1", &port])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let payload: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    send(&[
        &format!("tcp://127.0.0.1:{port}"),
        "--framing",
        "raw",
        "--retry",
        "10s",
        "--stdin",
    ])
    .write_stdin(payload.clone())
    .assert()
    .success();
    let out = wait_output(child);
    assert_eq!(out.stdout.len(), payload.len());
    assert!(out.stdout == payload);
}

#[test]
fn send_line_reaches_nc_as_lines() {
    let port = support::free_port().to_string();
    let child = nc()
        .args(["-l", "127.0.0.1", &port])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    send(&[
        &format!("tcp://127.0.0.1:{port}"),
        "--framing",
        "line",
        "--retry",
        "10s",
        "one",
        "two",
    ])
    .assert()
    .success();
    assert_eq!(wait_output(child).stdout, b"one\ntwo\n");
}

#[test]
fn nc_line_of_600000_bytes_is_one_message() {
    let l = listen("tcp://127.0.0.1:0", &["--framing", "line", "--count", "2"]);
    let port = l.addr().rsplit(':').next().unwrap().to_owned();
    let mut child = nc()
        .args(["-N", "127.0.0.1", &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = vec![b'y'; 600_000];
    input.extend_from_slice(b"\nshort\n");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    assert!(wait_output(child).status.success());
    let first = l.line();
    assert!(first.contains("  600000 B  yyyy"), "{}", &first[..80]);
    assert!(first.ends_with(" … +599936 B"));
    assert!(l.line().ends_with("  5 B   short"));
}

#[test]
fn python_struct_records_with_fixed_framing() {
    let l = listen(
        "tcp://127.0.0.1:0",
        &["--framing", "fixed", "--format", "I 2s f", "--count", "3"],
    );
    let port = l.addr().rsplit(':').next().unwrap().to_owned();
    let client = python(
        "import socket, struct, sys\n\
         s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n\
         for i in range(3):\n\
         \x20   s.sendall(struct.pack('I 2s f', 1, b'ab', 2.7))\n\
         s.close()\n",
        &[&port],
    );
    assert!(wait_output(client).status.success());
    for _ in 0..3 {
        assert!(l.line().ends_with("  (1, b'ab', 2.700000047683716)"));
    }
}

#[test]
fn python_length_prefixed_client() {
    let l = listen("tcp://127.0.0.1:0", &["--count", "2"]);
    let port = l.addr().rsplit(':').next().unwrap().to_owned();
    let client = python(
        "import socket, struct, sys\n\
         s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n\
         for m in (b'Hello, World!', bytes([0, 1, 1, 0])):\n\
         \x20   s.sendall(struct.pack('>I', len(m)) + m)\n\
         s.close()\n",
        &[&port],
    );
    assert!(wait_output(client).status.success());
    assert!(l.line().ends_with("  13 B  Hello, World!"));
    assert!(l.line().ends_with("  4 B   00 01 01 00"));
}

#[test]
fn python_line_server_gets_each_line_whole() {
    let mut server = python(
        "import socket\n\
         srv = socket.create_server(('127.0.0.1', 0))\n\
         print(srv.getsockname()[1], flush=True)\n\
         conn, _ = srv.accept()\n\
         for line in conn.makefile('rb'):\n\
         \x20   print(len(line.rstrip(b'\\n')), flush=True)\n",
        &[],
    );
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut port = String::new();
    out.read_line(&mut port).unwrap();
    let mut input = vec![b'z'; 600_000];
    input.extend_from_slice(b"\nshort\n");
    send(&[
        &format!("tcp://127.0.0.1:{}", port.trim()),
        "--framing",
        "line",
        "--stdin",
    ])
    .write_stdin(input)
    .assert()
    .success();
    let lengths: Vec<String> = out.lines().map(Result::unwrap).collect();
    assert_eq!(lengths, ["600000", "5"]);
    assert!(wait_output(server).status.success());
}

#[test]
fn python_server_answers_wait_reply() {
    let mut server = python(
        "import socket, struct\n\
         srv = socket.create_server(('127.0.0.1', 0))\n\
         print(srv.getsockname()[1], flush=True)\n\
         conn, _ = srv.accept()\n\
         f = conn.makefile('rb')\n\
         n, = struct.unpack('>I', f.read(4))\n\
         msg = f.read(n)\n\
         conn.sendall(struct.pack('>I', n + 4) + msg.upper() + b'!!!!')\n",
        &[],
    );
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut port = String::new();
    out.read_line(&mut port).unwrap();
    send(&[
        &format!("tcp://127.0.0.1:{}", port.trim()),
        "--wait-reply",
        "shout",
    ])
    .assert()
    .success()
    .stdout("SHOUT!!!!\n");
    assert!(wait_output(server).status.success());
}
