package tether;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A binary record described by a Python {@code struct} format with standard
 * sizes and no padding, byte for byte what CPython's {@code struct} packs:
 *
 * <pre>{@code
 * Record rec = Record.parse("!I 2s f");        // 10 bytes, network order
 * byte[] b = rec.pack(1, "ab".getBytes(), 2.7f);
 * Object[] v = rec.unpack(b);                  // [1L, [97, 98], 2.700000047683716]
 * }</pre>
 *
 * <p>The format starts with its byte order: {@code <} little-endian,
 * {@code >} or {@code !} big-endian, {@code =} this machine's order (native
 * {@code @} layouts, with their padding, are refused: they differ between
 * machines). Then codes, each with an optional count: {@code x} pad byte,
 * {@code c} char (a 1-byte {@code byte[]}), {@code b B} 8-bit, {@code ?}
 * bool, {@code h H} 16-bit, {@code i I l L} 32-bit, {@code q Q} 64-bit
 * integers, {@code e f d} 16/32/64-bit floats, {@code s} bytes (the count is
 * the length; padded with zeros or cut), {@code p} Pascal string (a length
 * byte, then count - 1 bytes). Spaces between codes are allowed.
 *
 * <p>Values to pack: integers as Byte, Short, Integer, Long, BigInteger or
 * Boolean, range-checked; floats as any Number; {@code ?} anything (its
 * truth, as Python's {@code bool()}); {@code s p c} a {@code byte[]}.
 * Unpacked values: Long for integers but {@code Q}, which is a BigInteger;
 * Double for {@code e f d}; Boolean; {@code byte[]}. Errors are
 * {@link IllegalArgumentException}s worded after Python's.
 */
public final class Record {
    /** The largest record, in bytes (a record is one Java array). */
    public static final int MAX_SIZE = Integer.MAX_VALUE - 16;

    private final String format;
    private final ByteOrder order;
    private final char[] codes;
    private final int[] counts;
    private final int size;
    private final int values;

    private Record(String format, ByteOrder order, char[] codes, int[] counts, int size, int values) {
        this.format = format;
        this.order = order;
        this.codes = codes;
        this.counts = counts;
        this.size = size;
        this.values = values;
    }

    /**
     * Parses a format such as {@code "!I 2s f"} or {@code "<hhq"}.
     *
     * @param format the format, starting with one of {@code < > ! =}
     * @return the record
     * @throws IllegalArgumentException for a format struct would refuse, or a native one
     */
    public static Record parse(String format) {
        ByteOrder order = format.isEmpty() ? null : orderOf(format.charAt(0));
        if (order == null) {
            throw new IllegalArgumentException("record format \"" + format
                    + "\" needs a byte order first: ! < > or = (native @ layouts differ between machines)");
        }
        List<Character> cs = new ArrayList<>();
        List<Integer> ns = new ArrayList<>();
        long size = 0;
        long values = 0;
        int i = 1;
        while (i < format.length()) {
            char c = format.charAt(i++);
            if (" \t\n\r\u000b\f".indexOf(c) >= 0) {
                continue;
            }
            long count = 1;
            if (c >= '0' && c <= '9') {
                count = c - '0';
                while (i < format.length() && format.charAt(i) >= '0' && format.charAt(i) <= '9') {
                    count = count * 10 + (format.charAt(i++) - '0');
                    if (count > MAX_SIZE) {
                        throw new IllegalArgumentException("total struct size too long in \"" + format + "\"");
                    }
                }
                if (i == format.length()) {
                    throw new IllegalArgumentException("repeat count given without format specifier in \""
                            + format + "\"");
                }
                c = format.charAt(i++);
            }
            int width = width(c);
            if (width < 0) {
                throw new IllegalArgumentException("bad char in struct format \"" + format + "\": '" + c + "'");
            }
            boolean whole = c == 's' || c == 'p';
            size += whole ? count : count * width;
            values += c == 'x' ? 0 : whole ? 1 : count;
            if (size > MAX_SIZE) {
                throw new IllegalArgumentException("total struct size too long in \"" + format + "\"");
            }
            cs.add(c);
            ns.add((int) count);
        }
        char[] codes = new char[cs.size()];
        int[] counts = new int[ns.size()];
        for (int k = 0; k < codes.length; k++) {
            codes[k] = cs.get(k);
            counts[k] = ns.get(k);
        }
        return new Record(format, order, codes, counts, (int) size, (int) values);
    }

    private static ByteOrder orderOf(char c) {
        switch (c) {
            case '<':
                return ByteOrder.LITTLE_ENDIAN;
            case '>':
            case '!':
                return ByteOrder.BIG_ENDIAN;
            case '=':
                return ByteOrder.nativeOrder();
            default:
                return null;
        }
    }

    /** Standard size of one item of {@code c}, or -1 for a code standard layouts do not have. */
    private static int width(char c) {
        switch (c) {
            case 'x': case 'c': case 'b': case 'B': case '?': case 's': case 'p':
                return 1;
            case 'h': case 'H': case 'e':
                return 2;
            case 'i': case 'I': case 'l': case 'L': case 'f':
                return 4;
            case 'q': case 'Q': case 'd':
                return 8;
            default:
                return -1;
        }
    }

    /**
     * The format as given.
     *
     * @return the format
     */
    public String format() {
        return format;
    }

    /**
     * The record's size in bytes (Python's {@code struct.calcsize}).
     *
     * @return bytes
     */
    public int size() {
        return size;
    }

    /**
     * How many values {@link #pack} takes and {@link #unpack} returns.
     *
     * @return the number of values
     */
    public int count() {
        return values;
    }

    /**
     * Packs values into a new record.
     *
     * @param vals one value per code (and per count)
     * @return {@link #size()} bytes
     * @throws IllegalArgumentException for a wrong number, type or range of values
     */
    public byte[] pack(Object... vals) {
        if (vals.length != values) {
            throw new IllegalArgumentException("pack expected " + values + " items for packing (got "
                    + vals.length + ")");
        }
        byte[] out = new byte[size];
        ByteBuffer bb = ByteBuffer.wrap(out).order(order);
        int v = 0;
        for (int k = 0; k < codes.length; k++) {
            char c = codes[k];
            int n = counts[k];
            if (c == 'x') {
                bb.position(bb.position() + n);
            } else if (c == 's' || c == 'p') {
                packBytes(bb, c, n, RecordValues.bytes(vals[v++], c));
            } else {
                for (int j = 0; j < n; j++) {
                    packOne(bb, c, vals[v++]);
                }
            }
        }
        return out;
    }

    private static void packBytes(ByteBuffer bb, char c, int n, byte[] b) {
        int at = bb.position();
        if (c == 's') {
            bb.put(b, 0, Math.min(b.length, n));
        } else if (n > 0) {
            int len = Math.min(b.length, n - 1);
            bb.put((byte) Math.min(len, 255));
            bb.put(b, 0, len);
        }
        bb.position(at + n);
    }

    private static void packOne(ByteBuffer bb, char c, Object v) {
        switch (c) {
            case 'c': {
                byte[] b = RecordValues.bytes(v, c);
                if (b.length != 1) {
                    throw new IllegalArgumentException("char format requires a byte[] of length 1, not "
                            + b.length);
                }
                bb.put(b[0]);
                break;
            }
            case '?':
                bb.put((byte) (RecordValues.truth(v) ? 1 : 0));
                break;
            case 'e': {
                int h = Half.pack(RecordValues.real(v, c));
                if (h < 0) {
                    throw new IllegalArgumentException("float too large to pack with e format: " + v);
                }
                bb.putShort((short) h);
                break;
            }
            case 'f': {
                double d = RecordValues.real(v, c);
                float f = (float) d;
                if (Float.isInfinite(f) && !Double.isInfinite(d)) {
                    throw new IllegalArgumentException("float too large to pack with f format: " + v);
                }
                bb.putFloat(f);
                break;
            }
            case 'd':
                bb.putDouble(RecordValues.real(v, c));
                break;
            default:
                putInteger(bb, c, v);
        }
    }

    private static void putInteger(ByteBuffer bb, char c, Object v) {
        int w = width(c);
        long x = RecordValues.integer(v, c, w, Character.isLowerCase(c));
        switch (w) {
            case 1:
                bb.put((byte) x);
                break;
            case 2:
                bb.putShort((short) x);
                break;
            case 4:
                bb.putInt((int) x);
                break;
            default:
                bb.putLong(x);
        }
    }

    /**
     * Unpacks a record of exactly {@link #size()} bytes.
     *
     * @param data the record
     * @return the values
     * @throws IllegalArgumentException if {@code data} is not {@link #size()} bytes
     */
    public Object[] unpack(byte[] data) {
        if (data.length != size) {
            throw new IllegalArgumentException("unpack requires a buffer of " + size + " bytes, not "
                    + data.length);
        }
        return unpack(data, 0);
    }

    /**
     * Unpacks the record at {@code offset} (Python's {@code unpack_from}).
     *
     * @param data the buffer
     * @param offset where the record starts
     * @return the values
     * @throws IllegalArgumentException if fewer than {@link #size()} bytes follow {@code offset}
     */
    public Object[] unpack(byte[] data, int offset) {
        if (offset < 0 || data.length - offset < size) {
            throw new IllegalArgumentException("unpack_from requires a buffer of at least " + size
                    + " bytes at offset " + offset + " (it has " + Math.max(0, data.length - offset) + ")");
        }
        ByteBuffer bb = ByteBuffer.wrap(data, offset, size).order(order);
        Object[] out = new Object[values];
        int v = 0;
        for (int k = 0; k < codes.length; k++) {
            char c = codes[k];
            int n = counts[k];
            int at = bb.position();
            if (c == 'x') {
                bb.position(at + n);
            } else if (c == 's') {
                out[v++] = Arrays.copyOfRange(data, at, at + n);
                bb.position(at + n);
            } else if (c == 'p') {
                int len = n == 0 ? 0 : Math.min(data[at] & 0xff, n - 1);
                out[v++] = n == 0 ? new byte[0] : Arrays.copyOfRange(data, at + 1, at + 1 + len);
                bb.position(at + n);
            } else {
                for (int j = 0; j < n; j++) {
                    out[v++] = unpackOne(bb, c);
                }
            }
        }
        return out;
    }

    private static Object unpackOne(ByteBuffer bb, char c) {
        switch (c) {
            case 'c':
                return new byte[] {bb.get()};
            case '?':
                return bb.get() != 0;
            case 'b':
                return (long) bb.get();
            case 'B':
                return (long) (bb.get() & 0xff);
            case 'h':
                return (long) bb.getShort();
            case 'H':
                return (long) (bb.getShort() & 0xffff);
            case 'i':
            case 'l':
                return (long) bb.getInt();
            case 'I':
            case 'L':
                return bb.getInt() & 0xffffffffL;
            case 'q':
                return bb.getLong();
            case 'Q':
                return new BigInteger(Long.toUnsignedString(bb.getLong()));
            case 'e':
                return Half.unpack(bb.getShort() & 0xffff);
            case 'f':
                return (double) bb.getFloat();
            default:
                return bb.getDouble();
        }
    }

    @Override
    public String toString() {
        return "Record(\"" + format + "\", " + size + " bytes)";
    }
}
