package balls;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import tether.Record;
import tether.TetherLink;
import tether.TetherListener;

/**
 * A peer of the {@code tether balls} ring in Java, written from the "Ball ring"
 * section of docs/PROTOCOL.md with the tether Java library: a Swing window, or
 * {@code --headless --json} with the same events as {@code tether balls --json}.
 *
 * <pre>
 * javac -cp interop/java/build/tether.jar -d interop/java/build/balls interop/java/balls/*.java
 * java -cp interop/java/build/tether.jar:interop/java/build/balls balls.Balls \
 *     --listen tcp://0.0.0.0:9100 --right tcp://pc1:9100
 * </pre>
 */
public final class Balls {
    static final Record REC = Record.parse("!2sBBIQfffffBBBx");
    static final double STEP = 1.0 / 240.0;
    static final long START = System.nanoTime();
    static final int LEFT = 0;
    static final int RIGHT = 1;
    static final String[] SIDES = {"left", "right"};
    static final int[][] PALETTE = {{239, 71, 111}, {255, 209, 102}, {6, 214, 160}, {17, 138, 178},
        {255, 140, 66}, {155, 93, 229}, {241, 91, 181}, {0, 187, 249}};

    /** One ball: lengths in screen heights, speeds in heights per second, y up. */
    static final class Ball {
        long id;
        double x, y, vx, vy, r;
        int[] colour;

        String json() {
            return String.format(Locale.ROOT,
                "{\"id\":%d,\"x\":%.6f,\"y\":%.6f,\"vx\":%.6f,\"vy\":%.6f,\"radius\":%.6f,\"colour\":[%d,%d,%d]}",
                id, x, y, vx, vy, r, colour[0], colour[1], colour[2]);
        }
    }

    static final int VERSION = 2;
    static final int BALL = 1;
    static final int ACK = 2;
    static final int DONE = 5;
    static final int HELLO = 6;
    /** How long an offered ball waits for its ack before it comes back and the link is closed as hung. */
    static final double ACK_TIMEOUT = 2.0;

    /**
     * A decoded record: kind 1 (a ball, {@code depth} past the edge), or 2 to 6 (ack, commit,
     * abort, done, hello) about the ball with {@code ball.id}.
     */
    record Msg(int kind, long sender, double depth, Ball ball) {}

    static byte[] encodeBall(long sender, double depth, Ball b) {
        return REC.pack(new byte[] {'T', 'B'}, VERSION, BALL, sender, b.id, depth, b.y, b.vx, b.vy, b.r,
            b.colour[0], b.colour[1], b.colour[2]);
    }

    static byte[] encodeControl(int kind, long sender, long id) {
        return REC.pack(new byte[] {'T', 'B'}, VERSION, kind, sender, id, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0);
    }

    static Msg decode(byte[] data) {
        if (data.length != REC.size()) {
            throw new IllegalArgumentException("ball record of " + data.length + " bytes, expected 40");
        }
        Object[] v = REC.unpack(data);
        if (!Arrays.equals((byte[]) v[0], new byte[] {'T', 'B'})) {
            throw new IllegalArgumentException("not a ball record");
        }
        long version = (Long) v[1];
        if (version != VERSION) {
            throw new IllegalArgumentException("ball record version " + version + ", this peer speaks " + VERSION);
        }
        Ball b = new Ball();
        b.id = ((BigInteger) v[4]).longValue();
        b.y = (Double) v[6];
        b.vx = (Double) v[7];
        b.vy = (Double) v[8];
        b.r = (Double) v[9];
        b.colour = new int[] {((Long) v[10]).intValue(), ((Long) v[11]).intValue(), ((Long) v[12]).intValue()};
        long kind = (Long) v[2];
        double depth = (Double) v[5];
        long sender = (Long) v[3];
        if (kind >= ACK && kind <= HELLO) {
            return new Msg((int) kind, sender, 0, b);
        }
        boolean finite = Double.isFinite(depth + b.y + b.vx + b.vy + b.r);
        if (kind != 1 || !finite || b.r <= 0 || b.r > 0.25 || Math.abs(b.vx) > 10 || Math.abs(b.vy) > 10
                || depth < 0 || depth > 1) {
            throw new IllegalArgumentException("ball record refused (kind " + kind + ")");
        }
        b.y = Math.min(Math.max(b.y, 0), 1);
        return new Msg(BALL, sender, depth, b);
    }

