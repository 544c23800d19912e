package tether;

/**
 * Fixed framing: a message to send is not exactly the record size
 * ({@code wrong_size}). Refused before any byte is written.
 */
public final class WrongSizeException extends TetherException {
    private static final long serialVersionUID = 1L;

    WrongSizeException(int length, int size) {
        super("message of " + length + " bytes for fixed framing of " + size + " bytes");
    }
}
