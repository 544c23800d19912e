"""Real traffic on the loopback interface: tether's own commands send
while dumpcap captures only the ports of this run (each bound with port 0).
Every scenario says what was sent; the listener's --json says what tether
received; the dissector must show the same."""

from __future__ import annotations

import base64
import json
import os
import re
import selectors
import signal
import struct
import subprocess
import time
from dataclasses import dataclass, field

READY_TIMEOUT = 10.0
RUN_TIMEOUT = 60.0


def big_message() -> bytes:
    """600,000 bytes, every 1,000-byte block numbered: a cut or reordered
    segment changes it, and it compresses well in testdata/pcap/."""
    return b"".join(b"block %06d " % i + b"." * 987 for i in range(600))


RECORD_FORMAT = "!I 2s f"
RECORD_VALUES = [(1, b"ab", 2.7), (4000000000, b"\x00\xff", -0.5)]


@dataclass
class Scenario:
    """One listener and what is sent to it."""

    name: str
    listen: list[str]  # arguments after the endpoint
    endpoint: str  # "tcp" or "udp"
    sends: list[tuple[list[str], bytes | None]]  # (arguments after the endpoint, stdin)
    expected: list[bytes]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    out_path: str = ""
    window: tuple[float, float] = (0.0, 0.0)  # from the first send to the listener's exit
    received: list[bytes] = field(default_factory=list)


def scenarios(tmp: str) -> list[Scenario]:
    """The listen/send scenarios, in each framing."""
    four = os.path.join(tmp, "four.bin")
    with open(four, "wb") as f:
        f.write(b"\x00\x01\x01\x00")
    big = os.path.join(tmp, "big.bin")
    with open(big, "wb") as f:
        f.write(big_message())
    lines = [str(i).encode() for i in range(1, 501)]
    records = [struct.pack(RECORD_FORMAT, *v) for v in RECORD_VALUES]
    rec_stdin = b"1 ab 2.7\n4000000000 \\x00\\xff -0.5\n"
    return [
        Scenario("length, a connection per message", [], "tcp",
                 [(["Hello, World!"], None), ([""], None), (["héllo ☃ tab\there"], None),
                  (["--file", four], None), (["a", "", "bc", "Hello"], None)],
                 [b"Hello, World!", b"", "héllo ☃ tab\there".encode(), b"\x00\x01\x01\x00",
                  b"a", b"", b"bc", b"Hello"]),
        Scenario("records (struct format)", [], "tcp",
                 [(["--format", RECORD_FORMAT, "--stdin"], rec_stdin)], records),
        Scenario("fixed framing (bare records)", ["--framing", "fixed", "--format", RECORD_FORMAT], "tcp",
                 [(["--framing", "fixed", "--format", RECORD_FORMAT, "--stdin"], rec_stdin)], records),
        Scenario("line framing", ["--framing", "line"], "tcp",
                 [(["--framing", "line", "--stdin"], b"a\n\nhello line\n")], [b"a", b"", b"hello line"]),
        Scenario("udp datagrams", [], "udp",
                 [(["one", "two", "three"], None)], [b"one", b"two", b"three"]),
        Scenario("a 600,000-byte message", [], "tcp", [(["--file", big], None)], [big_message()]),
        Scenario("500 small messages, coalesced", [], "tcp",
                 [(["--stdin"], b"".join(x + b"\n" for x in lines))], lines),
        Scenario("a length over the maximum", [], "tcp",
                 [(["--framing", "raw", "--stdin"], b"\x00\x00\x00\x02hi\xff\xff\xff\xffjunk")], [b"hi"]),
    ]


def _read_line(stream: object, timeout: float) -> str:
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)  # type: ignore[arg-type]
    data = b""
    deadline = time.monotonic() + timeout
    fd = stream.fileno()  # type: ignore[attr-defined]
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            raise AssertionError(f"no line within {timeout} s (got {data!r})")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError(f"closed before a line (got {data!r})")
        data += chunk
    return data.decode(errors="replace")


def _port(line: str) -> int:
    m = re.search(r"(?:tcp|udp)://127\.0\.0\.1:(\d+)", line)
    if not m:
        raise AssertionError(f"no bound port in {line!r}")
    return int(m.group(1))


@dataclass
class Balls:
    """Two `tether balls` peers: A listens, B connects to it as its right
    neighbour; their --json events say which balls crossed the link."""

    a_port: int = 0
    a_sent: list[int] = field(default_factory=list)
    a_received: list[int] = field(default_factory=list)
    b_sent: list[int] = field(default_factory=list)
    b_received: list[int] = field(default_factory=list)


@dataclass
class Copy:
    """One `tether copy` of one file: a listener receiving, a connector
    sending, records of record_size bytes."""

    port: int = 0
    size: int = 70_000
    record_size: int = 65536


def _ball_events(path: str) -> tuple[list[int], list[int]]:
    sent: list[int] = []
    received: list[int] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if obj["event"] in ("sent", "received"):
                (sent if obj["event"] == "sent" else received).append(int(obj["ball"]["id"]))
    return sent, received


def _first_line(path: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, encoding="utf-8") as f:
            line = f.readline()
        if line.endswith("\n"):
            return line
        time.sleep(0.05)
    raise AssertionError(f"nothing in {path} within {timeout} s")


def _received(path: str) -> list[bytes]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            payload = obj["payload"]
            out.append(payload.encode() if obj["encoding"] == "utf-8" else base64.b64decode(payload))
    return out


