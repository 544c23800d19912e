package tether;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/**
 * Record against CPython's struct: python3 generates formats and values
 * (test/record_cases.py) and says what struct packs and unpacks; Record must
 * agree byte for byte, and refuse exactly what struct refuses.
 */
public class RecordDifferentialTest {
    private static final int CASES = 3000;

    @Test
    public void agreesWithCPythonStruct() throws Exception {
        String seed = System.getenv().getOrDefault("RECORD_SEED", "1");
        List<String> cases = new ArrayList<>();
        try (Peer py = Peer.start("python3", "interop/java/test/record_cases.py", "--seed", seed,
                "--count", String.valueOf(CASES))) {
            for (int i = 0; i < CASES; i++) {
                cases.add(py.line());
            }
            py.assertSuccess();
        }
        int packed = 0;
        int refused = 0;
        for (String c : cases) {
            String[] f = c.split("\t", -1);
            String where = "seed " + seed + ", format \"" + f[0] + "\" values " + f[1];
            Record rec;
            try {
                rec = Record.parse(f[0]);
            } catch (IllegalArgumentException e) {
                assertEquals(where + ": Record refused the format (" + e.getMessage() + ")", "-", f[1]);
                refused++;
                continue;
            }
            assertTrue(where + ": struct refused the format, Record did not", !f[1].equals("-"));
            assertEquals(where, f[2], pack(rec, f[1]));
            assertEquals(where + " unpacking " + f[3], f[4], unpack(rec, Hex.decode(f[3])));
            packed += f[2].equals("!") ? 0 : 1;
        }
        assertTrue("too few cases packed: " + packed, packed > CASES / 2);
        assertTrue("too few formats refused: " + refused, refused > 10);
    }

    private static String pack(Record rec, String tokens) {
        try {
            return Hex.encode(rec.pack(values(tokens)));
        } catch (IllegalArgumentException e) {
            return "!";
        }
    }

    private static Object[] values(String tokens) {
        List<Object> out = new ArrayList<>();
        for (String t : tokens.isEmpty() ? new String[0] : tokens.split(" ")) {
            String v = t.substring(2);
            switch (t.charAt(0)) {
                case 'i': {
                    BigInteger b = new BigInteger(v);
                    out.add(b.bitLength() < 64 ? (Object) b.longValue() : b);
                    break;
                }
                case 'f':
                    out.add(Double.longBitsToDouble(Long.parseUnsignedLong(v, 16)));
                    break;
                case '?':
                    out.add(v.equals("1"));
                    break;
                default:
                    out.add(Hex.decode(v));
            }
        }
        return out.toArray();
    }

    private static String unpack(Record rec, byte[] data) throws IOException {
        List<String> out = new ArrayList<>();
        for (Object v : rec.unpack(data)) {
            if (v instanceof Boolean) {
                out.add("?:" + ((Boolean) v ? 1 : 0));
            } else if (v instanceof Double) {
                double d = (Double) v;
                out.add(Double.isNaN(d) ? "f:nan" : String.format("f:%016x", Double.doubleToRawLongBits(d)));
            } else if (v instanceof byte[]) {
                out.add("b:" + Hex.encode((byte[]) v));
            } else {
                out.add("i:" + v);
            }
        }
        return String.join(" ", out);
    }
}
