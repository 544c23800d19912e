"""The functions of Python's ``struct`` module, done by ``tether.Record``.

This module does nothing but call ``Record``: it exists so that CPython's own
test suite for ``struct`` (``test.test_struct``) can be run against tether
(see ``test_struct_suite.py``). Like ``struct``, it keeps the last formats
used, so that ``pack(fmt, ...)`` parses ``fmt`` once.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Tuple, Union

import tether

__all__ = [
    "Struct",
    "calcsize",
    "error",
    "iter_unpack",
    "pack",
    "pack_into",
    "unpack",
    "unpack_from",
]

Struct = tether.Record
error = tether.RecordError

_Format = Union[str, bytes]
# As struct's cache: cleared when full, not least-recently-used.
_MAX_CACHE = 100
_cache: Dict[_Format, tether.Record] = {}


def _record(fmt: _Format) -> tether.Record:
    rec = _cache.get(fmt)
    if rec is None:
        rec = tether.Record(fmt)
        if len(_cache) >= _MAX_CACHE:
            _cache.clear()
        _cache[fmt] = rec
    return rec


def _clearcache() -> None:
    """Forgets the parsed formats, as ``struct._clearcache``."""
    _cache.clear()


def calcsize(fmt: _Format) -> int:
    """Size of a record of ``fmt`` in bytes."""
    return _record(fmt).size


def pack(fmt: _Format, *values: Any) -> bytes:
    """``values`` packed as ``fmt`` says."""
    return _record(fmt).pack(*values)


def pack_into(fmt: _Format, buffer: Any, offset: int, *values: Any) -> None:
    """Packs ``values`` into the writable ``buffer`` at ``offset``."""
    _record(fmt).pack_into(buffer, offset, *values)


def unpack(fmt: _Format, buffer: Any) -> Tuple[Any, ...]:
    """The values of the record that is all of ``buffer``."""
    return _record(fmt).unpack(buffer)


def unpack_from(fmt: _Format, /, buffer: Any, offset: int = 0) -> Tuple[Any, ...]:
    """The values of the record at ``offset`` of ``buffer``."""
    return _record(fmt).unpack_from(buffer, offset)


def iter_unpack(fmt: _Format, buffer: Any) -> Iterator[Tuple[Any, ...]]:
    """The values of each record of ``buffer``, in turn."""
    return _record(fmt).iter_unpack(buffer)
