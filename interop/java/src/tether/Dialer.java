package tether;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Opens the TCP connection of a link: every resolved address in order, retried until a deadline. */
final class Dialer {
    private static final long FIRST_BACKOFF_NS = 5_000_000L;
    private static final long MAX_BACKOFF_NS = 100_000_000L;

    private Dialer() {}

    /** A connected socket to {@code ep}, or the last failure once {@code retryFor} has passed. */
    static Socket dial(Endpoint ep, LinkOptions o) throws IOException {
        long deadline = System.nanoTime() + o.retryFor().toNanos();
        long backoff = FIRST_BACKOFF_NS;
        while (true) {
            IOException last;
            try {
                return tryAll(ep, o, deadline);
            } catch (IOException e) {
                last = e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("cannot connect to " + ep + ": " + last.getMessage(), last);
            }
            sleep(Math.min(backoff, left));
            backoff = Math.min(backoff * 2, MAX_BACKOFF_NS);
        }
    }

    private static Socket tryAll(Endpoint ep, LinkOptions o, long deadline) throws IOException {
        IOException last = null;
        for (InetSocketAddress addr : ep.resolve()) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(o.nodelay());
                s.connect(addr, timeoutMs(o.connectTimeout(), deadline));
                return s;
            } catch (IOException e) {
                s.close();
                last = e;
            }
        }
        throw last != null ? last : new IOException("no address for " + ep.host());
    }

    /** The per-attempt limit: the option, else what is left of the retry time, else none (0). */
    private static int timeoutMs(Duration option, long deadline) {
        long ns = option != null ? option.toNanos() : deadline - System.nanoTime();
        if (ns <= 0) {
            return 0;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (ns + 999_999) / 1_000_000));
    }

    private static void sleep(long ns) throws IOException {
        try {
            Thread.sleep(ns / 1_000_000, (int) (ns % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to connect again");
        }
    }
}
