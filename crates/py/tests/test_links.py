"""Round trips over TCP, Unix sockets and UDP; messages of every buffer
type; timeouts; iteration; closing."""

from __future__ import annotations

import array
import threading
import time
from typing import Any

import pytest

import tether


def test_tcp_round_trip(server: tether.Listener) -> None:
    assert server.local_addr.startswith("tcp://127.0.0.1:")
    assert not server.local_addr.endswith(":0")
    with tether.connect(server.local_addr) as client:
        peer = server.accept()
        assert peer is not None
        client.send(b"\x00\x01\x01\x00")
        assert peer.recv() == b"\x00\x01\x01\x00"
        peer.send(b"reply")
        assert client.recv(timeout=5) == b"reply"
        assert client.peer_addr == server.local_addr
        assert peer.peer_addr == client.local_addr
        peer.close()


def test_unix_round_trip(sock_path: str) -> None:
    with tether.listen("unix://" + sock_path) as srv:
        assert srv.local_addr == "unix://" + sock_path
        with tether.connect(srv.local_addr) as client:
            peer = srv.accept(timeout=5)
            assert peer is not None
            client.send_many([b"a", b"bb", b""])
            assert [peer.recv(), peer.recv(), peer.recv()] == [b"a", b"bb", b""]
            peer.send(b"back")
            assert client.recv() == b"back"


def test_unix_socket_file_removed_on_close(sock_path: str) -> None:
    import os

    srv = tether.listen("unix://" + sock_path)
    assert os.path.exists(sock_path)
    srv.close()
    assert not os.path.exists(sock_path)
    assert srv.closed


def test_unix_socket_mode(sock_path: str) -> None:
    import os
    import stat

    with tether.listen("unix://" + sock_path):
        assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o600
    with tether.listen("unix://" + sock_path, socket_mode=0o660):
        assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o660
    with pytest.raises(ValueError, match="socket_mode"):
        tether.listen("unix://" + sock_path, socket_mode=0o1777)


def test_a_second_listen_is_refused_unseen(sock_path: str) -> None:
    with tether.listen("unix://" + sock_path) as live:
        with pytest.raises(tether.TetherError, match="live"):
            tether.listen("unix://" + sock_path)
        assert live.accept(timeout=0.2) is None


def test_udp_round_trip() -> None:
    with tether.DatagramLink.bind("udp://127.0.0.1:0") as server:
        with tether.DatagramLink.connect(server.local_addr) as client:
            assert client.peer_addr == server.local_addr
            assert server.peer_addr is None
            client.send(b"ping")
            got = server.recv_from(timeout=5)
            assert got is not None
            msg, sender = got
            assert msg == b"ping"
            assert sender == client.local_addr
            server.send_to(b"pong", sender)
            assert client.recv(timeout=5) == b"pong"
            assert client.try_recv() is None
            assert client.recv(timeout=0.01) is None


def test_udp_too_large_is_refused() -> None:
    with tether.DatagramLink.bind("udp://127.0.0.1:0") as server:
        with tether.DatagramLink.connect(server.local_addr) as client:
            with pytest.raises(tether.DatagramTooLarge, match="65507"):
                client.send(bytes(70_000))


def test_every_buffer_type_is_a_message() -> None:
    a, b = tether.pair()
    with a, b:
        a.send(b"bytes")
        a.send(bytearray(b"bytearray"))
        a.send(memoryview(b"xxmemoryview")[2:])
        a.send(array.array("B", [1, 2, 3]))
        parts: "list[bytes | bytearray]" = [b"gen", bytearray(b"erator")]
        a.send_many(iter(parts))
        got = [b.recv(timeout=5) for _ in range(6)]
        assert got == [b"bytes", b"bytearray", b"memoryview", b"\x01\x02\x03", b"gen", b"erator"]
        with pytest.raises(TypeError):
            a.send("text is not bytes")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            a.send(5)  # type: ignore[arg-type]


def test_recv_timeout_returns_none() -> None:
    a, b = tether.pair()
    with a, b:
        t0 = time.monotonic()
        assert b.recv(timeout=0.05) is None
        waited = time.monotonic() - t0
        assert waited >= 0.04
        assert b.recv(timeout=0) is None
        assert b.try_recv() is None
        assert b.recv_many(timeout=0.01) == []
        with pytest.raises(ValueError, match="timeout"):
            b.recv(timeout=-1)


