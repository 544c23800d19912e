import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tether.Endpoint;
import tether.LinkOptions;
import tether.TetherLink;

/**
 * The Java sender of {@code tether bench --languages}: a bench client that
 * speaks the control exchange of docs/PROTOCOL.md to a bench server, runs
 * the round trip and the rate points with one stack, and prints one JSON
 * object per point on stdout ("Bench senders in other languages" there).
 *
 * <pre>
 * java -cp tether.jar:. BenchSender --control tcp://127.0.0.1:40123 --stack tether|plain \
 *     [--sizes 1,4,100] [--total BYTES] [--max-time-ms MS] [--repeats N] \
 *     [--rounds N] [--warmup N] [--latency-ms MS]
 * </pre>
 *
 * <p>{@code tether}: this library, {@code sendAll} in batches of about 64
 * KiB, and {@code send}/{@code recv} for round trips. {@code plain}:
 * {@code java.net.Socket} with a {@code DataOutputStream} over a
 * {@code BufferedOutputStream}, flushed after every message, as the
 * textbook's Java sender does (and a buffered {@code DataInputStream} for replies).
 * The server runs the same stack on its end: tether for tether, std for
 * plain, as in the bench's own baseline.
 */
public final class BenchSender {
    private static final int BATCH_BYTES = 64 * 1024;
    private static final int MIN_MESSAGES = 16;

    private final TetherLink control;
    private final boolean tether;

    private BenchSender(TetherLink control, boolean tether) {
        this.control = control;
        this.tether = tether;
    }

    public static void main(String[] args) {
        Map<String, String> a = parse(args);
        try {
            String stack = a.getOrDefault("stack", "tether");
            if (!stack.equals("tether") && !stack.equals("plain")) {
                throw new IllegalArgumentException("--stack is tether or plain, not " + stack);
            }
            if (a.containsKey("pair-rounds")) {
                RoundTripPair.run(a);
                return;
            }
            try (TetherLink ctl = control(a.get("control"))) {
                BenchSender s = new BenchSender(ctl, stack.equals("tether"));
                s.hello();
                s.run(a);
            }
        } catch (Exception e) {
            System.err.println("java sender: " + e.getMessage());
            System.exit(1);
        }
    }

