package tether;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * The Java ball peer (interop/java/balls) in one ring with a Rust peer
 * ({@code tether balls}) on its left and a Python peer
 * ({@code python3 -m tether.balls}) on its right: balls cross between all
 * three languages both ways, and every ball created ends up exactly once.
 */
public class BallsRingTest {
    private static final Pattern EVENT = Pattern.compile("\"event\":\\s*\"(\\w+)\"");
    private static final Pattern ID = Pattern.compile("\"id\":\\s*(\\d+)");
    private static final Pattern BALLS = Pattern.compile("\"balls\":\\s*\\[([0-9, ]*)\\]");
    private static final Pattern ENDPOINT = Pattern.compile("\"endpoint\":\\s*\"(tcp://[0-9.:]+)\"");

    private static String[] fast(String name) {
        return new String[] {"--headless", "--json", "--listen", "tcp://127.0.0.1:0", "--balls", "4",
            "--speed", "6", "--for", "5", "--name", name};
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(new String[0]);
    }

    /** Every line up to and including the "end" event. */
    private static List<String> events(Peer p) throws InterruptedException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            String l = p.line();
            lines.add(l);
            if (l.contains("\"end\"")) {
                return lines;
            }
        }
        throw new AssertionError("no end event");
    }

    private static String endpoint(Peer p) throws InterruptedException {
        Matcher m = ENDPOINT.matcher(p.line());
        assertTrue("listening first", m.find());
        return m.group(1);
    }

    private static int count(List<String> log, String event) {
        int n = 0;
        for (String l : log) {
            Matcher m = EVENT.matcher(l);
            if (m.find() && m.group(1).equals(event)) {
                n++;
            }
        }
        return n;
    }

    @Test
    public void javaPythonAndRustPeersKeepEveryBall() throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        String cp = Peer.root().resolve("interop/java/build/test-classes") + ":"
            + Peer.root().resolve("interop/java/build/tether.jar");
        try (Peer py = Peer.start(concat(new String[] {Peer.pythonBin(), "-m", "tether.balls"}, fast("python")))) {
            String pyAt = endpoint(py);
            try (Peer jv = Peer.start(concat(concat(new String[] {java, "-cp", cp, "balls.Balls"}, fast("java")),
                    "--right", pyAt))) {
                String jvAt = endpoint(jv);
                try (Peer rs = Peer.tether(concat(concat(new String[] {"balls"}, fast("rust")), "--right", jvAt))) {
                    endpoint(rs);
                    List<List<String>> logs = List.of(events(rs), events(jv), events(py));
                    Set<Long> created = new HashSet<>();
                    List<Long> held = new ArrayList<>();
                    for (List<String> log : logs) {
                        for (String l : log) {
                            if (l.contains("\"created\"")) {
                                Matcher m = ID.matcher(l);
                                assertTrue(m.find());
                                created.add(Long.parseLong(m.group(1)));
                            }
                            Matcher end = BALLS.matcher(l);
                            if (l.contains("\"end\"") && end.find() && !end.group(1).isBlank()) {
                                for (String id : end.group(1).split(",")) {
                                    held.add(Long.parseLong(id.trim()));
                                }
                            }
                        }
                    }
                    assertEquals("balls created", 12, created.size());
                    assertEquals("every ball exactly once at the end", created.size(), held.size());
                    assertEquals(created, new HashSet<>(held));
                    List<String> jvLog = logs.get(1);
                    assertTrue("the Java peer received balls", count(jvLog, "received") > 0);
                    assertTrue("the Java peer sent balls", count(jvLog, "sent") > 0);
                    // A ball sent as its neighbour stopped comes back: acked or bounced, never lost.
                    assertEquals("all it sent acknowledged or bounced back", count(jvLog, "sent"),
                        count(jvLog, "acknowledged") + count(jvLog, "bounced"));
                    assertTrue("balls reached Python", count(logs.get(2), "received") > 0);
                    assertTrue("balls reached Rust", count(logs.get(0), "received") > 0);
                }
            }
        }
    }
}
