#!/usr/bin/env python3
"""tether_peer: a tether wire protocol v1 peer in plain Python.

Written from docs/PROTOCOL.md alone, with the standard library only
(Python 3.9+), so that the Rust implementation can be tested against an
independent one. It is both a module and a command-line program.

Module use::

    import socket, tether_peer as tp
    scheme, addr = tp.parse_endpoint("tcp://127.0.0.1:9000")   # ("tcp", ("127.0.0.1", 9000))
    sock = tp.connect("tcp://127.0.0.1:9000")
    tp.send_frame(sock, b"Hello, World!")                       # length framing
    reader = tp.FrameReader(sock)
    reply = reader.read()          # bytes, or None at a clean close

Command line (every output line is flushed as soon as it is printed)::

    tether_peer.py serve ENDPOINT [--framing F] [--fixed-size N] [--echo] [--count N]
        LISTENING <bound endpoint>      first line, e.g. LISTENING tcp://127.0.0.1:40123
        MSG <len> <hex>                 per message (hex of at most 64 bytes, then "...")
        CLOSED clean|truncated|too_large|error   per stream connection
    tether_peer.py send ENDPOINT [--framing F] [--hex] [--expect-replies] MESSAGE...
        REPLY <len> <hex>               per reply, with --expect-replies
    tether_peer.py send-struct ENDPOINT FORMAT --count N VALUES...
    tether_peer.py bulk ENDPOINT --count N --size S
        SENT <N>
    tether_peer.py check-vectors PATH
        FAIL <name>: <reason>           per disagreeing vector
        ok <N> vectors                  when all agree
        failed <K> of <N> vectors       otherwise (exit status 1)

<hex> is lowercase with no spaces, so an empty message prints "MSG 0 " (with
the trailing space). Also: every command but check-vectors takes
--max-frame-len BYTES; the clients take --timeout SECONDS (default 5, for
connect, replies and the final drain); framings may be written fixed:N;
"CLOSED error" reports a connection that failed with a socket error (reset).
On udp:// endpoints framing options are ignored: one datagram is one message.
serve handles one connection at a time; after its --count-th message it
half-closes, drains the connection for up to 1 s and exits without a CLOSED
line. Clients half-close and read until the peer closes (at most --timeout)
before they exit, so they never reset a connection with data in flight.

Exit status: 0 on success (and when serve is stopped by SIGTERM or SIGINT),
1 on a network, protocol or vector failure, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

__all__ = [
    "DEFAULT_MAX_FRAME_LEN", "MAX_UDP_PAYLOAD_V4", "MAX_UDP_PAYLOAD_V6", "SCHEMES",
    "EndpointError", "ProtocolError", "FrameTooLarge", "LineTooLong", "Truncated",
    "NewlineInLine", "WrongSize", "DatagramTooLarge",
    "parse_endpoint", "format_endpoint", "connect", "bind",
    "parse_framing", "encode_frame", "send_frame", "FrameReader", "check_vectors",
]

DEFAULT_MAX_FRAME_LEN = 16 * 1024 * 1024
"""Largest payload (length framing) or line (line framing) accepted: 16 MiB."""
MAX_UDP_PAYLOAD_V4 = 65_507
MAX_UDP_PAYLOAD_V6 = 65_527
READ_CHUNK = 65_536
"""Bytes asked of the socket per recv."""
FRAMINGS = ("length", "line", "fixed", "raw")
SCHEMES = "tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH"
HEX_SHOWN = 64
"""MSG and REPLY lines show the hex of at most this many bytes, then '...'."""


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

class EndpointError(ValueError):
    """An endpoint string that is not tcp://HOST:PORT, udp://HOST:PORT or unix://PATH."""


class ProtocolError(Exception):
    """The framing rules were broken. `code` is the name used in frames.json."""

    code = "protocol_error"


class FrameTooLarge(ProtocolError):
    """A length header (or an outgoing message) is over max_frame_len."""

    code = "frame_too_large"

    def __init__(self, length, max_frame_len):
        super().__init__("frame of %d bytes exceeds the %d-byte limit" % (length, max_frame_len))
        self.length = length
        self.max_frame_len = max_frame_len


