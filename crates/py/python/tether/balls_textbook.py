"""``python3 -m tether.balls --textbook left|right``: in place of one of the
textbook's networked bouncing-ball programs.

The textbook's format: one TCP connection per ball, the ball as UTF-8 text
``x,y,change_x,change_y,radius,r,g,b`` in integers, pixels and pixels per
frame on an 800 x 600 screen at 60 frames/s, y up, no terminator, the
connection closed after it. The right-hand program listens on
127.0.0.1:10001 and sends left to 10002; the left-hand one listens on 10002
and sends right to 10001. The same units as the Rust peer's
(crates/balls/src/textbook.rs).
"""

from __future__ import annotations

import queue
import socket
import threading
from dataclasses import asdict, replace
from typing import Any, Dict, List, Optional, TextIO, Tuple

from tether.balls import LEFT, MAX_RADIUS, MAX_SPEED, RIGHT, Ball, Peer

HEIGHT_PX, FPS = 600.0, 60.0
MAX_LEN = 256  # longest text accepted from one connection
RIGHT_PORT, LEFT_PORT = 10001, 10002
READ_TIMEOUT = 2.0  # how long a sender may take to send its ball and close
MAX_READERS = 16  # connections read at once; more wait in the kernel's backlog
NAMES = ("x", "y", "change_x", "change_y", "radius", "r", "g", "b")
LIMITS = (1_000_000, 1_000_000, 100, 100, 150)