def test_recv_many_takes_what_has_arrived() -> None:
    a, b = tether.pair()
    with a, b:
        a.send_many([bytes([i]) for i in range(100)])
        got: "list[bytes]" = []
        while len(got) < 100:
            got += b.recv_many(max=30, timeout=5)
        assert got == [bytes([i]) for i in range(100)]


def test_iteration_ends_when_peer_closes() -> None:
    a, b = tether.pair()
    a.send_many([b"1", b"2", b"3"])
    a.close()
    assert list(b) == [b"1", b"2", b"3"]
    with pytest.raises(tether.ConnectionClosed, match="closed by peer"):
        b.recv()
    b.close()


def test_sends_in_the_linger_are_delivered_on_close(server: tether.Listener) -> None:
    # Sends closer together than the linger are gathered; close must write them.
    client = tether.connect(server.local_addr)
    peer = server.accept(timeout=5)
    assert peer is not None
    msgs = [i.to_bytes(4, "big") for i in range(10_000)]
    for m in msgs:
        client.send(m)
    client.close()
    assert list(peer) == msgs


def test_linger_and_nodelay_settings(server: tether.Listener) -> None:
    with tether.connect(server.local_addr, linger=0.001, nodelay=False) as link:
        assert link.linger == pytest.approx(0.001)
        assert link.nodelay is False
        link.linger = 0
        link.nodelay = True
        assert link.linger == 0
        assert link.nodelay is True
    assert tether.DEFAULT_LINGER == pytest.approx(100e-6)


def test_use_after_close_is_a_value_error() -> None:
    a, b = tether.pair()
    a.close()
    a.close()  # twice is fine
    assert a.closed
    for call in (lambda: a.send(b"x"), a.recv, a.fileno, a.try_recv):
        with pytest.raises(ValueError, match="closed link"):
            call()
    assert "closed" in repr(a)
    b.close()


def test_closed_listener_ends_iteration() -> None:
    srv = tether.listen("tcp://127.0.0.1:0")
    threading.Timer(0.1, srv.close).start()
    assert list(srv) == []


def test_listener_accept_timeout() -> None:
    with tether.listen("tcp://127.0.0.1:0") as srv:
        assert srv.accept(timeout=0.01) is None


def test_connect_retry_for_waits_for_a_late_listener() -> None:
    # Find a free port, then listen on it only after the client has started.
    probe = tether.listen("tcp://127.0.0.1:0")
    addr = probe.local_addr
    probe.close()
    holder: "list[Any]" = []

    def late() -> None:
        time.sleep(0.2)
        srv = tether.listen(addr)
        holder.append(srv)
        holder.append(srv.accept(timeout=5))

    t = threading.Thread(target=late)
    t.start()
    with tether.connect(addr, retry_for=10.0) as link:
        t.join()
        link.send(b"late")
        assert holder[1].recv(timeout=5) == b"late"
    holder[1].close()
    holder[0].close()


def test_framing_options() -> None:
    a, b = tether.pair(framing="line")
    with a, b:
        assert a.framing == "line"
        a.send(b"one")
        assert b.recv(timeout=5) == b"one"
        with pytest.raises(tether.ProtocolError, match="newline"):
            a.send(b"two\nlines")
    a, b = tether.pair(framing="fixed:4")
    with a, b:
        a.send(b"abcd")
        assert b.recv(timeout=5) == b"abcd"
        with pytest.raises(tether.ProtocolError, match="fixed framing of 4-byte"):
            a.send(b"abc")
    with pytest.raises(ValueError, match="unknown framing"):
        tether.pair(framing="lenght")


def test_max_frame_len_on_send() -> None:
    a, b = tether.pair(max_frame_len=10)
    with a, b:
        a.send(bytes(10))
        with pytest.raises(tether.FrameTooLarge, match="frame of 11 bytes exceeds the 10 bytes limit") as e:
            a.send(bytes(11))
        assert isinstance(e.value, tether.ProtocolError)
        assert b.recv(timeout=5) == bytes(10)


def test_selectors_see_the_file_descriptor() -> None:
    import selectors

    a, b = tether.pair()
    with a, b, selectors.DefaultSelector() as sel:
        sel.register(b, selectors.EVENT_READ)
        assert sel.select(timeout=0) == []
        a.send_many([b"x", b"y"])
        assert len(sel.select(timeout=5)) == 1
        got = []
        while (m := b.try_recv()) is not None:  # drain after a wake-up
            got.append(m)
        assert got == [b"x", b"y"]