    static TetherLink control(String endpoint) throws IOException {
        return TetherLink.connect(endpoint, new LinkOptions().maxFrameLen(65_536));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            a.put(args[i].substring(2), args[i + 1]);
        }
        if (!a.containsKey("control")) {
            System.err.println("usage: BenchSender --control ENDPOINT --stack tether|plain [options]");
            System.exit(2);
        }
        return a;
    }

    private void run(Map<String, String> a) throws IOException {
        long total = Long.parseLong(a.getOrDefault("total", String.valueOf(4 << 20)));
        long maxTimeNs = Long.parseLong(a.getOrDefault("max-time-ms", "250")) * 1_000_000L;
        int repeats = Integer.parseInt(a.getOrDefault("repeats", "1"));
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "20000"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "2000"));
        long latencyNs = Long.parseLong(a.getOrDefault("latency-ms", "1000")) * 1_000_000L;
        rate(4, total, maxTimeNs); // warms the JIT up; not reported
        if (rounds > 0) {
            latency(warmup, rounds, latencyNs);
        }
        for (String s : a.getOrDefault("sizes", "1,4,100,1024").split(",")) {
            int size = Integer.parseInt(s.trim());
            for (int r = 0; r < repeats; r++) {
                String[] got = rate(size, total, maxTimeNs);
                System.out.println("{\"type\":\"rate\",\"size\":" + size + ",\"sent\":" + got[0]
                        + ",\"capped\":" + got[1] + ",\"results\":" + got[2] + "}");
            }
        }
    }

    // ---- the control exchange ----

    private String request(String json) throws IOException {
        control.send(json.getBytes(StandardCharsets.UTF_8));
        byte[] reply = control.recv(java.time.Duration.ofSeconds(30));
        if (reply == null) {
            throw new IOException("the bench server did not answer within 30 s");
        }
        String r = new String(reply, StandardCharsets.UTF_8);
        if ("error".equals(Json.string(r, "type"))) {
            throw new IOException("the bench server says: " + Json.string(r, "message"));
        }
        return r;
    }

    private void hello() throws IOException {
        String r = request("{\"type\":\"hello\",\"protocol\":1,\"version\":\"java-sender\"}");
        expect(r, "hello");
    }

    private static void expect(String reply, String type) throws IOException {
        if (!type.equals(Json.string(reply, "type"))) {
            throw new IOException("expected " + type + " from the bench server, got " + reply);
        }
    }

    /** settings, ready, run: the data endpoint. */
    private String begin(String role) throws IOException {
        return begin(role, tether ? "tether" : "std");
    }

    private String begin(String role, String serverStack) throws IOException {
        String r = request("{\"type\":\"settings\",\"role\":\"" + role + "\",\"transport\":\"tcp\",\"stack\":\""
                + serverStack + "\",\"nodelay\":true,\"max_datagrams\":0}");
        expect(r, "ready");
        String ep = Json.string(r, "endpoint");
        control.send("{\"type\":\"run\"}".getBytes(StandardCharsets.UTF_8));
        return ep;
    }

    /** done, results: the server's results object, as it sent it. */
    private String finish() throws IOException {
        String r = request("{\"type\":\"done\"}");
        expect(r, "results");
        return r;
    }

    // ---- the experiments ----

    /** One rate point: {sent, capped, results}. */
    private String[] rate(int size, long total, long maxTimeNs) throws IOException {
        String ep = begin("sink");
        long count = Math.max(total / Math.max(1, size), MIN_MESSAGES);
        int every = Math.max(1, Math.min(4096, BATCH_BYTES / (size + 4)));
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 0x5a);
        long deadline = System.nanoTime() + maxTimeNs;
        long sent = 0;
        boolean capped = false;
        if (tether) {
            List<byte[]> batch = Collections.nCopies(every, payload);
            try (TetherLink link = TetherLink.connect(ep)) {
                while (sent < count) {
                    if (System.nanoTime() >= deadline) {
                        capped = true;
                        break;
                    }
                    int n = (int) Math.min(every, count - sent);
                    link.sendAll(n == every ? batch : batch.subList(0, n));
                    sent += n;
                }
            }
        } else {
            try (Socket s = plainSocket(ep)) {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                while (sent < count) {
                    if (sent % every == 0 && System.nanoTime() >= deadline) {
                        capped = true;
                        break;
                    }
                    out.writeInt(size);
                    out.write(payload);
                    out.flush();
                    sent++;
                }
            }
        }
        return new String[] {String.valueOf(sent), String.valueOf(capped), finish()};
    }

    /** Round trips of 4 bytes against the echo role; prints p50 and p99. */
    private void latency(int warmup, int rounds, long timeNs) throws IOException {
        String ep = begin("echo");
        long[] samples = new long[rounds];
        int n = 0;
        byte[] msg = {0, 1, 1, 0};
        long deadline = System.nanoTime() + timeNs;
        if (tether) {
            try (TetherLink link = TetherLink.connect(ep)) {
                for (int i = 0; i < warmup + rounds && System.nanoTime() < deadline; i++) {
                    long t0 = System.nanoTime();
                    link.send(msg);
                    link.recv();
                    long dt = System.nanoTime() - t0;
                    if (i >= warmup) {
                        samples[n++] = dt;
                    }
                }
            }
        } else {
            try (Socket s = plainSocket(ep)) {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                byte[] reply = new byte[msg.length];
                for (int i = 0; i < warmup + rounds && System.nanoTime() < deadline; i++) {
                    long t0 = System.nanoTime();
                    out.writeInt(msg.length);
                    out.write(msg);
                    out.flush();
                    int len = in.readInt();
                    if (len != msg.length) {
                        throw new IOException("echo of " + len + " bytes, sent " + msg.length);
                    }
                    in.readFully(reply);
                    long dt = System.nanoTime() - t0;
                    if (i >= warmup) {
                        samples[n++] = dt;
                    }
                }
            }
        }
        finish();
        long[] got = Arrays.copyOf(samples, n);
        Arrays.sort(got);
        long p50 = n == 0 ? 0 : got[n / 2];
        long p99 = n == 0 ? 0 : got[Math.min(n - 1, (int) (n * 0.99))];
        System.out.println("{\"type\":\"latency\",\"size\":4,\"rounds\":" + n + ",\"p50_ns\":" + p50
                + ",\"p99_ns\":" + p99 + "}");
    }

    private static Socket plainSocket(String endpoint) throws IOException {
        Endpoint ep = Endpoint.parse(endpoint);
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(ep.host(), ep.port()), 10_000);
        return s;
    }

    /**
     * {@code --pair-rounds N}: round trips of 4 bytes from this library and
     * from plain java.net taking turns round by round (which goes first
     * alternating every 100 rounds), over two control
     * links to the same server, both against its tether echo: the two Java
     * clients compared on one machine at one time. Prints
     * {"type":"latency_pair","rounds":N,"tether_p50_ns":N,"plain_p50_ns":N}.
     */
    static final class RoundTripPair {
        private static final int BLOCK = 100;

        private RoundTripPair() {}

        static void run(Map<String, String> a) throws IOException {
            int rounds = Integer.parseInt(a.get("pair-rounds"));
            int warmup = Integer.parseInt(a.getOrDefault("warmup", "2000"));
            long timeNs = Long.parseLong(a.getOrDefault("latency-ms", "5000")) * 1_000_000L;
            try (TetherLink c1 = control(a.get("control")); TetherLink c2 = control(a.get("control"))) {
                BenchSender t = new BenchSender(c1, true);
                BenchSender p = new BenchSender(c2, false);
                t.hello();
                p.hello();
                String et = t.begin("echo", "tether");
                String ep = p.begin("echo", "tether");
                long[] ts = new long[rounds];
                long[] ps = new long[rounds];
                int n = 0;
                byte[] msg = {0, 1, 1, 0};
                byte[] reply = new byte[msg.length];
                try (TetherLink link = TetherLink.connect(et); Socket s = plainSocket(ep)) {
                    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                    DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                    long deadline = System.nanoTime() + timeNs;
                    for (int i = 0; n < rounds && System.nanoTime() < deadline; i += BLOCK) {
                        // Which goes first changes every block: the first of a pair may
                        // find the machine in another state than the second.
                        boolean tetherFirst = (i / BLOCK) % 2 == 0;
                        for (int j = 0; j < BLOCK && n + j < rounds; j++) {
                            long tt = 0;
                            long pt = 0;
                            for (int k = 0; k < 2; k++) {
                                long t0 = System.nanoTime();
                                if ((k == 0) == tetherFirst) {
                                    link.send(msg);
                                    link.recv();
                                    tt = System.nanoTime() - t0;
                                } else {
                                    out.writeInt(msg.length);
                                    out.write(msg);
                                    out.flush();
                                    in.readInt();
                                    in.readFully(reply);
                                    pt = System.nanoTime() - t0;
                                }
                            }
                            if (i >= warmup) {
                                ts[n + j] = tt;
                                ps[n + j] = pt;
                            }
                        }
                        if (i >= warmup) {
                            n = Math.min(rounds, n + BLOCK);
                        }
                    }
                }
                t.finish();
                p.finish();
                long[] a1 = Arrays.copyOf(ts, n);
                long[] a2 = Arrays.copyOf(ps, n);
                Arrays.sort(a1);
                Arrays.sort(a2);
                System.out.println("{\"type\":\"latency_pair\",\"rounds\":" + n + ",\"tether_p50_ns\":"
                        + (n == 0 ? 0 : a1[n / 2]) + ",\"plain_p50_ns\":" + (n == 0 ? 0 : a2[n / 2]) + "}");
            }
        }
    }

    /** Reads the string members of the server's flat JSON objects (no library in the JDK). */
    static final class Json {
        private Json() {}

        /** The string member {@code key} of {@code obj}, unescaped, or null. */
        static String string(String obj, String key) {
            String needle = "\"" + key + "\"";
            int at = obj.indexOf(needle);
            while (at >= 0) {
                int p = skipSpace(obj, at + needle.length());
                if (p < obj.length() && obj.charAt(p) == ':') {
                    p = skipSpace(obj, p + 1);
                    return p < obj.length() && obj.charAt(p) == '"' ? unquote(obj, p + 1) : null;
                }
                at = obj.indexOf(needle, at + 1);
            }
            return null;
        }

        private static int skipSpace(String s, int p) {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
                p++;
            }
            return p;
        }

        private static String unquote(String s, int p) {
            StringBuilder out = new StringBuilder();
            while (p < s.length()) {
                char c = s.charAt(p++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\' && p < s.length()) {
                    char e = s.charAt(p++);
                    switch (e) {
                        case 'n': out.append('\n'); break;
                        case 't': out.append('\t'); break;
                        case 'r': out.append('\r'); break;
                        case 'b': out.append('\b'); break;
                        case 'f': out.append('\f'); break;
                        case 'u':
                            out.append((char) Integer.parseInt(s.substring(p, Math.min(s.length(), p + 4)), 16));
                            p += 4;
                            break;
                        default: out.append(e);
                    }
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
