package tether;

import java.io.IOException;

/**
 * The base of every error this library raises about the protocol: a frame
 * that breaks the framing rules, a stream that ends inside a frame, a
 * message the sender refuses, or a link used after its close.
 *
 * <p>It is an {@link IOException}, so code that handles socket errors
 * handles these too; catch a subclass to tell them apart.
 */
public class TetherException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error with the given message.
     *
     * @param message short, lower-case, naming the numbers and the peer
     */
    public TetherException(String message) {
        super(message);
    }

    /** " from PEER", or nothing when the peer is unknown (a sans-IO decoder). */
    static String from(String peer) {
        return peer == null ? "" : " from " + peer;
    }
}
