"""Record takes Python objects, buffers and formats as struct does (issue 18):
__index__, `?` by truth, exception classes, pack_into and offsets, bytes
formats. test_struct_suite.py runs CPython's own suite; these pin each case
on its own and check the exception classes of the cases whose wording that
suite compares."""

from __future__ import annotations

import array
import struct
import sys
from typing import Any, Callable

import pytest

import tether


class Indexable:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __index__(self) -> Any:
        return self.value


class IntOnly:
    def __int__(self) -> int:
        return 42


class Exploding:
    def __bool__(self) -> bool:
        raise OSError("no truth here")


class FloatLike:
    def __float__(self) -> float:
        return 2.5


def test_integer_codes_take_index_and_refuse_int_only_and_floats() -> None:
    rec = tether.Record("<bQ")
    assert rec.pack(Indexable(-3), Indexable(2**64 - 1)) == struct.pack("<bQ", -3, 2**64 - 1)
    for bad in (IntOnly(), 1.0, "1", Indexable(b"a"), Indexable(None)):
        with pytest.raises(tether.RecordTypeError) as e:
            rec.pack(bad, 0)
        assert isinstance(e.value, TypeError) and isinstance(e.value, struct.error)
        assert "field 0 ('b') takes an integer" in str(e.value)


def test_question_mark_packs_any_object_by_its_truth() -> None:
    rec = tether.Record("5?")
    assert rec.pack([], (1,), "", "x", 0.0) == struct.pack("5?", [], (1,), "", "x", 0.0)
    assert rec.pack([], (1,), "", "x", 0.0) == b"\x00\x01\x00\x01\x00"
    with pytest.raises(OSError, match="no truth here"):
        tether.Record("?").pack(Exploding())


def test_float_codes_take_what_float_takes() -> None:
    rec = tether.Record("<dd")
    assert rec.pack(FloatLike(), Indexable(7)) == struct.pack("<dd", FloatLike(), Indexable(7))
    assert tether.Record("<d").pack(2**200) == struct.pack("<d", 2**200)
    with pytest.raises(tether.RecordTypeError, match="too large for a float"):
        tether.Record("<d").pack(10**400)


@pytest.mark.parametrize(
    "fmt, value",
    [(">f", 2.0**128 * (1 - 2.0**-25)), ("<e", 65520.0), ("<e", -1e300), ("<f", 1e300)],
)
def test_floats_past_the_largest_finite_are_overflow_errors(fmt: str, value: float) -> None:
    with pytest.raises(OverflowError):
        struct.pack(fmt, value)
    with pytest.raises(tether.RecordOverflow) as e:
        tether.Record(fmt).pack(value)
    assert isinstance(e.value, OverflowError) and isinstance(e.value, struct.error)


@pytest.mark.parametrize("value", [70000, -1, 2**64, -(2**200)])
def test_integers_out_of_range_name_the_number(value: int) -> None:
    with pytest.raises(struct.error):
        struct.pack("<H", value)
    with pytest.raises(tether.RecordOverflow, match=f"value {value} for field 0 \\('H'\\)"):
        tether.Record("<H").pack(value)


@pytest.mark.parametrize("make", [bytearray, lambda b: memoryview(bytearray(b)), lambda b: array.array("b", b)])
def test_pack_into_fills_any_writable_buffer_at_any_offset(make: Callable[[bytes], Any]) -> None:
    rec = tether.Record("<hI")
    for offset in (0, 3, -6, -10):
        want = bytearray(b" " * 10)
        struct.pack_into("<hI", want, offset, -2, 7)
        got = make(b" " * 10)
        rec.pack_into(got, offset, -2, 7)
        assert bytes(got) == bytes(want)


def test_pack_into_refuses_what_struct_refuses() -> None:
    rec = tether.Record("<I")
    with pytest.raises(TypeError):
        rec.pack_into(b"read-only", 0, 1)
    with pytest.raises(tether.RecordError, match="packing 4 bytes at offset 8 needs 12 bytes, got 10"):
        rec.pack_into(bytearray(10), -2, 1)
    with pytest.raises(tether.RecordError, match="offset -11 is before the start"):
        rec.pack_into(bytearray(10), -11, 1)
    with pytest.raises(tether.RecordError, match="takes 1 values, got 2"):
        rec.pack_into(bytearray(10), 0, 1, 2)
    with pytest.raises(TypeError):
        rec.pack_into(bytearray(10), None, 1)  # type: ignore[arg-type]


def test_unpack_from_counts_negative_offsets_from_the_end() -> None:
    data = bytes(range(10))
    rec = tether.Record("<H")
    for buf in (data, bytearray(data), memoryview(data), array.array("B", data)):
        for offset in (0, 4, 8, -2, -10):
            assert rec.unpack_from(buf, offset) == struct.unpack_from("<H", data, offset)
        assert rec.unpack_from(buffer=buf, offset=-2) == (0x0908,)
    with pytest.raises(tether.RecordError, match="offset -11 is before the start of a buffer of 10"):
        rec.unpack_from(data, -11)
    with pytest.raises(tether.RecordError, match="unpacking 2 bytes at offset 9 needs 11"):
        rec.unpack_from(data, -1)


def test_iter_unpack_of_a_zero_size_format_is_an_error() -> None:
    with pytest.raises(struct.error):
        struct.iter_unpack(">", b"")
    with pytest.raises(tether.RecordError, match="size 0"):
        tether.Record(">").iter_unpack(b"")


def test_formats_may_be_bytes_and_non_ascii_is_a_bad_character() -> None:
    assert tether.Record(b"=i2H").format == "=i2H"
    assert tether.Record(b"=i2H").size == struct.calcsize(b"=i2H")
    for fmt in ("<\u00e9", b"<\xe9"):
        with pytest.raises(tether.RecordError, match="position 1"):
            tether.Record(fmt)
    with pytest.raises(TypeError):
        tether.Record(bytearray(b"i"))  # type: ignore[arg-type]


# The cases of test_struct's tests that compare CPython's wording, checked
# here for the exception class only.
@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.pack_into("b", bytearray(1), 5, 1),
        lambda s: s.unpack_from("b", bytearray(1), 5),
        lambda s: s.pack_into("<I", bytearray(10), -2, 123),
        lambda s: s.pack_into("<B", bytearray(10), -11, 123),
        lambda s: s.unpack_from("<I", bytearray(10), -2),
        lambda s: s.unpack_from("<B", bytearray(10), -11),
        lambda s: s.pack_into("<I", bytearray(10), sys.maxsize, 1),
        lambda s: s.unpack_from("<I", bytearray(10), sys.maxsize),
        lambda s: s.calcsize("2\0i"),
        lambda s: s.calcsize(b"\0"),
        lambda s: s.pack("H", 70000),
        lambda s: s.pack("h", -70000),
        lambda s: s.calcsize("<n"),
        lambda s: s.pack("=N", 0),
        lambda s: s.unpack("!n", b""),
    ],
)
def test_cases_compared_by_wording_raise_the_same_class(call: Callable[[Any], Any]) -> None:
    import tether_struct

    with pytest.raises(struct.error):
        call(struct)
    with pytest.raises(tether.RecordError):
        call(tether_struct)
