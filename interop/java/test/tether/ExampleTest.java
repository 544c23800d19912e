package tether;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** The example of the issue and the README compiles (test.sh compiles examples/) and runs. */
public class ExampleTest {
    @Test
    public void theExampleRuns() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            example.Example.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        List<String> lines = new ArrayList<>(List.of(buf.toString(StandardCharsets.UTF_8).split("\n")));
        lines.removeIf(l -> l.startsWith("client left early: ")); // a reply later than 5 ms
        assertEquals("server received 1 message(s): [0, 1, 1, 0]", lines.get(0));
        assertTrue(lines.get(1), lines.get(1).equals("client reply: [0, 1, 1, 0]")
                || lines.get(1).equals("client reply: null (none within 5 ms)"));
        assertEquals("record: 10 bytes, unpacked [1, [97, 98], 2.700000047683716]", lines.get(2));
    }
}
