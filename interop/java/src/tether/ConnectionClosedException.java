package tether;

/**
 * The peer closed the connection on a frame boundary (a clean close), or
 * the link was used after {@link TetherLink#close()}. Iterating over a link
 * ends quietly at a clean close instead of raising this.
 */
public final class ConnectionClosedException extends TetherException {
    private static final long serialVersionUID = 1L;

    ConnectionClosedException(String message) {
        super(message);
    }
}
