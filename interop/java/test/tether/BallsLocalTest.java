package tether;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * The Java ball peer's {@code --local N} (N peers in one process, a real ring
 * over loopback) keeps every ball, and {@code --terminal} under tmux shows the
 * balls (braille dots) and the status corner, follows a resize, and quits on q.
 */
public class BallsLocalTest {
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");
    private static final Pattern BALLS = Pattern.compile("\"balls\":\\[([0-9,]*)\\],\"pending\":\\[([0-9,]*)\\]");

    private static String[] java(String... args) {
        List<String> argv = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java", "-cp",
            Peer.root().resolve("interop/java/build/test-classes") + ":" + Peer.root().resolve("interop/java/build/tether.jar"),
            "balls.Balls"));
        argv.addAll(List.of(args));
        return argv.toArray(new String[0]);
    }

    @Test
    public void localPeersPassBallsRoundTheRingAndKeepEveryOne() throws Exception {
        try (Peer p = Peer.start(java("--local", "3", "--headless", "--json", "--balls", "3", "--speed", "6",
                "--for", "4"))) {
            Set<Long> created = new HashSet<>();
            Set<String> crossed = new HashSet<>();
            List<Long> held = new ArrayList<>();
            Set<Long> pending = new HashSet<>();
            int ends = 0;
            while (ends < 3) {
                String l = p.line();
                Matcher id = ID.matcher(l);
                if (l.contains("\"created\"") && id.find()) {
                    created.add(Long.parseLong(id.group(1)));
                }
                Matcher peer = Pattern.compile("\"peer\":\"(local\\d)\",\"event\":\"received\",\"side\":\"(\\w+)\"")
                    .matcher(l);
                if (peer.find()) {
                    crossed.add(peer.group(1) + " " + peer.group(2));
                }
                Matcher end = BALLS.matcher(l);
                if (l.contains("\"end\"") && end.find()) {
                    ends++;
                    for (String s : end.group(1).split(",")) {
                        if (!s.isEmpty()) {
                            held.add(Long.parseLong(s));
                        }
                    }
                    for (String s : end.group(2).split(",")) {
                        if (!s.isEmpty()) {
                            pending.add(Long.parseLong(s));
                        }
                    }
                }
            }
            assertEquals(9, created.size());
            pending.removeAll(held);
            held.addAll(pending);
            assertEquals("every ball exactly once at the end", created.size(), held.size());
            assertEquals(created, new HashSet<>(held));
            assertEquals("each received over both sides: " + crossed, 6, crossed.size());
        }
    }

    private static String tmux(String socket, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("tmux", "-L", socket));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static long braille(String s) {
        return s.chars().filter(c -> c >= 0x2801 && c <= 0x28ff).count();
    }

    private static String waitScreen(String socket, String what, java.util.function.Predicate<String> ok)
            throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            String screen = tmux(socket, "capture-pane", "-p", "-t", "balls");
            if (ok.test(screen)) {
                return screen;
            }
            assertTrue(what + ":\n" + screen, System.nanoTime() < deadline);
            Thread.sleep(100);
        }
    }

    @Test
    public void theTerminalShowsBallsAndTheStatusAndFollowsAResize() throws Exception {
        org.junit.Assume.assumeTrue("needs tmux (.ci/test installs it)",
            new ProcessBuilder("sh", "-c", "command -v tmux").start().waitFor() == 0);
        String socket = "tether-jballs-" + ProcessHandle.current().pid();
        String cmd = String.join(" ", java("--terminal", "--balls", "6", "--for", "20", "--name", "tui", "--listen",
            "tcp://127.0.0.1:0"));
        tmux(socket, "new-session", "-d", "-x", "100", "-y", "30", "-s", "balls", cmd);
        try {
            String screen = waitScreen(socket, "no balls or status", s -> braille(s) > 20 && s.contains("handoffs/s"));
            assertTrue(screen, screen.contains("tui") && screen.contains("balls 6") && screen.contains("left none (wall)"));
            tmux(socket, "resize-window", "-t", "balls", "-x", "70", "-y", "20");
            String small = waitScreen(socket, "after a resize",
                s -> braille(s) > 20 && s.startsWith("tui") && s.contains("handoffs/s") && s.lines().count() <= 20);
            assertTrue(small, small.lines().allMatch(l -> l.length() <= 70));
            tmux(socket, "send-keys", "-t", "balls", "Space");
            waitScreen(socket, "space adds a ball", s -> s.contains("balls 7"));
            tmux(socket, "send-keys", "-t", "balls", "q");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (new ProcessBuilder("tmux", "-L", socket, "has-session", "-t", "balls").start().waitFor() == 0) {
                assertTrue("q did not quit", System.nanoTime() < deadline);
                Thread.sleep(100);
            }
        } finally {
            tmux(socket, "kill-server");
        }
    }
}
