package tether;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Every golden vector of testdata/vectors/frames.txt (the plain-text form of frames.json). */
public class VectorsTest {
    /** One vector: its fields, and its messages in order. */
    record Vector(Map<String, String> f, List<byte[]> messages) {
        String name() {
            return f.get("name");
        }

        String error() {
            return f.get("error");
        }

        Framing framing() {
            String fr = f.get("framing");
            return fr.equals("fixed") ? Framing.fixed(Integer.parseInt(f.get("fixed_size"))) : Framing.parse(fr);
        }

        int max() {
            return Integer.parseInt(f.get("max_frame_len"));
        }

        byte[] wire() {
            return Hex.decode(f.get("wire"));
        }
    }

    static List<Vector> load() throws IOException {
        List<Vector> out = new ArrayList<>();
        for (String line : Files.readAllLines(Peer.root().resolve("testdata/vectors/frames.txt"),
                StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Map<String, String> f = new HashMap<>();
            List<byte[]> msgs = new ArrayList<>();
            for (String field : line.split(" ")) {
                int eq = field.indexOf('=');
                String k = field.substring(0, eq);
                String v = field.substring(eq + 1);
                if (k.equals("m")) {
                    msgs.add(Hex.decode(v));
                } else {
                    f.put(k, v);
                }
            }
            out.add(new Vector(f, msgs));
        }
        return out;
    }

    @Test
    public void allThirtyVectorsAreRead() throws IOException {
        List<Vector> all = load();
        assertEquals(30, all.size());
        assertEquals("length_empty_message", all.get(0).name());
        assertEquals(1, all.get(0).messages().size());
        assertEquals(0, all.get(0).messages().get(0).length);
    }

    @Test
    public void everyVectorEncodes() throws IOException {
        for (Vector v : load()) {
            String e = v.error();
            if (e.equals("newline_in_line") || e.equals("wrong_size")) {
                byte[] m = v.messages().get(0);
                try {
                    v.framing().check(m, 0, m.length, v.max());
                    fail(v.name() + ": encoding should fail with " + e);
                } catch (NewlineInLineException | WrongSizeException x) {
                    assertEquals(v.name(), e.equals("newline_in_line"), x instanceof NewlineInLineException);
                }
                continue;
            }
            byte[] enc = encode(v);
            byte[] wire = v.wire();
            if (v.name().endsWith("_decode_only")) {
                byte[] canonical = new byte[wire.length + 1];
                System.arraycopy(wire, 0, canonical, 0, wire.length);
                canonical[wire.length] = '\n';
                wire = canonical;
            }
            if (e.equals("-")) {
                assertArrayEquals(v.name(), wire, enc);
            } else {
                assertTrue(v.name() + ": encoding is a prefix of the wire", startsWith(wire, enc));
            }
        }
    }

    @Test
    public void everyVectorDecodesWhole() throws IOException {
        for (Vector v : load()) {
            if (!isEncodeError(v)) {
                byte[] w = v.wire();
                check(v, w.length == 0 ? 1 : w.length);
            }
        }
    }

    @Test
    public void everyVectorDecodesByteByByte() throws IOException {
        for (Vector v : load()) {
            if (!isEncodeError(v) && !v.f().get("framing").equals("raw")) {
                check(v, 1);
            }
        }
    }

    private static boolean isEncodeError(Vector v) {
        return v.error().equals("newline_in_line") || v.error().equals("wrong_size");
    }

    private static byte[] encode(Vector v) throws TetherException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : v.messages()) {
            v.framing().check(m, 0, m.length, v.max());
            byte[] frame = new byte[v.framing().frameLength(m.length)];
            v.framing().encode(m, 0, m.length, frame, 0);
            out.write(frame, 0, frame.length);
        }
        return out.toByteArray();
    }

    /** Decodes the wire fed {@code chunk} bytes at a time, then the end of stream. */
    private static void check(Vector v, int chunk) {
        FrameDecoder d = new FrameDecoder(v.framing(), v.max());
        List<byte[]> got = new ArrayList<>();
        String error = "-";
        byte[] w = v.wire();
        try {
            for (int at = 0; at < w.length; at += chunk) {
                d.feed(w, at, Math.min(chunk, w.length - at));
                for (byte[] m; (m = d.next()) != null; ) {
                    got.add(m);
                }
            }
            byte[] last = d.finish();
            if (last != null) {
                got.add(last);
            }
            assertNull(v.name() + ": one final message only", d.finish());
        } catch (TruncatedFrameException e) {
            error = "truncated";
        } catch (LineTooLongException e) {
            error = "line_too_long";
        } catch (FrameTooLargeException e) {
            error = "frame_too_large";
        } catch (TetherException e) {
            fail(v.name() + ": unexpected " + e);
        }
        String where = v.name() + " (reads of " + chunk + ")";
        assertEquals(where, v.error(), error);
        assertEquals(where, v.messages().size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertArrayEquals(where + " message " + i, v.messages().get(i), got.get(i));
        }
    }

    private static boolean startsWith(byte[] whole, byte[] prefix) {
        if (prefix.length > whole.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (whole[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
