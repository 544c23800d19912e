#!/usr/bin/env python3
"""tether from Python against the standard library socket and pyzmq.

All figures come from one run, so the ratios compare like with like:

* round trip of a 4-byte message (send, wait for the echo): tether Link
  (``send`` + ``recv``, and ``request`` in one call) vs a
  persistent stdlib socket with TCP_NODELAY vs pyzmq REQ/REP. The tether
  echo peer is ``for msg in link: link.send(msg)``, the stdlib one
  ``recv`` + ``sendall``; the row "request, request peer" also answers
  with ``link.request`` (the reply and the wait for the next message in
  one call, one GIL release per message instead of two), idiomatic tether
  but a different peer than the stdlib's, so it is reported on its own;
* one-way rate of 4-byte messages sent from a Python loop and parsed and
  counted by a receiver in another process: ``link.send`` per message,
  ``link.send_many`` in batches, stdlib ``sendall`` per message, pyzmq
  PUSH/PULL. A run counts only if the receiver got every message.

Every peer runs in its own process (this script with ``--serve``), over
127.0.0.1 and port 0. Usage::

    pip install ./crates/py pyzmq
    python crates/py/bench/bench_py.py            # table
    python crates/py/bench/bench_py.py --json     # for programs
    python crates/py/bench/bench_py.py --pin-round-trips 1   # round trips on CPU 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import tether

try:
    import zmq  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # reported, and the pyzmq rows are skipped
    zmq = None  # type: ignore[assignment, unused-ignore]

MSG = b"\x00\x01\x01\x00"  # the 4-bit array of the question, one per byte
BATCH = 10_000  # messages per send_many call


# --------------------------------------------------------------- servers --


def serve(kind: str, arg: str) -> None:
    """The peer processes. Each prints its address on the first line of
    stdout and, for the counting receivers, ``COUNT BYTES END_MONOTONIC``
    when done."""
    out = sys.stdout
    if kind == "tether-echo":
        with tether.listen("tcp://127.0.0.1:0") as srv:
            print(srv.local_addr, file=out, flush=True)
            link = srv.accept()
            assert link is not None
            for msg in link:
                link.send(msg)
    elif kind == "tether-request-echo":
        # Answers and waits for the next message in one call (one GIL
        # release per message instead of two).
        with tether.listen("tcp://127.0.0.1:0") as srv:
            print(srv.local_addr, file=out, flush=True)
            link = srv.accept()
            assert link is not None
            try:
                msg = link.recv()
                while True:
                    reply = link.request(msg)
                    assert reply is not None
                    msg = reply
            except tether.ConnectionClosed:
                pass
    elif kind == "socket-echo":
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen()
        print("tcp://127.0.0.1:%d" % ls.getsockname()[1], file=out, flush=True)
        conn, _ = ls.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    elif kind == "zmq-rep":
        ctx = zmq.Context()
        s = ctx.socket(zmq.REP)
        port = s.bind_to_random_port("tcp://127.0.0.1")
        print("tcp://127.0.0.1:%d" % port, file=out, flush=True)
        while True:
            data = s.recv()
            s.send(data)
            if not data:
                break
    elif kind == "tether-count":
        # arg: the framing. Counts until the sender closes.
        with tether.listen("tcp://127.0.0.1:0", framing=arg) as srv:
            print(srv.local_addr, file=out, flush=True)
            link = srv.accept()
            assert link is not None
            n = nbytes = 0
            try:
                while True:
                    batch = link.recv_many()
                    n += len(batch)
                    nbytes += len(b"".join(batch))  # cheaper than sum(map(len, ...))
            except tether.ConnectionClosed:
                pass
            print(n, nbytes, time.monotonic(), file=out, flush=True)
    elif kind == "zmq-pull":
        # arg: how many messages to wait for (PUSH/PULL has no end marker).
        ctx = zmq.Context()
        s = ctx.socket(zmq.PULL)
        port = s.bind_to_random_port("tcp://127.0.0.1")
        print("tcp://127.0.0.1:%d" % port, file=out, flush=True)
        want = int(arg)
        n = nbytes = 0
        recv = s.recv
        while n < want:
            nbytes += len(recv())
            n += 1
        print(n, nbytes, time.monotonic(), file=out, flush=True)
    else:
        raise SystemExit("unknown server kind %r" % kind)


class Peer:
    """A --serve process, its address, and its last line."""

    def __init__(self, kind: str, arg: str = "") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", kind, arg],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.addr = self.proc.stdout.readline().strip()
        if not self.addr:
            raise RuntimeError("%s server did not start" % kind)
        host, port = self.addr[len("tcp://") :].rsplit(":", 1)
        self.host_port = (host, int(port))

    def result(self, timeout: float = 120.0) -> Tuple[int, int, float]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        self.proc.wait(timeout)
        if len(line) != 3:
            raise RuntimeError("receiver gave no count")
        return int(line[0]), int(line[1]), float(line[2])

    def close(self) -> None:
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ----------------------------------------------------------- round trips --


def percentiles(ns: List[int]) -> Dict[str, float]:
    ns = sorted(ns)

    def at(q: float) -> float:
        return ns[min(len(ns) - 1, int(q * len(ns)))] / 1000.0

    return {
        "p50_us": at(0.50),
        "p99_us": at(0.99),
        "p999_us": at(0.999),
        "mean_us": statistics.fmean(ns) / 1000.0,
        "samples": len(ns),
    }


class RoundTrip:
    """One client of an echo peer: ``one()`` sends MSG and waits for it."""

    def __init__(self, kind: str) -> None:
        self.samples: List[int] = []
        self.closers: List[Callable[[], None]] = []
        if kind == "tether":
            self.peer = Peer("tether-echo")
            link = tether.connect(self.peer.addr)
            send, recv = link.send, link.recv

            def one() -> None:
                send(MSG)
                recv()

            self.closers.append(link.close)
        elif kind == "tether_request":
            self.peer = Peer("tether-echo")
            link = tether.connect(self.peer.addr)
            request = link.request

            def one() -> None:
                request(MSG)

            self.closers.append(link.close)
        elif kind == "tether_request_both":
            self.peer = Peer("tether-request-echo")
            link = tether.connect(self.peer.addr)
            request = link.request

            def one() -> None:
                request(MSG)

            self.closers.append(link.close)
        elif kind == "socket":
            self.peer = Peer("socket-echo")
            s = socket.create_connection(self.peer.host_port)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sendall, recv_sock = s.sendall, s.recv
            size = len(MSG)

            def one() -> None:
                sendall(MSG)
                got = recv_sock(size)
                while len(got) < size:  # a stream may split the echo
                    more = recv_sock(size - len(got))
                    if not more:
                        raise ConnectionError("echo server closed")
                    got += more

            self.closers.append(s.close)
        elif kind == "pyzmq":
            self.peer = Peer("zmq-rep")
            ctx = zmq.Context()
            z = ctx.socket(zmq.REQ)
            z.connect(self.peer.addr)
            send_z, recv_z = z.send, z.recv

            def one() -> None:
                send_z(MSG)
                recv_z()

            def stop() -> None:
                send_z(b"")
                recv_z()
                z.close(linger=0)
                ctx.term()

            self.closers.append(stop)
        else:
            raise ValueError(kind)
        self.one = one

    def run(self, count: int, keep: bool) -> None:
        clock = time.perf_counter_ns
        one = self.one
        append = self.samples.append
        for _ in range(count):
            t0 = clock()
            one()
            if keep:
                append(clock() - t0)

    def close(self) -> None:
        for c in self.closers:
            c()
        self.peer.close()


def round_trips(kinds: List[str], warmup: int, count: int) -> Dict[str, Dict[str, float]]:
    """Times `count` round trips per kind, in interleaved blocks of 1000 so
    that drift of the machine (other load, CPU clock) hits every kind alike."""
    clients = [RoundTrip(k) for k in kinds]
    for c in clients:
        c.run(warmup, keep=False)
    block = 1000
    done = 0
    while done < count:
        n = min(block, count - done)
        for c in clients:
            c.run(n, keep=True)
        done += n
    out = {}
    for k, c in zip(kinds, clients):
        c.close()
        out[k] = percentiles(c.samples)
    return out


# -------------------------------------------------------------- one way --


def messages(n: int) -> List[bytes]:
    """n 4-byte messages: the 16 4-bit arrays, one bit per byte, cycled."""
    arrays = [bytes((i >> b) & 1 for b in range(4)) for i in range(16)]
    return [arrays[i % 16] for i in range(n)]


def one_way(
    receiver: Peer, msgs: List[bytes], send_all: Callable[[List[bytes]], None]
) -> Dict[str, Any]:
    t0 = time.monotonic()
    send_all(msgs)
    t_sent = time.monotonic()
    got, nbytes, t_end = receiver.result()
    n = len(msgs)
    return {
        "messages": n,
        "received": got,
        "received_bytes": nbytes,
        "complete": got == n and nbytes == 4 * n,
        "sender_msgs_per_s": n / (t_sent - t0),
        "delivered_msgs_per_s": got / (t_end - t0),
    }


def ow_tether_send(msgs: List[bytes]) -> Dict[str, Any]:
    peer = Peer("tether-count", "length")

    def go(msgs: List[bytes]) -> None:
        with tether.connect(peer.addr) as link:  # default settings
            for bits in msgs:
                link.send(bits)

    return one_way(peer, msgs, go)


def ow_tether_send_many(msgs: List[bytes]) -> Dict[str, Any]:
    peer = Peer("tether-count", "length")

    def go(msgs: List[bytes]) -> None:
        with tether.connect(peer.addr) as link:
            for i in range(0, len(msgs), BATCH):
                link.send_many(msgs[i : i + BATCH])

    return one_way(peer, msgs, go)


def ow_socket_sendall(msgs: List[bytes]) -> Dict[str, Any]:
    # Raw 4-byte records, the least a stdlib sender can do; the receiver
    # parses them with fixed framing.
    peer = Peer("tether-count", "fixed:4")

    def go(msgs: List[bytes]) -> None:
        s = socket.create_connection(peer.host_port)
        for bits in msgs:
            s.sendall(bits)
        s.close()

    return one_way(peer, msgs, go)


def ow_zmq_push(msgs: List[bytes]) -> Dict[str, Any]:
    peer = Peer("zmq-pull", str(len(msgs)))

    def go(msgs: List[bytes]) -> None:
        ctx = zmq.Context()
        s = ctx.socket(zmq.PUSH)
        s.connect(peer.addr)
        for bits in msgs:
            s.send(bits)
        s.close(linger=-1)  # waits until everything is handed over
        ctx.term()

    return one_way(peer, msgs, go)


# ------------------------------------------------------------------ main --


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or b == 0:
        return None
    return a / b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    ap.add_argument("--round-trips", type=int, default=20_000, help="timed round trips per peer (default 20000)")
    ap.add_argument("--warmup", type=int, default=2_000, help="untimed round trips first (default 2000)")
    ap.add_argument("--messages", type=int, default=2_000_000, help="messages per one-way run (default 2000000)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument(
        "--pin-round-trips",
        type=int,
        metavar="CPU",
        help="run the round trips (this process and the echo peers) on this one CPU, "
        "so every kind pays the same wake-up; unpinned, a pair that lands on two CPUs "
        "of a VM pays a cross-CPU wake-up (several times slower) by chance",
    )
    args = ap.parse_args()
    if args.serve:
        serve(*args.serve)
        return 0

    have_zmq = zmq is not None
    msgs = messages(args.messages)
    res: Dict[str, Any] = {
        "python": platform.python_version(),
        "tether": tether.__version__,
        "pyzmq": zmq.__version__ if have_zmq else None,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "round_trip": {},
        "one_way": {},
    }
    cpus = os.sched_getaffinity(0)
    if args.pin_round_trips is not None:
        os.sched_setaffinity(0, {args.pin_round_trips})  # the peers inherit it
    res["round_trip_cpus"] = sorted(os.sched_getaffinity(0))
    rt = res["round_trip"] = round_trips(
        ["tether", "tether_request", "tether_request_both", "socket"] + (["pyzmq"] if have_zmq else []),
        args.warmup,
        args.round_trips,
    )
    os.sched_setaffinity(0, cpus)
    ow = res["one_way"]
    ow["tether_send"] = ow_tether_send(msgs)
    ow["tether_send_many"] = ow_tether_send_many(msgs)
    ow["socket_sendall"] = ow_socket_sendall(msgs)
    if have_zmq:
        ow["pyzmq_push"] = ow_zmq_push(msgs)

    def p50(k: str) -> Optional[float]:
        return rt[k]["p50_us"] if k in rt else None

    def rate(k: str) -> Optional[float]:
        r = ow.get(k)
        return r["delivered_msgs_per_s"] if r and r["complete"] else None

    ratios = {
        "rt_p50_socket_over_tether": ratio(p50("socket"), p50("tether")),
        "rt_p50_socket_over_request": ratio(p50("socket"), p50("tether_request")),
        "rt_p50_socket_over_request_both": ratio(p50("socket"), p50("tether_request_both")),
        "rt_p50_pyzmq_over_tether": ratio(p50("pyzmq"), p50("tether")),
        "send_over_sendall": ratio(rate("tether_send"), rate("socket_sendall")),
        "send_many_over_pyzmq": ratio(rate("tether_send_many"), rate("pyzmq_push")),
    }
    targets = {
        "rt_p50_socket_over_tether": 1.0,
        # request at most 0.90x the stdlib round trip
        "rt_p50_socket_over_request": 1 / 0.90,
        "rt_p50_socket_over_request_both": 1 / 0.90,
        "rt_p50_pyzmq_over_tether": 1.5,
        "send_over_sendall": 2.0,
        "send_many_over_pyzmq": 10.0,
    }
    res["ratios"] = ratios
    met: Dict[str, Optional[bool]] = {}
    for k, want in targets.items():
        got = ratios[k]
        met[k] = None if got is None else got >= want
    res["targets"] = {k: {"want": v, "met": met[k]} for k, v in targets.items()}
    all_complete = all(r["complete"] for r in ow.values())
    res["every_message_delivered"] = all_complete

    if args.json:
        json.dump(res, sys.stdout, indent=2)
        print()
    else:
        print("python %s, tether %s, pyzmq %s, %s, %s cpus"
              % (res["python"], res["tether"], res["pyzmq"], res["platform"], res["cpus"]))
        pinned = "" if args.pin_round_trips is None else ", on CPU %d" % args.pin_round_trips
        print("\nround trip of %d bytes (%d timed, %d warm-up%s)"
              % (len(MSG), args.round_trips, args.warmup, pinned))
        print("  %-28s %9s %9s %9s %9s" % ("", "p50 µs", "p99 µs", "p99.9 µs", "mean µs"))
        names = {"tether": "tether send + recv", "tether_request": "tether request",
                 "tether_request_both": "tether request, request peer",
                 "socket": "stdlib socket (NODELAY)", "pyzmq": "pyzmq REQ/REP"}
        for k, r in rt.items():
            print("  %-28s %9.1f %9.1f %9.1f %9.1f"
                  % (names[k], r["p50_us"], r["p99_us"], r["p999_us"], r["mean_us"]))
        print("\none way, %d messages of %d bytes, counted by the receiver" % (args.messages, len(MSG)))
        print("  %-28s %14s %14s %9s" % ("", "delivered/s", "sender loop/s", "complete"))
        names = {
            "tether_send": "tether link.send",
            "tether_send_many": "tether send_many (%d)" % BATCH,
            "socket_sendall": "stdlib sendall",
            "pyzmq_push": "pyzmq PUSH/PULL",
        }
        for k, r in ow.items():
            print("  %-28s %14s %14s %9s"
                  % (names[k], "{:,.0f}".format(r["delivered_msgs_per_s"]),
                     "{:,.0f}".format(r["sender_msgs_per_s"]), "yes" if r["complete"] else "NO"))
        print("\nratios (target)")
        labels = {
            "rt_p50_socket_over_tether": "round trip p50, stdlib / tether",
            "rt_p50_socket_over_request": "round trip p50, stdlib / request",
            "rt_p50_socket_over_request_both": "stdlib / request, request peer",
            "rt_p50_pyzmq_over_tether": "round trip p50, pyzmq / tether",
            "send_over_sendall": "link.send / stdlib sendall",
            "send_many_over_pyzmq": "send_many / pyzmq PUSH",
        }
        for k, v in ratios.items():
            t = res["targets"][k]
            shown = "n/a" if v is None else "%.2fx" % v
            verdict = "" if t["met"] is None else ("met" if t["met"] else "MISSED")
            print("  %-34s %8s  (>= %.2fx) %s" % (labels[k], shown, t["want"], verdict))
        if not have_zmq:
            print("\npyzmq is not installed: pip install pyzmq")
    return 0 if all_complete else 1


if __name__ == "__main__":
    sys.exit(main())