class LineTooLong(FrameTooLarge):
    """More than max_frame_len bytes arrived without a LF."""

    code = "line_too_long"

    def __init__(self, max_frame_len):
        ProtocolError.__init__(self, "line longer than the %d-byte limit" % max_frame_len)
        self.length = None
        self.max_frame_len = max_frame_len


class Truncated(ProtocolError):
    """The stream ended inside a frame; the partial frame was discarded."""

    code = "truncated"

    def __init__(self, got, expected):
        super().__init__("connection closed mid-frame: got %d of %d bytes" % (got, expected))
        self.got = got
        self.expected = expected


class NewlineInLine(ProtocolError, ValueError):
    """An outgoing message for line framing contains 0x0A."""

    code = "newline_in_line"


class WrongSize(ProtocolError, ValueError):
    """An outgoing message for fixed framing is not exactly one record."""

    code = "wrong_size"


class DatagramTooLarge(ValueError):
    """A payload too large for one UDP datagram."""


# ---------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------

def parse_endpoint(s):
    """Parse an endpoint string without resolving anything.

    Returns ``(family, addr)`` where family is the transport named by the
    scheme: ``("tcp", (host, port))``, ``("udp", (host, port))`` or
    ``("unix", path)``. IPv6 hosts are written in brackets
    (``tcp://[::1]:9000``) and returned without them. The scheme is not
    case-sensitive. Raises EndpointError, whose message lists the schemes.
    """
    scheme, sep, rest = s.partition("://")
    if not sep:
        raise EndpointError("endpoint %r has no scheme: expected %s" % (s, SCHEMES))
    scheme = scheme.lower()
    if scheme in ("tcp", "udp"):
        return scheme, _parse_host_port(s, rest)
    if scheme == "unix":
        if not rest:
            raise EndpointError("endpoint %r: unix:// needs a path, as unix:///tmp/x.sock" % s)
        return "unix", rest
    raise EndpointError("endpoint %r has an unknown scheme %r: expected %s" % (s, scheme, SCHEMES))


def _parse_host_port(given, rest):
    bad = EndpointError("endpoint %r: expected HOST:PORT (IPv6 in brackets, as [::1]:9000)" % given)
    if rest.startswith("["):
        host, close, tail = rest[1:].partition("]")
        if not close or not tail.startswith(":"):
            raise bad
        port = tail[1:]
    else:
        host, colon, port = rest.rpartition(":")
        if not colon or ":" in host:  # a bare IPv6 address is ambiguous
            raise bad
    if not host:
        raise bad
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise EndpointError("endpoint %r: port %r is not a number from 0 to 65535" % (given, port))
    return host, int(port)


def format_endpoint(family, addr):
    """The endpoint string of a parsed endpoint or of a socket address."""
    if family == "unix":
        return "unix://" + addr
    host, port = addr[0], addr[1]
    if ":" in host:
        return "%s://[%s]:%d" % (family, host, port)
    return "%s://%s:%d" % (family, host, port)


def _sock_type(family):
    return socket.SOCK_DGRAM if family == "udp" else socket.SOCK_STREAM


def connect(endpoint, timeout=5.0):
    """Connect to an endpoint string; the first resolved address that connects wins.

    TCP sockets get TCP_NODELAY. A udp:// socket is connected (it sends to,
    and receives only from, that address). `timeout` is set on the socket.
    """
    family, addr = parse_endpoint(endpoint)
    if family == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(addr)
        except OSError:
            sock.close()
            raise
        return sock
    last = None
    for af, kind, proto, _, sa in socket.getaddrinfo(addr[0], addr[1], 0, _sock_type(family)):
        sock = socket.socket(af, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(sa)
        except OSError as e:
            sock.close()
            last = e
            continue
        if family == "tcp":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last or OSError("%s resolved to no address" % endpoint)


def bind(endpoint):
    """Bind (and for tcp/unix, listen on) an endpoint string.

    Port 0 means any free port. Returns ``(sock, bound)`` where bound is the
    endpoint string actually bound, e.g. ``tcp://127.0.0.1:40123``. A Unix
    socket file left behind by a dead listener is replaced; one in use is an
    error.
    """
    family, addr = parse_endpoint(endpoint)
    if family == "unix":
        _remove_stale_socket(addr)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(addr)
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        return sock, format_endpoint("unix", addr)
    last = None
    infos = socket.getaddrinfo(addr[0], addr[1], 0, _sock_type(family), 0, socket.AI_PASSIVE)
    for af, kind, proto, _, sa in infos:
        sock = socket.socket(af, kind, proto)
        try:
            if family == "tcp":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sa)
            if family == "tcp":
                sock.listen(128)
        except OSError as e:
            sock.close()
            last = e
            continue
        return sock, format_endpoint(family, sock.getsockname())
    raise last or OSError("%s resolved to no address" % endpoint)