def parse(data: bytes) -> Tuple[int, ...]:
    """The eight integers of one connection's bytes (one trailing newline
    accepted); ValueError saying what is wrong."""
    if len(data) > MAX_LEN:
        raise ValueError(f"textbook ball longer than {MAX_LEN} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("textbook ball is not UTF-8 text") from None
    text = text[:-1] if text.endswith("\n") else text
    text = text[:-1] if text.endswith("\r") else text
    fields = text.split(",")
    if len(fields) != 8:
        raise ValueError(f"textbook ball has {len(fields)} fields, expected 8 "
                         "(x,y,change_x,change_y,radius,r,g,b)")
    values = []
    for i, f in enumerate(fields):
        # int() takes spaces and underscores; the textbook's numbers have neither.
        if not f.lstrip("+-").isdigit() or not f.isascii():
            raise ValueError(f"textbook ball field {i + 1} ({NAMES[i]}) is not an integer")
        values.append(int(f))
    for i, v in enumerate(values):
        if (i < 5 and abs(v) > LIMITS[i]) or (i >= 5 and not 0 <= v <= 255):
            raise ValueError(f"textbook ball field {NAMES[i]} out of range")
    return tuple(values)


def to_ball(v: Tuple[int, ...], ball_id: int) -> Ball:
    """A ball of the world (x is left for the receiver to place)."""
    per_second = FPS / HEIGHT_PX
    radius = min(max(v[4] / HEIGHT_PX, 0.005), MAX_RADIUS)
    speed = [min(max(c * per_second, -MAX_SPEED), MAX_SPEED) for c in v[2:4]]
    return Ball(ball_id, v[0] / HEIGHT_PX, min(max(v[1] / HEIGHT_PX, radius), 1 - radius),
                speed[0], speed[1], radius, (v[5], v[6], v[7]))


def format_ball(b: Ball) -> str:
    """The text the textbook's programs send (no terminator); ``b.x`` in heights."""
    per_frame = HEIGHT_PX / FPS
    change = [min(max(round(v * per_frame), -100), 100) for v in (b.vx, b.vy)]
    return ",".join(str(n) for n in (round(b.x * HEIGHT_PX), round(b.y * HEIGHT_PX), *change,
                                     max(round(b.radius * HEIGHT_PX), 1), *b.colour))


def address(endpoint: str) -> Tuple[str, int]:
    """``tcp://host:port`` or ``host:port`` as (host, port)."""
    bare = endpoint[6:] if endpoint.startswith("tcp://") else endpoint
    host, sep, port = bare.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{endpoint!r} is not host:port")
    return host.strip("[]"), int(port)


class TextbookNet:
    """A listener thread reads arriving balls; a sender thread delivers
    leaving ones. Events arrive on ``self.events``."""

    def __init__(self, listen: str, target: str) -> None:
        self.events: "queue.Queue[Tuple[Any, ...]]" = queue.Queue()
        self.outbox: "queue.Queue[Optional[Tuple[int, str]]]" = queue.Queue()
        self.stop = threading.Event()
        host, port = address(listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.create_server((host, port), family=family)
        self.sock.settimeout(0.05)
        bound = self.sock.getsockname()
        self.local_addr = f"tcp://{host}:{bound[1]}" if family == socket.AF_INET else f"tcp://[{host}]:{bound[1]}"
        self.target = address(target)
        self.readers = threading.BoundedSemaphore(MAX_READERS)
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._deliver, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            if not self.readers.acquire(timeout=0.05):
                continue
            try:
                conn, _ = self.sock.accept()
            except OSError:  # the timeout, or a connection reset before it was accepted
                self.readers.release()
                continue
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()
        self.sock.close()

    def _read(self, conn: socket.socket) -> None:
        """Reads one connection to its end, at most MAX_LEN + 1 bytes."""
        frm = "?"
        try:
            frm = "%s:%s" % conn.getpeername()[:2]
            conn.settimeout(READ_TIMEOUT)
            data = b""
            while len(data) <= MAX_LEN:
                chunk = conn.recv(MAX_LEN + 1 - len(data))
                if not chunk:
                    break
                data += chunk
            self.events.put(("ball", parse(data)))
        except (OSError, ValueError) as e:
            self.events.put(("refused", f"from {frm}: {e}"))
        finally:
            conn.close()
            self.readers.release()

    def _deliver(self) -> None:
        while True:
            item = self.outbox.get()
            if item is None:
                return
            ball_id, text = item
            try:
                with socket.create_connection(self.target, timeout=1.0) as s:
                    s.sendall(text.encode())
                    s.shutdown(socket.SHUT_WR)
                self.events.put(("delivered", ball_id))
            except OSError as e:
                self.events.put(("failed", ball_id, str(e) or type(e).__name__))

    def close(self) -> None:
        self.stop.set()
        self.outbox.put(None)


class TextbookPeer(Peer):
    """A screen whose ``side`` leads to one of the textbook's programs: a
    delivered ball is theirs (they answer nothing); one not delivered comes back."""

    def __init__(self, side: str, net: TextbookNet, name: str, width: float,
                 out: Optional[TextIO], speed: float) -> None:
        super().__init__(name, width, out, speed)
        self.side, self.net = side, net
        self.open[side] = True
        self.endpoints[side] = "tcp://%s:%d" % net.target
        self.flying: Dict[int, Ball] = {}

    def leave(self, side: str, depth: float, b: Ball, now: float) -> None:
        self.flying[b.id] = b
        x = -depth if side == LEFT else self.width + depth
        self.net.outbox.put((b.id, format_ball(replace(b, x=x))))

    def handle(self, event: Tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "ball":
            self.counter += 1
            self.take(self.side, 0.0, to_ball(event[1], (self.id << 32) | self.counter))
        elif kind == "refused":
            self.emit("refused", side=self.side, reason=event[1])
        elif kind == "delivered":
            b = self.flying.pop(event[1], None)
            if b is not None:
                self.emit("acknowledged", side=self.side, ball=asdict(b))
        elif kind == "failed":
            b = self.flying.pop(event[1], None)
            if b is not None:
                b.vx = abs(b.vx) if self.side == LEFT else -abs(b.vx)
                b.x = b.radius if self.side == LEFT else self.width - b.radius
                self.balls.append(b)
                self.emit("bounced", side=self.side, ball=asdict(b), reason=event[2])

    def busy(self) -> bool:
        return bool(self.flying) or super().busy()

    def held(self) -> List[int]:
        return super().held() + list(self.flying)


def textbook(which: str, listen: Optional[str], left: Optional[str],
             right: Optional[str]) -> Tuple[str, str, str]:
    """(side, listen, target) in place of the textbook's ``which`` program;
    ValueError for a neighbour it does not have."""
    local = "tcp://127.0.0.1:%d"
    if which == "right":
        if right:
            raise ValueError("the textbook's right-hand program has no right neighbour; use --left")
        return LEFT, listen or local % RIGHT_PORT, left or local % LEFT_PORT
    if left:
        raise ValueError("the textbook's left-hand program has no left neighbour; use --right")
    return RIGHT, listen or local % LEFT_PORT, right or local % RIGHT_PORT