    /** A link's event, from a network thread to the frame loop. */
    record NetEvent(String what, int side, long gen, TetherLink link, Msg msg, String text) {}

    final ConcurrentLinkedQueue<NetEvent> events = new ConcurrentLinkedQueue<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong generations = new AtomicLong();
    final TetherListener listener;
    final String name;
    final boolean json;
    final long id;
    final double speed;
    final Random rng = new Random();
    final List<Ball> balls = new ArrayList<>();
    final TetherLink[] links = new TetherLink[2];
    final long[] linkGen = new long[2];
    final String[] endpoints = new String[2];
    /** Whether the neighbour on each side said hello: the edge leads to it. */
    final boolean[] open = new boolean[2];
    final List<Handover> handover = List.of(new Handover(), new Handover());
    final List<Long> handoffs = new ArrayList<>();
    double width = 4.0 / 3.0;
    double done;
    long counter;

    /** In place of the textbook's program, or null in a ring of tether peers. */
    final Textbook textbook;

    Balls(String listen, String right, String name, boolean json, double speed) throws IOException {
        this.listener = TetherListener.bind(listen);
        this.textbook = null;
        this.name = name == null ? "java:" + listener.localEndpoint().replaceAll(".*:", "") : name;
        this.json = json;
        this.speed = speed;
        this.id = 1 + rng.nextInt((1 << 20) - 1);
        thread(this::accept);
        if (right != null) {
            connectRight(right);
        }
    }

    /** Connects to the right neighbour, and again whenever the link drops. */
    void connectRight(String right) {
        endpoints[RIGHT] = right;
        thread(() -> connect(right));
    }

    /** Handles what the network said, without moving the world; true while a handover is under way. */
    synchronized boolean settle() {
        for (NetEvent e; (e = events.poll()) != null; ) {
            handle(e);
        }
        return handover.get(0).busy() || handover.get(1).busy() || textbook != null && !textbook.flying.isEmpty();
    }

    /** A screen whose {@code textbook.side} leads to one of the textbook's programs. */
    Balls(Textbook textbook, String name, boolean json, double speed) {
        this.listener = null;
        this.textbook = textbook;
        this.name = name == null ? "java:" + textbook.localEndpoint().replaceAll(".*:", "") : name;
        this.json = json;
        this.speed = speed;
        this.id = 1 + rng.nextInt((1 << 20) - 1);
        endpoints[textbook.side] = textbook.targetEndpoint();
        open[textbook.side] = true; // the textbook's programs answer nothing: no hello
        textbook.start(this);
    }

    String localEndpoint() {
        return listener != null ? listener.localEndpoint() : textbook.localEndpoint();
    }

    static void thread(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
    }

