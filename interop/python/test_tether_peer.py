"""Tests of tether_peer.py: the reader against the golden vectors, and the
command-line peer against itself over TCP, Unix and UDP loopback.

    python3 -m pytest interop/python/test_tether_peer.py   # with pytest
    python3 interop/python/test_tether_peer.py             # without pytest

Every socket has a 5 s timeout, every loop is bounded and every child process
is killed at the end of its test, so a failure fails rather than hangs.
"""

import json
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tether_peer as tp  # noqa: E402

PEER = os.path.join(HERE, "tether_peer.py")
VECTORS = os.path.join(HERE, "..", "..", "testdata", "vectors", "frames.json")
TIMEOUT = 5.0


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

class Peer:
    """A tether_peer.py child process. A thread reads its stdout all the time
    (a full pipe would stall the child), and line() waits with a deadline."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, PEER] + [str(a) for a in args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._lines = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self):
        for raw in self.proc.stdout:
            self._lines.put(raw.decode().rstrip("\n"))
        self._lines.put(None)  # EOF

    def line(self, timeout=TIMEOUT):
        """The next stdout line without its newline; fails after `timeout` s or at EOF."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from %s within %.0f s" % (self.proc.args[2:], timeout))
        if line is None:
            self._lines.put(None)
            raise AssertionError("EOF from %s before a line; stderr: %s" % (
                self.proc.args[2:], self.stderr()))
        return line

    def lines(self, n, timeout=TIMEOUT):
        return [self.line(timeout) for _ in range(n)]

    def wait(self, timeout=TIMEOUT):
        """Exit status; kills the process if it does not exit in time and fails."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit within %.0f s" % (self.proc.args[2:], timeout))

    def rest(self):
        """All remaining stdout lines (call after the process exited)."""
        self._reader.join(TIMEOUT)
        out = []
        while True:
            line = self._lines.get_nowait()
            if line is None:
                self._lines.put(None)
                return out
            out.append(line)

    def stderr(self):
        return self.proc.stderr.read().decode() if self.proc.poll() is not None else "<running>"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(TIMEOUT)

    def close(self):
        self.kill()
        self._reader.join(TIMEOUT)
        self.proc.stdout.close()
        self.proc.stderr.close()


def run_peer(*args, timeout=TIMEOUT):
    """Run a client subcommand to completion: (exit status, stdout lines, stderr)."""
    proc = subprocess.run([sys.executable, PEER] + [str(a) for a in args],
                          capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout.decode().splitlines(), proc.stderr.decode()


def serve(*args):
    """Start `serve`; returns (peer, bound endpoint) once LISTENING is printed."""
    peer = Peer("serve", *args)
    try:
        first = peer.line()
        assert first.startswith("LISTENING "), first
    except BaseException:
        peer.close()
        raise
    return peer, first.split(" ", 1)[1]


class FakeSocket:
    """recv hands out `data` in the given chunk sizes (cycled), counting the calls."""

    def __init__(self, data, sizes=(65536,)):
        self.data, self.sizes, self.at, self.calls = data, sizes, 0, 0

    def recv(self, n):
        size = self.sizes[self.calls % len(self.sizes)]
        self.calls += 1
        chunk = self.data[self.at:self.at + min(n, size)]
        self.at += len(chunk)
        return chunk


def load_vectors():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# The module against the vectors
# ---------------------------------------------------------------------------

def test_vectors_file_is_well_formed():
    doc = load_vectors()
    assert doc["version"] == 1
    names = [v["name"] for v in doc["vectors"]]
    assert len(names) == len(set(names)), "duplicate vector names"
    errors = {None, "frame_too_large", "line_too_long", "truncated", "newline_in_line", "wrong_size"}
    for v in doc["vectors"]:
        assert v["framing"] in ("length", "line", "fixed", "raw"), v["name"]
        assert ("fixed_size" in v) == (v["framing"] == "fixed"), v["name"]
        assert v["error"] in errors, v["name"]
        for m in v["messages"] + [v["wire"]]:
            bytes.fromhex(m)
        if v["error"] in ("newline_in_line", "wrong_size"):
            assert v["wire"] == "" and len(v["messages"]) == 1, v["name"]
    framings = {v["framing"] for v in doc["vectors"]}
    assert framings == {"length", "line", "fixed", "raw"}


def test_module_agrees_with_every_vector():
    count, failures = tp.check_vectors(VECTORS)
    assert count >= 25
    assert failures == [], failures


def test_check_vectors_catches_a_wrong_vector():
    doc = load_vectors()
    hello = next(v for v in doc["vectors"] if v["name"] == "length_hello_world")
    hello["wire"] = "0000000c" + hello["wire"][8:]  # claim 12 bytes, carry 13
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "frames.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        code, out, _ = run_peer("check-vectors", path)
    assert code == 1
    assert any(line.startswith("FAIL length_hello_world:") for line in out), out
    assert not any(line.startswith("ok ") for line in out), out


def test_check_vectors_command_passes():
    code, out, err = run_peer("check-vectors", VECTORS)
    assert code == 0, err
    assert out[-1] == "ok %d vectors" % len(load_vectors()["vectors"]), out


def test_reader_handles_every_split_of_a_stream():
    messages = [b"", b"a", bytes(range(256)) * 3, b"Hello, World!", b"\x00\x00\x00\x05"]
    wire = b"".join(tp.encode_frame(m) for m in messages)
    for sizes in [(1,), (2, 5), (3,), (4,), (7, 1, 13), (len(wire),)]:
        reader = tp.FrameReader(FakeSocket(wire, sizes))
        got = [reader.read() for _ in messages]
        assert got == messages, sizes
        assert reader.read() is None
        assert reader.read() is None  # and stays closed


def test_reader_parses_many_frames_per_read():
    messages = [struct.pack(">I", i) * 3 for i in range(2000)]
    wire = b"".join(tp.encode_frame(m) for m in messages)
    fake = FakeSocket(wire)
    got = list(tp.FrameReader(fake))
    assert got == messages
    # 32,000 bytes in 65,536-byte reads: the data, then the close.
    assert fake.calls == 2, fake.calls


def test_reader_refuses_a_huge_header_without_waiting_for_payload():
    a, b = socket.socketpair()
    with a, b:
        b.settimeout(TIMEOUT)
        a.sendall(tp.encode_frame(b"ok") + b"\xff\xff\xff\xff")  # the stream stays open
        reader = tp.FrameReader(b)
        assert reader.read() == b"ok"
        started = time.monotonic()
        try:
            reader.read()
            raise AssertionError("expected FrameTooLarge")
        except tp.FrameTooLarge as e:
            assert e.code == "frame_too_large" and e.length == 0xFFFFFFFF
        assert time.monotonic() - started < 1.0


def test_line_reader_refuses_an_overlong_line_before_its_newline():
    reader = tp.FrameReader(FakeSocket(b"x" * 100, (10,)), "line", max_frame_len=16)
    try:
        reader.read()
        raise AssertionError("expected LineTooLong")
    except tp.LineTooLong as e:
        assert e.code == "line_too_long"
    assert reader.sock.at < 40  # gave up after a couple of reads past the limit


def test_reader_reports_truncation_of_header_payload_and_record():
    cases = [
        ("length", None, b"\x00\x00", 2, 4),
        ("length", None, b"\x00\x00\x00\x05ab", 6, 9),
        ("fixed", 12, b"\x01" * 17, 5, 12),
    ]
    for framing, size, wire, got, expected in cases:
        reader = tp.FrameReader(FakeSocket(wire, (3,)), framing, fixed_size=size)
        out = []
        try:
            for _ in range(10):
                msg = reader.read()
                if msg is None:
                    raise AssertionError("clean close, expected Truncated: %r" % wire)
                out.append(msg)
        except tp.Truncated as e:
            assert (e.got, e.expected) == (got, expected), (framing, e.got, e.expected)
        assert out == ([b"\x01" * 12] if framing == "fixed" else [])


def test_encode_refusals():
    for call, exc in [
        (lambda: tp.encode_frame(b"a\nb", "line"), tp.NewlineInLine),
        (lambda: tp.encode_frame(b"abc", "fixed", fixed_size=4), tp.WrongSize),
        (lambda: tp.encode_frame(b"abc", "fixed:2"), tp.WrongSize),
        (lambda: tp.encode_frame(b"123456789", max_frame_len=8), tp.FrameTooLarge),
        (lambda: tp.encode_frame(b"123456789", "line", max_frame_len=8), tp.FrameTooLarge),
    ]:
        try:
            call()
            raise AssertionError("expected %s" % exc.__name__)
        except exc:
            pass
    assert tp.encode_frame(b"Hello, World!").hex() == "0000000d48656c6c6f2c20576f726c6421"
    assert tp.encode_frame(b"hi\r", "line") == b"hi\r\n"


def test_parse_endpoint():
    assert tp.parse_endpoint("tcp://127.0.0.1:9000") == ("tcp", ("127.0.0.1", 9000))
    assert tp.parse_endpoint("TCP://localhost:0") == ("tcp", ("localhost", 0))
    assert tp.parse_endpoint("udp://[::1]:9001") == ("udp", ("::1", 9001))
    assert tp.parse_endpoint("unix:///run/x.sock") == ("unix", "/run/x.sock")
    assert tp.parse_endpoint("unix://relative/x.sock") == ("unix", "relative/x.sock")
    assert tp.format_endpoint("tcp", ("::1", 9000)) == "tcp://[::1]:9000"
    for bad in ["localhost:9000", "tpc://host:1", "http://x:80", "tcp://host", "tcp://:1",
                "tcp://::1:9000", "tcp://host:65536", "tcp://host:x", "unix://", "tcp://[::1]9000"]:
        try:
            tp.parse_endpoint(bad)
            raise AssertionError("accepted %r" % bad)
        except tp.EndpointError as e:
            if bad in ("localhost:9000", "tpc://host:1", "http://x:80"):
                assert "tcp://HOST:PORT" in str(e) and "unix:///PATH" in str(e), str(e)


def test_bulk_payload():
    assert tp.bulk_payload(1, 0) == b""
    assert tp.bulk_payload(1, 3) == b"\x00\x00\x00"
    assert tp.bulk_payload(258, 10) == bytes.fromhex("0000000000000102" "0000")


# ---------------------------------------------------------------------------
# The command-line peer against itself
# ---------------------------------------------------------------------------

def roundtrip(endpoint):
    server, bound = serve(endpoint, "--echo", "--count", 4)
    try:
        code, out, err = run_peer("send", bound, "--expect-replies", "Hello, World!", "")
        assert code == 0, err
        assert out == ["REPLY 13 48656c6c6f2c20576f726c6421", "REPLY 0 "], out
        long_hex = "ab" * 100
        code, out, err = run_peer("send", bound, "--hex", "--expect-replies", "00010100", long_hex)
        assert code == 0, err
        assert out == ["REPLY 4 00010100", "REPLY 100 " + "ab" * 64 + "..."], out
        assert server.wait() == 0, server.stderr()
        assert server.rest() == [
            "MSG 13 48656c6c6f2c20576f726c6421", "MSG 0 ", "CLOSED clean",
            "MSG 4 00010100", "MSG 100 " + "ab" * 64 + "..."], "serve output"
    finally:
        server.close()
    return bound


def test_serve_send_roundtrip_tcp():
    bound = roundtrip("tcp://127.0.0.1:0")
    assert bound.startswith("tcp://127.0.0.1:") and not bound.endswith(":0")


def test_serve_send_roundtrip_unix():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "peer.sock")
        assert roundtrip("unix://" + path) == "unix://" + path
        assert not os.path.exists(path), "serve left its socket file behind"


def test_serve_replaces_a_stale_unix_socket_file():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()  # the file stays, nobody listens
        assert os.path.exists(path)
        roundtrip("unix://" + path)


def test_serve_send_roundtrip_udp():
    server, bound = serve("udp://127.0.0.1:0", "--echo", "--count", 2)
    try:
        assert bound.startswith("udp://127.0.0.1:")
        code, out, err = run_peer("send", bound, "--expect-replies", "ping", "")
        assert code == 0, err
        assert out == ["REPLY 4 70696e67", "REPLY 0 "], out
        assert server.wait() == 0
        assert server.rest() == ["MSG 4 70696e67", "MSG 0 "]
    finally:
        server.close()


def test_udp_refuses_an_oversized_datagram():
    server, bound = serve("udp://127.0.0.1:0", "--count", 1)
    try:
        code, out, err = run_peer("send", bound, "--hex", "00" * 65508)
        assert code == 1 and "65507" in err, err
        code, _, err = run_peer("send", bound, "--hex", "00" * 65507)
        assert code == 0, err
        assert server.wait() == 0
        assert server.rest() == ["MSG 65507 " + "00" * 64 + "..."]
    finally:
        server.close()


def test_line_and_raw_framing():
    server, bound = serve("tcp://127.0.0.1:0", "--framing", "line", "--echo", "--count", 2)
    try:
        code, out, err = run_peer("send", bound, "--framing", "line", "--expect-replies", "hi\r", "")
        assert code == 0, err
        assert out == ["REPLY 3 68690d", "REPLY 0 "]
        code, _, err = run_peer("send", bound, "--framing", "line", "a\nb")
        assert code == 1 and "newline" in err, err
        assert server.wait() == 0
        assert server.rest() == ["MSG 3 68690d", "MSG 0 "]
    finally:
        server.close()
    server, bound = serve("tcp://127.0.0.1:0", "--framing", "raw", "--echo", "--count", 1)
    try:
        code, out, err = run_peer("send", bound, "--framing", "raw", "--expect-replies", "hello raw")
        assert code == 0, err
        assert out == ["REPLY 9 68656c6c6f20726177"]
    finally:
        server.close()


def test_send_struct_to_fixed_framing():
    server, bound = serve("tcp://127.0.0.1:0", "--framing", "fixed", "--fixed-size", 12, "--count", 3)
    try:
        code, out, err = run_peer("send-struct", bound, "I 2s f", "--count", 3, 1, "ab", 2.7)
        assert code == 0 and out == [], (err, out)
        assert server.wait() == 0
        assert server.rest() == ["MSG 12 0100000061620000cdcc2c40"] * 3
    finally:
        server.close()


def test_bulk_then_count():
    n, size = 3000, 100
    server, bound = serve("tcp://127.0.0.1:0", "--count", n)
    try:
        code, out, err = run_peer("bulk", bound, "--count", n, "--size", size, timeout=30)
        assert code == 0, err
        assert out == ["SENT %d" % n]
        assert server.wait(30) == 0
        got = server.rest()
        assert len(got) == n
        assert got[0] == "MSG 100 " + "00" * 64 + "..."
        assert got[-1] == "MSG 100 " + tp.bulk_payload(n - 1, 64).hex() + "..."
    finally:
        server.close()


def test_bulk_against_an_echoing_server_does_not_stall():
    n, size = 2000, 1000  # 2 MB each way, more than the socket buffers hold
    server, bound = serve("tcp://127.0.0.1:0", "--echo")
    try:
        code, out, err = run_peer("bulk", bound, "--count", n, "--size", size, timeout=30)
        assert code == 0, err
        assert out == ["SENT %d" % n]
        lines = server.lines(n + 1, timeout=10)
        assert lines[-1] == "CLOSED clean"
    finally:
        server.close()


def test_server_survives_bad_connections():
    server, bound = serve("tcp://127.0.0.1:0", "--max-frame-len", 8, "--count", 2)
    try:
        family, (host, port) = tp.parse_endpoint(bound)
        # One byte over the limit: refused from the header, connection closed.
        with socket.create_connection((host, port), TIMEOUT) as s:
            s.sendall(b"\x00\x00\x00\x09")
            assert server.line() == "CLOSED too_large"
            s.settimeout(TIMEOUT)
            assert s.recv(10) == b""  # the server closed it without waiting
        # A truncated payload.
        with socket.create_connection((host, port), TIMEOUT) as s:
            s.sendall(b"\x00\x00\x00\x05ab")
            s.shutdown(socket.SHUT_WR)
            assert server.line() == "CLOSED truncated"
        # And the server still serves.
        code, _, err = run_peer("send", bound, "12345678", "")
        assert code == 0, err
        assert server.wait() == 0
        assert server.rest() == ["MSG 8 3132333435363738", "MSG 0 "]
    finally:
        server.close()


def test_serve_exits_zero_on_sigterm_and_sigint():
    for sig in (signal.SIGTERM, signal.SIGINT):
        server, bound = serve("tcp://127.0.0.1:0")
        try:
            server.proc.send_signal(sig)
            assert server.wait() == 0, server.stderr()
        finally:
            server.close()


def test_usage_errors():
    code, _, err = run_peer("send", "localhost:9000", "x")
    assert code == 2 and "tcp://HOST:PORT" in err, err
    code, _, err = run_peer("serve", "tcp://127.0.0.1:0", "--framing", "fixed")
    assert code == 2, err
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run_peer("send", "tcp://127.0.0.1:%d" % port, "x")
    assert code == 1 and "error" in err, err


# ---------------------------------------------------------------------------

def _main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    failed = 0
    for name, fn in tests:
        started = time.monotonic()
        try:
            fn()
            print("ok   %-60s %.2fs" % (name, time.monotonic() - started))
        except Exception as e:  # report every failure, then exit non-zero
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