def _remove_stale_socket(path):
    try:
        is_socket = (os.lstat(path).st_mode & 0o170000) == 0o140000
    except OSError:
        return
    if not is_socket:
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
    except OSError:
        try:
            os.unlink(path)
        except OSError:
            pass
    finally:
        probe.close()


# ---------------------------------------------------------------------------
# Framing
# ---------------------------------------------------------------------------

def parse_framing(framing, fixed_size=None):
    """Normalise a framing name to ``(name, fixed_size)``.

    Accepts "length", "line", "raw", "fixed" (with fixed_size) and "fixed:N".
    """
    if framing.startswith("fixed:"):
        size = framing[len("fixed:"):]
        if not size.isdigit():
            raise ValueError("framing %r: expected fixed:N with N > 0" % framing)
        if fixed_size is not None and fixed_size != int(size):
            raise ValueError("framing %r disagrees with fixed size %d" % (framing, fixed_size))
        framing, fixed_size = "fixed", int(size)
    if framing not in FRAMINGS:
        raise ValueError("unknown framing %r: expected length, line, fixed:N or raw" % framing)
    if framing == "fixed":
        if fixed_size is None or fixed_size < 1:
            raise ValueError("fixed framing needs a record size N > 0")
        return framing, fixed_size
    if fixed_size is not None:
        raise ValueError("a fixed size only goes with fixed framing, not %r" % framing)
    return framing, None


def encode_frame(payload, framing="length", max_frame_len=DEFAULT_MAX_FRAME_LEN, fixed_size=None):
    """The wire bytes of one message, or a ProtocolError if it cannot be sent.

    length: 4-byte big-endian length + payload (FrameTooLarge over the limit);
    line: payload + LF (NewlineInLine, or FrameTooLarge over the limit);
    fixed: the payload itself, which must be exactly fixed_size bytes (WrongSize);
    raw: the payload itself.
    """
    framing, fixed_size = parse_framing(framing, fixed_size)
    payload = bytes(payload)
    if framing == "length":
        if len(payload) > max_frame_len or len(payload) > 0xFFFFFFFF:
            raise FrameTooLarge(len(payload), max_frame_len)
        return struct.pack(">I", len(payload)) + payload
    if framing == "line":
        at = payload.find(b"\n")
        if at >= 0:
            raise NewlineInLine("message contains a newline at byte %d; line framing cannot carry it" % at)
        if len(payload) > max_frame_len:
            raise FrameTooLarge(len(payload), max_frame_len)
        return payload + b"\n"
    if framing == "fixed":
        if len(payload) != fixed_size:
            raise WrongSize("message of %d bytes is not one %d-byte record" % (len(payload), fixed_size))
        return payload
    return payload


def send_frame(sock, payload, framing="length", max_frame_len=DEFAULT_MAX_FRAME_LEN, fixed_size=None):
    """Encode one message (see encode_frame) and send all of it on a stream socket."""
    sock.sendall(encode_frame(payload, framing, max_frame_len, fixed_size))


