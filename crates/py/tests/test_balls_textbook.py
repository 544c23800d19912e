"""``python3 -m tether.balls --textbook``: the textbook's text format both
ways, against a test that does what the textbook's programs do (connect,
send the text, close; accept, one read, split on commas)."""

from __future__ import annotations

import socket
import sys
from typing import List

from test_balls import Child, ids
from tether import balls_textbook as tb


def textbook_send(to: str, text: str) -> None:
    """What the textbook's programs do to send: connect, send the text, close."""
    with socket.create_connection(tb.address(to)) as s:
        s.sendall(text.encode())


def py(*argv: str) -> List[str]:
    return [sys.executable, "-m", "tether.balls", "--headless", "--json", *argv]


def test_the_textbook_format_both_ways() -> None:
    # The test is the textbook's left-hand program: it listens for balls.
    left = socket.create_server(("127.0.0.1", 0))
    left_at = "tcp://127.0.0.1:%d" % left.getsockname()[1]
    peer = Child(py("--textbook", "right", "--listen", "tcp://127.0.0.1:0", "--left", left_at,
                    "--balls", "0", "--for", "5s"))
    textbook_send(peer.endpoint, "10,300,30,-3,20,255,0,128")
    textbook_send(peer.endpoint, "10,200,25,4,15,0,255,0\n")
    textbook_send(peer.endpoint, "10,200,x")
    # The balls bounce off the right wall and leave by the left edge.
    left.settimeout(5.0)
    seen = []
    for _ in range(2):
        conn, _ = left.accept()
        with conn:
            text = conn.recv(1024).decode()
        fields = [int(f) for f in text.split(",")]
        assert len(fields) == 8, text
        assert fields[2] < 0, f"moving left: {text}"
        seen.append(fields[4])
    assert sorted(seen) == [15, 20]
    events = peer.finish()
    got = [e["ball"] for e in events if e["event"] == "received"]
    first = next(b for b in got if b["colour"] == [255, 0, 128])
    assert abs(first["radius"] - 20 / 600) < 1e-9
    assert abs(first["vx"] - 3.0) < 1e-9, "30 px/frame at 60 fps on 600 px"
    assert any(b["colour"] == [0, 255, 0] for b in got), "the ball with a newline"
    refused = [e for e in events if e["event"] == "refused"]
    assert len(refused) == 1 and "3 fields" in refused[0]["reason"], refused
    assert len(ids(events, "acknowledged")) == 2
    assert not ids(events, "bounced")


def test_a_textbook_ball_that_cannot_be_delivered_bounces_back() -> None:
    gone = socket.create_server(("127.0.0.1", 0))
    target = "tcp://127.0.0.1:%d" % gone.getsockname()[1]
    gone.close()
    peer = Child(py("--textbook", "left", "--listen", "tcp://127.0.0.1:0", "--right", target,
                    "--balls", "3", "--speed", "8", "--for", "3s"))
    events = peer.finish()
    assert ids(events, "bounced"), "no ball bounced back"
    end = [e for e in events if e["event"] == "end"]
    assert len(end) == 1 and sorted(end[0]["balls"]) == sorted(ids(events, "created"))


def test_malformed_text_is_refused_with_the_reason() -> None:
    assert tb.parse(b"790,300,5,-3,20,255,0,128\n") == (790, 300, 5, -3, 20, 255, 0, 128)
    for data, why in [(b"1,2,3", "3 fields"), (b"1,2,3,4,5,6,7,x", "field 8 (b)"),
                      (b"1,2,3,4,5,256,7,8", "field r out of range"), (b"\xff,", "not UTF-8"),
                      (b"1" * 300, "longer than 256"), (b"1,2,3,4,5,6,7,8\n\n", "field 8"),
                      (b"1, 2,3,4,5,6,7,8", "field 2")]:
        try:
            tb.parse(data)
        except ValueError as e:
            assert why in str(e), (data, e)
        else:
            raise AssertionError(f"{data!r} accepted")
    ball = tb.to_ball(tb.parse(b"400,300,5,-5,30,1,2,3"), 1)
    assert abs(ball.vx - 0.5) < 1e-9 and abs(ball.y - 0.5) < 1e-9
    assert tb.format_ball(ball) == "400,300,5,-5,30,1,2,3"
