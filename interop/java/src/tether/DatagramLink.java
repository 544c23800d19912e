package tether;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/**
 * A UDP socket where one datagram is one message (an empty datagram is an
 * empty message): no header, no framing.
 * {@link #connect} talks to one peer; {@link #bind} receives from anyone and
 * replies with {@link #sendTo}. Datagrams may be lost, duplicated or
 * reordered; number them yourself if that matters.
 */
public final class DatagramLink implements Closeable {
    /** Largest payload over IPv4: 65,535 - 8 (UDP) - 20 (IPv4). */
    public static final int MAX_PAYLOAD_V4 = 65_507;
    /** Largest payload over IPv6: 65,535 - 8 (UDP). */
    public static final int MAX_PAYLOAD_V6 = 65_527;

    private final DatagramSocket socket;
    private final InetSocketAddress peer;
    private final DatagramPacket packet = new DatagramPacket(new byte[65_536], 65_536);
    private int timeoutMs;

    private DatagramLink(DatagramSocket socket, InetSocketAddress peer) {
        this.socket = socket;
        this.peer = peer;
    }

    /**
     * Binds and receives from any sender.
     *
     * @param endpoint {@code udp://HOST:PORT}; port 0 picks a free port
     * @return the link
     * @throws IOException if no address binds
     */
    public static DatagramLink bind(String endpoint) throws IOException {
        IOException last = null;
        for (InetSocketAddress addr : udp(endpoint).resolve()) {
            try {
                return new DatagramLink(new DatagramSocket(addr), null);
            } catch (IOException e) {
                last = e;
            }
        }
        throw new IOException("cannot bind " + endpoint + ": "
                + (last == null ? "no address" : last.getMessage()), last);
    }

    /**
     * Connects to one peer: {@link #send} goes there and only its datagrams
     * are received.
     *
     * @param endpoint {@code udp://HOST:PORT}
     * @return the link
     * @throws IOException if the host does not resolve or the socket fails
     */
    public static DatagramLink connect(String endpoint) throws IOException {
        // Not connect(2): the JDK's connected DatagramSocket silently drops
        // empty datagrams, which are messages too. Sends name the peer, and
        // receives drop what comes from anyone else.
        return new DatagramLink(new DatagramSocket(), udp(endpoint).resolve()[0]);
    }

    private static Endpoint udp(String endpoint) {
        Endpoint ep = Endpoint.parse(endpoint);
        if (!ep.scheme().equals("udp")) {
            throw new IllegalArgumentException(
                    "endpoint \"" + endpoint + "\": DatagramLink speaks udp:// (use TetherLink for tcp://)");
        }
        return ep;
    }

    /**
     * Sends one datagram to the connected peer.
     *
     * @param msg the payload
     * @throws FrameTooLargeException over 65,507 bytes (IPv4) or 65,527 (IPv6), before sending
     * @throws IOException on a socket error
     */
    public void send(byte[] msg) throws IOException {
        if (peer == null) {
            throw new IllegalStateException("a bound DatagramLink sends with sendTo(msg, endpoint)");
        }
        checkSize(msg.length, peer);
        socket.send(new DatagramPacket(msg, msg.length, peer));
    }

    /**
     * Sends one datagram to {@code endpoint}, for example a
     * {@link Datagram#from()}.
     *
     * @param msg the payload
     * @param endpoint {@code udp://HOST:PORT}
     * @throws IOException as {@link #send}
     */
    public void sendTo(byte[] msg, String endpoint) throws IOException {
        InetSocketAddress to = udp(endpoint).resolve()[0];
        checkSize(msg.length, to);
        socket.send(new DatagramPacket(msg, msg.length, to));
    }

    private static void checkSize(int len, InetSocketAddress to) throws FrameTooLargeException {
        int limit = to.getAddress() instanceof Inet6Address ? MAX_PAYLOAD_V6 : MAX_PAYLOAD_V4;
        if (len > limit) {
            throw FrameTooLargeException.sending(len, limit, "the UDP limit");
        }
    }

    /**
     * Waits for the next datagram.
     *
     * @return its payload
     * @throws IOException on a socket error
     */
    public byte[] recv() throws IOException {
        return recvFrom().payload();
    }

    /**
     * Waits at most {@code timeout} for the next datagram.
     *
     * @param timeout how long to wait
     * @return its payload, or {@code null} if none came in time
     * @throws IOException on a socket error
     */
    public byte[] recv(Duration timeout) throws IOException {
        Datagram d = recvFrom(timeout);
        return d == null ? null : d.payload();
    }

    /**
     * Waits for the next datagram and says who sent it.
     *
     * @return the datagram
     * @throws IOException on a socket error
     */
    public Datagram recvFrom() throws IOException {
        return receive(0);
    }

    /**
     * Waits at most {@code timeout} for the next datagram.
     *
     * @param timeout how long to wait (at least 1 ms)
     * @return the datagram, or {@code null} if none came in time
     * @throws IOException on a socket error
     */
    public Datagram recvFrom(Duration timeout) throws IOException {
        try {
            return receive(System.nanoTime() + Math.max(1, timeout.toNanos()));
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    /** The next datagram (from the peer, if connected), waiting until {@code deadline} (0: for ever). */
    private Datagram receive(long deadline) throws IOException {
        while (true) {
            if (deadline != 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("no datagram in time");
                }
                setTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
            } else {
                setTimeout(0);
            }
            packet.setLength(packet.getData().length);
            socket.receive(packet);
            InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
            if (peer == null || sameAddress(from, peer)) {
                byte[] payload = Arrays.copyOfRange(packet.getData(), packet.getOffset(),
                        packet.getOffset() + packet.getLength());
                return new Datagram(payload, Endpoint.format("udp", from));
            }
        }
    }

    /** Equal ports and addresses, an IPv4-mapped IPv6 address being its IPv4 one. */
    private static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
        if (a.getPort() != b.getPort()) {
            return false;
        }
        return Arrays.equals(v4(a.getAddress().getAddress()), v4(b.getAddress().getAddress()));
    }

    private static byte[] v4(byte[] ip) {
        if (ip.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (ip[i] != 0) {
                    return ip;
                }
            }
            if (ip[10] == (byte) 0xff && ip[11] == (byte) 0xff) {
                return Arrays.copyOfRange(ip, 12, 16);
            }
        }
        return ip;
    }

    private void setTimeout(int ms) throws SocketException {
        if (ms != timeoutMs) {
            socket.setSoTimeout(ms);
            timeoutMs = ms;
        }
    }

    /**
     * The endpoint bound, as {@code udp://127.0.0.1:40123}.
     *
     * @return the local endpoint
     */
    public String localEndpoint() {
        return Endpoint.format("udp", (InetSocketAddress) socket.getLocalSocketAddress());
    }

    /** Closes the socket. */
    @Override
    public void close() {
        socket.close();
    }
}
