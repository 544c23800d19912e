"""``python3 -m tether.balls`` in one ring with ``tether balls`` peers: balls
cross between the languages both ways and every ball ends up exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any, Dict, List

import pytest

from tether import balls

Event = Dict[str, Any]


class Child:
    """A peer in a child process; its JSON events are collected as they come."""

    def __init__(self, argv: List[str]) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first = json.loads(self.proc.stdout.readline())
        assert first["event"] == "listening", first
        self.endpoint: str = first["endpoint"]
        self.events: List[Event] = [first]
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def finish(self) -> List[Event]:
        assert self.proc.wait(timeout=30) == 0
        self.reader.join(timeout=10)
        return self.events


def ids(events: List[Event], kind: str) -> List[int]:
    return [e["ball"]["id"] for e in events if e["event"] == kind]


def census(logs: List[List[Event]]) -> List[int]:
    """Every ball held at the end: on a screen or offered (``balls``), or
    waiting for its sender's word (``pending``) and held by no one else."""
    held: List[int] = []
    pending: List[int] = []
    for log in logs:
        end = [e for e in log if e["event"] == "end"]
        assert len(end) == 1
        held.extend(end[0]["balls"])
        pending.extend(end[0]["pending"])
    return held + [i for i in pending if i not in held]


def fast(name: str) -> List[str]:
    return ["--headless", "--json", "--listen", "tcp://127.0.0.1:0", "--balls", "4",
            "--speed", "6", "--for", "5s", "--name", name]


def test_a_python_peer_between_two_rust_peers_keeps_every_ball(cli: str) -> None:
    right = Child([cli, "balls", *fast("rust-right")])
    py = Child([sys.executable, "-m", "tether.balls", *fast("python"), "--right", right.endpoint])
    left = Child([cli, "balls", *fast("rust-left"), "--right", py.endpoint])
    logs = [left.finish(), py.finish(), right.finish()]
    created = {i for log in logs for i in ids(log, "created")}
    assert sorted(census(logs)) == sorted(created), "a ball lost or duplicated"
    assert len(created) == 12
    sides = {(e["event"], e["side"]) for e in logs[1] if e["event"] in ("sent", "received")}
    assert sides == {("sent", "left"), ("sent", "right"), ("received", "left"), ("received", "right")}
    # A ball sent as its neighbour stopped comes back: acked or bounced, never lost.
    came_back = len(ids(logs[1], "acknowledged")) + len(ids(logs[1], "bounced"))
    assert came_back == len(ids(logs[1], "sent")), "every ball the Python peer sent was acked or bounced"


def test_the_record_is_the_documented_one() -> None:
    ball = balls.Ball(0x0000000700000001, 0.0, 0.5, 0.4, 0.3, 0.05, (255, 128, 0))
    data = balls.encode_ball(7, 0.01, ball)
    assert data.hex() == ("544202010000000700000007000000013c23d70a"
                          "3f0000003ecccccd3e99999a3d4ccccdff800000")
    kind, sender, depth, back = balls.decode(data)
    assert (kind, sender, back.id, back.colour) == (1, 7, ball.id, (255, 128, 0))
    assert balls.encode_ack(9, ball.id)[:16] == bytes.fromhex("54420202000000090000000700000001")
    for kind in range(2, 7):
        got = balls.decode(balls.encode_control(kind, 9, ball.id))
        assert (got[0], got[1], got[3].id) == (kind, 9, ball.id)
    with pytest.raises(ValueError, match="version 1, this peer speaks 2"):
        balls.decode(data[:2] + b"\x01" + data[3:])
    with pytest.raises(ValueError, match="39 bytes"):
        balls.decode(data[:39])


def test_the_step_keeps_balls_on_screen_and_hands_over_at_open_edges() -> None:
    b = balls.Ball(1, 0.99, 0.5, 1.0, 0.0, 0.05, (0, 0, 0))
    assert balls.step([b], 0.02, 1.0, False, False) == []
    assert b.vx == -1.0 and b.x <= 0.95 + 1e-9
    c = balls.Ball(2, 0.99, 0.5, 1.0, 0.0, 0.05, (0, 0, 0))
    exits = balls.step([c], 0.02, 1.0, False, True)
    assert [(side, round(depth, 6)) for side, depth, _ in exits] == [("right", 0.01)]


def test_the_handover_survives_a_cut_at_every_step() -> None:
    """Two Python peers wired in memory: the link breaks after each record of
    one handover (the record then on the wire lost), and the same peers
    reconnect; the ball ends on exactly one screen."""
    for k in range(5):
        s, r = balls.Peer("S", 1.0, None, 1.0), balls.Peer("R", 1.0, None, 1.0)
        wire: Dict[str, List[bytes]] = {balls.LEFT: [], balls.RIGHT: []}

        def sink(side: str, data: bytes, w: Dict[str, List[bytes]] = wire) -> None:
            w[side].append(data)  # S sends right, R sends left

        s.send = lambda side, data: sink(side, data)  # type: ignore[method-assign]
        r.send = lambda side, data: sink(side, data)  # type: ignore[method-assign]

        def connect() -> None:
            s.message(balls.RIGHT, balls.KIND_HELLO, r.id, 0.0, balls.Ball(0, 0, 0, 0, 0, 0.1, (0, 0, 0)))
            r.message(balls.LEFT, balls.KIND_HELLO, s.id, 0.0, balls.Ball(0, 0, 0, 0, 0, 0.1, (0, 0, 0)))
            deliver(100)

        def deliver(n: int) -> None:
            for _ in range(n):
                if wire[balls.RIGHT]:
                    r.message(balls.LEFT, *balls.decode(wire[balls.RIGHT].pop(0)))
                elif wire[balls.LEFT]:
                    s.message(balls.RIGHT, *balls.decode(wire[balls.LEFT].pop(0)))

        connect()
        s.balls.append(balls.Ball(7, 0.99, 0.5, 1.0, 0.0, 0.05, (1, 2, 3)))
        s.tick(0.05)
        assert len(wire[balls.RIGHT]) == 1, "the ball is offered"
        deliver(k)
        wire[balls.LEFT].clear()
        wire[balls.RIGHT].clear()
        s.links[balls.RIGHT] = r.links[balls.LEFT] = None
        s.link_down(balls.RIGHT, "cut")
        r.link_down(balls.LEFT, "cut")
        assert not (7 in [b.id for b in s.balls] and 7 in [b.id for b in r.balls]), k
        connect()
        on = [7 in [b.id for b in p.balls] for p in (s, r)]
        assert on.count(True) == 1, (k, on)
        assert not r.pending() and not s.handover[balls.RIGHT].decided, k


def test_local_peers_in_one_process_pass_balls_round_the_ring_and_keep_every_one() -> None:
    peers = Child([sys.executable, "-m", "tether.balls", "--local", "3", "--headless", "--json",
                   "--balls", "3", "--speed", "6", "--for", "4s"])
    events = peers.finish()
    names = {e["peer"] for e in events}
    assert names == {"local1", "local2", "local3"}, names
    created = ids(events, "created")
    assert len(created) == 9 and len(set(created)) == 9
    assert sorted(census([[e for e in events if e["peer"] == n] for n in sorted(names)])) == sorted(created)
    # A real ring: every peer received balls over both its sides.
    crossed = {(e["peer"], e["side"]) for e in events if e["event"] == "received"}
    assert crossed == {(n, s) for n in names for s in ("left", "right")}, crossed
