package tether;

/**
 * Line framing: more than {@code max_frame_len} bytes arrived without a
 * LF ({@code line_too_long}); the connection is closed. Being a
 * {@link FrameTooLargeException}, it is caught with the length-framing case.
 */
public final class LineTooLongException extends FrameTooLargeException {
    private static final long serialVersionUID = 1L;

    LineTooLongException(long seen, long limit, String peer) {
        super("line of more than " + limit + " bytes" + from(peer)
                + " (" + seen + " bytes without a newline)", seen, limit);
    }
}
