#!/usr/bin/env python3
"""The Python sender of `tether bench --languages`.

A bench client that speaks the control exchange of docs/PROTOCOL.md to a
bench server, runs the round trip and the rate points with one stack, and
prints one JSON object per point on stdout (PROTOCOL.md, "Bench senders in
other languages")::

    bench_sender.py --control tcp://127.0.0.1:40123 --stack tether|plain
        [--sizes 1,4,100] [--total BYTES] [--max-time-ms MS] [--repeats N]
        [--rounds N] [--warmup N] [--latency-ms MS]

tether: the tether package, Link.send per message (its linger gathers
closely spaced sends into one write) and send/recv for round trips. plain:
the standard library's socket, sendall of each framed message, as a
textbook Python sender does. The control link itself always uses the
standard library, so the plain sender runs without the tether package.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import sys
import time

BATCH_BYTES = 64 * 1024
MIN_MESSAGES = 16


def host_port(endpoint):
    rest = endpoint.split("://", 1)[1]
    host, _, port = rest.rpartition(":")
    return host.strip("[]"), int(port)


class Control:
    """The control link: length-framed JSON objects over a plain socket."""

    def __init__(self, endpoint):
        self.sock = socket.create_connection(host_port(endpoint), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, obj):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def recv(self):
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if n > 65536:
                    raise RuntimeError("control frame of %d bytes is over 65536" % n)
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return json.loads(body)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("the bench server closed the control link")
            self.buf += chunk

    def request(self, obj, want):
        self.send(obj)
        reply = self.recv()
        if reply.get("type") == "error":
            raise RuntimeError("the bench server says: %s" % reply.get("message"))
        if reply.get("type") != want:
            raise RuntimeError("expected %s from the bench server, got %r" % (want, reply))
        return reply

    def begin(self, role, stack):
        # The server runs the same stack on its end, as in the bench's baseline.
        server_stack = "tether" if stack == "tether" else "std"
        ready = self.request({"type": "settings", "role": role, "transport": "tcp",
                              "stack": server_stack, "nodelay": True, "max_datagrams": 0}, "ready")
        self.send({"type": "run"})
        return ready["endpoint"]

    def finish(self):
        return self.request({"type": "done"}, "results")


def plain_socket(endpoint):
    s = socket.create_connection(host_port(endpoint), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send_rate(ctl, stack, size, total, max_time):
    endpoint = ctl.begin("sink", stack)
    count = max(total // max(1, size), MIN_MESSAGES)
    every = max(1, min(4096, BATCH_BYTES // (size + 4)))
    payload = b"\x5a" * size
    deadline = time.perf_counter() + max_time
    sent = 0
    capped = False
    if stack == "tether":
        import tether
        with tether.connect(endpoint, timeout=30.0) as link:
            send = link.send
            while sent < count:
                if sent % every == 0 and time.perf_counter() >= deadline:
                    capped = True
                    break
                send(payload)
                sent += 1
    else:
        frame = struct.pack(">I", size) + payload
        with plain_socket(endpoint) as s:
            sendall = s.sendall
            while sent < count:
                if sent % every == 0 and time.perf_counter() >= deadline:
                    capped = True
                    break
                sendall(frame)
                sent += 1
    return sent, capped, ctl.finish()


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise RuntimeError("the echo server closed mid-reply")
        out += chunk
    return out


def round_trips(ctl, stack, warmup, rounds, max_time):
    endpoint = ctl.begin("echo", stack)
    msg = b"\x00\x01\x01\x00"
    samples = []
    deadline = time.perf_counter() + max_time
    clock = time.perf_counter_ns
    if stack == "tether":
        import tether
        with tether.connect(endpoint, timeout=30.0) as link:
            for i in range(warmup + rounds):
                if time.perf_counter() >= deadline:
                    break
                t0 = clock()
                link.send(msg)
                link.recv()
                if i >= warmup:
                    samples.append(clock() - t0)
    else:
        frame = struct.pack(">I", len(msg)) + msg
        with plain_socket(endpoint) as s:
            for i in range(warmup + rounds):
                if time.perf_counter() >= deadline:
                    break
                t0 = clock()
                s.sendall(frame)
                (n,) = struct.unpack(">I", recv_exact(s, 4))
                recv_exact(s, n)
                if i >= warmup:
                    samples.append(clock() - t0)
    ctl.finish()
    samples.sort()
    n = len(samples)
    p50 = samples[n // 2] if n else 0
    p99 = samples[min(n - 1, int(n * 0.99))] if n else 0
    return {"type": "latency", "size": len(msg), "rounds": n, "p50_ns": p50, "p99_ns": p99}


def main(argv):
    ap = argparse.ArgumentParser(description="the Python sender of tether bench --languages")
    ap.add_argument("--control", required=True)
    ap.add_argument("--stack", choices=["tether", "plain"], default="tether")
    ap.add_argument("--sizes", default="1,4,100,1024")
    ap.add_argument("--total", type=int, default=4 << 20)
    ap.add_argument("--max-time-ms", type=int, default=250)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--latency-ms", type=int, default=1000)
    a = ap.parse_args(argv)
    try:
        if a.stack == "tether":
            import tether  # noqa: F401  (fail here, before the exchange, if it is missing)
        ctl = Control(a.control)
        ctl.request({"type": "hello", "protocol": 1, "version": "python-sender"}, "hello")
        if a.rounds > 0:
            print(json.dumps(round_trips(ctl, a.stack, a.warmup, a.rounds, a.latency_ms / 1e3),
                             separators=(",", ":")), flush=True)
        for size in (int(s) for s in a.sizes.split(",")):
            for _ in range(a.repeats):
                sent, capped, results = send_rate(ctl, a.stack, size, a.total, a.max_time_ms / 1e3)
                print(json.dumps({"type": "rate", "size": size, "sent": sent, "capped": capped,
                                  "results": results}, separators=(",", ":")), flush=True)
    except (OSError, RuntimeError, ImportError, ValueError) as e:
        print("python sender: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
