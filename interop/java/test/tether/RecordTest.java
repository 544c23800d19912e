package tether;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.math.BigInteger;
import org.junit.Test;

/** Record by hand: the issue's example, the documented cases, the refusals. */
public class RecordTest {
    @Test
    public void theIssueExamplePacksAsPythonDoes() {
        Record rec = Record.parse("!I 2s f");
        byte[] b = rec.pack(1, "ab".getBytes(), 2.7f);
        assertEquals("00000001" + "6162" + "402ccccd", Hex.encode(b)); // fixed_10_network_order
        assertEquals(10, rec.size());
        Object[] v = rec.unpack(b);
        assertEquals(1L, v[0]);
        assertArrayEquals("ab".getBytes(), (byte[]) v[1]);
        assertEquals(2.700000047683716, (Double) v[2], 0.0);
    }

    @Test
    public void byteOrdersAndCounts() {
        assertEquals("0100" + "0200", Hex.encode(Record.parse("<2h").pack(1, 2)));
        assertEquals("0001" + "0002", Hex.encode(Record.parse(">2h").pack(1, 2)));
        assertEquals("ffffffffffffffff", Hex.encode(Record.parse("!Q").pack(new BigInteger("18446744073709551615"))));
        assertEquals(new BigInteger("18446744073709551615"), Record.parse("!Q").unpack(Hex.decode("ffffffffffffffff"))[0]);
        assertEquals("0000" + "01", Hex.encode(Record.parse("!2x?").pack(true)));
        assertEquals("03616263" + "00", Hex.encode(Record.parse("!5p").pack("abc".getBytes())));
        assertEquals("6162", Hex.encode(Record.parse("!2s").pack("abcd".getBytes())));
        assertEquals("3c00", Hex.encode(Record.parse("!e").pack(1.0)));
    }

    @Test
    public void refusesWhatStructRefuses() {
        String[] formats = {"I 2s f", "@i", "!4 h", "!n", "!i!", "<3", ""};
        for (String f : formats) {
            try {
                Record.parse(f);
                fail(f + " should be refused");
            } catch (IllegalArgumentException e) {
                // refused, as struct (or, for native layouts, on purpose)
            }
        }
        Object[][] bad = {{"!b", 128}, {"!B", -1}, {"!I", 1.0}, {"!e", 65520.0}, {"!f", 1e39},
                {"!c", new byte[2]}, {"!s", "text"}};
        for (Object[] b : bad) {
            try {
                Record.parse((String) b[0]).pack(b[1]);
                fail(b[0] + " should refuse " + b[1]);
            } catch (IllegalArgumentException e) {
                // refused
            }
        }
    }

    @Test
    public void aWrongNumberOfValuesOrBytesIsRefused() {
        try {
            Record.parse("!hh").pack(1);
            fail();
        } catch (IllegalArgumentException e) {
            assertEquals("pack expected 2 items for packing (got 1)", e.getMessage());
        }
        try {
            Record.parse("!hh").unpack(new byte[3]);
            fail();
        } catch (IllegalArgumentException e) {
            assertEquals("unpack requires a buffer of 4 bytes, not 3", e.getMessage());
        }
    }
}