class FrameReader:
    """Reads messages from a stream socket (anything with ``recv(n)``).

    It asks for READ_CHUNK bytes per recv and parses every complete frame in
    its buffer before reading again, so one read may yield many frames and
    one frame may take many reads. ``read()`` returns the next message as
    bytes, or None at a clean close (and on every call after). It raises
    FrameTooLarge (LineTooLong for line framing) as soon as a header or an
    unterminated line is over the limit, without waiting for or allocating
    the payload, and Truncated when the stream ends inside a frame; after
    either, the buffered bytes are dropped and read() returns None. Socket
    errors and timeouts propagate unchanged.
    """

    def __init__(self, sock, framing="length", max_frame_len=DEFAULT_MAX_FRAME_LEN, fixed_size=None):
        self.sock = sock
        self.framing, self.fixed_size = parse_framing(framing, fixed_size)
        self.max_frame_len = max_frame_len
        self._buf = bytearray()
        self._pos = 0  # start of unparsed bytes in _buf
        self._scanned = 0  # line framing: bytes after _pos known to hold no LF
        self._eof = False
        self.recv_calls = 0

    def __iter__(self):
        while True:
            msg = self.read()
            if msg is None:
                return
            yield msg

    def read(self):
        while True:
            try:
                msg = self._parse()
            except ProtocolError:
                self._drop()
                raise
            if msg is not None:
                return msg
            if self._eof:
                return self._at_eof()
            self._fill()

    def _drop(self):
        self._buf = bytearray()
        self._pos = self._scanned = 0
        self._eof = True

    def _fill(self):
        if self._pos:
            del self._buf[:self._pos]
            self._pos = 0
        data = self.sock.recv(READ_CHUNK)
        self.recv_calls += 1
        if data:
            self._buf += data
        else:
            self._eof = True

    def _parse(self):
        """The next complete message in the buffer, or None if more bytes are needed."""
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if self.framing == "length":
            if avail < 4:
                return None
            n = int.from_bytes(buf[pos:pos + 4], "big")
            if n > self.max_frame_len:
                raise FrameTooLarge(n, self.max_frame_len)
            if avail < 4 + n:
                return None
            self._pos = pos + 4 + n
            return bytes(buf[pos + 4:pos + 4 + n])
        if self.framing == "line":
            lf = buf.find(b"\n", pos + self._scanned)
            if lf < 0:
                self._scanned = avail
                if avail > self.max_frame_len:
                    raise LineTooLong(self.max_frame_len)
                return None
            if lf - pos > self.max_frame_len:
                raise LineTooLong(self.max_frame_len)
            self._pos, self._scanned = lf + 1, 0
            return bytes(buf[pos:lf])
        if self.framing == "fixed":
            if avail < self.fixed_size:
                return None
            self._pos = pos + self.fixed_size
            return bytes(buf[pos:self._pos])
        # raw: whatever has arrived is one message
        if avail == 0:
            return None
        self._pos = len(buf)
        return bytes(buf[pos:])

    def _at_eof(self):
        avail = len(self._buf) - self._pos
        if avail == 0:
            return None
        if self.framing == "line":  # the final unterminated line (already <= limit)
            msg = bytes(self._buf[self._pos:])
            self._drop()
            return msg
        if self.framing == "length":
            expected = 4
            if avail >= 4:
                expected += int.from_bytes(self._buf[self._pos:self._pos + 4], "big")
        else:
            expected = self.fixed_size
        self._drop()
        raise Truncated(avail, expected)


# ---------------------------------------------------------------------------
# Golden vectors
# ---------------------------------------------------------------------------

DECODE_ERRORS = ("frame_too_large", "line_too_long", "truncated")
ENCODE_ERRORS = ("newline_in_line", "wrong_size")


class _Chunks:
    """A fake socket whose recv hands out `data` at most `size` bytes at a time."""

    def __init__(self, data, size):
        self.data, self.size, self.at = data, size, 0

    def recv(self, n):
        chunk = self.data[self.at:self.at + min(n, self.size)]
        self.at += len(chunk)
        return chunk


def _decode(wire, v, chunk):
    reader = FrameReader(_Chunks(wire, chunk), v["framing"],
                         v.get("max_frame_len", DEFAULT_MAX_FRAME_LEN), v.get("fixed_size"))
    got = []
    for _ in range(len(wire) + 2):  # at most one message per byte, then the close
        try:
            msg = reader.read()
        except ProtocolError as e:
            return got, e.code
        if msg is None:
            return got, None
        got.append(msg)
    return got, "no end of stream"


