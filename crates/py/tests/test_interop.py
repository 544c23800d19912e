"""The Python package against other peers: the Rust CLI (`tether listen`,
`tether send`) and a plain stdlib socket, with the bytes on the wire checked."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading

import tether


def _host_port(ep: str) -> "tuple[str, int]":
    host, port = ep[len("tcp://") :].rsplit(":", 1)
    return host, int(port)


def test_send_writes_a_length_prefix_then_the_payload() -> None:
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen()
    with ls:
        link = tether.connect("tcp://127.0.0.1:%d" % ls.getsockname()[1])
        conn, _ = ls.accept()
        link.send(b"\x00\x01\x01\x00")
        link.send_many([b"ab", b""])
        link.close()
        wire = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            wire += chunk
        conn.close()
    assert wire == b"\x00\x00\x00\x04\x00\x01\x01\x00" + b"\x00\x00\x00\x02ab" + b"\x00\x00\x00\x00"


def test_stdlib_sender_to_python_listener(server: tether.Listener) -> None:
    s = socket.create_connection(_host_port(server.local_addr))
    link = server.accept(timeout=5)
    assert link is not None
    # Split across writes, and one write holding two frames.
    s.sendall(b"\x00\x00")
    s.sendall(b"\x00\x03xy")
    s.sendall(b"z\x00\x00\x00\x01!")
    s.close()
    assert list(link) == [b"xyz", b"!"]
    link.close()


def test_line_framing_with_a_stdlib_peer(server: tether.Listener) -> None:
    with tether.listen("tcp://127.0.0.1:0", framing="line") as srv:
        s = socket.create_connection(_host_port(srv.local_addr))
        link = srv.accept(timeout=5)
        assert link is not None
        s.sendall(b"first\nsecond\n")
        assert link.recv(timeout=5) == b"first"
        assert link.recv(timeout=5) == b"second"
        link.send(b"answer")
        assert s.recv(100) == b"answer\n"
        s.close()
        link.close()


def test_python_sends_to_rust_cli_listener(cli: str) -> None:
    proc = subprocess.Popen(
        [cli, "listen", "tcp://127.0.0.1:0", "--json", "-n", "3", "--timeout", "20s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        m = re.search(r"(tcp://\S+)", first)
        assert m, first
        with tether.connect(m.group(1)) as link:
            link.send(b"hello")
            link.send(bytearray(b"\x00\x01\x01\x00"))
            link.send_many([b"from python"])
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["size"] for r in rows] == [5, 4, 11]
    assert rows[0]["payload"] == "hello"
    assert rows[2]["payload"] == "from python"


def test_rust_cli_sends_to_python_listener(cli: str, server: tether.Listener) -> None:
    got: "list[bytes]" = []

    def receive() -> None:
        link = server.accept(timeout=20)
        assert link is not None
        got.extend(link)
        link.close()

    t = threading.Thread(target=receive)
    t.start()
    run = subprocess.run(
        [cli, "send", server.local_addr, "hello", "wo rld", ""],
        capture_output=True,
        text=True,
        timeout=20,
    )
    t.join(20)
    assert run.returncode == 0, run.stderr
    assert got == [b"hello", b"wo rld", b""]


def test_echo_through_rust_cli(cli: str) -> None:
    proc = subprocess.Popen(
        [cli, "listen", "tcp://127.0.0.1:0", "--echo", "-q", "--timeout", "20s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        m = re.search(r"(tcp://\S+)", proc.stderr.readline())
        assert m
        with tether.connect(m.group(1), retry_for=5) as link:
            for i in range(100):
                msg = i.to_bytes(2, "big")
                link.send(msg)
                assert link.recv(timeout=10) == msg
    finally:
        proc.terminate()
        proc.wait(10)
