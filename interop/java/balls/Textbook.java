package balls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * {@code --textbook left|right}: in place of one of the textbook's networked
 * bouncing-ball programs. One TCP connection per ball, the ball as UTF-8 text
 * {@code x,y,change_x,change_y,radius,r,g,b} in integers, pixels and pixels per
 * frame on an 800 x 600 screen at 60 frames/s, y up, no terminator, closed
 * after it. The same units as the Rust peer's (crates/balls/src/textbook.rs).
 */
final class Textbook {
    static final double HEIGHT_PX = 600;
    static final double FPS = 60;
    /** Longest text accepted from one connection. */
    static final int MAX_LEN = 256;
    static final int RIGHT_PORT = 10001;
    static final int LEFT_PORT = 10002;
    static final String[] NAMES = {"x", "y", "change_x", "change_y", "radius", "r", "g", "b"};
    static final long[] LIMITS = {1_000_000, 1_000_000, 100, 100, 150, 255, 255, 255};

    final int side;
    final ServerSocket server;
    final InetSocketAddress target;
    final LinkedBlockingQueue<Balls.Ball> outbox = new LinkedBlockingQueue<>();
    final Map<Long, Balls.Ball> flying = new HashMap<>();
    /** Connections read at once; more wait in the kernel's backlog. */
    final Semaphore readers = new Semaphore(16);
    Balls peer;

    Textbook(int side, String listen, String target) throws IOException {
        this.side = side;
        InetSocketAddress at = address(listen);
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(at);
        server.setSoTimeout(50);
        this.target = address(target);
    }

    /** {@code tcp://host:port} or {@code host:port}. */
    static InetSocketAddress address(String endpoint) {
        String bare = endpoint.startsWith("tcp://") ? endpoint.substring(6) : endpoint;
        URI uri = URI.create("tcp://" + bare);
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException(endpoint + " is not host:port");
        }
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    String localEndpoint() {
        return "tcp://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    String targetEndpoint() {
        return "tcp://" + target.getHostString() + ":" + target.getPort();
    }

    void start(Balls peer) {
        this.peer = peer;
        Balls.thread(this::accept);
        Balls.thread(this::deliver);
    }