def check_vector(v):
    """Problems with one vector as a list of strings (empty if this module agrees)."""
    problems = []
    framing, error = v["framing"], v["error"]
    messages = [bytes.fromhex(m) for m in v["messages"]]
    wire = bytes.fromhex(v["wire"])
    limit = v.get("max_frame_len", DEFAULT_MAX_FRAME_LEN)
    size = v.get("fixed_size")

    def enc(msg):
        return encode_frame(msg, framing, limit, size)

    if error is None or error in ENCODE_ERRORS:
        body = messages if error is None else messages[:-1]
        try:
            encoded = b"".join(enc(m) for m in body)
        except ProtocolError as e:
            problems.append("encoding failed: %s" % e)
            encoded = None
        expected = wire
        if framing == "line" and wire and not wire.endswith(b"\n"):
            expected = wire + b"\n"  # a "decode only" unterminated final line
        if encoded is not None and encoded != expected:
            problems.append("encoded %s, expected %s" % (encoded.hex(), expected.hex()))
        if error is not None:
            try:
                enc(messages[-1])
                problems.append("encoding the last message succeeded, expected %s" % error)
            except ProtocolError as e:
                if e.code != error:
                    problems.append("encoding failed with %s, expected %s" % (e.code, error))
    elif error in DECODE_ERRORS:
        try:
            encoded = b"".join(enc(m) for m in messages)
            if not wire.startswith(encoded):
                problems.append("the encoding of messages is not a prefix of wire")
        except ProtocolError as e:
            problems.append("encoding failed: %s" % e)
    else:
        problems.append("unknown error %r" % error)
        return problems

    if error is None or error in DECODE_ERRORS:
        chunks = [max(len(wire), 1)] if framing == "raw" else [max(len(wire), 1), 1, 3, 7]
        for chunk in chunks:
            got, got_error = _decode(wire, v, chunk)
            if got != messages or got_error != error:
                problems.append("decoding in %d-byte reads gave %s then %s; expected %s then %s" % (
                    chunk, [m.hex() for m in got], got_error or "clean close",
                    v["messages"], error or "clean close"))
                break
    return problems


def check_vectors(path):
    """Check every vector of a frames.json; returns (count, [(name, problem), ...])."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("version") != 1:
        return 0, [("<file>", "version %r, expected 1" % doc.get("version"))]
    failures = []
    for v in doc["vectors"]:
        try:
            problems = check_vector(v)
        except Exception as e:  # a malformed vector is a failure, not a crash
            problems = ["%s: %s" % (type(e).__name__, e)]
        failures.extend((v.get("name", "<unnamed>"), p) for p in problems)
    return len(doc["vectors"]), failures


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

class _Stop(Exception):
    """Raised from the SIGTERM/SIGINT handler to unwind serve cleanly."""


def _on_signal(signum, frame):
    raise _Stop()


def say(line):
    print(line, flush=True)


def show(data):
    """`<len> <hex>` with the hex of at most HEX_SHOWN bytes, then '...'."""
    shown = data[:HEX_SHOWN].hex()
    return "%d %s%s" % (len(data), shown, "..." if len(data) > HEX_SHOWN else "")


def udp_limit(sock):
    return MAX_UDP_PAYLOAD_V6 if sock.family == socket.AF_INET6 else MAX_UDP_PAYLOAD_V4


def check_datagram(sock, payload):
    if len(payload) > udp_limit(sock):
        raise DatagramTooLarge("payload of %d bytes is over the %d-byte UDP limit"
                               % (len(payload), udp_limit(sock)))


def close_gracefully(sock, timeout):
    """Half-close, read until the peer closes (at most `timeout` s), then close.

    Closing with unread bytes makes TCP send a reset that can destroy data
    still in flight to the peer; draining first avoids it.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            if not sock.recv(READ_CHUNK):
                break
    except OSError:
        pass
    finally:
        sock.close()


def cmd_serve(args):
    framing, fixed_size = parse_framing(args.framing, args.fixed_size)
    family, addr = parse_endpoint(args.endpoint)
    listener, bound = bind(args.endpoint)
    count = [0]

    def done():
        return args.count is not None and count[0] >= args.count

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        say("LISTENING " + bound)
        if args.count == 0:
            return 0
        if family == "udp":
            while not done():
                data, sender = listener.recvfrom(READ_CHUNK)
                say("MSG " + show(data))
                if args.echo:
                    listener.sendto(data, sender)
                count[0] += 1
            return 0
        while not done():
            conn, _ = listener.accept()
            try:
                if family == "tcp":
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                serve_connection(conn, args, framing, fixed_size, count, done)
            finally:
                conn.close()
        return 0
    except _Stop:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        listener.close()
        if family == "unix":
            try:
                os.unlink(addr)
            except OSError:
                pass


