package balls;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java ball peer's command line: {@code --listen EP --right EP --headless --json --balls N
 * --for SECONDS --name NAME --speed X}, {@code --textbook left|right} (with {@code --left} or
 * {@code --right}), {@code --terminal}, and {@code --local N} (N peers in this process, a real
 * ring over loopback).
 */
final class Cli {
    private Cli() {}

    static void fail(String why) {
        System.err.println("tether balls (java): " + why);
        System.exit(2);
    }

    /** {@code --textbook right} listens on 10001 and sends left to 10002, {@code left} the other way. */
    static Textbook textbook(String which, Map<String, String> opt) throws IOException {
        String local = "tcp://127.0.0.1:";
        if (which.equals("right") && !opt.containsKey("--right")) {
            return new Textbook(Balls.LEFT, opt.getOrDefault("--listen", local + Textbook.RIGHT_PORT),
                opt.getOrDefault("--left", local + Textbook.LEFT_PORT));
        }
        if (which.equals("left") && !opt.containsKey("--left")) {
            return new Textbook(Balls.RIGHT, opt.getOrDefault("--listen", local + Textbook.LEFT_PORT),
                opt.getOrDefault("--right", local + Textbook.RIGHT_PORT));
        }
        fail("--textbook right takes --left, --textbook left takes --right");
        return null;
    }

    static List<Balls> peers(Map<String, String> opt) throws IOException {
        double speed = Double.parseDouble(opt.getOrDefault("--speed", "1"));
        boolean json = opt.containsKey("--json");
        String name = opt.get("--name");
        List<Balls> peers = new ArrayList<>();
        String which = opt.get("--textbook");
        String local = opt.get("--local");
        if (which != null) {
            peers.add(new Balls(textbook(which, opt), name, json, speed));
        } else if (local != null) {
            int n = Integer.parseInt(local);
            if (n < 1 || n > 16 || opt.containsKey("--listen") || opt.containsKey("--right")) {
                fail("--local N: give 1 to 16 screens, and no --listen or --right");
            }
            // Each listens first, so that each can connect to the next.
            for (int i = 0; i < n; i++) {
                Balls p = new Balls("tcp://127.0.0.1:0", null, (name == null ? "local" : name) + (i + 1), json, speed);
                p.width /= n;
                peers.add(p);
            }
            for (int i = 0; i < n; i++) {
                peers.get(i).connectRight(peers.get((i + 1) % n).localEndpoint());
            }
        } else {
            peers.add(new Balls(opt.getOrDefault("--listen", "tcp://127.0.0.1:9100"), opt.get("--right"), name, json,
                speed));
        }
        return peers;
    }

    static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--headless") || a.equals("--json") || a.equals("--terminal")) {
                opt.put(a, "");
            } else if (a.startsWith("--") && i + 1 < args.length) {
                opt.put(a, args[++i]);
            } else {
                fail("unknown argument " + a);
            }
        }
        if (opt.containsKey("--terminal") && (opt.containsKey("--json") || opt.containsKey("--headless"))) {
            fail("--terminal draws on stdout: not with --headless or --json");
        }
        double seconds = Double.parseDouble(opt.getOrDefault("--for", "0").replaceAll("s$", ""));
        List<Balls> peers = peers(opt);
        int n = Integer.parseInt(opt.getOrDefault("--balls", "1"));
        for (Balls peer : peers) {
            peer.emit("listening", "\"endpoint\":" + Balls.quote(peer.localEndpoint()));
            synchronized (peer) {
                for (int i = 0; i < n; i++) {
                    peer.addBall();
                }
            }
        }
        long deadline = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
        if (opt.containsKey("--headless")) {
            while (System.nanoTime() < deadline) {
                peers.forEach(Balls::frame);
                Thread.sleep(16);
            }
        } else if (opt.containsKey("--terminal")) {
            Terminal.run(peers, deadline);
        } else if (peers.size() == 1) {
            Window.run(peers.get(0), seconds);
        } else {
            fail("--local draws with --headless or --terminal in the Java peer");
        }
        // The handovers under way between the peers here finish before any says what it holds.
        long end = System.nanoTime() + 500_000_000L;
        boolean busy = true;
        while (busy && System.nanoTime() < end) {
            busy = false;
            for (Balls peer : peers) {
                busy |= peer.settle();
            }
            Thread.sleep(2);
        }
        for (Balls peer : peers) {
            peer.finish();
        }
        System.exit(0);
    }
}
