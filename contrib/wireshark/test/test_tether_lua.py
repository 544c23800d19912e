#!/usr/bin/env python3
"""Tests of contrib/wireshark/tether.lua with tshark.

1. A hand-built capture (pcap bytes written by pcapgen.py): every message
   cut at every byte offset of its length header decodes the same; line
   framing, UDP, a length over the maximum, the heuristic, Decode As and the
   struct-format preference (against Python's struct).
2. Real traffic: as root, dumpcap captures on lo, filtered on this run's
   own ports, while tether listen/send/bench run (live.py). Without root the
   test says so and decodes the captures kept in testdata/pcap/ instead
   (written by `--record`, from the same scenarios).

Usage: test_tether_lua.py [--tether target/debug/tether] [--record]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import struct
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import handbuilt  # noqa: E402
import live  # noqa: E402
from decode import Decoded, Message, decode  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KEPT = os.path.join(ROOT, "testdata", "pcap")


def is_text(b: bytes) -> bool:
    """The dissector's (and tether listen's) rule for showing text."""
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c in "\t\n\r" or not (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) for c in s)


def shown_text(b: bytes) -> str:
    """A text payload as tshark's field output escapes it."""
    return b.decode().replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Checks:
    """Collects failures, so one run reports all of them."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passed = 0

    def equal(self, name: str, got: object, want: object) -> None:
        if got == want:
            self.passed += 1
        else:
            self.failures.append(f"{name}:\n    got  {str(got)[:600]}\n    want {str(want)[:600]}")

    def messages(self, name: str, d: Decoded, got: list[Message], want: list[bytes]) -> None:
        """Every message in order, with its length and content, numbered
        1, 2, ... in each connection, text shown where it is text."""
        self.equal(f"{name}: lengths", [m.length for m in got], [len(w) for w in want])
        self.equal(f"{name}: payloads", [m.payload for m in got], want)
        numbers: dict[str, list[int]] = {}
        for m in got:
            numbers.setdefault(m.stream, []).append(m.index)
        self.equal(f"{name}: numbered in each connection",
                   list(numbers.values()), [list(range(1, len(v) + 1)) for v in numbers.values()])
        frames: dict[int, list[bytes]] = {}
        for m in got:
            frames.setdefault(m.frame, []).append(m.payload)
        texts = {f: [shown_text(p) for p in ps if p and is_text(p)] for f, ps in frames.items()}
        self.equal(f"{name}: text fields", {f: d.texts.get(f, []) for f in frames}, texts)


def decode_all(jobs: list[tuple[str, list[str], str | None]]) -> list[Decoded]:
    """Several tshark runs at once: each spends most of its second starting up."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda job: decode(*job), jobs))


