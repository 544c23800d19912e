"""Hand-built captures: pcap bytes written here, with no capture library,
so a test controls exactly where TCP cuts the stream."""

from __future__ import annotations

import struct
from typing import Iterable

LINKTYPE_RAW = 101  # each record is an IPv4 packet, no link header
CLIENT = bytes([127, 0, 0, 1])
SERVER = bytes([127, 0, 0, 2])


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4(src: bytes, dst: bytes, proto: int, body: bytes) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0x4000, 64, proto, 0, src, dst)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + body


def _tcp(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int, data: bytes) -> bytes:
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(header) + len(data))
    csum = _checksum(pseudo + header + data)
    header = header[:16] + struct.pack("!H", csum) + header[18:]
    return _ipv4(src, dst, 6, header + data)


def _udp(src: bytes, dst: bytes, sport: int, dport: int, data: bytes) -> bytes:
    header = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 17, 8 + len(data))
    csum = _checksum(pseudo + header + data) or 0xFFFF
    return _ipv4(src, dst, 17, header[:6] + struct.pack("!H", csum) + data)


SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


def tcp_stream(sport: int, dport: int, segments: Iterable[bytes]) -> list[bytes]:
    """Packets of one connection: handshake, the client's segments in order
    (each acknowledged), then both FINs."""
    cseq, sseq = 1000, 5000
    pkts = [
        _tcp(CLIENT, SERVER, sport, dport, cseq, 0, SYN, b""),
        _tcp(SERVER, CLIENT, dport, sport, sseq, cseq + 1, SYN | ACK, b""),
        _tcp(CLIENT, SERVER, sport, dport, cseq + 1, sseq + 1, ACK, b""),
    ]
    cseq, sseq = cseq + 1, sseq + 1
    for seg in segments:
        pkts.append(_tcp(CLIENT, SERVER, sport, dport, cseq, sseq, PSH | ACK, seg))
        cseq += len(seg)
        pkts.append(_tcp(SERVER, CLIENT, dport, sport, sseq, cseq, ACK, b""))
    pkts.append(_tcp(CLIENT, SERVER, sport, dport, cseq, sseq, FIN | ACK, b""))
    pkts.append(_tcp(SERVER, CLIENT, dport, sport, sseq, cseq + 1, FIN | ACK, b""))
    pkts.append(_tcp(CLIENT, SERVER, sport, dport, cseq + 1, sseq + 1, ACK, b""))
    return pkts


def udp_datagrams(sport: int, dport: int, payloads: Iterable[bytes]) -> list[bytes]:
    """One UDP packet per payload, client to server."""
    return [_udp(CLIENT, SERVER, sport, dport, p) for p in payloads]


def write_pcap(path: str, packets: Iterable[bytes]) -> None:
    """A classic libpcap file, one packet a millisecond."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_RAW))
        for i, pkt in enumerate(packets):
            out.write(struct.pack("<IIII", 1_700_000_000 + i // 1000, (i % 1000) * 1000, len(pkt), len(pkt)))
            out.write(pkt)


def length_wire(messages: Iterable[bytes]) -> bytes:
    """tether length framing, written out by hand (docs/PROTOCOL.md)."""
    return b"".join(struct.pack("!I", len(m)) + m for m in messages)