    /** The eight integers of one connection's bytes (one trailing newline accepted). */
    static long[] parse(byte[] data) {
        if (data.length > MAX_LEN) {
            throw new IllegalArgumentException("textbook ball longer than " + MAX_LEN + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("textbook ball is not UTF-8 text");
        }
        text = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        text = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        String[] fields = text.split(",", -1);
        if (fields.length != 8) {
            throw new IllegalArgumentException("textbook ball has " + fields.length
                + " fields, expected 8 (x,y,change_x,change_y,radius,r,g,b)");
        }
        long[] v = new long[8];
        for (int i = 0; i < 8; i++) {
            if (!fields[i].matches("[+-]?[0-9]{1,18}")) {
                throw new IllegalArgumentException("textbook ball field " + (i + 1) + " (" + NAMES[i]
                    + ") is not an integer");
            }
            v[i] = Long.parseLong(fields[i]);
            if (Math.abs(v[i]) > LIMITS[i] || (i >= 5 && v[i] < 0)) {
                throw new IllegalArgumentException("textbook ball field " + NAMES[i] + " out of range");
            }
        }
        return v;
    }

    /** A ball of the world (x is left for the receiver to place). */
    static Balls.Ball toBall(long[] v, long id) {
        double perSecond = FPS / HEIGHT_PX;
        Balls.Ball b = new Balls.Ball();
        b.id = id;
        b.r = Math.min(Math.max(v[4] / HEIGHT_PX, 0.005), 0.25);
        b.y = Math.min(Math.max(v[1] / HEIGHT_PX, b.r), 1 - b.r);
        b.vx = Math.min(Math.max(v[2] * perSecond, -10), 10);
        b.vy = Math.min(Math.max(v[3] * perSecond, -10), 10);
        b.colour = new int[] {(int) v[5], (int) v[6], (int) v[7]};
        return b;
    }

    /** The text the textbook's programs send; {@code b.x} in heights. */
    static String format(Balls.Ball b) {
        double perFrame = HEIGHT_PX / FPS;
        long cx = Math.min(Math.max(Math.round(b.vx * perFrame), -100), 100);
        long cy = Math.min(Math.max(Math.round(b.vy * perFrame), -100), 100);
        return Math.round(b.x * HEIGHT_PX) + "," + Math.round(b.y * HEIGHT_PX) + "," + cx + "," + cy + ","
            + Math.max(Math.round(b.r * HEIGHT_PX), 1) + "," + b.colour[0] + "," + b.colour[1] + "," + b.colour[2];
    }

    void accept() {
        while (!peer.stop.get()) {
            try {
                if (!readers.tryAcquire(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                Socket s = server.accept();
                Balls.thread(() -> read(s));
            } catch (SocketTimeoutException e) {
                readers.release();
            } catch (IOException e) {
                readers.release();
                return;
            }
        }
    }

    /** Reads one connection to its end, at most MAX_LEN + 1 bytes. */
    void read(Socket s) {
        String from = s.getInetAddress().getHostAddress() + ":" + s.getPort();
        try (s; InputStream in = s.getInputStream()) {
            s.setSoTimeout(2000);
            byte[] data = in.readNBytes(MAX_LEN + 1);
            Balls.Ball b = toBall(parse(data), 0);
            peer.events.add(new Balls.NetEvent("tb_ball", side, 0, null, new Balls.Msg(Balls.BALL, 0, 0, b), null));
        } catch (IOException | IllegalArgumentException e) {
            peer.events.add(new Balls.NetEvent("tb_refused", side, 0, null, null, "from " + from + ": " + e.getMessage()));
        } finally {
            readers.release();
        }
    }

    void deliver() {
        while (!peer.stop.get()) {
            Balls.Ball b;
            try {
                b = outbox.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (b == null) {
                continue;
            }
            Balls.Msg m = new Balls.Msg(Balls.BALL, 0, 0, b);
            try (Socket s = new Socket()) {
                s.connect(target, 1000);
                s.setSoTimeout(1000);
                OutputStream out = s.getOutputStream();
                out.write(format(b).getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
                peer.events.add(new Balls.NetEvent("tb_delivered", side, 0, null, m, null));
            } catch (IOException e) {
                peer.events.add(new Balls.NetEvent("tb_failed", side, 0, null, m, String.valueOf(e.getMessage())));
            }
        }
    }

    /** A ball that crossed the textbook's edge, {@code past} beyond it: sent as text. */
    void leave(Balls.Ball b, double past) {
        flying.put(b.id, b);
        Balls.Ball sent = new Balls.Ball();
        sent.id = b.id;
        sent.x = side == Balls.LEFT ? -past : peer.width + past;
        sent.y = b.y;
        sent.vx = b.vx;
        sent.vy = b.vy;
        sent.r = b.r;
        sent.colour = b.colour;
        outbox.add(sent);
    }

    /** One event of the textbook's threads, in the frame loop. */
    void handle(Balls.NetEvent e) {
        String s = "\"side\":\"" + Balls.SIDES[side] + "\"";
        switch (e.what()) {
            case "tb_ball" -> {
                Balls.Ball b = e.msg().ball();
                b.id = (peer.id << 32) | ++peer.counter;
                peer.take(side, 0, b);
            }
            case "tb_refused" -> peer.emit("refused", s + ",\"reason\":" + Balls.quote(e.text()));
            case "tb_delivered" -> {
                Balls.Ball b = flying.remove(e.msg().ball().id);
                if (b != null) {
                    peer.emit("acknowledged", s + ",\"ball\":" + b.json());
                }
            }
            default -> {
                Balls.Ball b = flying.remove(e.msg().ball().id);
                if (b != null) {
                    b.vx = side == Balls.LEFT ? Math.abs(b.vx) : -Math.abs(b.vx);
                    b.x = side == Balls.LEFT ? b.r : peer.width - b.r;
                    peer.balls.add(b);
                    peer.emit("bounced", s + ",\"ball\":" + b.json() + ",\"reason\":" + Balls.quote(e.text()));
                }
            }
        }
    }
}
