"""Record against CPython's struct module, byte for byte and value for value."""

from __future__ import annotations

import math
import random
import struct
from typing import Any, List, Tuple

import pytest

import tether

FORMATS = [
    "!I 2s f",
    "<I 2s f",
    ">hHiIqQ",
    "=bB?xc",
    "@bhiq",
    "<e",
    ">d",
    "3s",
    "5p",
    "<10x",
    "@?",
    "<4B",
    "!",
    "",
    "<iq",
    "@ci",
    "2h 3x d",
]

LIMITS = {"b": 8, "h": 16, "i": 32, "l": 64, "q": 64}


def sample_value(code: str, count: int, rng: random.Random) -> Any:
    if code in "bhilq":
        bits = LIMITS[code] if code != "l" else struct.calcsize("l") * 8
        return rng.randint(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if code in "BHILQ":
        bits = {"B": 8, "H": 16, "I": 32, "L": struct.calcsize("L") * 8, "Q": 64}[code]
        return rng.randint(0, 2**bits - 1)
    if code == "?":
        return rng.choice([True, False])
    if code == "e":
        return rng.choice([0.0, 1.5, -2.0, 65504.0, math.inf])
    if code in "fd":
        return rng.choice([0.0, -0.0, 2.7, 1e-30, 3.4e38 if code == "f" else 1e300, math.inf])
    if code == "c":
        return bytes([rng.randrange(256)])
    if code in "sp":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(count + 2)))
    raise AssertionError(code)


def fields(fmt: str) -> List[Tuple[str, int]]:
    """(code, count) per value-taking run of the format."""
    out = []
    num = ""
    for ch in fmt:
        if ch.isdigit():
            num += ch
        elif ch in " @=<>!":
            continue
        else:
            n = int(num) if num else 1
            num = ""
            if ch == "x":
                continue
            if ch in "sp":
                out.append((ch, n))
            else:
                out.extend((ch, 1) for _ in range(n))
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("fmt", FORMATS)
def test_pack_and_unpack_match_struct(fmt: str) -> None:
    rng = random.Random(fmt)
    rec = tether.Record(fmt)
    assert rec.size == struct.calcsize(fmt)
    assert rec.format == fmt
    for _ in range(200):
        values = [sample_value(c, n, rng) for c, n in fields(fmt)]
        want = struct.pack(fmt, *values)
        assert rec.pack(*values) == want, values
        got = rec.unpack(want)
        expected = struct.unpack(fmt, want)
        assert len(got) == len(expected)
        assert all(same(a, b) for a, b in zip(got, expected)), (got, expected)


def test_unpack_from_and_iter_unpack_match_struct() -> None:
    rec = tether.Record("<hI")
    data = bytes(range(60))
    assert rec.unpack_from(data, 7) == struct.unpack_from("<hI", data, 7)
    assert rec.unpack_from(memoryview(data)) == struct.unpack_from("<hI", data)
    assert list(rec.iter_unpack(data)) == list(struct.iter_unpack("<hI", data))


def test_packs_what_struct_packs_from_other_types() -> None:
    rec = tether.Record("<d?i")
    assert rec.pack(1, 1.5, True) == struct.pack("<d?i", 1, 1.5, True)
    assert rec.pack(2.5, 0, False) == struct.pack("<d?i", 2.5, 0, False)


@pytest.mark.parametrize(
    "fmt, values",
    [
        ("<b", [128]),
        ("<B", [-1]),
        ("<Q", [2**64]),
        ("<i", [2**200]),
        ("<i", [1.5]),
        ("<2s", ["text"]),
        ("<i", []),
        ("<i", [1, 2]),
        ("<c", [b"ab"]),
        ("<f", [1e300]),
    ],
)
def test_rejects_what_struct_rejects(fmt: str, values: List[Any]) -> None:
    # Whatever struct raises, Record raises an exception of the same class
    # (its classes are also struct.errors).
    with pytest.raises((struct.error, TypeError, OverflowError)) as want:
        struct.pack(fmt, *values)
    with pytest.raises(tether.RecordError) as got:
        tether.Record(fmt).pack(*values)
    assert isinstance(got.value, type(want.value))


@pytest.mark.parametrize("fmt", ["<Z", "<3", "<n", "i<"])
def test_bad_formats_are_struct_errors_with_a_position(fmt: str) -> None:
    with pytest.raises(struct.error):
        struct.calcsize(fmt)
    with pytest.raises(tether.RecordError, match="position") as e:
        tether.Record(fmt)
    assert isinstance(e.value, struct.error)


def test_wrong_size_data_is_an_error() -> None:
    with pytest.raises(tether.RecordError, match="does not match the record size of 4"):
        tether.Record("<I").unpack(b"abc")


def test_record_over_a_link() -> None:
    rec = tether.Record("!I 2s f")
    a, b = tether.pair(framing="fixed:%d" % rec.size)
    with a, b:
        a.send(rec.pack(7, b"ab", 2.5))
        assert rec.unpack(b.recv()) == (7, b"ab", 2.5)
    assert repr(rec) == "Record('!I 2s f')"
