package tether;

import java.math.BigInteger;

/** How {@link Record} reads Java values as Python's {@code struct} reads Python ones. */
final class RecordValues {
    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private RecordValues() {}

    /**
     * An integer code's value, range-checked as struct does: Byte, Short,
     * Integer, Long, BigInteger or Boolean (Python's bool is an int); never a
     * float. Returns the two's-complement bits for Q.
     */
    static long integer(Object v, char code, int size, boolean signed) {
        BigInteger big;
        if (v instanceof Boolean) {
            big = ((Boolean) v) ? BigInteger.ONE : BigInteger.ZERO;
        } else if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) {
            big = BigInteger.valueOf(((Number) v).longValue());
        } else if (v instanceof BigInteger) {
            big = (BigInteger) v;
        } else {
            throw new IllegalArgumentException("'" + code + "' needs an integer, not " + typeName(v));
        }
        BigInteger lo;
        BigInteger hi;
        if (signed) {
            lo = BigInteger.ONE.shiftLeft(8 * size - 1).negate();
            hi = BigInteger.ONE.shiftLeft(8 * size - 1).subtract(BigInteger.ONE);
        } else {
            lo = BigInteger.ZERO;
            hi = size == 8 ? MAX_U64 : BigInteger.ONE.shiftLeft(8 * size).subtract(BigInteger.ONE);
        }
        if (big.compareTo(lo) < 0 || big.compareTo(hi) > 0) {
            throw new IllegalArgumentException("'" + code + "' format requires " + lo + " <= number <= " + hi
                    + ", not " + big);
        }
        return big.longValue();
    }

    /** A float code's value: any Number or Boolean, as Python's float() of an int or bool. */
    static double real(Object v, char code) {
        if (v instanceof Boolean) {
            return ((Boolean) v) ? 1.0 : 0.0;
        }
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException("'" + code + "' needs a number, not " + typeName(v));
        }
        double d = ((Number) v).doubleValue();
        if (v instanceof BigInteger && Double.isInfinite(d)) {
            throw new IllegalArgumentException("'" + code + "': integer too large to convert to float");
        }
        return d;
    }

    /** The truth of a value for '?', as Python's bool(): null, false, 0, 0.0 and empty arrays are false. */
    static boolean truth(Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        if (v instanceof BigInteger) {
            return ((BigInteger) v).signum() != 0;
        }
        if (v instanceof Double || v instanceof Float) {
            return ((Number) v).doubleValue() != 0.0; // NaN is true, as in Python
        }
        if (v instanceof Number) {
            return ((Number) v).longValue() != 0;
        }
        if (v instanceof byte[]) {
            return ((byte[]) v).length != 0;
        }
        if (v instanceof CharSequence) {
            return ((CharSequence) v).length() != 0;
        }
        return true;
    }

    /** The bytes of an 's', 'p' or 'c' value: a byte[] only (Python refuses str too). */
    static byte[] bytes(Object v, char code) {
        if (!(v instanceof byte[])) {
            throw new IllegalArgumentException("'" + code + "' needs a byte[], not " + typeName(v));
        }
        return (byte[]) v;
    }

    private static String typeName(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName();
    }
}
