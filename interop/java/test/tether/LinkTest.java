package tether;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/** TetherLink and TetherListener over loopback TCP, against each other and against raw sockets. */
public class LinkTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static InetSocketAddress addr(TetherListener l) {
        Endpoint ep = Endpoint.parse(l.localEndpoint());
        return new InetSocketAddress(ep.host(), ep.port());
    }

    private static Socket rawClient(TetherListener l) throws IOException {
        Socket s = new Socket();
        s.connect(addr(l), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    public void aSixHundredThousandByteMessageGoesBothWays() throws Exception {
        byte[] big = new byte[600_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 7 + (i >> 10));
        }
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0");
                TetherLink client = TetherLink.connect(server.localEndpoint());
                TetherLink peer = server.accept()) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try {
                    peer.send(peer.recv());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            client.send(big);
            assertArrayEquals(big, client.recv(WAIT));
            echo.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    public void aHundredThousandSmallMessagesArriveInOrder() throws Exception {
        int n = 100_000;
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0")) {
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try (TetherLink c = TetherLink.connect(server.localEndpoint())) {
                    List<byte[]> batch = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        byte[] m = ByteBuffer.allocate(4 + i % 5).putInt(i).array();
                        if (i % 3 == 0) {
                            c.send(m);
                        } else {
                            batch.add(m);
                        }
                        if (batch.size() == 1000 || i == n - 1) {
                            c.sendAll(batch);
                            batch.clear();
                        }
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            List<Integer> seen = new ArrayList<>();
            try (TetherLink link = server.accept()) {
                for (byte[] m : link) {
                    seen.add(ByteBuffer.wrap(m).getInt());
                }
            }
            sender.get(10, TimeUnit.SECONDS);
            assertEquals(n, seen.size());
            // sends and sendAll interleave, so order is per the sender's calls
            List<Integer> expected = new ArrayList<>();
            List<Integer> pending = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (i % 3 == 0) {
                    expected.add(i);
                } else {
                    pending.add(i);
                }
                if (pending.size() == 1000 || i == n - 1) {
                    expected.addAll(pending);
                    pending.clear();
                }
            }
            assertEquals(expected, seen);
        }
    }

    @Test
    public void anFfffffffPrefixIsRefusedWithoutAllocatingAndTheNextClientIsServed() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().getId();
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0");
                Socket bad = rawClient(server)) {
            bad.getOutputStream().write(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            TetherLink link = server.accept();
            long before = mx.getThreadAllocatedBytes(me);
            try {
                link.recv(WAIT);
                fail("0xffffffff should be refused");
            } catch (FrameTooLargeException e) {
                long allocated = mx.getThreadAllocatedBytes(me) - before;
                assertTrue("allocated " + allocated + " bytes", allocated < 64 * 1024);
                assertEquals(4294967295L, e.length());
                assertTrue(e.getMessage(), e.getMessage().startsWith("frame of 4294967295 bytes from 127.0.0.1:"));
            }
            assertTrue(link.isClosed());
            assertEquals("the server closed the bad connection", -1, readOrReset(bad.getInputStream()));
            try (TetherLink next = TetherLink.connect(server.localEndpoint());
                    TetherLink served = server.accept(WAIT)) {
                next.send("next".getBytes());
                assertArrayEquals("next".getBytes(), served.recv(WAIT));
            }
        }
    }

    private static int readOrReset(InputStream in) {
        try {
            return in.read();
        } catch (IOException e) {
            return -1; // a reset is a close too
        }
    }

    @Test
    public void aPeerClosingMidFrameGivesTruncatedNeverAPartialMessage() throws Exception {
        String[][] cases = {
            {"length", "0000000268690000000561 62", "2 of 5 payload"},
            {"length", "000000026869 0000", "2 of 4 header"},
            {"fixed:4", "6869686a 6162", "2 of 4 record"},
        };
        for (String[] c : cases) {
            LinkOptions o = new LinkOptions().framing(Framing.parse(c[0]));
            try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0", o);
                    Socket raw = rawClient(server);
                    TetherLink link = server.accept()) {
                raw.getOutputStream().write(Hex.decode(c[1].replace(" ", "")));
                raw.shutdownOutput();
                assertEquals(c[0], 'h', link.recv(WAIT)[0]);
                try {
                    byte[] m = link.recv(WAIT);
                    fail(c[0] + ": got " + (m == null ? "a timeout" : Hex.encode(m)) + " instead of truncated");
                } catch (TruncatedFrameException e) {
                    assertTrue(e.getMessage(), e.getMessage().endsWith(c[2] + " bytes"));
                }
            }
        }
    }

    @Test
    public void aCleanCloseEndsTheIterationAndRecvSaysClosed() throws Exception {
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0");
                TetherLink client = TetherLink.connect(server.localEndpoint());
                TetherLink link = server.accept()) {
            client.sendAll("a".getBytes(), "b".getBytes());
            client.close();
            List<String> got = new ArrayList<>();
            for (byte[] m : link) {
                got.add(new String(m));
            }
            assertEquals(List.of("a", "b"), got);
            try {
                link.recv();
                fail("closed");
            } catch (ConnectionClosedException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("connection from 127.0.0.1:"));
            }
        }
    }

    @Test
    public void timedAndNonBlockingReceivesReturnNullWhenNothingCame() throws Exception {
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0");
                TetherLink client = TetherLink.connect(server.localEndpoint());
                TetherLink link = server.accept()) {
            assertNull(link.recv(Duration.ofMillis(5)));
            assertNull(link.tryRecv());
            assertNull(link.recv(Duration.ZERO));
            client.send(new byte[] {0, 1, 1, 0});
            byte[] got = null;
            for (int i = 0; i < 1000 && got == null; i++) {
                got = link.tryRecv();
                if (got == null) {
                    Thread.sleep(2);
                }
            }
            assertArrayEquals(new byte[] {0, 1, 1, 0}, got);
            assertNull(server.accept(Duration.ofMillis(5)));
        }
    }

    @Test
    public void framingsPutTheSpecifiedBytesOnTheWire() throws Exception {
        Object[][] cases = {
            {Framing.LENGTH, new String[] {"a", "", "bc"}, "00000001610000000000000002" + "6263"},
            {Framing.LINE, new String[] {"a", "", "b"}, "610a0a620a"},
            {Framing.fixed(2), new String[] {"ab", "cd"}, "61626364"},
            {Framing.RAW, new String[] {"hello ", "raw"}, "68656c6c6f20726177"},
        };
        for (Object[] c : cases) {
            try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                String ep = "tcp://127.0.0.1:" + ss.getLocalPort();
                try (TetherLink client = TetherLink.connect(ep, new LinkOptions().framing((Framing) c[0]));
                        Socket peer = ss.accept()) {
                    for (String m : (String[]) c[1]) {
                        client.send(m.getBytes());
                    }
                    client.close();
                    peer.setSoTimeout(10_000);
                    assertEquals(c[0].toString(), c[2], Hex.encode(readAll(peer.getInputStream())));
                }
            }
        }
    }

    @Test
    public void sendRefusesBeforeWritingAndSendAllKeepsTheOnesBefore() throws Exception {
        LinkOptions o = new LinkOptions().framing(Framing.LINE).maxFrameLen(8);
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0", o);
                TetherLink client = TetherLink.connect(server.localEndpoint(), o);
                TetherLink link = server.accept()) {
            try {
                client.send("123456789".getBytes());
                fail("over 8");
            } catch (FrameTooLargeException e) {
                assertEquals("message of 9 bytes is over max_frame_len 8", e.getMessage());
            }
            try {
                client.sendAll("ok".getBytes(), "a\nb".getBytes(), "never".getBytes());
                fail("newline");
            } catch (NewlineInLineException e) {
                assertEquals("line message of 3 bytes has a newline at byte 1", e.getMessage());
            }
            client.close();
            assertArrayEquals("ok".getBytes(), link.recv(WAIT));
            try {
                link.recv(WAIT);
                fail("only ok was sent");
            } catch (ConnectionClosedException e) {
                // nothing after the refused message
            }
        }
    }

    @Test
    public void connectRetriesUntilTheListenerIsUp() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        String ep = "tcp://127.0.0.1:" + port;
        CompletableFuture<TetherLink> client = CompletableFuture.supplyAsync(() -> {
            try {
                return TetherLink.connect(ep, new LinkOptions().retryFor(Duration.ofSeconds(5)));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(150);
        try (TetherListener server = TetherListener.bind(ep);
                TetherLink c = client.get(10, TimeUnit.SECONDS);
                TetherLink s = server.accept(WAIT)) {
            c.send("up".getBytes());
            assertArrayEquals("up".getBytes(), s.recv(WAIT));
        }
        try {
            TetherLink.connect(ep, new LinkOptions().retryFor(Duration.ofMillis(50))).close();
            fail("nobody listens");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot connect to " + ep));
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}
