package tether;

/**
 * Line framing: a message to send contains a LF byte ({@code newline_in_line}),
 * so it would arrive as two messages. Refused before any byte is written.
 */
public final class NewlineInLineException extends TetherException {
    private static final long serialVersionUID = 1L;

    NewlineInLineException(int length, int at) {
        super("line message of " + length + " bytes has a newline at byte " + at);
    }
}
