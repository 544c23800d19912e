#!/usr/bin/env python3
"""Hostile peers against one `tether listen`, on loopback: prints a table of
case, good messages lost, whether the listener stayed up, and its peak RSS.

Usage: hostile_table.py [--tether PATH] [--only NAME,...]

In every case a good client sends 2,000 numbered messages ("good-000123")
over one connection while the attack runs; "good lost" is how many of them
are missing from the listener's --output file. Peak RSS is the listener's
VmHWM. Standard library only; bounded in time (about a minute in all).
"""

import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

GOOD = 2000
GOOD_RE = re.compile(rb"good-(\d{6})")
MIB = 1 << 20


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


class Listener:
    """A `tether listen tcp://127.0.0.1:0` with --output to a scratch file."""

    def __init__(self, tether, args, stdout=None):
        self.out = tempfile.NamedTemporaryFile(prefix="hostile-", delete=False)
        self.out.close()
        cmd = [tether, "listen", "tcp://127.0.0.1:0", "--output", self.out.name] + args
        if stdout is None:
            cmd.append("--quiet")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE)
        first = self.proc.stderr.readline().decode()
        m = re.search(r"127\.0\.0\.1:(\d+)", first)
        if not m:
            raise SystemExit(f"unexpected first line: {first!r}")
        self.port = int(m.group(1))
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode(errors="replace"))

    def peak_rss(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def alive(self):
        """Running, and a new client can connect and be served."""
        if self.proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(frame(b"probe"))
            return True
        except OSError:
            return False

    def stop(self):
        """SIGINT; (exit status, seconds to exit)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            status = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        return status, time.monotonic() - start

    def good_received(self):
        with open(self.out.name, "rb") as f:
            data = f.read()
        os.unlink(self.out.name)
        return len({int(m.group(1)) for m in GOOD_RE.finditer(data)})


def good_client(port, result, rate=1000.0):
    """Sends GOOD numbered messages at `rate` per second over one connection."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            for i in range(GOOD):
                s.sendall(frame(b"good-%06d" % i))
                time.sleep(1.0 / rate)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            try:
                s.recv(1)  # the listener closes once it has read everything
            except OSError:
                pass
        result["ok"] = True
    except OSError as e:
        result["error"] = str(e)


def run_case(tether, name, attack, listen_args=()):
    listener = Listener(tether, list(listen_args))
    result = {}
    good = threading.Thread(target=good_client, args=(listener.port, result))
    good.start()
    note = attack(listener.port)
    good.join(timeout=60)
    time.sleep(0.3)
    rss = listener.peak_rss()
    alive = listener.alive()
    status, _ = listener.stop()
    lost = GOOD - listener.good_received()
    if "error" in result:
        note += f"; good client: {result['error']}"
    return [name, str(lost), "yes" if alive and status == 0 else f"no (exit {status})",
            f"{rss / MIB:.0f} MiB", note]


def connect_flood(port, seconds=3.0, threads=4):
    count = [0]
    stop = time.monotonic() + seconds

    def worker():
        n = 0
        while time.monotonic() < stop:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.close()
                n += 1
            except OSError:
                pass
        count[0] += n

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return f"{count[0] / seconds:,.0f} connects/s"


def garbage_prefixes(port, n=1000):
    done = 0
    for _ in range(n):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"\xff\xff\xff\xffgarbage")
                done += 1
        except OSError:
            pass
    return f"{done} peers announced 4 GiB frames"


def one_byte_writes(port, size=16 * MIB, one_byte=256 << 10):
    payload = b"x" * size
    data = frame(payload)
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(4 + one_byte):
            s.send(data[i:i + 1])
        s.sendall(data[4 + one_byte:])
    return (f"16 MiB frame, its header and first {one_byte >> 10} KiB in 1-byte writes "
            f"({time.monotonic() - start:.1f} s)")


def slowloris(port, peers=300, seconds=5):
    socks = []
    for _ in range(peers):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(struct.pack(">I", 1000))  # a 1,000-byte frame, never finished
            socks.append(s)
        except OSError:
            pass
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for s in socks:
            try:
                s.send(b"x")
            except OSError:
                pass
        time.sleep(1)
    for s in socks:
        s.close()
    return f"{len(socks)} peers at 1 byte/s for {seconds} s"


def big_frames(port, peers=200, size=16 * MIB, seconds=4):
    """Peers that each start a 16 MiB frame and push as much of it as the
    listener takes in `seconds`."""
    stop = time.monotonic() + seconds
    sent = [0] * peers

    def peer(i):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.settimeout(0.5)
                s.sendall(struct.pack(">I", size))
                chunk = b"y" * 65536
                while time.monotonic() < stop and sent[i] < size - len(chunk):
                    try:
                        sent[i] += s.send(chunk)
                    except socket.timeout:
                        pass
        except OSError:
            pass

    ts = [threading.Thread(target=peer, args=(i,)) for i in range(peers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return f"{peers} peers pushed {sum(sent) / MIB:,.0f} MiB of unfinished frames"


def ctrl_c_under_senders(tether, senders=100):
    printed = tempfile.TemporaryFile()
    listener = Listener(tether, [], stdout=printed)
    stop = threading.Event()

    def sender(i):
        try:
            with socket.create_connection(("127.0.0.1", listener.port), timeout=2) as s:
                n = 0
                while not stop.is_set():
                    s.sendall(frame(b"sender-%03d-%08d" % (i, n)))
                    n += 1
        except OSError:
            pass

    ts = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
    for t in ts:
        t.start()
    time.sleep(1.0)
    rss = listener.peak_rss()
    status, took = listener.stop()
    stop.set()
    for t in ts:
        t.join(timeout=5)
    printed.seek(0)
    lines = printed.read().splitlines(keepends=True)
    whole = re.compile(rb"^127\.0\.0\.1:\d+\s+19 B\s+sender-\d{3}-\d{8}\n$")
    partial = [l for l in lines if not whole.match(l)]
    os.unlink(listener.out.name)
    return ["Ctrl-C under 100 senders", "n/a",
            f"exit {status} in {took * 1000:.0f} ms", f"{rss / MIB:.0f} MiB",
            f"{len(lines):,} lines printed, {len(partial)} not whole"]


CASES = {
    "connects": lambda t: run_case(t, "many connects/s", connect_flood),
    "garbage": lambda t: run_case(t, "1,000 garbage prefixes", garbage_prefixes),
    "bytewise": lambda t: run_case(t, "16 MiB frame in 1-byte writes", one_byte_writes),
    "ctrl-c": ctrl_c_under_senders,
    "slowloris": lambda t: run_case(t, "slowloris", slowloris),
    "big-frames": lambda t: run_case(t, "200 peers x 16 MiB", big_frames),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tether", default="target/release/tether")
    ap.add_argument("--only", default=",".join(CASES))
    args = ap.parse_args()
    rows = [["case", "good lost", "listener alive", "peak RSS", "what the attack did"]]
    for name in args.only.split(","):
        rows.append(CASES[name](args.tether))
        print(" | ".join(rows[-1]), file=sys.stderr)
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows[1:]:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
