"""The exception hierarchy, with the library's messages."""

from __future__ import annotations

import errno
import socket

import pytest

import tether


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def test_refused_is_a_connection_refused_error() -> None:
    ep = "tcp://127.0.0.1:%d" % free_port()
    with pytest.raises(ConnectionRefusedError) as e:
        tether.connect(ep)
    err = e.value
    assert isinstance(err, tether.TetherError)
    assert isinstance(err, tether.TetherOSError)
    assert isinstance(err, OSError)
    assert err.errno == errno.ECONNREFUSED
    assert ep in str(err)


def test_the_errno_is_shown_once() -> None:
    ep = "tcp://127.0.0.1:%d" % free_port()
    with pytest.raises(ConnectionRefusedError) as e:
        tether.connect(ep)
    assert str(e.value).startswith("[Errno %d] " % errno.ECONNREFUSED), str(e.value)
    assert "os error" not in str(e.value), str(e.value)


def test_retry_for_gives_up_with_the_last_error() -> None:
    ep = "tcp://127.0.0.1:%d" % free_port()
    with pytest.raises(tether.ConnectionRefused, match=ep):
        tether.connect(ep, retry_for=0.2)


def test_address_in_use(server: tether.Listener) -> None:
    with pytest.raises(tether.AddressInUse, match="cannot listen on") as e:
        tether.listen(server.local_addr)
    assert e.value.errno == errno.EADDRINUSE


def test_missing_unix_socket(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError) as e:
        tether.connect("unix://%s/none.sock" % tmp_path)
    assert isinstance(e.value, tether.TetherError)


@pytest.mark.parametrize(
    "endpoint, words",
    [
        ("localhost:9000", "needs a scheme"),
        ("tcp://host", "HOST:PORT"),
        ("tcp://host:99999", "port"),
        ("udp://127.0.0.1:9", "DatagramLink"),
    ],
)
def test_bad_endpoints_are_value_errors(endpoint: str, words: str) -> None:
    with pytest.raises(tether.EndpointError, match=words) as e:
        tether.connect(endpoint)
    assert isinstance(e.value, ValueError)


def test_datagram_link_wants_udp() -> None:
    with pytest.raises(tether.EndpointError, match="udp://"):
        tether.DatagramLink.bind("tcp://127.0.0.1:0")


def test_frame_too_large_from_the_peer_names_the_numbers(server: tether.Listener) -> None:
    s = socket.create_connection(_host_port(server.local_addr))
    link = server.accept(timeout=5)
    assert link is not None
    s.sendall(b"\xff\xff\xff\xff")  # announces a 4 GiB frame
    with pytest.raises(tether.FrameTooLarge, match="frame of 4294967295 bytes exceeds the 16 MiB limit"):
        link.recv(timeout=5)
    s.close()
    link.close()


def test_closing_mid_frame_is_frame_truncated(server: tether.Listener) -> None:
    s = socket.create_connection(_host_port(server.local_addr))
    link = server.accept(timeout=5)
    assert link is not None
    s.sendall(b"\x00\x00\x00\x0aabc")  # 10 announced, 3 sent
    s.close()
    with pytest.raises(tether.FrameTruncated, match="got 7 of 14 bytes") as e:
        link.recv(timeout=5)
    assert isinstance(e.value, tether.ConnectionClosed)
    link.close()


def test_truncation_behind_whole_messages_is_not_lost(server: tether.Listener) -> None:
    # recv_many returns the whole messages first, then raises the truncation.
    s = socket.create_connection(_host_port(server.local_addr))
    link = server.accept(timeout=5)
    assert link is not None
    s.sendall(b"\x00\x00\x00\x01a\x00\x00\x00\x01b\x00\x00\x00\x05ab")
    s.close()
    got = []
    with pytest.raises(tether.FrameTruncated):
        for _ in range(10):
            got += link.recv_many(timeout=5)
    assert got == [b"a", b"b"]
    link.close()


def test_peer_reset_is_a_connection_error(server: tether.Listener) -> None:
    import struct

    s = socket.create_connection(_host_port(server.local_addr))
    link = server.accept(timeout=5)
    assert link is not None
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(b"\x00")
    s.close()  # RST
    with pytest.raises((ConnectionResetError, tether.FrameTruncated)):
        link.recv(timeout=5)
    link.close()


def test_every_error_is_a_tether_error() -> None:
    names = [n for n in tether.__all__ if n[0].isupper() and isinstance(getattr(tether, n), type)]
    for n in names:
        cls = getattr(tether, n)
        if issubclass(cls, BaseException):
            assert issubclass(cls, tether.TetherError), n
            assert cls.__doc__, n


def _host_port(ep: str) -> "tuple[str, int]":
    host, port = ep[len("tcp://") :].rsplit(":", 1)
    return host, int(port)


def test_sending_to_a_closed_peer_fails_with_an_os_error(server: tether.Listener) -> None:
    link = tether.connect(server.local_addr, linger=0)
    peer = server.accept(timeout=5)
    assert peer is not None
    peer.close()
    with pytest.raises((BrokenPipeError, ConnectionResetError)) as e:
        for _ in range(1000):  # the first writes may still be accepted
            link.send(b"x" * 1000)
    assert isinstance(e.value, tether.TetherOSError)
    link.close()


def test_exceptions_show_as_members_of_tether() -> None:
    assert tether.ConnectionRefused.__module__ == "tether"
    assert repr(tether.ConnectionClosed("x")) == "ConnectionClosed('x')"
