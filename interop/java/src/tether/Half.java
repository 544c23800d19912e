package tether;

/**
 * IEEE 754 binary16 (the {@code e} code of {@link Record}), converted as
 * CPython's {@code PyFloat_Pack2}/{@code PyFloat_Unpack2} do: straight from
 * the double, rounding half to even, refusing what would round past 65504.
 */
final class Half {
    private Half() {}

    /** The 16 bits of {@code x}, or -1 if it is too large for binary16. */
    static int pack(double x) {
        if (x == 0.0) {
            return sign(x) << 15;
        }
        if (Double.isInfinite(x)) {
            return (x < 0 ? 0x8000 : 0) | 0x7c00;
        }
        if (Double.isNaN(x)) {
            return (sign(x) << 15) | 0x7e00;
        }
        int s = x < 0 ? 1 : 0;
        double a = Math.abs(x);
        int e = Math.getExponent(a); // a = f * 2^e with f in [1, 2) for normal doubles
        double f = a / Math.scalb(1.0, e);
        if (e >= 16) {
            return -1;
        } else if (e < -25) {
            f = 0.0; // under 2^-25: rounds to zero
            e = 0;
        } else if (e < -14) {
            f = Math.scalb(f, 14 + e); // gradual underflow
            e = 0;
        } else {
            e += 15;
            f -= 1.0; // the leading 1 is implicit
        }
        f *= 1024.0;
        int bits = (int) f;
        if (f - bits > 0.5 || (f - bits == 0.5 && (bits & 1) == 1)) {
            bits++;
            if (bits == 1024) {
                bits = 0; // the carry ran out of the mantissa
                if (++e == 31) {
                    return -1;
                }
            }
        }
        return (s << 15) | (e << 10) | bits;
    }

    /** The value of the 16 bits {@code h}. */
    static double unpack(int h) {
        int s = (h >> 15) & 1;
        int e = (h >> 10) & 0x1f;
        int f = h & 0x3ff;
        if (e == 0x1f) {
            if (f == 0) {
                return s == 1 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            return s == 1 ? -Double.NaN : Double.NaN;
        }
        double x = f / 1024.0;
        if (e == 0) {
            e = -14;
        } else {
            x += 1.0;
            e -= 15;
        }
        x = Math.scalb(x, e);
        return s == 1 ? -x : x;
    }

    private static int sign(double x) {
        return Math.copySign(1.0, x) < 0 ? 1 : 0;
    }
}
