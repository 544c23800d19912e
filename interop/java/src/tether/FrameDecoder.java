package tether;

import java.util.Arrays;

/**
 * Turns a received byte stream back into messages, for one framing: no
 * sockets, no clocks. Feed it bytes as they arrive ({@link #feed}), take
 * every complete message with {@link #next} until it returns {@code null}
 * ("need more bytes"), and call {@link #finish} at end of stream.
 *
 * <p>Limits come before allocation: a length header over
 * {@code maxFrameLen} is refused from its 4 bytes, and the buffer only ever
 * holds bytes that have arrived plus at most 1 MiB of room, so a peer that
 * claims 16 MiB and stalls costs little.
 *
 * <p>After an error the decoder is spent: every later call raises the same
 * error, so nothing after a protocol error is ever delivered.
 */
public final class FrameDecoder {
    /** Room made for one read when nothing bigger is expected. */
    static final int READ_CHUNK = 64 * 1024;
    /** The most the buffer grows ahead of the bytes that arrived. */
    static final int MAX_GROWTH = 1 << 20;
    /** The largest {@code maxFrameLen}: a frame must fit in one Java array. */
    public static final int MAX_LIMIT = Integer.MAX_VALUE - 16;

    private final Framing framing;
    private final long maxFrameLen;
    private final String peer;
    private byte[] buf = new byte[READ_CHUNK];
    private int start;
    private int end;
    private int scanned;
    private long want;
    private TetherException failed;

    /**
     * A decoder for {@code framing} with the given limit.
     *
     * @param framing the framing
     * @param maxFrameLen the largest payload (length) or line (line) accepted
     */
    public FrameDecoder(Framing framing, int maxFrameLen) {
        this(framing, maxFrameLen, null);
    }

    FrameDecoder(Framing framing, int maxFrameLen, String peer) {
        if (maxFrameLen < 0 || maxFrameLen > MAX_LIMIT) {
            throw new IllegalArgumentException(
                    "max_frame_len must be 0 to " + MAX_LIMIT + ", not " + maxFrameLen);
        }
        this.framing = framing;
        this.maxFrameLen = maxFrameLen;
        this.peer = peer;
    }

    /**
     * Adds received bytes.
     *
     * @param bytes the buffer
     * @param off where the bytes start
     * @param len how many
     */
    public void feed(byte[] bytes, int off, int len) {
        reserve(len);
        System.arraycopy(bytes, off, buf, end, len);
        end += len;
    }

    /**
     * Bytes received and not yet delivered.
     *
     * @return bytes
     */
    public int buffered() {
        return end - start;
    }

    /**
     * The next complete message, or {@code null} when more bytes are needed.
     *
     * @return the message, or null
     * @throws TetherException {@link FrameTooLargeException} or {@link LineTooLongException}
     */
    public byte[] next() throws TetherException {
        if (failed != null) {
            throw failed;
        }
        try {
            return take(decode());
        } catch (TetherException e) {
            failed = e;
            throw e;
        }
    }

    /**
     * End of stream, after {@link #next} returned {@code null}: the final
     * unterminated line (line framing), or {@code null} for a clean close.
     *
     * @return the last message, or null
     * @throws TetherException {@link TruncatedFrameException} when the stream
     *     ended inside a frame, {@link LineTooLongException} for a final line over the limit
     */
    public byte[] finish() throws TetherException {
        if (failed != null) {
            throw failed;
        }
        int live = end - start;
        try {
            if (live == 0) {
                return null;
            }
            switch (framing.kind()) {
                case LENGTH:
                    if (live < 4) {
                        throw new TruncatedFrameException("header", live, 4, peer);
                    }
                    throw new TruncatedFrameException("payload", live - 4L, header(), peer);
                case FIXED:
                    throw new TruncatedFrameException("record", live, framing.size(), peer);
                case LINE:
                    if (live > maxFrameLen) {
                        throw new LineTooLongException(live, maxFrameLen, peer);
                    }
                    return take(live);
                default:
                    return take(live);
            }
        } catch (TetherException e) {
            failed = e;
            throw e;
        }
    }

    /** Length of the frame at {@code start} (header and trailer included), or -1 if incomplete. */
    private int decode() throws TetherException {
        int live = end - start;
        switch (framing.kind()) {
            case LENGTH: {
                if (live < 4) {
                    want = 4;
                    return -1;
                }
                long n = header();
                if (n > maxFrameLen) {
                    throw FrameTooLargeException.received(n, maxFrameLen, peer);
                }
                want = 4 + n;
                return live >= want ? (int) want : -1;
            }
            case LINE: {
                for (int i = Math.max(scanned, start); i < end; i++) {
                    if (buf[i] == '\n') {
                        if (i - start > maxFrameLen) {
                            throw new LineTooLongException(i - start, maxFrameLen, peer);
                        }
                        return i - start + 1;
                    }
                }
                scanned = end;
                if (live > maxFrameLen) {
                    throw new LineTooLongException(live, maxFrameLen, peer);
                }
                return -1;
            }
            case FIXED:
                want = framing.size();
                return live >= want ? framing.size() : -1;
            default:
                return live > 0 ? live : -1;
        }
    }

    /** Delivers the payload of the frame of {@code frameLen} bytes at {@code start}. */
    private byte[] take(int frameLen) {
        if (frameLen < 0) {
            return null;
        }
        int from = start;
        int to = start + frameLen;
        if (framing.kind() == Framing.Kind.LENGTH) {
            from += 4;
        } else if (framing.kind() == Framing.Kind.LINE && frameLen > 0 && buf[to - 1] == '\n') {
            to -= 1;
        }
        byte[] msg = Arrays.copyOfRange(buf, from, to);
        start += frameLen;
        want = 0;
        if (start == end) {
            start = 0;
            end = 0;
            scanned = 0;
            if (buf.length > MAX_GROWTH) {
                buf = new byte[READ_CHUNK]; // give back what a big message took
            }
        }
        return msg;
    }

    private long header() {
        return ((buf[start] & 0xffL) << 24) | ((buf[start + 1] & 0xffL) << 16)
                | ((buf[start + 2] & 0xffL) << 8) | (buf[start + 3] & 0xffL);
    }

    // ---- reading straight into the buffer (used by TetherLink) ----

    /** Makes room for the next read and returns how many bytes it may take. */
    int prepareRead() {
        long missing = want - (end - start);
        int room = missing > READ_CHUNK ? (int) Math.min(missing, MAX_GROWTH) : READ_CHUNK;
        reserve(room);
        return buf.length - end;
    }

    byte[] array() {
        return buf;
    }

    int writeIndex() {
        return end;
    }

    void advance(int n) {
        end += n;
    }

    private void reserve(int n) {
        if (buf.length - end >= n) {
            return;
        }
        int live = end - start;
        byte[] dst = buf;
        if (buf.length - live < n) {
            long cap = Math.max((long) live + n, Math.min(2L * buf.length, (long) live + MAX_GROWTH));
            if (cap > Integer.MAX_VALUE - 8) {
                throw new OutOfMemoryError("frame buffer of " + cap + " bytes");
            }
            dst = new byte[(int) cap];
        }
        System.arraycopy(buf, start, dst, 0, live);
        scanned = Math.max(0, scanned - start);
        buf = dst;
        start = 0;
        end = live;
    }
}
