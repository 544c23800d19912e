package tether;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * A parsed endpoint: {@code tcp://HOST:PORT}, {@code udp://HOST:PORT} or
 * {@code unix://PATH}, with the rules of docs/PROTOCOL.md ("Endpoints").
 *
 * @param scheme {@code tcp}, {@code udp} or {@code unix}, lower case
 * @param host the host without brackets (empty for unix)
 * @param port the port (0 for unix)
 * @param path the socket path (unix only, else empty)
 */
public record Endpoint(String scheme, String host, int port, String path) {
    private static final String SCHEMES = "tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH";

    /**
     * Parses an endpoint string.
     *
     * @param text for example {@code tcp://127.0.0.1:9000} or {@code tcp://[::1]:0}
     * @return the endpoint
     * @throws IllegalArgumentException naming what is wrong and the schemes
     */
    public static Endpoint parse(String text) {
        int sep = text.indexOf("://");
        if (sep < 0) {
            throw bad(text, "needs a scheme: " + SCHEMES);
        }
        String scheme = text.substring(0, sep).toLowerCase(Locale.ROOT);
        String rest = text.substring(sep + 3);
        if (scheme.equals("unix")) {
            if (rest.isEmpty()) {
                throw bad(text, "has an empty path");
            }
            return new Endpoint(scheme, "", 0, rest);
        }
        if (!scheme.equals("tcp") && !scheme.equals("udp")) {
            throw bad(text, "has an unknown scheme: use " + SCHEMES);
        }
        int colon = rest.lastIndexOf(':');
        if (colon < 0) {
            throw bad(text, "needs a port: " + scheme + "://HOST:PORT");
        }
        String host = rest.substring(0, colon);
        String portText = rest.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw bad(text, "has a bare IPv6 address: write it in brackets, " + scheme + "://[ADDR]:PORT");
        }
        if (host.isEmpty()) {
            throw bad(text, "has an empty host");
        }
        return new Endpoint(scheme, host, parsePort(text, portText), "");
    }

    private static int parsePort(String text, String portText) {
        if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(Character::isDigit)) {
            throw bad(text, "has a port that is not a number from 0 to 65535");
        }
        int port = Integer.parseInt(portText);
        if (port > 65535) {
            throw bad(text, "has a port over 65535");
        }
        return port;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("endpoint \"" + text + "\" " + why);
    }

    /**
     * The addresses the host resolves to, in the resolver's order.
     *
     * @return socket addresses with this port
     * @throws UnknownHostException if the name does not resolve
     */
    public InetSocketAddress[] resolve() throws UnknownHostException {
        InetAddress[] all = InetAddress.getAllByName(host);
        InetSocketAddress[] out = new InetSocketAddress[all.length];
        for (int i = 0; i < all.length; i++) {
            out[i] = new InetSocketAddress(all[i], port);
        }
        return out;
    }

    /**
     * The endpoint of a socket address, numeric, as a listener reports it:
     * {@code tcp://127.0.0.1:40123} or {@code tcp://[::1]:40123}.
     *
     * @param scheme {@code tcp} or {@code udp}
     * @param addr the address
     * @return the endpoint string
     */
    public static String format(String scheme, InetSocketAddress addr) {
        return scheme + "://" + hostPort(addr);
    }

    /** {@code 127.0.0.1:40123} or {@code [::1]:40123}, for messages and endpoints. */
    static String hostPort(InetSocketAddress addr) {
        InetAddress ip = addr.getAddress();
        if (ip == null) {
            return addr.getHostString() + ":" + addr.getPort();
        }
        String host = ip.getHostAddress();
        int zone = host.indexOf('%');
        if (ip instanceof Inet6Address) {
            return "[" + (zone < 0 ? host : host.substring(0, zone)) + "]:" + addr.getPort();
        }
        return host + ":" + addr.getPort();
    }

    @Override
    public String toString() {
        if (scheme.equals("unix")) {
            return "unix://" + path;
        }
        return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
