"""The exceptions tether raises.

Every one is a ``TetherError``. Failures of the operating system (refused
connections, resets, addresses in use) are also ``OSError`` subclasses, the
built-in ones where one fits, so ``except ConnectionRefusedError`` and
``except OSError`` work as they do with the ``socket`` module. Messages are
the library's: they name the endpoint and the numbers.
"""

import struct

__all__ = [
    "TetherError",
    "ConnectionClosed",
    "FrameTruncated",
    "ProtocolError",
    "FrameTooLarge",
    "EndpointError",
    "DatagramTooLarge",
    "RecordError",
    "RecordOverflow",
    "RecordTypeError",
    "TetherOSError",
    "ConnectionRefused",
    "ConnectionReset",
    "ConnectionAborted",
    "BrokenPipe",
    "TimedOut",
    "AddressInUse",
    "PermissionDenied",
    "NotFound",
    "WouldBlock",
]


class TetherError(Exception):
    """Base class of every exception tether raises."""


class ConnectionClosed(TetherError):
    """The peer closed the connection cleanly, between messages."""


class FrameTruncated(ConnectionClosed):
    """The peer closed the connection inside a message; the partial message
    was discarded. The message says how many bytes of how many arrived."""


class ProtocolError(TetherError):
    """The framing rules were broken: a newline in a message for line
    framing, a message of the wrong size for fixed framing, ..."""


class FrameTooLarge(ProtocolError):
    """A message (sent or announced by the peer) is over ``max_frame_len``;
    raised from the length header, before any memory is reserved for it."""


class EndpointError(TetherError, ValueError):
    """An endpoint string could not be understood, or its scheme does not fit
    the call (``udp://`` given to ``connect``)."""


class DatagramTooLarge(TetherError, ValueError):
    """A datagram over what UDP can carry; nothing was sent."""


class RecordError(TetherError, struct.error):
    """A bad record format, or values or bytes that do not fit it. Also a
    ``struct.error``, as the ``struct`` module would raise."""


class RecordOverflow(RecordError, OverflowError):
    """A value out of the range of its field: an integer too large or too
    small for its code, or a finite float that rounds past the largest ``e``
    or ``f``. An ``OverflowError`` as well, as ``struct`` raises for floats."""


class RecordTypeError(RecordError, TypeError):
    """A value of a type its field does not take: a float or a str for an
    integer code, a number for ``s``. A ``TypeError`` as well."""


class TetherOSError(TetherError, OSError):
    """The operating system refused an operation; ``errno`` is set when it
    gave one."""


class ConnectionRefused(TetherOSError, ConnectionRefusedError):
    """Nobody listens at the endpoint."""


class ConnectionReset(TetherOSError, ConnectionResetError):
    """The peer reset the connection."""


class ConnectionAborted(TetherOSError, ConnectionAbortedError):
    """The connection was aborted on this side."""


class BrokenPipe(TetherOSError, BrokenPipeError):
    """Writing to a connection the peer has closed."""


class TimedOut(TetherOSError, TimeoutError):
    """The operating system gave up waiting (a connect timeout)."""


class AddressInUse(TetherOSError):
    """Another socket is bound to the endpoint."""


class PermissionDenied(TetherOSError, PermissionError):
    """Not allowed: a privileged port, an unwritable socket directory."""


class NotFound(TetherOSError, FileNotFoundError):
    """No such Unix socket path, or a host name with no address."""


class WouldBlock(TetherOSError, BlockingIOError):
    """Nothing can be done without waiting (non-blocking mode)."""


# Shown as tether.ConnectionRefused (where users import them from) rather
# than tether._errors.ConnectionRefused in tracebacks.
for _name in __all__:
    globals()[_name].__module__ = "tether"
del _name