    void accept() {
        while (!stop.get()) {
            try {
                TetherLink link = listener.accept(Duration.ofMillis(50));
                if (link != null) {
                    long gen = generations.incrementAndGet();
                    thread(() -> read(link, LEFT, gen));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    void connect(String right) {
        long delay = 50;
        while (!stop.get()) {
            try {
                TetherLink link = TetherLink.connect(right);
                delay = 50;
                read(link, RIGHT, generations.incrementAndGet());
            } catch (IOException e) {
                delay = Math.min(delay * 2, 2000);
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void read(TetherLink link, int side, long gen) {
        events.add(new NetEvent("up", side, gen, link, null, link.peer()));
        String reason = "stopped";
        while (!stop.get()) {
            try {
                byte[] data = link.recv(Duration.ofMillis(50));
                if (data != null) {
                    events.add(new NetEvent("message", side, gen, link, decode(data), null));
                }
            } catch (IOException | IllegalArgumentException e) {
                reason = String.valueOf(e.getMessage());
                break;
            }
        }
        link.close();
        events.add(new NetEvent("down", side, gen, link, null, reason));
    }

    synchronized void emit(String event, String fields) {
        if (json) {
            double t = System.nanoTime() / 1e9; // CLOCK_MONOTONIC on Linux, as the other peers
            String quoted = name.replace("\\", "\\\\").replace("\"", "\\\"");
            System.out.printf(Locale.ROOT, "{\"t\":%.6f,\"peer\":\"%s\",\"event\":\"%s\"%s}%n", t, quoted, event,
                fields.isEmpty() ? "" : "," + fields);
            System.out.flush();
        }
    }

    static String quote(String s) {
        return "\"" + String.valueOf(s).replaceAll("[^ -~]", "?").replace("\\", "\\\\").replace("\"", "'") + "\"";
    }

    void addBall() {
        Ball b = new Ball();
        b.id = (id << 32) | ++counter;
        b.r = 0.03 + 0.04 * rng.nextDouble();
        b.x = b.r + rng.nextDouble() * (width - 2 * b.r);
        b.y = b.r + rng.nextDouble() * (1 - 2 * b.r);
        b.vx = Math.min((0.25 + 0.45 * rng.nextDouble()) * speed, 10) * (rng.nextBoolean() ? 1 : -1);
        b.vy = Math.min((0.25 + 0.45 * rng.nextDouble()) * speed, 10) * (rng.nextBoolean() ? 1 : -1);
        b.colour = PALETTE[rng.nextInt(PALETTE.length)];
        balls.add(b);
        emit("created", "\"ball\":" + b.json());
    }

    void linkDown(int side, String reason) {
        if (links[side] != null) {
            links[side].close();
        }
        links[side] = null;
        List<Ball> back = handover.get(side).takeBack();
        if (!open[side] && back.isEmpty()) {
            return;
        }
        open[side] = false;
        emit("neighbour_down", "\"side\":\"" + SIDES[side] + "\",\"reason\":" + quote(reason));
        for (Ball b : back) {
            b.vx = side == LEFT ? Math.abs(b.vx) : -Math.abs(b.vx);
            b.x = side == LEFT ? b.r : width - b.r;
            balls.add(b);
            emit("bounced", "\"side\":\"" + SIDES[side] + "\",\"ball\":" + b.json() + ",\"reason\":" + quote(reason));
        }
    }

    void send(int side, byte[] data) {
        TetherLink link = links[side];
        if (link == null) {
            linkDown(side, "not connected");
            return;
        }
        try {
            link.send(data);
        } catch (IOException e) {
            linkDown(side, String.valueOf(e.getMessage()));
        }
    }

    /** Puts a ball that came over {@code side} on this screen. */
    void take(int side, double depth, Ball b) {
        depth = Math.min(Math.max(depth, 0), width / 2);
        b.x = side == LEFT ? depth : width - depth;
        balls.add(b);
        handoffs.add(System.nanoTime());
        emit("received", "\"side\":\"" + SIDES[side] + "\",\"ball\":" + b.json());
    }

    void handle(NetEvent e) {
        int side = e.side();
        if (e.what().startsWith("tb_")) {
            textbook.handle(e);
        } else if (e.what().equals("up")) {
            if (links[side] != null) {
                linkDown(side, "replaced by a new connection");
            }
            links[side] = e.link();
            linkGen[side] = e.gen();
            endpoints[side] = e.text();
            send(side, encodeControl(HELLO, id, 0));
        } else if (links[side] == null || linkGen[side] != e.gen()) {
            return;
        } else if (e.what().equals("down")) {
            linkDown(side, e.text());
        } else {
            message(side, e.msg());
        }
    }

    /** One record over {@code side}: the handover of docs/PROTOCOL.md. */
    void message(int side, Msg m) {
        Handover h = handover.get(side);
        long ball = m.ball().id;
        if (m.kind() == HELLO) {
            Map<Long, Integer> again = new LinkedHashMap<>();
            for (Handover.Held held : h.hello(m.sender(), again)) {
                take(side, held.depth(), held.ball());
            }
            again.forEach((b, word) -> send(side, encodeControl(word, id, b)));
            open[side] = true;
            emit("neighbour_up", "\"side\":\"" + SIDES[side] + "\",\"endpoint\":" + quote(endpoints[side]));
        } else if (!open[side]) {
            emit("refused", "\"side\":\"" + SIDES[side] + "\",\"reason\":\"a record before the hello\"");
            linkDown(side, "a record before the hello");
        } else if (m.kind() == BALL) {
            h.reserve(m.depth(), m.ball()); // off screen until the sender's word
            send(side, encodeControl(ACK, id, ball));
        } else if (m.kind() == ACK) {
            Ball given = h.ack(ball);
            if (given != null) {
                emit("acknowledged", "\"side\":\"" + SIDES[side] + "\",\"ball\":" + given.json());
            }
            if (h.word(ball) != 0) {
                send(side, encodeControl(h.word(ball), id, ball));
            }
        } else if (m.kind() == Handover.COMMIT || m.kind() == Handover.ABORT) {
            Handover.Held held = h.heard(ball, m.kind());
            if (held != null) {
                take(side, held.depth(), held.ball());
            }
            send(side, encodeControl(DONE, id, ball));
        } else if (m.kind() == DONE) {
            h.done(ball);
        }
    }

    /** Moves the world to {@code now} in fixed steps; hands over balls that crossed an open edge. */
    void tick(double now) {
        for (int s = 0; s < 2; s++) {
            if (handover.get(s).expired(now)) {
                linkDown(s, "no ack within " + (int) (ACK_TIMEOUT * 1000) + " ms: hung?");
            }
        }
        while (done + STEP <= now) {
            done += STEP;
            for (Iterator<Ball> it = balls.iterator(); it.hasNext(); ) {
                Ball b = it.next();
                b.x += b.vx * STEP;
                b.y += b.vy * STEP;
                if (b.y - b.r < 0 && b.vy < 0) {
                    b.y = 2 * b.r - b.y;
                    b.vy = -b.vy;
                } else if (b.y + b.r > 1 && b.vy > 0) {
                    b.y = 2 * (1 - b.r) - b.y;
                    b.vy = -b.vy;
                }
                int side = b.vx < 0 ? LEFT : RIGHT;
                boolean open = this.open[side];
                double past = side == LEFT ? -b.x : b.x - width;
                if (open && past > 0) {
                    it.remove();
                    handoffs.add(System.nanoTime());
                    emit("sent", "\"side\":\"" + SIDES[side] + "\",\"ball\":" + b.json());
                    if (textbook != null) {
                        textbook.leave(b, past);
                        continue;
                    }
                    Ball offered = new Ball();
                    offered.id = b.id;
                    offered.y = b.y;
                    offered.vx = b.vx;
                    offered.vy = b.vy;
                    offered.r = b.r;
                    offered.colour = b.colour;
                    handover.get(side).offer(offered, now + ACK_TIMEOUT);
                    send(side, encodeBall(id, past, b));
                } else if (!open && past + b.r > 0 && b.vx != 0) {
                    b.x = side == LEFT ? Math.min(2 * b.r - b.x, width) : Math.max(2 * (width - b.r) - b.x, 0);
                    b.vx = -b.vx;
                }
            }
        }
    }

    synchronized void frame() {
        for (NetEvent e; (e = events.poll()) != null; ) {
            handle(e);
        }
        tick((System.nanoTime() - START) / 1e9);
    }

    synchronized void finish() throws InterruptedException {
        long end = System.nanoTime() + 500_000_000L;
        while ((handover.get(0).busy() || handover.get(1).busy() || textbook != null && !textbook.flying.isEmpty())
                && System.nanoTime() < end) {
            for (NetEvent e; (e = events.poll()) != null; ) {
                handle(e);
            }
            Thread.sleep(2);
        }
        List<String> held = new ArrayList<>();
        balls.forEach(b -> held.add(Long.toString(b.id)));
        List<String> pending = new ArrayList<>();
        handover.forEach(h -> h.offered.keySet().forEach(k -> held.add(Long.toString(k))));
        if (textbook != null) {
            textbook.flying.keySet().forEach(k -> held.add(Long.toString(k)));
        }
        handover.forEach(h -> h.reserved.keySet().forEach(k -> pending.add(Long.toString(k))));
        emit("end", "\"balls\":[" + String.join(",", held) + "],\"pending\":[" + String.join(",", pending) + "]");
        stop.set(true);
    }

    synchronized List<String> status() {
        long cut = System.nanoTime() - 1_000_000_000L;
        handoffs.removeIf(t -> t < cut);
        List<String> lines = new ArrayList<>(List.of(name));
        for (int s = 0; s < 2; s++) {
            String state = open[s] ? "up" : "down";
            lines.add(endpoints[s] == null ? SIDES[s] + " none (wall)" : SIDES[s] + " " + endpoints[s] + " " + state);
        }
        lines.add("balls " + balls.size() + "  handoffs/s " + handoffs.size());
        return lines;
    }

    /** See {@link Cli}: {@code --listen EP --right EP --textbook left|right --local N --terminal ...}. */
    public static void main(String[] args) throws Exception {
        Cli.main(args);
    }
}
