#!/usr/bin/env python3
"""Cases for the Java Record differential test, computed by CPython's struct.

    python3 record_cases.py [--seed N] [--count N]

Prints one case per line, five tab-separated fields:

    FORMAT  VALUES  PACKED  DATA  UNPACKED

VALUES and UNPACKED are space-separated tokens: i:DECIMAL (an int),
?:1 or ?:0 (a bool), f:HEX16 (a float, the 64 bits of the double; "f:nan"
for any NaN in UNPACKED), b:HEX (bytes). PACKED is the hex of
struct.pack(FORMAT, *VALUES), or "!" if struct refuses. DATA is random bytes
of struct.calcsize(FORMAT), and UNPACKED struct.unpack(FORMAT, DATA), or "-"
when the format itself is refused (then PACKED is "!").
"""

import argparse
import math
import random
import struct

CODES = "xcbB?hHiIlLqQefdsp"
INT_BITS = {"b": (8, True), "B": (8, False), "h": (16, True), "H": (16, False), "i": (32, True),
            "I": (32, False), "l": (32, True), "L": (32, False), "q": (64, True), "Q": (64, False)}
FLOAT_EDGES = [0.0, -0.0, 1.0, -1.5, 2.7, 1e-8, 5.960464477539063e-08, 2.9802322387695312e-08,
               6.103515625e-05, 65504.0, 65519.99, 65520.0, 1.00048828125, 1.00146484375,
               3.4028234663852886e38, 3.4028235677973366e38, 3.4028235677973362e38, 1e39,
               1.401298464324817e-45, 7e-46, 1e-320, 5e-324, float("inf"), -float("inf"),
               float("nan"), 1.7976931348623157e308]


def gen_format(r):
    if r.random() < 0.04:
        return r.choice(["@i", "i", "!4 h", "!n", "!i!", "<3", "!iP", ">q 2", "", "!z"])
    parts = []
    for _ in range(r.randint(0, 6)):
        c = r.choice(CODES)
        count = ""
        if r.random() < 0.4:
            hi = 12 if c in "sp" else 4
            count = str(r.randint(1 if c == "p" else 0, hi))
        parts.append(count + c + " " * r.choice([0, 0, 1, 2]))
    return r.choice("<>!=") + " " * r.choice([0, 0, 1]) + "".join(parts)


def gen_int(r, code):
    bits, signed = INT_BITS[code]
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    x = r.random()
    if x < 0.05:
        return r.choice([True, False])
    if x < 0.07:
        return r.choice([lo - 1, hi + 1])
    if x < 0.3:
        return r.choice([lo, hi, 0, 1, -1 if signed else 2])
    return r.randint(lo, hi)


def gen_float(r):
    x = r.random()
    if x < 0.3:
        return r.choice(FLOAT_EDGES) * r.choice([1, -1])
    if x < 0.4:
        return r.randint(-70000, 70000)
    if x < 0.6:  # halfway between binary16 neighbours: rounding ties
        return (1 + (2 * r.randint(0, 1023) + 1) / 2048) * 2.0 ** r.randint(-24, 15)
    if x < 0.7:
        return struct.unpack("<d", bytes(r.getrandbits(8) for _ in range(8)))[0]
    return r.uniform(-1e5, 1e5) * 10.0 ** r.randint(-40, 40)


def gen_bytes(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))


def gen_value(r, code, count):
    if code in INT_BITS:
        return gen_int(r, code)
    if code in "efd":
        return gen_float(r)
    if code == "?":
        return r.choice([True, False, 0, 3, -1])
    if code == "c":
        return gen_bytes(r, 1 if r.random() < 0.9 else r.choice([0, 2]))
    return gen_bytes(r, r.randint(0, count + 3))  # s and p


def gen_values(r, fmt):
    vals = []
    i = 1
    while i < len(fmt):
        c = fmt[i]
        i += 1
        if c == " ":
            continue
        count = None
        if c.isdigit():
            j = i - 1
            while i < len(fmt) and fmt[i].isdigit():
                i += 1
            count = int(fmt[j:i])
            c = fmt[i]
            i += 1
        n = 1 if count is None else count
        if c in "sp":
            vals.append(gen_value(r, c, n))
        elif c != "x":
            vals += [gen_value(r, c, n) for _ in range(n)]
    if vals and r.random() < 0.03:
        vals.pop()
    elif r.random() < 0.03:
        vals.append(1)
    return vals


def token(v):
    if isinstance(v, bool):
        return "?:%d" % v
    if isinstance(v, int):
        return "i:%d" % v
    if isinstance(v, float):
        return "f:nan" if math.isnan(v) else "f:" + struct.pack(">d", v).hex()
    return "b:" + v.hex()


def case(r):
    fmt = gen_format(r)
    try:
        size = struct.calcsize(fmt)
        if fmt[:1] not in ("<", ">", "!", "="):
            raise struct.error("native")
    except struct.error:
        return "\t".join([fmt, "-", "!", "-", "-"])
    vals = gen_values(r, fmt)
    try:
        packed = struct.pack(fmt, *vals).hex()
    except (struct.error, OverflowError, TypeError):
        packed = "!"
    data = gen_bytes(r, size)
    unpacked = " ".join(token(v) for v in struct.unpack(fmt, data))
    shown = " ".join(token(v) if not (isinstance(v, float) and math.isnan(v))
                     else "f:" + struct.pack(">d", v).hex() for v in vals)
    return "\t".join([fmt, shown, packed, data.hex(), unpacked])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    args = ap.parse_args()
    r = random.Random(args.seed)
    for _ in range(args.count):
        print(case(r))


if __name__ == "__main__":
    main()
