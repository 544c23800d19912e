"""The fast path from Python: request, busy polling, recv_many."""

from __future__ import annotations

import threading

import pytest

import tether


def _echo(link: tether.Link, count: int) -> threading.Thread:
    def run() -> None:
        for _ in range(count):
            link.send(link.recv())

    t = threading.Thread(target=run)
    t.start()
    return t


def test_request_sends_and_returns_the_reply() -> None:
    a, b = tether.pair()
    with a, b:
        echo = _echo(b, 50)
        for i in range(50):
            assert a.request(i.to_bytes(4, "big")) == i.to_bytes(4, "big")
        echo.join(5)
        assert a.request(bytearray(b"late"), timeout=0.01) is None
        assert b.recv(timeout=5) == b"late"


def test_request_on_a_closed_link_is_a_value_error() -> None:
    a, b = tether.pair()
    a.close()
    b.close()
    with pytest.raises(ValueError):
        a.request(b"x")


def test_busy_poll_option_round_trips(server: tether.Listener) -> None:
    with tether.connect(server.local_addr, busy_poll=50e-6) as client:
        peer = server.accept(timeout=5)
        assert peer is not None
        echo = _echo(peer, 20)
        for i in range(20):
            assert client.request(bytes([i]), timeout=5) == bytes([i])
        echo.join(5)
        peer.close()
    with pytest.raises(ValueError):
        tether.pair(busy_poll=-1.0)


def test_recv_many_returns_every_message_in_order() -> None:
    a, b = tether.pair()
    with a, b:
        msgs = [i.to_bytes(2, "big") for i in range(1000)]
        a.send_many(msgs)
        got: list[bytes] = []
        while len(got) < len(msgs):
            batch = b.recv_many(timeout=5)
            assert batch, "timed out"
            got.extend(batch)
        assert got == msgs


def test_recv_many_keeps_to_max_and_takes_many_without_it() -> None:
    a, b = tether.pair()
    with a, b:
        msgs = [bytes([i % 256]) for i in range(500)]
        a.send_many(msgs)
        first = b.recv_many(max=7, timeout=5)
        assert first == msgs[:7]
        got = list(first)
        calls = 0
        while len(got) < len(msgs) and calls < 1000:
            batch = b.recv_many(timeout=5)
            assert batch, "timed out"
            got.extend(batch)
            calls += 1
        assert got == msgs
        # 493 one-byte frames fit in one read: far fewer calls than messages.
        assert calls < 50, calls
        with pytest.raises(ValueError, match="max"):
            b.recv_many(max=0)
