#!/usr/bin/env python3
"""Generate testdata/vectors/frames.json, the golden framing vectors of the
tether wire protocol v1 (docs/PROTOCOL.md, appendix "Test vectors").

The wire bytes below are written out by hand (with struct.pack for the
headers) rather than produced by a codec, so the vectors check codecs
instead of agreeing with one.

    python3 testdata/vectors/generate.py          # (re)write frames.json
    python3 testdata/vectors/generate.py --check  # exit 1 if frames.json is stale

How to read a vector (the same rules are in docs/PROTOCOL.md):

* error null: encoding `messages` in order gives exactly `wire`, and
  decoding `wire` then end-of-stream gives exactly `messages` and a clean
  close. One exception, marked "decode only" in its name: line framing whose
  wire does not end in LF (a final unterminated line, delivered at close);
  its canonical encoding is `wire` plus one 0a byte.
* a decode-side error (frame_too_large, line_too_long, truncated): decoding
  `wire` gives `messages`, then that error. `wire` is the encoding of
  `messages` followed by the offending bytes.
* an encode-side error (newline_in_line, wrong_size): `wire` is "" and
  `messages` holds one message whose encoding fails with that error. There
  is nothing to decode.
* raw framing: the decoder is given all of `wire` in one read; every other
  framing must give the same result however `wire` is split into reads.
"""

import json
import os
import struct
import sys

DEFAULT_MAX_FRAME_LEN = 16 * 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "frames.json")


def be32(n):
    return struct.pack(">I", n)


def lp(payload):
    """One length-framed frame, spelled out: 4-byte big-endian length, payload."""
    return be32(len(payload)) + payload


def vec(name, framing, messages, wire, error=None, max_frame_len=None, fixed_size=None):
    v = {"name": name, "framing": framing}
    if fixed_size is not None:
        v["fixed_size"] = fixed_size
    if max_frame_len is not None:
        v["max_frame_len"] = max_frame_len
    v["messages"] = [m.hex() for m in messages]
    v["wire"] = wire.hex()
    v["error"] = error
    return v


def vectors():
    out = []
    # ---- length framing ------------------------------------------------
    out.append(vec("length_empty_message", "length", [b""], b"\x00\x00\x00\x00"))
    out.append(vec("length_hello_world", "length", [b"Hello, World!"],
                   bytes.fromhex("0000000d") + b"Hello, World!"))
    msgs = [b"a", b"", b"bc", b"Hello"]
    out.append(vec("length_back_to_back", "length", msgs, b"".join(lp(m) for m in msgs)))
    # A payload that itself looks like a length header.
    out.append(vec("length_four_binary_bytes", "length", [b"\x00\x01\x01\x00"],
                   bytes.fromhex("00000004" "00010100")))
    p300 = bytes(i % 256 for i in range(300))
    out.append(vec("length_300_bytes", "length", [p300], bytes.fromhex("0000012c") + p300))
    out.append(vec("length_exactly_at_max_8", "length", [b"12345678"],
                   bytes.fromhex("00000008") + b"12345678", max_frame_len=8))
    out.append(vec("length_one_over_max_8", "length", [],
                   bytes.fromhex("00000009") + b"123456789",
                   error="frame_too_large", max_frame_len=8))
    out.append(vec("length_header_ffffffff", "length", [], bytes.fromhex("ffffffff"),
                   error="frame_too_large"))
    out.append(vec("length_frames_then_too_large", "length", [b"ok"],
                   lp(b"ok") + bytes.fromhex("ffffffff"), error="frame_too_large"))
    # At the default limit: a claim of exactly 16 MiB is legal (the stream
    # then ends, so it is truncated); one byte more is refused from the header.
    out.append(vec("length_claim_exactly_16mib_truncated", "length", [],
                   bytes.fromhex("01000000"), error="truncated"))
    out.append(vec("length_claim_16mib_plus_1", "length", [], bytes.fromhex("01000001"),
                   error="frame_too_large"))
    out.append(vec("length_truncated_header", "length", [], bytes.fromhex("0000"),
                   error="truncated"))
    out.append(vec("length_truncated_payload", "length", [],
                   bytes.fromhex("00000005") + b"ab", error="truncated"))
    out.append(vec("length_frame_then_truncated_payload", "length", [b"hi"],
                   lp(b"hi") + bytes.fromhex("00000005") + b"ab", error="truncated"))
    out.append(vec("length_max_0_empty_only", "length", [b"", b""],
                   bytes.fromhex("00000000" "00000000"), max_frame_len=0))
    # ---- line framing --------------------------------------------------
    out.append(vec("line_two_lines", "line", [b"hello", b"world"], b"hello\nworld\n"))
    out.append(vec("line_empty_line", "line", [b"a", b"", b"b"], b"a\n\nb\n"))
    out.append(vec("line_unterminated_final_line_decode_only", "line", [b"a", b"b"], b"a\nb"))
    out.append(vec("line_crlf_kept", "line", [b"hi\r"], b"hi\r\n"))
    out.append(vec("line_binary_bytes", "line", [b"\x00\xff\r"], b"\x00\xff\r\n"))
    out.append(vec("line_exactly_at_max_8", "line", [b"12345678"], b"12345678\n",
                   max_frame_len=8))
    out.append(vec("line_too_long", "line", [b"ok"], b"ok\n123456789\n",
                   error="line_too_long", max_frame_len=8))
    out.append(vec("line_too_long_unterminated", "line", [], b"123456789",
                   error="line_too_long", max_frame_len=8))
    out.append(vec("line_newline_in_line", "line", [b"a\nb"], b"", error="newline_in_line"))
    # ---- fixed framing -------------------------------------------------
    # Python struct.pack('I 2s f', 1, b'ab', 2.7) on x86_64 Linux: native
    # order, sizes and alignment, so 2 pad bytes before the float.
    rec1 = bytes.fromhex("01000000" "6162" "0000" "cdcc2c40")
    rec2 = bytes.fromhex("02000000" "6364" "0000" "0000c0bf")  # (2, b'cd', -1.5)
    out.append(vec("fixed_12_python_struct", "fixed", [rec1], rec1, fixed_size=12))
    out.append(vec("fixed_12_two_records", "fixed", [rec1, rec2], rec1 + rec2, fixed_size=12))
    # The portable spelling: struct.pack('!I 2s f', 1, b'ab', 2.7), 10 bytes.
    net = bytes.fromhex("00000001" "6162" "402ccccd")
    out.append(vec("fixed_10_network_order", "fixed", [net], net, fixed_size=10))
    out.append(vec("fixed_12_truncated_record", "fixed", [rec1], rec1 + rec2[:5],
                   error="truncated", fixed_size=12))
    out.append(vec("fixed_12_wrong_size", "fixed", [net], b"", error="wrong_size",
                   fixed_size=12))
    # ---- raw -----------------------------------------------------------
    out.append(vec("raw_one_message", "raw", [b"hello raw"], b"hello raw"))
    return out


def render():
    return json.dumps({"version": 1, "vectors": vectors()}, indent=2) + "\n"


def write_or_check(path, text, count, script, argv):
    """Writes `text` to `path`, or with --check only says whether it is current.

    Shared by generate.py and generate_text.py, so both forms behave alike."""
    name = os.path.basename(path)
    if "--check" in argv:
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            print("%s is out of date: run python3 %s" % (name, script), file=sys.stderr)
            return 1
        print("%s is up to date" % name)
        return 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s (%d vectors)" % (os.path.relpath(path), count))
    return 0


def main(argv):
    return write_or_check(OUT, render(), len(vectors()), "testdata/vectors/generate.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