class Run:
    """Listeners, a bench server and dumpcap, started and always stopped."""

    def __init__(self, tether: str, tmp: str) -> None:
        self.tether, self.tmp = tether, tmp
        self.procs: list[subprocess.Popen[bytes]] = []
        self.scenarios = scenarios(tmp)
        self.bench_port = 0
        self.balls = Balls()
        self.copy = Copy()
        self.pcap = os.path.join(tmp, "live.pcapng")

    def _start(self, cmd: list[str], stdout: int | object = subprocess.DEVNULL,
               wait: bool = True) -> tuple[subprocess.Popen[bytes], str]:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE)  # type: ignore[arg-type]
        self.procs.append(p)
        return p, _read_line(p.stderr, READY_TIMEOUT) if wait else ""

    def start(self) -> None:
        for i, sc in enumerate(self.scenarios):
            sc.out_path = os.path.join(self.tmp, f"listen{i}.jsonl")
            out = open(sc.out_path, "wb")
            cmd = [self.tether, "listen", f"{sc.endpoint}://127.0.0.1:0", *sc.listen, "--json",
                   "--count", str(len(sc.expected)), "--timeout", "30s"]
            sc.proc, line = self._start(cmd, out)
            out.close()
            sc.port = _port(line)
        _, line = self._start([self.tether, "bench", "--server", "tcp://127.0.0.1:0"])
        self.bench_port = _port(line)
        a_out = os.path.join(self.tmp, "balls_a.jsonl")
        with open(a_out, "wb") as out:
            self.ball_a, _ = self._start([self.tether, "balls", "--headless", "--json", "--listen", "tcp://127.0.0.1:0",
                                          "--balls", "0", "--for", "120s"], out, wait=False)
        self.balls.a_port = _port(_first_line(a_out, READY_TIMEOUT))
        os.makedirs(os.path.join(self.tmp, "incoming"))
        self.copy_listener, line = self._start([self.tether, "copy", "--listen", "tcp://127.0.0.1:0", "--yes",
                                                os.path.join(self.tmp, "incoming")])
        self.copy.port = _port(line)
        code = re.search(r"code: (\S+)", line)
        if not code:
            raise AssertionError(f"no code in {line!r}")
        self.copy_code = code.group(1)
        ports = " or ".join(f"port {p}" for p in self.ports())
        _, line = self._start(["dumpcap", "-q", "-i", "lo", "-f", ports, "-w", self.pcap])
        while not line.startswith("File:"):
            line = _read_line(self.procs[-1].stderr, READY_TIMEOUT)
        self.dumpcap = self.procs[-1]
        time.sleep(0.2)  # the filter is attached before "File:", the ring may lag

    def ports(self) -> list[int]:
        return [sc.port for sc in self.scenarios] + [self.bench_port, self.balls.a_port, self.copy.port]

    def traffic(self) -> None:
        for sc in self.scenarios:
            start = time.time()
            for args, stdin in sc.sends:
                cmd = [self.tether, "send", f"{sc.endpoint}://127.0.0.1:{sc.port}", *args]
                done = subprocess.run(cmd, input=stdin or b"", capture_output=True, timeout=RUN_TIMEOUT, check=False)
                if done.returncode != 0 and sc.name != "a length over the maximum":
                    raise AssertionError(f"{sc.name}: {cmd} failed: {done.stderr.decode(errors='replace')}")
            assert sc.proc is not None
            sc.proc.wait(timeout=RUN_TIMEOUT)
            # Once the listener is gone, a later program may get its port.
            sc.window = (start - 0.01, time.time() + 0.01)
            sc.received = _received(sc.out_path)
        bench = [self.tether, "bench", f"tcp://127.0.0.1:{self.bench_port}", "--quick", "--quiet"]
        for _ in range(3):  # on a loaded machine a quick point can go unanswered; the dissector sees every try
            done = subprocess.run(bench, capture_output=True, timeout=RUN_TIMEOUT, check=False)
            if done.returncode == 0:
                break
        else:
            raise AssertionError(f"bench failed three times: {done.stderr.decode(errors='replace')}")
        self._balls()
        self._copy()
        time.sleep(0.3)  # the last FINs and ACKs

    def _copy(self) -> None:
        """Sends one file of Copy.size bytes to the copy listener."""
        src = os.path.join(self.tmp, "copied.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(self.copy.size))
        cmd = [self.tether, "copy", "--record-size", str(self.copy.record_size), src,
               f"tcp://127.0.0.1:{self.copy.port}"]
        env = dict(os.environ, TETHER_CODE=self.copy_code)
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False)
        if done.returncode != 0:
            raise AssertionError(f"tether copy failed: {done.stderr.decode(errors='replace')}")
        self.copy_listener.wait(timeout=RUN_TIMEOUT)
        with open(src, "rb") as a, open(os.path.join(self.tmp, "incoming", "copied.bin"), "rb") as b:
            if a.read() != b.read():
                raise AssertionError("tether copy: the file differs")

    def _balls(self) -> None:
        """B runs for 2 s with two fast balls against A, which has none."""
        b_out = os.path.join(self.tmp, "balls_b.jsonl")
        with open(b_out, "wb") as out:
            cmd = [self.tether, "balls", "--headless", "--json", "--listen", "tcp://127.0.0.1:0", "--right",
                   f"tcp://127.0.0.1:{self.balls.a_port}", "--balls", "2", "--speed", "4", "--for", "2s"]
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT, check=False)
        if done.returncode != 0:
            raise AssertionError(f"tether balls failed: {done.stderr.decode(errors='replace')}")
        time.sleep(0.3)  # A's last ack
        self.ball_a.send_signal(signal.SIGTERM)
        self.ball_a.wait(timeout=10)
        self.balls.a_sent, self.balls.a_received = _ball_events(os.path.join(self.tmp, "balls_a.jsonl"))
        self.balls.b_sent, self.balls.b_received = _ball_events(b_out)

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stderr:
                p.stderr.close()