def serve_connection(conn, args, framing, fixed_size, count, done):
    reader = FrameReader(conn, framing, args.max_frame_len, fixed_size)
    while True:
        try:
            msg = reader.read()
        except Truncated:
            say("CLOSED truncated")
            return
        except FrameTooLarge:
            say("CLOSED too_large")
            return
        except OSError:
            say("CLOSED error")
            return
        if msg is None:
            say("CLOSED clean")
            return
        say("MSG " + show(msg))
        if args.echo:
            try:
                send_frame(conn, msg, framing, args.max_frame_len, fixed_size)
            except OSError:
                say("CLOSED error")
                return
        count[0] += 1
        if done():
            close_gracefully(conn, 1.0)
            return


def cmd_send(args):
    framing, fixed_size = parse_framing(args.framing, args.fixed_size)
    family, _ = parse_endpoint(args.endpoint)
    payloads = [bytes.fromhex(m) if args.hex else m.encode() for m in args.messages]
    # Encode everything before connecting: a message that cannot be sent is
    # refused before any byte goes out.
    if family != "udp":
        frames = [encode_frame(p, framing, args.max_frame_len, fixed_size) for p in payloads]
    sock = connect(args.endpoint, args.timeout)
    try:
        if family == "udp":
            for p in payloads:
                check_datagram(sock, p)
            for p in payloads:
                sock.send(p)
                if args.expect_replies:
                    say("REPLY " + show(sock.recv(READ_CHUNK)))
            return 0
        reader = FrameReader(sock, framing, args.max_frame_len, fixed_size)
        for frame in frames:
            sock.sendall(frame)
            if args.expect_replies:
                reply = reader.read()
                if reply is None:
                    raise ConnectionError("the peer closed before replying")
                say("REPLY " + show(reply))
        close_gracefully(sock, args.timeout)
        return 0
    finally:
        sock.close()


