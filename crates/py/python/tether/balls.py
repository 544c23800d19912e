"""``python3 -m tether.balls``: a peer of the ``tether balls`` ring.

Speaks the ball record of docs/PROTOCOL.md ("Ball ring") over tether links,
so it joins a ring of Rust (``tether balls``) and Java peers. A tkinter
window (nothing to install beyond this package), or ``--headless`` with
``--json`` events in the same form as ``tether balls --json``::

    python3 -m tether.balls --listen tcp://0.0.0.0:9100 --right tcp://pc1:9100

Keys in the window: space adds a ball, c clears, q or Esc quits. The
network runs on its own threads; the drawing loop only drains a queue.
"""

from __future__ import annotations

import json
import math
import queue
import random
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Dict, List, Optional, TextIO, Tuple

import tether
from tether._balls_handover import ABORT, COMMIT, Handover

FORMAT = "!2sBBIQfffffBBBx"
RECORD = tether.Record(FORMAT)
MAGIC, VERSION = b"TB", 2
KIND_BALL, KIND_ACK, KIND_COMMIT, KIND_ABORT, KIND_DONE, KIND_HELLO = 1, 2, 3, 4, 5, 6
ACK_TIMEOUT = 2.0  # an offered ball not acked by then comes back; the link is closed as hung
STEP = 1.0 / 240.0
MAX_SPEED, MAX_RADIUS = 10.0, 0.25
LEFT, RIGHT = "left", "right"
PALETTE = [(239, 71, 111), (255, 209, 102), (6, 214, 160), (17, 138, 178),
           (255, 140, 66), (155, 93, 229), (241, 91, 181), (0, 187, 249)]
START = time.monotonic()


@dataclass
class Ball:
    """One ball: lengths in screen heights, speeds in heights per second, y up."""

    id: int
    x: float
    y: float
    vx: float
    vy: float
    radius: float
    colour: Tuple[int, int, int]


def encode_ball(sender: int, depth: float, b: Ball) -> bytes:
    """A kind 1 record: ``b`` handed over, its centre ``depth`` past the edge."""
    return RECORD.pack(MAGIC, VERSION, KIND_BALL, sender, b.id, depth, b.y, b.vx, b.vy,
                       b.radius, *b.colour)


def encode_control(kind: int, sender: int, ball_id: int) -> bytes:
    """A record of kind 2 to 6 (ack, commit, abort, done, hello) about ``ball_id``."""
    return RECORD.pack(MAGIC, VERSION, kind, sender, ball_id, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0)


def encode_ack(sender: int, ball_id: int) -> bytes:
    """A kind 2 record: the ball with ``ball_id`` is held here, waiting for the word."""
    return encode_control(KIND_ACK, sender, ball_id)


def decode(data: bytes) -> Tuple[int, int, float, Ball]:
    """(kind, sender, depth, ball) of one record; ValueError if refused."""
    if len(data) != RECORD.size:
        raise ValueError(f"ball record of {len(data)} bytes, expected {RECORD.size}")
    magic, version, kind, sender, ball_id, depth, y, vx, vy, radius, r, g, b = RECORD.unpack(data)
    version, kind, ball_id = int(version), int(kind), int(ball_id)
    if magic != MAGIC:
        raise ValueError("not a ball record")
    if version != VERSION:
        raise ValueError(f"ball record version {version}, this peer speaks {VERSION}")
    floats = [float(f) for f in (depth, y, vx, vy, radius)]
    ball = Ball(ball_id, 0.0, floats[1], floats[2], floats[3], floats[4], (int(r), int(g), int(b)))
    if KIND_ACK <= kind <= KIND_HELLO:
        return kind, int(sender), 0.0, ball
    if kind != KIND_BALL:
        raise ValueError(f"ball record of unknown kind {kind}")
    if not all(math.isfinite(f) for f in floats) or not 0.0 < ball.radius <= MAX_RADIUS:
        raise ValueError(f"ball {ball_id:#x} refused: bad number or radius")
    if abs(ball.vx) > MAX_SPEED or abs(ball.vy) > MAX_SPEED or not 0.0 <= floats[0] <= 1.0:
        raise ValueError(f"ball {ball_id:#x} refused: too fast or too far past the edge")
    ball.y = min(max(ball.y, 0.0), 1.0)
    return KIND_BALL, int(sender), floats[0], ball


