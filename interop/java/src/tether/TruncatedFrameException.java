package tether;

/**
 * The stream ended inside a frame (a length header or payload, or a fixed
 * record). The partial frame is discarded, never delivered even in part;
 * frames completed before it were delivered.
 */
public final class TruncatedFrameException extends TetherException {
    private static final long serialVersionUID = 1L;

    private final long got;
    private final long expected;

    TruncatedFrameException(String part, long got, long expected, String peer) {
        super("stream" + from(peer) + " ended mid-frame: " + got + " of " + expected + " " + part
                + " bytes");
        this.got = got;
        this.expected = expected;
    }

    /**
     * Bytes of the unfinished part (header, payload or record) that arrived.
     *
     * @return bytes
     */
    public long got() {
        return got;
    }

    /**
     * Bytes that part needed.
     *
     * @return bytes
     */
    public long expected() {
        return expected;
    }
}