def check_handbuilt(c: Checks, tmp: str) -> None:
    pcap = os.path.join(tmp, "handbuilt.pcap")
    streams = handbuilt.write(pcap)
    ports = ["-o", f"tether.line_ports:{handbuilt.LINE_PORT}",
             "-o", f"tether.tcp_ports:{handbuilt.LENGTH_PORT},{handbuilt.TOO_LARGE_PORT}"]
    max8 = [s for s in streams if s.name.startswith("max 8")][0]
    heur = [s for s in streams if s.dport == handbuilt.HEURISTIC_PORT][0]
    as_port = handbuilt.DECODE_AS_PORT
    jobs: list[tuple[str, list[str], str | None]] = [
        (pcap, ports, None),
        (pcap, ["-o", f"tether.tcp_ports:{max8.dport}", "-o", "tether.max_frame_len:8"], f"tcp.srcport == {max8.sport}"),
        (pcap, ["-o", "tether.heuristic:TRUE"], f"tcp.port == {heur.dport}"),
        (pcap, ["-o", "tether.heuristic:TRUE"], f"tcp.port == {handbuilt.COPY_HEURISTIC_PORT}"),
        (pcap, ["-d", f"tcp.port=={as_port},tether"], f"tcp.port == {as_port}"),
    ]
    fixed = ["-o", f"tether.fixed_ports:{handbuilt.FIXED_PORT}", "-o", f"tether.struct_format:{handbuilt.FIXED_FORMAT}"]
    jobs.append((pcap, fixed, f"tcp.port == {handbuilt.FIXED_PORT}"))
    for fmt, _ in handbuilt.RECORDS:
        jobs.append((pcap, ["-d", f"tcp.port=={handbuilt.RECORD_PORT},tether", "-o", f"tether.struct_format:{fmt}"],
                     f"tcp.port == {handbuilt.RECORD_PORT}"))
    d, d8, dh, dhc, das, dfix, *drec = decode_all(jobs)
    c.messages("fixed framing", dfix, dfix.to_port(handbuilt.FIXED_PORT), handbuilt.FIXED_RECORDS)
    c.equal("fixed framing: records", sum(dfix.records.values(), []),
            [repr(struct.unpack(handbuilt.FIXED_FORMAT, r)) for r in handbuilt.FIXED_RECORDS])
    c.equal("fixed framing: problems", dfix.problems_at(handbuilt.FIXED_PORT), [])
    for s in streams:
        if s.dport in (handbuilt.LENGTH_PORT, handbuilt.LINE_PORT):
            c.messages(s.name, d, [m for m in d.to_port(s.dport) if m.sport == s.sport], s.expected)
            c.equal(f"{s.name}: problems", d.problems_at(s.sport), [])
    udp = [m for m in handbuilt.MESSAGES if m]
    c.messages("udp datagrams", d, d.to_port(handbuilt.UDP_PORT), udp)
    big = [s for s in streams if s.name == "a length over the maximum"][0]
    c.messages(big.name, d, d.to_port(handbuilt.TOO_LARGE_PORT), big.expected)
    c.equal(f"{big.name}: flagged", d.problems_at(handbuilt.TOO_LARGE_PORT), [
        "frame_too_large: length 4294967295 over the maximum 16777216",
        "bytes after a protocol error: the receiver has closed and delivers none of them"])
    for s in streams[-2:]:
        c.messages(s.name, d, d.to_port(s.dport), s.expected)
    c.equal("bench control: types", [t for f in sorted(d.bench_types) for t in d.bench_types[f]], ["hello", "ready"])
    c.equal("unknown ports stay undecoded", d.to_port(handbuilt.HEURISTIC_PORT) + d.to_port(as_port)
            + d.to_port(handbuilt.COPY_HEURISTIC_PORT), [])
    check_ball_copy(c, d)

    c.messages(max8.name, d8, d8.to_port(max8.dport), max8.expected)
    c.equal(f"{max8.name}: flagged", d8.problems_at(max8.dport), ["frame_too_large: length 9 over the maximum 8"])
    copy_heur = [s for s in streams if s.dport == handbuilt.COPY_HEURISTIC_PORT][0]
    c.messages("heuristic: bench hello", dh, dh.to_port(heur.dport), heur.expected)
    c.messages("heuristic: copy HELLO", dhc, dhc.to_port(copy_heur.dport), copy_heur.expected)
    c.equal("heuristic: copy types", dhc.extra["tether.copy.type"], [f"0x{m[0]:02x}" for m in handbuilt.COPY])
    c.equal("heuristic: bench types", sum(dh.bench_types.values(), []), ["hello", "settings"])
    c.messages("Decode As", das, das.to_port(as_port), handbuilt.MESSAGES)
    for (fmt, vals), dr in zip(handbuilt.RECORDS, drec):
        want = repr(struct.unpack(fmt, struct.pack(fmt, *vals)))
        c.equal(f"record {fmt!r}", sum(dr.records.values(), []), [want])
        c.equal(f"record {fmt!r}: the other sizes flagged",
                len([p for p in dr.problems if "the format needs" in p[1]]), len(handbuilt.RECORDS) - 1)


def check_ball_copy(c: Checks, d: Decoded) -> None:
    """The ball record field by field; copy frames by type and counter."""
    x = d.extra
    c.equal("ball: kinds", x["tether.ball.kind"], ["1", "2"])
    c.equal("ball: ids", x["tether.ball.id"], ["0x0000000700000001"] * 2)
    c.equal("ball: senders", x["tether.ball.sender"], ["7", "9"])
    c.equal("ball: y and red", (x["tether.ball.y"][:1], x["tether.ball.r"][:1]), (["0.5"], ["255"]))
    c.equal("copy: frame types", x["tether.copy.type"], [f"0x{m[0]:02x}" for m in handbuilt.COPY])
    c.equal("copy: counters of the sealed records", x["tether.copy.counter"], [str(i) for i in range(6)])
    c.equal("copy: sealed lengths", x["tether.copy.sealed_len"], [str(len(m) - 18) for m in handbuilt.COPY[3:]])
    c.equal("copy: FINAL flags", x["tether.copy.final"], ["0"] * 5 + ["1"])
    c.equal("textbook ball: x, change_x, b", (x["tether.textbook.x"], x["tether.textbook.change_x"],
                                             x["tether.textbook.b"]), (["400"], ["-5"], ["0"]))
    c.equal("textbook ball: three numbers flagged", d.problems_at(43001),
            ["not a textbook ball (tether reports and drops it)"])