def step(balls: List[Ball], dt: float, width: float,
         open_left: bool, open_right: bool) -> List[Tuple[str, float, Ball]]:
    """Moves the balls by ``dt``; returns (side, depth, ball) of those that left."""
    exits: List[Tuple[str, float, Ball]] = []
    for b in list(balls):
        b.x += b.vx * dt
        b.y += b.vy * dt
        r = b.radius
        if b.y - r < 0 and b.vy < 0:
            b.y, b.vy = 2 * r - b.y, -b.vy
        elif b.y + r > 1 and b.vy > 0:
            b.y, b.vy = 2 * (1 - r) - b.y, -b.vy
        if b.vx < 0:
            if open_left and b.x < 0:
                balls.remove(b)
                exits.append((LEFT, -b.x, b))
            elif not open_left and b.x - r < 0:
                b.x, b.vx = min(2 * r - b.x, width), -b.vx
        elif b.vx > 0:
            if open_right and b.x > width:
                balls.remove(b)
                exits.append((RIGHT, b.x - width, b))
            elif not open_right and b.x + r > width:
                b.x, b.vx = max(2 * (width - r) - b.x, 0.0), -b.vx
    return exits


class Net:
    """The links on their own threads: events arrive on ``self.events``."""

    def __init__(self, listen: str, right: Optional[str]) -> None:
        self.events: "queue.Queue[Tuple[Any, ...]]" = queue.Queue()
        self.stop = threading.Event()
        self.listener = tether.listen(listen, linger=0.0)
        self.local_addr: str = self.listener.local_addr
        self.generation = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()
        if right:
            self.connect_right(right)

    def connect_right(self, right: str) -> None:
        """Connects to the right neighbour, and again whenever the link drops."""
        threading.Thread(target=self._connect, args=(right,), daemon=True).start()

    def close(self) -> None:
        self.stop.set()

    def _next_generation(self) -> int:
        with self.lock:
            self.generation += 1
            return self.generation

    def _accept(self) -> None:
        while not self.stop.is_set():
            link = self.listener.accept(timeout=0.05)
            if link is not None:
                gen = self._next_generation()
                threading.Thread(target=self._read, args=(link, LEFT, gen), daemon=True).start()

    def _connect(self, right: str) -> None:
        delay = 0.05
        while not self.stop.is_set():
            try:
                link = tether.connect(right, timeout=0.5, linger=0.0)
            except tether.TetherError:
                self.stop.wait(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.05
            self._read(link, RIGHT, self._next_generation())
            self.stop.wait(delay)

    def _read(self, link: tether.Link, side: str, gen: int) -> None:
        self.events.put(("up", side, gen, link.peer_addr, link))
        reason = "stopped"
        while not self.stop.is_set():
            try:
                data = link.recv(timeout=0.05)
            except tether.TetherError as e:
                reason = str(e)
                break
            if data is None:
                continue
            try:
                self.events.put(("message", side, gen, decode(data)))
            except ValueError as e:
                reason = str(e)
                break
        link.close()
        self.events.put(("down", side, gen, reason))


class Peer:
    """One screen of the ring: its balls, its links, the balls in flight."""

    def __init__(self, name: str, width: float, out: Optional[TextIO], speed: float) -> None:
        self.name, self.width, self.out, self.speed = name, width, out, speed
        self.id = random.randrange(1, 1 << 20)
        self.balls: List[Ball] = []
        self.links: Dict[str, Optional[Tuple[int, tether.Link]]] = {LEFT: None, RIGHT: None}
        self.open: Dict[str, bool] = {LEFT: False, RIGHT: False}  # the neighbour said hello
        self.endpoints: Dict[str, Optional[str]] = {LEFT: None, RIGHT: None}
        self.handover: Dict[str, Handover] = {LEFT: Handover(), RIGHT: Handover()}
        self.counter = 0
        self.done = 0.0
        self.handoffs: List[float] = []
        self.listen: Optional[str] = None  # where this peer listens, for the status corner

    def emit(self, event: str, **fields: Any) -> None:
        if self.out is not None:
            line = {"t": time.monotonic(), "peer": self.name, "event": event, **fields}
            self.out.write(json.dumps(line) + "\n")
            self.out.flush()

    def add_ball(self) -> None:
        self.counter += 1
        r = random.uniform(0.03, 0.07)
        v = [min(random.uniform(0.25, 0.7) * self.speed, MAX_SPEED) * random.choice((-1, 1))
             for _ in range(2)]
        b = Ball((self.id << 32) | self.counter, random.uniform(r, self.width - r),
                 random.uniform(r, 1 - r), v[0], v[1], r, random.choice(PALETTE))
        self.balls.append(b)
        self.emit("created", ball=asdict(b))

    def clear(self) -> None:
        self.emit("cleared", balls=[b.id for b in self.balls])
        self.balls.clear()

    def link_down(self, side: str, reason: str) -> None:
        """The edge is a wall; balls offered over it and not acked come back."""
        current = self.links[side]
        if current is not None:
            current[1].close()
        self.links[side] = None
        back = self.handover[side].take_back()
        if not self.open[side] and not back:
            return
        self.open[side] = False
        self.emit("neighbour_down", side=side, reason=reason)
        for b in back:
            b.vx = abs(b.vx) if side == LEFT else -abs(b.vx)
            b.x = b.radius if side == LEFT else self.width - b.radius
            self.balls.append(b)
            self.emit("bounced", side=side, ball=asdict(b), reason=reason)

    def take(self, side: str, depth: float, ball: Ball) -> None:
        """Puts a ball that came over ``side`` on this screen."""
        depth = min(max(depth, 0.0), self.width / 2)
        ball.x = depth if side == LEFT else self.width - depth
        self.balls.append(ball)
        self.handoffs.append(time.monotonic())
        self.emit("received", side=side, ball=asdict(ball))

    def send(self, side: str, data: bytes) -> None:
        current = self.links[side]
        if current is None:
            self.link_down(side, "not connected")
            return
        try:
            current[1].send(data)
        except (tether.TetherError, ValueError) as e:  # ValueError: the reader closed it
            self.link_down(side, str(e))

    def handle(self, event: Tuple[Any, ...]) -> None:
        kind, side, gen = event[0], event[1], event[2]
        current = self.links[side]
        if kind == "up":
            if current is not None:
                self.link_down(side, "replaced by a new connection")
            self.links[side] = (gen, event[4])
            self.endpoints[side] = event[3]
            self.send(side, encode_control(KIND_HELLO, self.id, 0))
        elif current is None or current[0] != gen:
            return
        elif kind == "down":
            self.link_down(side, event[3])
        else:
            self.message(side, *event[3])

    def message(self, side: str, what: int, sender: int, depth: float, ball: Ball) -> None:
        """One record over ``side``: the handover of docs/PROTOCOL.md."""
        h = self.handover[side]
        if what == KIND_HELLO:
            again, orphans = h.hello(sender)
            for ball_id, said in again:
                self.send(side, encode_control(KIND_COMMIT if said == COMMIT else KIND_ABORT, self.id, ball_id))
            for odepth, oball in orphans:
                self.take(side, odepth, oball)
            self.open[side] = True
            self.emit("neighbour_up", side=side, endpoint=self.endpoints[side])
        elif not self.open[side]:
            self.emit("refused", side=side, reason="a record before the hello")
            self.link_down(side, "a record before the hello")
        elif what == KIND_BALL:
            h.reserve(depth, ball)  # off screen until the sender's word
            self.send(side, encode_ack(self.id, ball.id))
        elif what == KIND_ACK:
            given, word = h.ack(ball.id)
            if given is not None:
                self.emit("acknowledged", side=side, ball=asdict(given))
            if word is not None:
                self.send(side, encode_control(KIND_COMMIT if word == COMMIT else KIND_ABORT, self.id, ball.id))
        elif what in (KIND_COMMIT, KIND_ABORT):
            held = h.word(ball.id, COMMIT if what == KIND_COMMIT else ABORT)
            if held is not None:
                self.take(side, *held)
            self.send(side, encode_control(KIND_DONE, self.id, ball.id))
        elif what == KIND_DONE:
            h.done(ball.id)

    def tick(self, now: float) -> None:
        for side in (LEFT, RIGHT):
            if self.handover[side].expired(now):
                self.link_down(side, f"no ack within {ACK_TIMEOUT * 1000:.0f} ms: hung?")
        while self.done + STEP <= now:
            self.done += STEP
            exits = step(self.balls, STEP, self.width, self.open[LEFT], self.open[RIGHT])
            for side, depth, b in exits:
                self.handoffs.append(time.monotonic())
                self.emit("sent", side=side, ball=asdict(b))
                self.leave(side, depth, b, now)

    def leave(self, side: str, depth: float, b: Ball, now: float) -> None:
        """Offers a ball that crossed ``side``, ``depth`` past the edge."""
        self.handover[side].offer(replace(b, x=0.0), now + ACK_TIMEOUT)
        self.send(side, encode_ball(self.id, depth, b))

    def status(self) -> List[str]:
        cut = time.monotonic() - 1.0
        self.handoffs = [t for t in self.handoffs if t >= cut]
        sides = []
        for side in (LEFT, RIGHT):
            ep = self.endpoints[side]
            up = "up" if self.open[side] else "down"
            sides.append(f"{side:5} {ep} {up}" if ep else f"{side:5} none (wall)")
        title = f"{self.name}  on {self.listen}" if self.listen else self.name
        return [title, *sides, f"balls {len(self.balls)}  handoffs/s {len(self.handoffs)}"]

    def held(self) -> List[int]:
        """Balls on screen, or offered and not acked."""
        return [b.id for b in self.balls] + [i for h in self.handover.values() for i in h.offered]

    def pending(self) -> List[int]:
        """Balls offered to us and waiting for the sender's word."""
        return [i for h in self.handover.values() for i in h.reserved]

    def busy(self) -> bool:
        """A handover is under way."""
        return any(h.busy() for h in self.handover.values())


def main(argv: Optional[List[str]] = None) -> int:
    """``python3 -m tether.balls``: see tether.balls_run."""
    from tether import balls_run  # it builds on this module

    return balls_run.main(argv)


if __name__ == "__main__":
    sys.exit(main())
