package example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tether.Record;
import tether.TetherLink;
import tether.TetherListener;

/**
 * The example of the README's "Java" section (and of issue 12), run on
 * loopback: a listener on a free port instead of tcp://0.0.0.0:9000, a client
 * that connects to it instead of tcp://192.168.1.20:9000, and an echo as the
 * body of the server's loop.
 *
 * <pre>
 * java -cp interop/java/build/tether.jar interop/java/examples/example/Example.java
 * </pre>
 */
public final class Example {
    private Example() {}

    /** Runs the client against the server, and prints what each saw. */
    public static void main(String[] args) throws Exception {
        List<byte[]> received = new ArrayList<>();
        byte[][] reply = new byte[1][];
        try (TetherListener server = TetherListener.bind("tcp://127.0.0.1:0")) {
            Thread client = new Thread(() -> reply[0] = client(server.localEndpoint()));
            client.start();
            for (TetherLink link : server) {
                try (link) {
                    for (byte[] msg : link) {
                        received.add(msg);
                        link.send(msg);
                    }
                } catch (IOException | UncheckedIOException e) {
                    System.out.println("client left early: " + e.getMessage()); // after its 5 ms
                }
                server.close(); // one client is enough for the example: the loop ends
            }
            client.join();
        }
        System.out.println("server received " + received.size() + " message(s): "
                + Arrays.toString(received.get(0)));
        System.out.println("client reply: " + (reply[0] == null ? "null (none within 5 ms)" : Arrays.toString(reply[0])));
        Record rec = Record.parse("!I 2s f");
        byte[] b = rec.pack(1, "ab".getBytes(), 2.7f);
        System.out.println("record: " + b.length + " bytes, unpacked " + Arrays.deepToString(rec.unpack(b)));
    }

    /** The client part of the example, as written in the issue but for the endpoint. */
    static byte[] client(String endpoint) {
        byte[] got;
        try (TetherLink link = TetherLink.connect(endpoint)) {   // length framing, TCP_NODELAY
            link.send(new byte[] {0, 1, 1, 0});
            byte[] reply = link.recv(Duration.ofMillis(5));       // null on timeout
            got = reply;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return got;
    }
}