def check_balls(c: Checks, pcap: str, balls: live.Balls) -> None:
    """Every ball record on the link, by kind and id, as the peers' events say."""
    d = decode(pcap, ["-o", f"tether.ball_ports:{balls.a_port}"], f"tcp.port == {balls.a_port}")
    peer_b = [m for m in d.messages if m.dport == balls.a_port]
    peer_a = [m for m in d.messages if m.sport == balls.a_port]
    c.equal("live balls: every message a 40-byte record", {m.length for m in peer_a + peer_b}, {40})
    a = balls.a_port
    for name, sport, dport, sent, received in (("B to A", None, a, balls.b_sent, balls.b_received),
                                               ("A to B", a, None, balls.a_sent, balls.a_received)):
        kinds = d.extra_between("tether.ball.kind", sport, dport)
        ids = d.extra_between("tether.ball.id", sport, dport)
        c.equal(f"live balls, {name}: handoffs as sent", [int(i, 16) for k, i in zip(kinds, ids) if k == "1"], sent)
        c.equal(f"live balls, {name}: acks as received", [int(i, 16) for k, i in zip(kinds, ids) if k == "2"], received)
    c.equal("live balls: B handed A a ball", len(balls.b_sent) > 0, True)
    c.equal("live balls: problems", d.problems_at(balls.a_port), [])


