package tether;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/** The sans-IO decoder: limits before allocation, prefixes, errors that stick. */
public class FrameDecoderTest {
    @Test
    public void everyStrictPrefixOfAFrameNeedsMore() throws TetherException {
        byte[] frame = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
        for (int n = 0; n < frame.length; n++) {
            FrameDecoder d = new FrameDecoder(Framing.LENGTH, 16);
            d.feed(frame, 0, n);
            assertNull("prefix of " + n, d.next());
        }
    }

    @Test
    public void headerOverTheLimitIsRefusedFromFourBytesWithoutGrowing() {
        FrameDecoder d = new FrameDecoder(Framing.LENGTH, LinkOptions.DEFAULT_MAX_FRAME_LEN);
        int before = d.array().length;
        d.feed(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, 0, 4);
        try {
            d.next();
            fail("0xffffffff should be refused");
        } catch (FrameTooLargeException e) {
            assertEquals(4294967295L, e.length());
            assertEquals(16777216L, e.limit());
            assertEquals("frame of 4294967295 bytes is over max_frame_len 16777216", e.getMessage());
        } catch (TetherException e) {
            fail("wrong error " + e);
        }
        assertEquals(before, d.array().length);
    }

    @Test
    public void aLegalClaimThatStallsReservesAtMostOneMebibyteMore() throws TetherException {
        FrameDecoder d = new FrameDecoder(Framing.LENGTH, LinkOptions.DEFAULT_MAX_FRAME_LEN);
        d.feed(new byte[] {1, 0, 0, 0, 7, 7}, 0, 6); // claims 16 MiB, sends 2
        assertNull(d.next());
        int room = d.prepareRead();
        assertTrue("buffer of " + d.array().length, d.array().length <= 6 + FrameDecoder.MAX_GROWTH);
        assertTrue(room <= FrameDecoder.MAX_GROWTH);
    }

    @Test
    public void anErrorSticks() {
        FrameDecoder d = new FrameDecoder(Framing.LINE, 2);
        d.feed("abc".getBytes(), 0, 3);
        for (int i = 0; i < 2; i++) {
            try {
                d.next();
                fail("line of 3 over 2");
            } catch (LineTooLongException e) {
                assertEquals(2, e.limit());
            } catch (TetherException e) {
                fail("wrong error " + e);
            }
        }
    }

    @Test
    public void truncationNamesTheNumbers() throws TetherException {
        FrameDecoder d = new FrameDecoder(Framing.LENGTH, 100);
        d.feed(new byte[] {0, 0, 0, 5, 'a', 'b'}, 0, 6);
        assertNull(d.next());
        try {
            d.finish();
            fail("truncated");
        } catch (TruncatedFrameException e) {
            assertEquals(2, e.got());
            assertEquals(5, e.expected());
            assertEquals("stream ended mid-frame: 2 of 5 payload bytes", e.getMessage());
        }
    }

    @Test
    public void manyFramesInOneFeedAndABigOneAcrossFeeds() throws TetherException {
        FrameDecoder d = new FrameDecoder(Framing.LENGTH, 1 << 24);
        byte[] big = new byte[3_000_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        byte[] wire = new byte[4 + big.length + 5];
        Framing.LENGTH.encode(big, 0, big.length, wire, 0);
        Framing.LENGTH.encode(new byte[] {9}, 0, 1, wire, 4 + big.length);
        for (int at = 0; at < wire.length; at += 70_000) {
            d.feed(wire, at, Math.min(70_000, wire.length - at));
        }
        assertArrayEquals(big, d.next());
        assertArrayEquals(new byte[] {9}, d.next());
        assertNull(d.next());
        assertNull(d.finish());
    }

    @Test
    public void rawDeliversWhatArrivedAndFixedCutsRecords() throws TetherException {
        FrameDecoder raw = new FrameDecoder(Framing.RAW, 0);
        raw.feed("abc".getBytes(), 0, 3);
        assertArrayEquals("abc".getBytes(), raw.next());
        assertNull(raw.next());
        FrameDecoder fixed = new FrameDecoder(Framing.fixed(2), 0);
        fixed.feed("abcde".getBytes(), 0, 5);
        assertArrayEquals("ab".getBytes(), fixed.next());
        assertArrayEquals("cd".getBytes(), fixed.next());
        assertNull(fixed.next());
        try {
            fixed.finish();
            fail("1 of 2 record bytes");
        } catch (TruncatedFrameException e) {
            assertEquals(1, e.got());
        }
    }

    @Test
    public void senderRefusalsNameTheNumbers() {
        try {
            Framing.LENGTH.check(new byte[9], 0, 9, 8);
            fail();
        } catch (TetherException e) {
            assertEquals("message of 9 bytes is over max_frame_len 8", e.getMessage());
        }
        try {
            Framing.fixed(12).check(new byte[10], 0, 10, 0);
            fail();
        } catch (TetherException e) {
            assertEquals("message of 10 bytes for fixed framing of 12 bytes", e.getMessage());
        }
    }

    @Test
    public void framingsParseAsTheCliSpellsThem() {
        assertEquals(Framing.LENGTH, Framing.parse("length"));
        assertEquals(Framing.fixed(12), Framing.parse("fixed:12"));
        assertEquals("fixed:12", Framing.parse("fixed:12").toString());
        assertEquals("line", Framing.parse("line").toString());
        try {
            Framing.parse("fixed:x");
            fail();
        } catch (IllegalArgumentException e) {
            assertEquals("framing \"fixed:x\" is not one of length, line, fixed:N or raw", e.getMessage());
        }
    }
}
