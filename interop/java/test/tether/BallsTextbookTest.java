package tether;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * The Java ball peer's {@code --textbook right} against a test that does what
 * the textbook's programs do: connect, send the text, close; accept, one read,
 * split on commas. A malformed ball is refused with the reason.
 */
public class BallsTextbookTest {
    private static final Pattern ENDPOINT = Pattern.compile("\"endpoint\":\\s*\"tcp://[0-9.]+:(\\d+)\"");

    private static void send(int port, String text) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port); OutputStream out = s.getOutputStream()) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static int count(List<String> log, String event) {
        return (int) log.stream().filter(l -> l.contains("\"event\":\"" + event + "\"")).count();
    }

    @Test
    public void theTextbookFormatBothWays() throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        String cp = Peer.root().resolve("interop/java/build/test-classes") + ":"
            + Peer.root().resolve("interop/java/build/tether.jar");
        try (ServerSocket left = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            left.setSoTimeout(5000);
            try (Peer jv = Peer.start(java, "-cp", cp, "balls.Balls", "--textbook", "right", "--listen",
                    "tcp://127.0.0.1:0", "--left", "tcp://127.0.0.1:" + left.getLocalPort(), "--headless", "--json",
                    "--balls", "0", "--for", "5")) {
                Matcher m = ENDPOINT.matcher(jv.line());
                assertTrue("listening first", m.find());
                int port = Integer.parseInt(m.group(1));
                send(port, "10,300,30,-3,20,255,0,128");
                send(port, "10,200,25,4,15,0,255,0\n");
                send(port, "10,200,x");
                List<Long> radii = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    try (Socket s = left.accept(); InputStream in = s.getInputStream()) {
                        byte[] buf = new byte[1024];
                        int n = in.read(buf);
                        String text = new String(buf, 0, n, StandardCharsets.UTF_8);
                        String[] fields = text.split(",");
                        assertEquals(text, 8, fields.length);
                        assertTrue("moving left: " + text, Long.parseLong(fields[2]) < 0);
                        radii.add(Long.parseLong(fields[4]));
                    }
                }
                assertTrue(radii.toString(), radii.contains(20L) && radii.contains(15L));
                List<String> log = new ArrayList<>();
                for (int i = 0; i < 10_000; i++) {
                    String l = jv.line();
                    log.add(l);
                    if (l.contains("\"end\"")) {
                        break;
                    }
                }
                assertTrue(String.join("\n", log), log.stream().anyMatch(
                    l -> l.contains("\"received\"") && l.contains("\"vx\":3.000000") && l.contains("[255,0,128]")));
                assertTrue(log.stream().anyMatch(l -> l.contains("\"refused\"") && l.contains("3 fields")));
                assertEquals(2, count(log, "acknowledged"));
                assertEquals(0, count(log, "bounced"));
            }
        }
    }
}
