"""tether: persistent, framed links between programs, with the least delay.

One connection, kept; each ``send`` is one message and each ``recv`` returns
one whole message::

    import tether

    with tether.connect("tcp://192.168.1.20:9000", retry_for=10.0) as link:
        for bits in (b"\\x00\\x01\\x01\\x00", b"\\x01\\x00\\x00\\x01"):
            link.send(bits)
        reply = link.recv(timeout=0.005)      # bytes, or None on timeout

    rec = tether.Record("!I 2s f")            # the grammar of struct
    link.send(rec.pack(7, b"ab", 2.5))

    with tether.listen("tcp://0.0.0.0:9000") as server:
        for link in server:                   # Ctrl-C stops it cleanly
            for msg in link:                  # until the peer closes
                ...

The work is done by the Rust library ``tether``; blocking calls release the
GIL and answer Ctrl-C at once (a ``recv`` with no timeout) or within one
50 ms slice (other waits).
"""

from tether._errors import (
    AddressInUse,
    BrokenPipe,
    ConnectionAborted,
    ConnectionClosed,
    ConnectionRefused,
    ConnectionReset,
    DatagramTooLarge,
    EndpointError,
    FrameTooLarge,
    FrameTruncated,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RecordError,
    RecordOverflow,
    RecordTypeError,
    TetherError,
    TetherOSError,
    TimedOut,
    WouldBlock,
)
from tether._tether import (
    DEFAULT_LINGER,
    DEFAULT_MAX_FRAME_LEN,
    DatagramLink,
    Link,
    Listener,
    Record,
    __version__,
    connect,
    listen,
    pair,
)

__all__ = [
    "DEFAULT_LINGER",
    "DEFAULT_MAX_FRAME_LEN",
    "AddressInUse",
    "BrokenPipe",
    "ConnectionAborted",
    "ConnectionClosed",
    "ConnectionRefused",
    "ConnectionReset",
    "DatagramLink",
    "DatagramTooLarge",
    "EndpointError",
    "FrameTooLarge",
    "FrameTruncated",
    "Link",
    "Listener",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "Record",
    "RecordError",
    "RecordOverflow",
    "RecordTypeError",
    "TetherError",
    "TetherOSError",
    "TimedOut",
    "WouldBlock",
    "__version__",
    "connect",
    "listen",
    "pair",
]
