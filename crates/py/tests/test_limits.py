"""Hostile peers: the idle and frame timeouts, and a link that closes
itself after the peer breaks the framing (`closed` is True, the peer sees
the close, later calls raise the same error)."""

from __future__ import annotations

import socket
import struct
import time

import pytest

import tether


def sees_close(peer: socket.socket) -> None:
    """The peer's end reads end of stream (or a reset) within seconds."""
    peer.settimeout(5.0)
    try:
        assert peer.recv(1) == b""
    except ConnectionResetError:
        pass


def accepted(**options: object) -> tuple[tether.Link, socket.socket]:
    """A listener's link and the raw socket at the other end."""
    listener = tether.listen("tcp://127.0.0.1:0", **options)  # type: ignore[arg-type]
    host, port = listener.local_addr[len("tcp://") :].rsplit(":", 1)
    peer = socket.create_connection((host, int(port)), timeout=5.0)
    link = listener.accept(timeout=5.0)
    listener.close()
    assert link is not None
    return link, peer


def test_a_trickling_frame_is_closed_after_the_frame_timeout() -> None:
    link, peer = accepted(frame_timeout=0.3)
    with link, peer:
        peer.sendall(struct.pack(">I", 2) + b"ok")
        assert link.recv(timeout=5.0) == b"ok"
        peer.sendall(struct.pack(">I", 1000) + b"x")
        start = time.monotonic()
        with pytest.raises(tether.TimedOut) as e:
            link.recv()
        took = time.monotonic() - start
        assert 0.25 < took < 3.0, took
        assert isinstance(e.value, TimeoutError)
        assert "frame timeout" in str(e.value)
        assert link.closed
        sees_close(peer)
        with pytest.raises(tether.TimedOut, match="frame timeout"):
            link.recv(timeout=0.1)
        with pytest.raises(tether.TimedOut, match="frame timeout"):
            link.send(b"late")


def test_the_idle_timeout_closes_a_silent_peer() -> None:
    link, peer = accepted(idle_timeout=0.2)
    with link, peer:
        for _ in range(3):
            time.sleep(0.1)
            peer.sendall(struct.pack(">I", 2) + b"hi")
            assert link.recv(timeout=5.0) == b"hi"
        with pytest.raises(tether.TimedOut, match="idle timeout"):
            link.recv()
        assert link.closed
        sees_close(peer)


def test_timeouts_are_checked_and_none_turns_the_frame_timeout_off() -> None:
    with pytest.raises(ValueError, match="frame_timeout"):
        tether.pair(frame_timeout=-1.0)
    a, b = tether.pair(frame_timeout=None)
    with a, b:
        b.send(b"whole")
        assert a.recv(timeout=5.0) == b"whole"


def test_a_protocol_error_closes_the_link_and_later_calls_say_why() -> None:
    link, peer = accepted(max_frame_len=16)
    with link, peer:
        peer.sendall(struct.pack(">I", 1000))
        with pytest.raises(tether.FrameTooLarge) as first:
            link.recv(timeout=5.0)
        assert link.closed
        sees_close(peer)
        with pytest.raises(tether.FrameTooLarge) as again:
            link.recv(timeout=0.1)
        assert str(again.value) == str(first.value)
        with pytest.raises(tether.FrameTooLarge) as again:
            link.send(b"x")
        assert str(again.value) == str(first.value)


def test_at_max_connections_accept_waits_for_a_link_to_close() -> None:
    with tether.listen("tcp://127.0.0.1:0", max_connections=1) as listener:
        a = tether.connect(listener.local_addr)
        b = tether.connect(listener.local_addr)
        with a, b:
            first = listener.accept(timeout=5.0)
            assert first is not None
            assert listener.accept(timeout=0.2) is None
            first.close()
            second = listener.accept(timeout=5.0)
            assert second is not None
            second.close()
