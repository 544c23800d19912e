package tether;

/**
 * How messages are delimited on a stream (docs/PROTOCOL.md): {@code length}
 * (a 4-byte big-endian length, then the payload; the default), {@code line}
 * (the payload, then LF), {@code fixed:N} (every message exactly N bytes) or
 * {@code raw} (no framing; each read is a message).
 *
 * <p>This class also encodes: {@link #check} refuses what the framing cannot
 * carry, and {@link #encode} writes one frame into a buffer.
 */
public final class Framing {
    /** The kinds of framing. */
    public enum Kind {
        /** 4-byte big-endian length prefix. */
        LENGTH,
        /** LF-terminated lines. */
        LINE,
        /** Records of a fixed size. */
        FIXED,
        /** No framing. */
        RAW
    }

    /** Length framing, the default on streams. */
    public static final Framing LENGTH = new Framing(Kind.LENGTH, 0);
    /** Line framing. */
    public static final Framing LINE = new Framing(Kind.LINE, 0);
    /** Raw: no framing. */
    public static final Framing RAW = new Framing(Kind.RAW, 0);

    private final Kind kind;
    private final int size;

    private Framing(Kind kind, int size) {
        this.kind = kind;
        this.size = size;
    }

    /**
     * Fixed framing of records of {@code size} bytes.
     *
     * @param size the record size, at least 1
     * @return the framing
     */
    public static Framing fixed(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("fixed framing needs a size of at least 1, not " + size);
        }
        return new Framing(Kind.FIXED, size);
    }

    /**
     * Parses {@code length}, {@code line}, {@code fixed:N} or {@code raw}.
     *
     * @param text the name, as the tether CLI spells it
     * @return the framing
     */
    public static Framing parse(String text) {
        switch (text) {
            case "length":
                return LENGTH;
            case "line":
                return LINE;
            case "raw":
                return RAW;
            default:
                break;
        }
        if (text.startsWith("fixed:")) {
            try {
                return fixed(Integer.parseInt(text.substring(6)));
            } catch (NumberFormatException e) {
                // fall through to the message naming every choice
            }
        }
        throw new IllegalArgumentException(
                "framing \"" + text + "\" is not one of length, line, fixed:N or raw");
    }

    /**
     * Which framing this is.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The record size of fixed framing; 0 for the others.
     *
     * @return bytes
     */
    public int size() {
        return size;
    }

    /**
     * Refuses a message this framing cannot carry to a peer with the given
     * limit: over {@code maxFrameLen} (length, line), containing LF (line),
     * or not exactly the record size (fixed).
     *
     * @param msg the buffer
     * @param off where the message starts
     * @param len its length
     * @param maxFrameLen the limit for length and line framing
     * @throws TetherException the refusal, before anything is written
     */
    public void check(byte[] msg, int off, int len, int maxFrameLen) throws TetherException {
        switch (kind) {
            case LENGTH:
                if (len > maxFrameLen) {
                    throw FrameTooLargeException.sending(len, maxFrameLen, "max_frame_len");
                }
                break;
            case LINE:
                if (len > maxFrameLen) {
                    throw FrameTooLargeException.sending(len, maxFrameLen, "max_frame_len");
                }
                for (int i = 0; i < len; i++) {
                    if (msg[off + i] == '\n') {
                        throw new NewlineInLineException(len, i);
                    }
                }
                break;
            case FIXED:
                if (len != size) {
                    throw new WrongSizeException(len, size);
                }
                break;
            default:
                break;
        }
    }

    /**
     * Bytes on the wire for a message of {@code len} bytes.
     *
     * @param len the payload length
     * @return the frame length
     */
    public int frameLength(int len) {
        switch (kind) {
            case LENGTH:
                return 4 + len;
            case LINE:
                return len + 1;
            default:
                return len;
        }
    }

    /**
     * Writes the frame of a message already {@linkplain #check checked} into
     * {@code dst}, which must have {@link #frameLength} bytes of room.
     *
     * @param msg the buffer
     * @param off where the message starts
     * @param len its length
     * @param dst the destination
     * @param at where in {@code dst} the frame starts
     * @return the index after the frame
     */
    public int encode(byte[] msg, int off, int len, byte[] dst, int at) {
        int p = at;
        if (kind == Kind.LENGTH) {
            p = putHeader(len, dst, p);
        }
        System.arraycopy(msg, off, dst, p, len);
        p += len;
        if (kind == Kind.LINE) {
            dst[p++] = '\n';
        }
        return p;
    }

    /** The length header of length framing, big-endian. */
    static int putHeader(int len, byte[] dst, int at) {
        dst[at] = (byte) (len >>> 24);
        dst[at + 1] = (byte) (len >>> 16);
        dst[at + 2] = (byte) (len >>> 8);
        dst[at + 3] = (byte) len;
        return at + 4;
    }

    @Override
    public String toString() {
        return kind == Kind.FIXED ? "fixed:" + size : kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Framing && ((Framing) o).kind == kind && ((Framing) o).size == size;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + size;
    }
}
