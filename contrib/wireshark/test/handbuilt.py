"""The hand-built capture: the same messages cut at every byte offset of
each length header (and one byte per segment, and all in one segment),
a line-framed stream, UDP datagrams, a length over the maximum, a bench
hello on an unknown port (for the heuristic) and a stream for Decode As."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from pcapgen import length_wire, tcp_stream, udp_datagrams, write_pcap

MESSAGES = [b"Hello, World!", b"", b"\x00\x01\x01\x00", "héllo ☃".encode(), b"x" * 300, b"a"]
LENGTH_PORT = 9000  # the dissector's defaults
UDP_PORT = 9001
LINE_PORT = 9300
LINE_MESSAGES = [b"a", b"", b"hello line", "héllo".encode()]
TOO_LARGE_PORT = 9200
HEURISTIC_PORT = 45000
DECODE_AS_PORT = 47000
RECORD_PORT = 48000
FIXED_PORT = 9400
FIXED_FORMAT = "!I 2s f"
FIXED_RECORDS = [struct.pack(FIXED_FORMAT, i, b"ab", i / 4) for i in range(3)]
BENCH_PORT = 7878  # the dissector's default
DATA_PORT = 46000  # announced in the bench server's ready
HELLO = json.dumps({"type": "hello", "protocol": 1, "version": "0.1.0"}, separators=(",", ":")).encode()
SETTINGS = json.dumps({"type": "settings", "role": "echo", "transport": "tcp", "stack": "tether",
                       "nodelay": True, "max_datagrams": 0}, separators=(",", ":")).encode()
BALL_PORT = 9100  # the dissector's default
COPY_HEURISTIC_PORT = 45100
# The example of docs/PROTOCOL.md, "Ball ring", and its ack.
BALL = bytes.fromhex("5442020100000007 0000000700000001 3c23d70a3f000000 3ecccccd3e99999a 3d4ccccdff800000")
BALL_ACK = bytes.fromhex("5442020200000009 0000000700000001") + bytes(24)
# A connector's side of a one-file copy (docs/PROTOCOL.md, "Copy protocol"):
# the plain handshake, then sealed records of made-up ciphertext.
COPY = [bytes.fromhex("01544350590102 0101"), b"\x02\x42" + bytes(range(32)), b"\x03" + bytes(32),
        b"\x10\x00" + bytes(36 + 16), b"\x11\x00" + bytes(16 + 16), b"\x30\x00" + bytes(12 + 16),
        b"\x31\x00" + b"hello" + bytes(16), b"\x32\x00" + bytes(32 + 16), b"\x3f\x01" + bytes(16)]
TEXTBOOK_PORT = 10001  # the dissector's default, as the textbook's right-hand program
READY = json.dumps({"type": "ready", "endpoint": f"tcp://127.0.0.2:{DATA_PORT}"}, separators=(",", ":")).encode()
# (format, values) pairs that Python's struct packs; the dissector must print
# what struct.unpack gives, as Python's repr does.
RECORDS = [
    ("!I 2s f", (1, b"ab", 2.7)),
    ("<bBhHiIqQ?c3se", (-1, 255, -300, 65535, -2, 4000000000, -(2**63), 2**64 - 1, True, b"'", b"a\"\n", 0.5)),
    ("@b i h q d", (1, -5, 7, 2**40, 1e-7)),
    (">4pxd", (b"hey", 1e22)),
]


@dataclass
class Stream:
    """One connection of the capture and the messages it must decode to."""

    name: str
    sport: int
    dport: int
    segments: list[bytes]
    expected: list[bytes]


def _cuts() -> list[Stream]:
    wire = length_wire(MESSAGES)
    starts, pos = [], 0
    for m in MESSAGES:
        starts.append(pos)
        pos += 4 + len(m)
    out, sport = [], 40000
    for k, start in enumerate(starts):
        for j in range(5):  # cut before the header, inside it, and right after it
            cut = start + j
            if 0 < cut < len(wire):
                out.append(Stream(f"frame {k + 1} cut after {j} header bytes", sport, LENGTH_PORT,
                                  [wire[:cut], wire[cut:]], MESSAGES))
                sport += 1
    every = [wire[a:b] for a, b in zip([0] + [s + 2 for s in starts], [s + 2 for s in starts] + [len(wire)])]
    out.append(Stream("every header cut in two", sport, LENGTH_PORT, every, MESSAGES))
    out.append(Stream("one byte per segment", sport + 1, LENGTH_PORT,
                      [wire[i:i + 1] for i in range(len(wire))], MESSAGES))
    out.append(Stream("all in one segment", sport + 2, LENGTH_PORT, [wire], MESSAGES))
    return out


def streams() -> list[Stream]:
    """Every TCP stream of the hand-built capture."""
    line_wire = b"".join(m + b"\n" for m in LINE_MESSAGES)
    records = b"".join(length_wire([struct.pack(fmt, *vals)]) for fmt, vals in RECORDS)
    return _cuts() + [
        Stream("line framing, one byte per segment", 41000, LINE_PORT,
               [line_wire[i:i + 1] for i in range(len(line_wire))], LINE_MESSAGES),
        Stream("line framing, one segment", 41001, LINE_PORT, [line_wire], LINE_MESSAGES),
        Stream("a length over the maximum", 41002, TOO_LARGE_PORT,
               [length_wire([b"hi"]) + b"\xff\xff\xff\xff" + b"junk", length_wire([b"late"])], [b"hi"]),
        Stream("max 8: exactly 8, then 9", 41003, TOO_LARGE_PORT + 1,
               [length_wire([b"12345678"]) + b"\x00\x00\x00\x09123456789"], [b"12345678"]),
        Stream("bench hello on another port", 41004, HEURISTIC_PORT, [length_wire([HELLO, SETTINGS])],
               [HELLO, SETTINGS]),
        Stream("Decode As", 41005, DECODE_AS_PORT, [length_wire(MESSAGES)], MESSAGES),
        Stream("records", 41006, RECORD_PORT, [records], [struct.pack(f, *v) for f, v in RECORDS]),
        Stream("fixed framing, records cut anywhere", 41012, FIXED_PORT,
               [b"".join(FIXED_RECORDS)[:3], b"".join(FIXED_RECORDS)[3:17], b"".join(FIXED_RECORDS)[17:]],
               FIXED_RECORDS),
        Stream("ball handoff and ack", 41009, BALL_PORT, [length_wire([BALL, BALL_ACK])], [BALL, BALL_ACK]),
        Stream("copy on the length-framing port", 41010, LENGTH_PORT, [length_wire(COPY)], COPY),
        Stream("copy on another port", 41011, COPY_HEURISTIC_PORT, [length_wire(COPY)], COPY),
        Stream("bench control, default port", 41007, BENCH_PORT, [length_wire([HELLO, READY])], [HELLO, READY]),
        Stream("bench data socket, from ready", 41008, DATA_PORT, [length_wire(MESSAGES)], MESSAGES),
    ]


def write(path: str) -> list[Stream]:
    """Writes the capture to path; returns its streams."""
    all_streams = streams()
    packets = []
    for s in all_streams:
        packets += tcp_stream(s.sport, s.dport, s.segments)
    packets += udp_datagrams(42000, UDP_PORT, [m for m in MESSAGES if m])
    # The textbook's balls: a connection's text up to its FIN, cut anywhere.
    packets += tcp_stream(43000, TEXTBOOK_PORT, [b"400,300,", b"-5,3,20,255,0,0\n"])
    packets += tcp_stream(43001, TEXTBOOK_PORT, [b"1,2,3\n"])
    write_pcap(path, packets)
    return all_streams
