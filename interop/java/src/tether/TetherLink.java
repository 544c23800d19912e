package tether;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * One framed TCP connection: {@link #send} and {@link #recv} whole messages.
 *
 * <pre>{@code
 * try (TetherLink link = TetherLink.connect("tcp://127.0.0.1:9000")) {
 *     link.send(new byte[] {0, 1, 1, 0});
 *     byte[] reply = link.recv(Duration.ofMillis(5));   // null on timeout
 * }
 * }</pre>
 *
 * <p>Each send is one write (one system call) with {@code TCP_NODELAY} on;
 * {@link #sendAll} puts many messages in one write. Receiving parses every
 * frame of a read before reading again. A protocol error from the peer
 * ({@link FrameTooLargeException}, {@link TruncatedFrameException}) closes the link.
 *
 * <p>One thread may send while another receives; two threads must not
 * send (or receive) on one link at the same time.
 */
public final class TetherLink implements Closeable, Iterable<byte[]> {
    /** Largest write {@link #sendAll} gathers before it writes. */
    static final int BATCH_BYTES = 256 * 1024;
    private static final int SMALL_WRITE = 64 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Framing framing;
    private final int maxFrameLen;
    private final FrameDecoder decoder;
    private final String peer;
    private byte[] wbuf = new byte[0];
    private int timeoutMs;
    private boolean eof;
    private volatile boolean closed;

    private TetherLink(Socket socket, LinkOptions o) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.framing = o.framing();
        this.maxFrameLen = o.maxFrameLen();
        this.peer = Endpoint.hostPort((InetSocketAddress) socket.getRemoteSocketAddress());
        this.decoder = new FrameDecoder(framing, maxFrameLen, peer);
    }

    /**
     * Connects with length framing and the default limit.
     *
     * @param endpoint {@code tcp://HOST:PORT}
     * @return the link
     * @throws IOException if no address connects
     */
    public static TetherLink connect(String endpoint) throws IOException {
        return connect(endpoint, new LinkOptions());
    }

    /**
     * Connects with the given options (framing, limit, timeout, retry).
     *
     * @param endpoint {@code tcp://HOST:PORT}
     * @param options the settings
     * @return the link
     * @throws IOException if no address connects before the retry time is over
     */
    public static TetherLink connect(String endpoint, LinkOptions options) throws IOException {
        Endpoint ep = Endpoint.parse(endpoint);
        if (!ep.scheme().equals("tcp")) {
            throw new IllegalArgumentException("endpoint \"" + endpoint
                    + "\": TetherLink speaks tcp:// (use DatagramLink for udp://; unix:// is not supported)");
        }
        return wrap(Dialer.dial(ep, options), options);
    }

    /** A link over a socket that is already connected (accepted by a listener). */
    static TetherLink wrap(Socket socket, LinkOptions options) throws IOException {
        try {
            socket.setTcpNoDelay(options.nodelay());
            return new TetherLink(socket, options);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Sends one message, in one write.
     *
     * @param msg the payload
     * @throws TetherException if the framing refuses it (nothing is written)
     * @throws IOException on a socket error
     */
    public void send(byte[] msg) throws IOException {
        send(msg, 0, msg.length);
    }

    /**
     * Sends {@code len} bytes of {@code msg} from {@code off} as one message.
     *
     * @param msg the buffer
     * @param off where the message starts
     * @param len its length
     * @throws IOException as {@link #send(byte[])}
     */
    public void send(byte[] msg, int off, int len) throws IOException {
        ensureOpen();
        framing.check(msg, off, len, maxFrameLen);
        int frameLen = framing.frameLength(len);
        if (frameLen > SMALL_WRITE) {
            writeLarge(msg, off, len);
            return;
        }
        room(frameLen);
        int n = framing.encode(msg, off, len, wbuf, 0);
        out.write(wbuf, 0, n);
    }

    /**
     * Sends many messages in as few writes as possible (up to 256 KiB each):
     * the bytes on the wire are those of one {@link #send} per message. A
     * message the framing refuses raises its error after the ones before it
     * were written; none after it is sent.
     *
     * @param messages the payloads, in order
     * @throws IOException as {@link #send(byte[])}
     */
    public void sendAll(Iterable<byte[]> messages) throws IOException {
        ensureOpen();
        int used = 0;
        for (byte[] m : messages) {
            try {
                framing.check(m, 0, m.length, maxFrameLen);
            } catch (TetherException e) {
                if (used > 0) {
                    out.write(wbuf, 0, used); // the ones before the refused message still go
                }
                throw e;
            }
            int frameLen = framing.frameLength(m.length);
            if (used > 0 && frameLen > BATCH_BYTES - used) {
                out.write(wbuf, 0, used);
                used = 0;
            }
            if (frameLen > BATCH_BYTES) {
                writeLarge(m, 0, m.length);
                continue;
            }
            room(BATCH_BYTES);
            used = framing.encode(m, 0, m.length, wbuf, used);
        }
        if (used > 0) {
            out.write(wbuf, 0, used);
        }
    }

    /**
     * Sends many messages, as {@link #sendAll(Iterable)}.
     *
     * @param messages the payloads, in order
     * @throws IOException as {@link #send(byte[])}
     */
    public void sendAll(byte[]... messages) throws IOException {
        sendAll(Arrays.asList(messages));
    }

    /** A frame too big to copy: header, payload and trailer written as they are. */
    private void writeLarge(byte[] msg, int off, int len) throws IOException {
        if (framing.kind() == Framing.Kind.LENGTH) {
            room(4);
            out.write(wbuf, 0, Framing.putHeader(len, wbuf, 0));
        }
        out.write(msg, off, len);
        if (framing.kind() == Framing.Kind.LINE) {
            out.write('\n');
        }
    }

    private void room(int n) {
        if (wbuf.length < n) {
            wbuf = new byte[Math.max(n, Math.min(SMALL_WRITE, BATCH_BYTES))];
        }
    }

    /**
     * Waits for the next message.
     *
     * @return the message
     * @throws ConnectionClosedException at a clean close (or after {@link #close})
     * @throws TetherException a protocol error; the link is then closed
     * @throws IOException on a socket error
     */
    public byte[] recv() throws IOException {
        ensureOpen();
        setTimeout(0);
        while (true) {
            byte[] m = nextOrEnd();
            if (m != null) {
                return m;
            }
            fill();
        }
    }

    /**
     * Waits at most {@code timeout} for the next message.
     *
     * @param timeout how long to wait ({@link Duration#ZERO}: as {@link #tryRecv})
     * @return the message, or {@code null} if none came in time
     * @throws IOException as {@link #recv()}
     */
    public byte[] recv(Duration timeout) throws IOException {
        ensureOpen();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            byte[] m = nextOrEnd();
            if (m != null) {
                return m;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return tryRecv();
            }
            setTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
            try {
                fill();
            } catch (SocketTimeoutException e) {
                return null;
            }
        }
    }

    /**
     * The next message if one has already arrived, without waiting.
     *
     * @return the message, or {@code null}
     * @throws IOException as {@link #recv()}
     */
    public byte[] tryRecv() throws IOException {
        ensureOpen();
        while (true) {
            byte[] m = nextOrEnd();
            if (m != null || available() == 0) {
                return m;
            }
            setTimeout(0);
            fill();
        }
    }

    private int available() throws IOException {
        try {
            return in.available();
        } catch (IOException e) {
            throw socketError(e);
        }
    }

    /** The next buffered message; at end of stream the last one, then ConnectionClosedException. */
    private byte[] nextOrEnd() throws IOException {
        try {
            byte[] m = decoder.next();
            if (m != null || !eof) {
                return m;
            }
            m = decoder.finish();
            if (m == null) {
                throw new ConnectionClosedException("connection from " + peer + " closed");
            }
            return m;
        } catch (ConnectionClosedException e) {
            throw e;
        } catch (TetherException e) {
            close(); // a protocol error ends the connection: nothing more from it
            throw e;
        }
    }

    private void fill() throws IOException {
        int room = decoder.prepareRead();
        int n;
        try {
            n = in.read(decoder.array(), decoder.writeIndex(), room);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            throw socketError(e);
        }
        if (n < 0) {
            eof = true;
        } else {
            decoder.advance(n);
        }
    }

    private IOException socketError(IOException e) {
        if (closed) {
            return new ConnectionClosedException("link to " + peer + " is closed");
        }
        return e;
    }

    private void setTimeout(int ms) throws SocketException {
        if (ms != timeoutMs) {
            socket.setSoTimeout(ms);
            timeoutMs = ms;
        }
    }

    private void ensureOpen() throws ConnectionClosedException {
        if (closed) {
            throw new ConnectionClosedException("link to " + peer + " is closed");
        }
    }

    /**
     * The messages until a clean close. A protocol or socket error is raised
     * as an {@link UncheckedIOException} whose cause is the typed exception.
     *
     * @return an iterator over received messages
     */
    @Override
    public Iterator<byte[]> iterator() {
        return new Iterator<>() {
            private byte[] next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    try {
                        next = recv();
                    } catch (ConnectionClosedException e) {
                        done = true;
                    } catch (IOException e) {
                        done = true;
                        throw new UncheckedIOException(e.getMessage(), e);
                    }
                }
                return next != null;
            }

            @Override
            public byte[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("connection from " + peer + " closed");
                }
                byte[] m = next;
                next = null;
                return m;
            }
        };
    }

    /**
     * Ends the sending direction (a TCP FIN) after the last frame; receiving
     * goes on until the peer closes.
     *
     * @throws IOException on a socket error
     */
    public void shutdownOutput() throws IOException {
        ensureOpen();
        socket.shutdownOutput();
    }

    /** Closes the connection; a {@link #recv} waiting in another thread ends. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // nothing is left to release; the socket is gone either way
        }
    }

    /**
     * Whether {@link #close} ran (or a protocol error closed the link).
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * The peer's address, as {@code 127.0.0.1:40123} or {@code [::1]:40123}.
     *
     * @return the peer
     */
    public String peer() {
        return peer;
    }

    /**
     * This end's endpoint, as {@code tcp://127.0.0.1:51234}.
     *
     * @return the local endpoint
     */
    public String localEndpoint() {
        return Endpoint.format("tcp", (InetSocketAddress) socket.getLocalSocketAddress());
    }

    /**
     * The framing of this link.
     *
     * @return the framing
     */
    public Framing framing() {
        return framing;
    }
}