def parse_value(text):
    """A struct value from the command line: int, else float, else UTF-8 bytes."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.encode()


def cmd_send_struct(args):
    record = struct.pack(args.format, *[parse_value(v) for v in args.values])
    family, _ = parse_endpoint(args.endpoint)
    sock = connect(args.endpoint, args.timeout)
    try:
        if family == "udp":
            check_datagram(sock, record)
        for _ in range(args.count):
            sock.sendall(record)  # bare records: no header, no delimiter
        if family != "udp":
            close_gracefully(sock, args.timeout)
        return 0
    finally:
        sock.close()


def bulk_payload(index, size):
    """The 8-byte big-endian message index, repeated and cut to `size` bytes."""
    unit = struct.pack(">Q", index)
    return (unit * (size // 8 + 1))[:size]


def cmd_bulk(args):
    family, _ = parse_endpoint(args.endpoint)
    if args.size > args.max_frame_len:
        raise FrameTooLarge(args.size, args.max_frame_len)
    sock = connect(args.endpoint, args.timeout)
    try:
        if family == "udp":
            check_datagram(sock, bytes(args.size))
            for i in range(args.count):
                sock.send(bulk_payload(i, args.size))
            say("SENT %d" % args.count)
            return 0
        send_stream_bulk(sock, args)
        say("SENT %d" % args.count)
        close_gracefully(sock, args.timeout)
        return 0
    finally:
        sock.close()


def send_stream_bulk(sock, args):
    """Send the frames in batches, reading and dropping whatever the peer sends
    meanwhile (an echoing peer would otherwise stall both sides)."""
    header = struct.pack(">I", args.size)
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    index, pending = 0, memoryview(b"")
    peer_open = True
    try:
        while index < args.count or pending:
            if not pending:
                batch = bytearray()
                while index < args.count and len(batch) < 256 * 1024:
                    batch += header
                    batch += bulk_payload(index, args.size)
                    index += 1
                pending = memoryview(bytes(batch))
            events = sel.select(args.timeout)
            if not events:
                raise TimeoutError("no progress for %.1f s" % args.timeout)
            for _, mask in events:
                if mask & selectors.EVENT_READ and peer_open:
                    if not sock.recv(READ_CHUNK):
                        peer_open = False
                        sel.modify(sock, selectors.EVENT_WRITE)
                if mask & selectors.EVENT_WRITE and pending:
                    try:
                        pending = pending[sock.send(pending):]
                    except BlockingIOError:
                        pass
    finally:
        sel.close()
        sock.setblocking(True)
        sock.settimeout(args.timeout)


def cmd_check_vectors(args):
    count, failures = check_vectors(args.path)
    for name, problem in failures:
        say("FAIL %s: %s" % (name, problem))
    if failures:
        say("failed %d of %d vectors" % (len({n for n, _ in failures}), count))
        return 1
    say("ok %d vectors" % count)
    return 0


def build_parser():
    p = argparse.ArgumentParser(
        prog="tether_peer.py",
        description="A tether wire protocol v1 peer (docs/PROTOCOL.md), standard library only.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(sp, framing=True):
        sp.add_argument("endpoint", metavar="ENDPOINT",
                        help="tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH")
        if framing:
            sp.add_argument("--framing", default="length",
                            help="length (default), line, fixed (with --fixed-size), fixed:N or raw; "
                                 "ignored for udp://")
            sp.add_argument("--fixed-size", type=int, metavar="N", help="record size of fixed framing")
        sp.add_argument("--max-frame-len", type=int, default=DEFAULT_MAX_FRAME_LEN, metavar="BYTES",
                        help="largest frame or line accepted and sent (default 16777216)")

    sp = sub.add_parser("serve", help="bind, print every message received, optionally echo it")
    common(sp)
    sp.add_argument("--echo", action="store_true", help="send every message back, same framing")
    sp.add_argument("--count", type=int, metavar="N", help="exit after N messages in total")
    sp.set_defaults(run=cmd_serve)

    sp = sub.add_parser("send", help="connect and send messages")
    common(sp)
    sp.add_argument("--hex", action="store_true", help="messages are hex, not text")
    sp.add_argument("--expect-replies", action="store_true",
                    help="after each message, read one reply and print REPLY <len> <hex>")
    sp.add_argument("--timeout", type=float, default=5.0, help="socket timeout in seconds (default 5)")
    sp.add_argument("messages", nargs="+", metavar="MESSAGE")
    sp.set_defaults(run=cmd_send)

    sp = sub.add_parser("send-struct", help="send N bare struct.pack(FORMAT, *VALUES) records")
    common(sp, framing=False)
    sp.add_argument("format", metavar="FORMAT", help="a Python struct format, e.g. '!I 2s f'")
    sp.add_argument("--count", type=int, required=True, metavar="N")
    sp.add_argument("--timeout", type=float, default=5.0, help="socket timeout in seconds (default 5)")
    sp.add_argument("values", nargs="*", metavar="VALUES",
                    help="each parsed as int, else float, else UTF-8 bytes")
    sp.set_defaults(run=cmd_send_struct)

    sp = sub.add_parser("bulk", help="send N length-framed messages of S bytes")
    common(sp, framing=False)
    sp.add_argument("--count", type=int, required=True, metavar="N")
    sp.add_argument("--size", type=int, required=True, metavar="S")
    sp.add_argument("--timeout", type=float, default=5.0, help="socket timeout in seconds (default 5)")
    sp.set_defaults(run=cmd_bulk)

    sp = sub.add_parser("check-vectors", help="check this module against a frames.json")
    sp.add_argument("path", metavar="PATH")
    sp.set_defaults(run=cmd_check_vectors)
    return p


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "send-struct":
        # VALUES given after --count (argparse stops a '*' positional at an option).
        args.values += extra
    elif extra:
        parser.error("unrecognized arguments: %s" % " ".join(extra))
    for name in ("count", "size", "fixed_size", "max_frame_len"):
        if getattr(args, name, None) is not None and getattr(args, name) < 0:
            parser.error("--%s must not be negative" % name.replace("_", "-"))
    try:
        if hasattr(args, "framing"):
            parse_framing(args.framing, args.fixed_size)
        if hasattr(args, "endpoint"):
            parse_endpoint(args.endpoint)
    except ValueError as e:
        parser.error(str(e))
    try:
        return args.run(args)
    except (OSError, ValueError, ProtocolError, struct.error) as e:
        print("tether_peer: error: %s" % e, file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
