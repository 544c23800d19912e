package tether;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/**
 * The Java library against the tether Python package (crates/py), both ways:
 * length, line, fixed and UDP, a 600,000-byte message and 100,000 messages.
 */
public class PythonInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Binds, prints the endpoint, then prints the hex of N messages (or of N datagrams). */
    private static final String SERVE = String.join("\n",
            "import sys, tether",
            "ep, framing, n = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            "if ep.startswith('udp'):",
            "    with tether.DatagramLink.bind(ep) as d:",
            "        print(d.local_addr, flush=True)",
            "        for _ in range(n):",
            "            m = d.recv(10.0)",
            "            print('timeout' if m is None else 'MSG ' + m.hex(), flush=True)",
            "    sys.exit(0)",
            "with tether.listen(ep, framing=framing) as l:",
            "    print(l.local_addr, flush=True)",
            "    link = l.accept(timeout=10.0)",
            "    for _ in range(n):",
            "        print('MSG ' + link.recv().hex(), flush=True)",
            "    link.close()");

    /** Connects and sends each hex argument as one message (send_many for the TCP framings). */
    private static final String SEND = String.join("\n",
            "import sys, tether",
            "ep, framing, msgs = sys.argv[1], sys.argv[2], [bytes.fromhex(h) for h in sys.argv[3:]]",
            "if ep.startswith('udp'):",
            "    with tether.DatagramLink.connect(ep) as d:",
            "        for m in msgs:",
            "            d.send(m)",
            "else:",
            "    with tether.connect(ep, framing=framing, timeout=10.0) as link:",
            "        link.send_many(msgs)",
            "        link.flush()",
            "print('SENT', len(msgs), flush=True)");

    /** Sends N numbered lines, or one message of N bytes (i % 251), over length or line framing. */
    private static final String BULK = String.join("\n",
            "import sys, tether",
            "ep, what, n = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            "framing = 'line' if what == 'lines' else 'length'",
            "with tether.connect(ep, framing=framing, timeout=10.0) as link:",
            "    if what == 'lines':",
            "        link.send_many(str(i).encode() for i in range(n))",
            "    else:",
            "        link.send(bytes(i % 251 for i in range(n)))",
            "    link.flush()",
            "print('SENT', flush=True)");

    private static final Object[][] CASES = {
        {"length", Framing.LENGTH, new byte[][] {"Hello, World!".getBytes(), {}, {0, 1, 1, 0}}},
        {"line", Framing.LINE, new byte[][] {"a".getBytes(), {}, {0, (byte) 0xff, 0x0d}}},
        {"fixed:4", Framing.fixed(4), new byte[][] {{0, 1, 1, 0}, "abcd".getBytes()}},
    };

    @Test
    public void javaSendsToThePythonPackage() throws Exception {
        for (Object[] c : CASES) {
            byte[][] msgs = (byte[][]) c[2];
            try (Peer py = Peer.python(SERVE, "tcp://127.0.0.1:0", (String) c[0], String.valueOf(msgs.length))) {
                try (TetherLink link = TetherLink.connect(py.line(), new LinkOptions().framing((Framing) c[1]))) {
                    link.sendAll(msgs);
                    for (byte[] m : msgs) {
                        assertEquals((String) c[0], "MSG " + Hex.encode(m), py.line());
                    }
                }
                py.assertSuccess();
            }
        }
    }

    @Test
    public void thePythonPackageSendsToJava() throws Exception {
        for (Object[] c : CASES) {
            byte[][] msgs = (byte[][]) c[2];
            try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0",
                    new LinkOptions().framing((Framing) c[1]))) {
                List<String> args = new ArrayList<>(List.of(server.localEndpoint(), (String) c[0]));
                for (byte[] m : msgs) {
                    args.add(Hex.encode(m));
                }
                try (Peer py = Peer.python(SEND, args.toArray(new String[0]));
                        TetherLink link = server.accept(WAIT)) {
                    List<byte[]> got = new ArrayList<>();
                    for (byte[] m : link) {
                        got.add(m);
                    }
                    py.assertSuccess();
                    assertEquals((String) c[0], msgs.length, got.size());
                    for (int i = 0; i < msgs.length; i++) {
                        assertArrayEquals((String) c[0], msgs[i], got.get(i));
                    }
                }
            }
        }
    }

    @Test
    public void udpBothWays() throws Exception {
        byte[][] msgs = {"one".getBytes(), {}, {0, (byte) 0xff}};
        try (Peer py = Peer.python(SERVE, "udp://127.0.0.1:0", "-", String.valueOf(msgs.length));
                DatagramLink d = DatagramLink.connect(py.line())) {
            for (byte[] m : msgs) {
                d.send(m);
                assertEquals("MSG " + Hex.encode(m), py.line()); // one at a time: none is lost
            }
            py.assertSuccess();
        }
        try (DatagramLink d = DatagramLink.bind("udp://127.0.0.1:0")) {
            List<String> args = new ArrayList<>(List.of(d.localEndpoint(), "-"));
            for (byte[] m : msgs) {
                args.add(Hex.encode(m));
            }
            try (Peer py = Peer.python(SEND, args.toArray(new String[0]))) {
                for (byte[] m : msgs) {
                    assertArrayEquals(m, d.recv(WAIT));
                }
                py.assertSuccess();
            }
        }
    }

    @Test
    public void aSixHundredThousandByteMessageAndAHundredThousandMessagesFromPython() throws Exception {
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0");
                Peer py = Peer.python(BULK, server.localEndpoint(), "big", "600000");
                TetherLink link = server.accept(WAIT)) {
            byte[] m = link.recv(WAIT);
            assertEquals(600_000, m.length);
            for (int i = 0; i < m.length; i++) {
                assertEquals("byte " + i, (byte) (i % 251), m[i]);
            }
            py.assertSuccess();
        }
        LinkOptions line = new LinkOptions().framing(Framing.LINE);
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0", line);
                Peer py = Peer.python(BULK, server.localEndpoint(), "lines", "100000");
                TetherLink link = server.accept(WAIT)) {
            int next = 0;
            for (byte[] m : link) {
                assertEquals(String.valueOf(next++), new String(m, StandardCharsets.US_ASCII));
            }
            assertEquals(100_000, next);
            py.assertSuccess();
        }
    }

    @Test
    public void aSixHundredThousandByteMessageToPython() throws Exception {
        byte[] big = new byte[600_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 251);
        }
        try (Peer py = Peer.python(SERVE, "tcp://127.0.0.1:0", "length", "1");
                TetherLink link = TetherLink.connect(py.line())) {
            link.send(big);
            assertEquals("MSG " + Hex.encode(big), py.line());
            py.assertSuccess();
        }
    }
}