def check_copy(c: Checks, pcap: str, cp: live.Copy) -> None:
    """The copy handshake and sealed records, both ways, by type, counter and
    length (the listener receives one file of cp.size bytes)."""
    d = decode(pcap, ["-o", f"tether.tcp_ports:{cp.port}"], f"tcp.port == {cp.port}")
    data = [cp.record_size] * (cp.size // cp.record_size) + ([cp.size % cp.record_size] if cp.size % cp.record_size else [])
    want = {"connector": ["0x01", "0x02", "0x03", "0x10", "0x11", "0x30"] + ["0x31"] * len(data) + ["0x32", "0x3f"],
            "listener": ["0x01", "0x02", "0x03", "0x21", "0x40"]}
    for side, sport, dport in (("connector", None, cp.port), ("listener", cp.port, None)):
        types = d.extra_between("tether.copy.type", sport, dport)
        c.equal(f"live copy, {side}: frame types", types, want[side])
        counters = d.extra_between("tether.copy.counter", sport, dport)
        c.equal(f"live copy, {side}: counters", counters, [str(i) for i in range(len(types) - 3)])
        c.equal(f"live copy, {side}: role", d.extra_between("tether.copy.role", sport, dport),
                ["2" if side == "connector" else "1"])
        if side == "connector":
            sealed = d.extra_between("tether.copy.sealed_len", sport, dport)
            c.equal("live copy: DATA lengths", [int(n) for t, n in zip(types[3:], sealed) if t == "0x31"], data)
    c.equal("live copy: problems", d.problems_at(cp.port), [])


def check_live(c: Checks, tmp: str, pcap: str, ports: dict[str, int], windows: dict[str, tuple[float, float]],
               received: dict[str, list[bytes]] | None) -> None:
    scs = {sc.name: sc for sc in live.scenarios(tmp)}
    rec = ports["records (struct format)"]
    fixed = ports["fixed framing (bare records)"]
    length = [p for n, p in ports.items()
              if n not in ("line framing", "udp datagrams", "bench", "records (struct format)", "fixed framing (bare records)")]
    opts = ["-o", "tether.tcp_ports:" + ",".join(map(str, length)), "-o", f"tether.line_ports:{ports['line framing']}",
            "-o", f"tether.udp_ports:{ports['udp datagrams']}", "-o", f"tether.bench_ports:{ports['bench']}",
            "-o", f"tether.fixed_ports:{fixed}", "-o", f"tether.fixed_size:{struct.calcsize(live.RECORD_FORMAT)}",
            "-d", f"tcp.port=={rec},tether"]
    d = decode(pcap, opts)
    for name, sc in scs.items():
        got = d.to_port(ports[name], windows[name])
        c.messages(f"live: {name}", d, got, sc.expected)
        if received is not None:
            c.equal(f"live: {name}: as tether received it", [m.payload for m in got], received[name])
        if name != "a length over the maximum":
            c.equal(f"live: {name}: problems", d.problems_at(ports[name], windows[name]), [])
    big_name, many = "a 600,000-byte message", "500 small messages, coalesced"
    c.equal("live: the length over the maximum is flagged",
            [p for p in d.problems_at(ports["a length over the maximum"], windows["a length over the maximum"])
             if "frame_too_large" in p],
            ["frame_too_large: length 4294967295 over the maximum 16777216"])

    def frames_to(name: str) -> list[int]:
        w = windows[name]
        return [f for f, p in d.frame_ports.items() if p[1] == ports[name] and w[0] <= d.frame_times[f] <= w[1]]

    c.equal("live: the 600,000-byte message came in several segments", len(frames_to(big_name)) > 3, True)
    coalesced = [n for f in frames_to(many) for n in d.counts.get(f, [])]
    c.equal("live: small messages shared segments", max(coalesced, default=0) > 1, True)
    check_bench(c, d, ports["bench"])
    d = decode(pcap, opts + ["-o", f"tether.struct_format:{live.RECORD_FORMAT}"], f"tcp.port == {rec} || tcp.port == {fixed}")
    want = [repr(struct.unpack(live.RECORD_FORMAT, struct.pack(live.RECORD_FORMAT, *v))) for v in live.RECORD_VALUES] * 2
    c.equal("live: records as Python's struct reads them", sum(d.records.values(), []), want)


def check_bench(c: Checks, d: Decoded, port: int) -> None:
    """The control exchange of bench --quick runs (one, or more if a run
    failed on a loaded machine), message by message, in each connection."""
    to_server = d.to_port(port)
    streams = sorted({m.stream for m in to_server})
    for side, msgs in (("client", to_server), ("server", [m for m in d.messages if m.sport == port])):
        types = [json.loads(m.payload)["type"] for m in msgs]
        shown = [t for f in sorted({m.frame for m in msgs}) for t in d.bench_types.get(f, [])]
        c.equal(f"live bench, {side}: each message's type field", shown, types)
        firsts = [json.loads(m.payload)["type"] for m in msgs if m.index == 1]
        c.equal(f"live bench, {side}: each connection starts with hello", firsts, ["hello"] * len(streams))
    types = [json.loads(m.payload)["type"] for m in to_server]
    c.equal("live bench: tests set up and run", (types.count("settings") > 3, types.count("run") > 3), (True, True))
    c.equal("live bench: problems", d.problems_at(port), [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tether", default=os.path.join(ROOT, "target", "debug", "tether"))
    ap.add_argument("--record", action="store_true", help="write the live capture into testdata/pcap/")
    args = ap.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        check_handbuilt(c, tmp)
        if os.geteuid() == 0 and shutil.which("dumpcap"):
            run = live.Run(args.tether, tmp)
            try:
                run.start()
                run.traffic()
            finally:
                run.stop()
            ports = {sc.name: sc.port for sc in run.scenarios} | {"bench": run.bench_port}
            windows = {sc.name: sc.window for sc in run.scenarios}
            check_live(c, tmp, run.pcap, ports, windows, {sc.name: sc.received for sc in run.scenarios})
            check_balls(c, run.pcap, run.balls)
            check_copy(c, run.pcap, run.copy)
            if args.record:
                keep(run.pcap, ports, windows, run.balls, run.copy)
        else:
            print("not root (or no dumpcap): cannot capture on lo; decoding the captures kept in testdata/pcap/")
            with open(os.path.join(KEPT, "live.json"), encoding="utf-8") as f:
                kept = json.load(f)
            windows = {k: (v[0], v[1]) for k, v in kept["windows"].items()}
            check_live(c, tmp, os.path.join(KEPT, "live.pcapng.gz"), kept["ports"], windows, None)
            check_balls(c, os.path.join(KEPT, "live.pcapng.gz"), live.Balls(**kept["balls"]))
            check_copy(c, os.path.join(KEPT, "live.pcapng.gz"), live.Copy(**kept["copy"]))
    for failure in c.failures:
        print("FAIL", failure)
    print(f"tether.lua: {c.passed} checks passed, {len(c.failures)} failed")
    return 1 if c.failures else 0


def keep(pcap: str, ports: dict[str, int], windows: dict[str, tuple[float, float]], balls: live.Balls,
         cp: live.Copy) -> None:
    import gzip

    os.makedirs(KEPT, exist_ok=True)
    with open(pcap, "rb") as src, gzip.open(os.path.join(KEPT, "live.pcapng.gz"), "wb", 9) as dst:
        shutil.copyfileobj(src, dst)
    with open(os.path.join(KEPT, "live.json"), "w", encoding="utf-8") as f:
        json.dump({"made_by": "contrib/wireshark/test/test_tether_lua.py --record", "ports": ports, "windows": windows,
                   "balls": dataclasses.asdict(balls), "copy": dataclasses.asdict(cp)}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
