package tether;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A TCP listener whose connections are {@link TetherLink}s.
 *
 * <pre>{@code
 * try (TetherListener server = TetherListener.bind("tcp://0.0.0.0:9000")) {
 *     for (TetherLink link : server) { for (byte[] msg : link) { ... } }
 * }
 * }</pre>
 *
 * <p>A connection's protocol error closes that link only; the listener keeps
 * accepting.
 */
public final class TetherListener implements Closeable, Iterable<TetherLink> {
    private final ServerSocket server;
    private final LinkOptions options;
    private volatile boolean closed;

    private TetherListener(ServerSocket server, LinkOptions options) {
        this.server = server;
        this.options = options;
    }

    /**
     * Binds with length framing and the default limit.
     *
     * @param endpoint {@code tcp://HOST:PORT}; port 0 picks a free port
     * @return the listener
     * @throws IOException if no address binds
     */
    public static TetherListener bind(String endpoint) throws IOException {
        return bind(endpoint, new LinkOptions());
    }

    /**
     * Binds; accepted links use {@code options}.
     *
     * @param endpoint {@code tcp://HOST:PORT}; port 0 picks a free port
     * @param options the settings of accepted links
     * @return the listener
     * @throws IOException if no address binds
     */
    public static TetherListener bind(String endpoint, LinkOptions options) throws IOException {
        Endpoint ep = Endpoint.parse(endpoint);
        if (!ep.scheme().equals("tcp")) {
            throw new IllegalArgumentException("endpoint \"" + endpoint
                    + "\": TetherListener speaks tcp:// (use DatagramLink for udp://; unix:// is not supported)");
        }
        IOException last = null;
        for (InetSocketAddress addr : ep.resolve()) {
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(true);
                s.bind(addr, 128);
                return new TetherListener(s, options);
            } catch (IOException e) {
                s.close();
                last = e;
            }
        }
        throw new IOException("cannot bind " + endpoint + ": "
                + (last == null ? "no address" : last.getMessage()), last);
    }

    /**
     * Waits for the next connection.
     *
     * @return the link
     * @throws IOException on a socket error, or {@link ConnectionClosedException} once closed
     */
    public TetherLink accept() throws IOException {
        return accept(Duration.ZERO);
    }

    /**
     * Waits at most {@code timeout} for the next connection.
     *
     * @param timeout how long to wait; {@link Duration#ZERO} waits for ever
     * @return the link, or {@code null} if none came in time
     * @throws IOException on a socket error, or {@link ConnectionClosedException} once closed
     */
    public TetherLink accept(Duration timeout) throws IOException {
        long ms = timeout.isZero() ? 0 : Math.max(1, (timeout.toNanos() + 999_999) / 1_000_000);
        Socket s;
        try {
            server.setSoTimeout((int) Math.min(Integer.MAX_VALUE, ms));
            s = server.accept();
        } catch (SocketTimeoutException e) {
            return null;
        } catch (SocketException e) {
            if (closed) {
                throw new ConnectionClosedException("listener on " + localEndpoint() + " is closed");
            }
            throw e;
        }
        return TetherLink.wrap(s, options);
    }

    /**
     * The endpoint bound, numeric, as {@code tcp://127.0.0.1:40123}.
     *
     * @return the local endpoint
     */
    public String localEndpoint() {
        return Endpoint.format("tcp", (InetSocketAddress) server.getLocalSocketAddress());
    }

    /**
     * Accepted connections until the listener is closed (from another thread).
     * A socket error is raised as an {@link UncheckedIOException}.
     *
     * @return an iterator that waits in {@code hasNext} for each connection
     */
    @Override
    public Iterator<TetherLink> iterator() {
        return new Iterator<>() {
            private TetherLink next;

            @Override
            public boolean hasNext() {
                if (next == null && !closed) {
                    try {
                        next = accept();
                    } catch (ConnectionClosedException e) {
                        return false;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e.getMessage(), e);
                    }
                }
                return next != null;
            }

            @Override
            public TetherLink next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("listener is closed");
                }
                TetherLink l = next;
                next = null;
                return l;
            }
        };
    }

    /** Stops accepting; an {@link #accept} waiting in another thread ends. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // the socket is released either way
        }
    }
}
