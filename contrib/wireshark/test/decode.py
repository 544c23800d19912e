"""Runs tshark with the tether dissector and reads back, field by field,
every message it decoded (`tshark -T fields -e ...`)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

LUA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tether.lua")
AGG = "\x1e"  # between occurrences of a field; no test payload holds it
FIELDS = [
    "frame.number", "frame.time_epoch", "tcp.stream", "udp.stream", "tcp.srcport", "udp.srcport", "tcp.dstport", "udp.dstport",
    "tether.index", "tether.len", "tether.payload", "tether.text", "tether.bench.type",
    "tether.record", "tether.record.field", "tether.count", "_ws.malformed",
    "_ws.expert.severity", "_ws.expert.group", "_ws.expert.message",
]
# Sub-protocol fields kept in capture order, by name.
EXTRA = ["tether.ball.kind", "tether.ball.id", "tether.ball.sender", "tether.ball.y", "tether.ball.r",
         "tether.copy.type", "tether.copy.role", "tether.copy.counter", "tether.copy.sealed_len", "tether.copy.final",
         "tether.textbook.x", "tether.textbook.change_x", "tether.textbook.b"]
FIELDS += EXTRA
PI_WARN = 0x00600000  # expert severities at or above this are problems,
PI_SEQUENCE = 0x02000000  # except TCP's sequence analysis (window full, D-SACK, ...)


@dataclass
class Message:
    """One message as the dissector showed it."""

    frame: int
    stream: str  # "tcp 3", "udp 0"
    sport: int
    dport: int
    index: int
    payload: bytes
    length: int


@dataclass
class Decoded:
    """Everything one tshark run decoded."""

    messages: list[Message] = field(default_factory=list)
    texts: dict[int, list[str]] = field(default_factory=dict)  # frame -> tether.text values
    bench_types: dict[int, list[str]] = field(default_factory=dict)
    records: dict[int, list[str]] = field(default_factory=dict)
    record_fields: dict[int, list[str]] = field(default_factory=dict)
    counts: dict[int, list[int]] = field(default_factory=dict)  # frame -> messages per segment item
    problems: list[tuple[int, str]] = field(default_factory=list)  # (frame, malformed mark, warning, error)
    frame_ports: dict[int, tuple[int, int]] = field(default_factory=dict)
    frame_times: dict[int, float] = field(default_factory=dict)
    extra: dict[str, list[str]] = field(default_factory=dict)  # EXTRA field -> values, in order
    extra_frames: dict[str, list[int]] = field(default_factory=dict)  # the frame of each of those values

    def _within(self, frame: int, window: tuple[float, float] | None) -> bool:
        return window is None or window[0] <= self.frame_times[frame] <= window[1]

    def to_port(self, port: int, window: tuple[float, float] | None = None) -> list[Message]:
        """The messages sent to port (within the time window), in capture order."""
        return [m for m in self.messages if m.dport == port and self._within(m.frame, window)]

    def extra_between(self, name: str, sport: int | None, dport: int | None) -> list[str]:
        """The values of EXTRA field name in frames from sport (any if None)
        to dport (any if None)."""
        frames = self.extra_frames.get(name, [])
        return [v for v, f in zip(self.extra.get(name, []), frames)
                if sport in (None, self.frame_ports[f][0]) and dport in (None, self.frame_ports[f][1])]

    def problems_at(self, port: int, window: tuple[float, float] | None = None) -> list[str]:
        """Problems in frames from or to port (within the time window)."""
        return [msg for frame, msg in self.problems
                if port in self.frame_ports.get(frame, ()) and self._within(frame, window)]


def _split(value: str) -> list[str]:
    return value.split(AGG) if value else []


def run_tshark(pcap: str, options: list[str], display_filter: str | None = None) -> str:
    """tshark's field output for pcap, with the dissector and options."""
    cmd = ["tshark", "-n", "-r", pcap, "-X", f"lua_script:{LUA}", *options, "-T", "fields",
           "-E", f"aggregator={AGG}", "-E", "occurrence=a"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for name in FIELDS:
        cmd += ["-e", name]
    done = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    err = done.stderr.decode(errors="replace")
    err = "\n".join(line for line in err.splitlines() if "dangerous" not in line)
    if done.returncode != 0 or err.strip():
        raise AssertionError(f"tshark failed ({done.returncode}): {err.strip()}")
    return done.stdout.decode("utf-8", errors="strict")


def decode(pcap: str, options: list[str], display_filter: str | None = None) -> Decoded:
    """Every message tshark decoded in pcap, in capture order."""
    out = Decoded()
    # str.splitlines would also split at AGG, a record separator
    for line in run_tshark(pcap, options, display_filter).split("\n"):
        if not line:
            continue
        row = dict(zip(FIELDS, line.split("\t")))
        frame = int(row["frame.number"])
        stream = f"tcp {row['tcp.stream']}" if row["tcp.stream"] else f"udp {row['udp.stream']}"
        sport = int(row["tcp.srcport"] or row["udp.srcport"] or 0)
        dport = int(row["tcp.dstport"] or row["udp.dstport"] or 0)
        out.frame_ports[frame] = (sport, dport)
        out.frame_times[frame] = float(row["frame.time_epoch"])
        indexes = [int(v) for v in _split(row["tether.index"])]
        lengths = [int(v) for v in _split(row["tether.len"])]
        payloads = _split(row["tether.payload"])  # an empty message has none
        if len(indexes) != len(lengths) or len(payloads) != sum(1 for n in lengths if n):
            out.problems.append((frame, f"{len(indexes)} numbers, {len(lengths)} lengths, {len(payloads)} payloads"))
            continue
        hexes = iter(payloads)
        for index, length in zip(indexes, lengths):
            payload = bytes.fromhex(next(hexes)) if length else b""
            out.messages.append(Message(frame, stream, sport, dport, index, payload, length))
        for key, target in (("tether.text", out.texts), ("tether.bench.type", out.bench_types),
                            ("tether.record", out.records), ("tether.record.field", out.record_fields)):
            if row[key]:
                target[frame] = _split(row[key])
        for name in EXTRA:
            values = _split(row[name])
            out.extra.setdefault(name, []).extend(values)
            out.extra_frames.setdefault(name, []).extend([frame] * len(values))
        if row["tether.count"]:
            out.counts[frame] = [int(v) for v in _split(row["tether.count"])]
        if row["_ws.malformed"]:
            out.problems.append((frame, "malformed"))
        experts = zip(_split(row["_ws.expert.severity"]), _split(row["_ws.expert.group"]),
                      _split(row["_ws.expert.message"]))
        for sev, group, msg in experts:
            if int(sev, 0) >= PI_WARN and int(group, 0) != PI_SEQUENCE:
                out.problems.append((frame, msg))
    return out
