package tether;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/** Endpoint syntax, as docs/PROTOCOL.md "Endpoints" gives it. */
public class EndpointTest {
    @Test
    public void parsesTheExamples() {
        assertEquals(new Endpoint("tcp", "127.0.0.1", 9000, ""), Endpoint.parse("tcp://127.0.0.1:9000"));
        assertEquals(new Endpoint("tcp", "::1", 9000, ""), Endpoint.parse("tcp://[::1]:9000"));
        assertEquals(new Endpoint("tcp", "localhost", 0, ""), Endpoint.parse("TCP://localhost:0"));
        assertEquals(new Endpoint("udp", "10.0.0.7", 9001, ""), Endpoint.parse("udp://10.0.0.7:9001"));
        assertEquals(new Endpoint("unix", "", 0, "/run/tether.sock"), Endpoint.parse("unix:///run/tether.sock"));
        assertEquals("tcp://[::1]:9000", Endpoint.parse("tcp://[::1]:9000").toString());
    }

    @Test
    public void refusesWhatTheSpecRefuses() {
        for (String bad : new String[] {"localhost:9000", "http://x:1", "tcp://::1:9000", "tcp://:9000",
                "tcp://h:65536", "tcp://h:", "tcp://h:x", "unix://", "tcp://h"}) {
            try {
                Endpoint.parse(bad);
                fail(bad + " should be refused");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("endpoint \"" + bad + "\""));
            }
        }
    }

    @Test
    public void aMissingSchemeListsTheSchemes() {
        try {
            Endpoint.parse("localhost:9000");
            fail();
        } catch (IllegalArgumentException e) {
            assertEquals("endpoint \"localhost:9000\" needs a scheme: tcp://HOST:PORT, udp://HOST:PORT or "
                    + "unix:///PATH", e.getMessage());
        }
    }
}
