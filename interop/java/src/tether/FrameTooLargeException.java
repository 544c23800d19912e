package tether;

/**
 * A frame longer than {@code max_frame_len}: received (the connection is
 * then closed, and nothing more is delivered from it) or about to be sent
 * (refused before any byte is written; the link stays usable).
 *
 * <p>On receipt it is raised from the 4 header bytes alone, before any
 * memory is reserved for the payload.
 */
public class FrameTooLargeException extends TetherException {
    private static final long serialVersionUID = 1L;

    private final long length;
    private final long limit;

    /**
     * An error naming both numbers.
     *
     * @param message the full message
     * @param length the length claimed or offered, in bytes
     * @param limit the limit it is over, in bytes
     */
    protected FrameTooLargeException(String message, long length, long limit) {
        super(message);
        this.length = length;
        this.limit = limit;
    }

    static FrameTooLargeException received(long length, long limit, String peer) {
        return new FrameTooLargeException(
                "frame of " + length + " bytes" + from(peer) + " is over max_frame_len " + limit,
                length, limit);
    }

    static FrameTooLargeException sending(long length, long limit, String what) {
        return new FrameTooLargeException(
                "message of " + length + " bytes is over " + what + " " + limit, length, limit);
    }

    /**
     * The payload length claimed by the header, or offered to send.
     *
     * @return bytes
     */
    public long length() {
        return length;
    }

    /**
     * The limit the length is over.
     *
     * @return bytes
     */
    public long limit() {
        return limit;
    }
}
