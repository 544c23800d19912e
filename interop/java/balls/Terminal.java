package balls;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@code --terminal}: the balls in the terminal with plain ANSI escapes (no
 * library; works over ssh), in braille dots: a cell is 2 x 4 dots, about
 * square where cells are twice as tall as wide. The terminal is put in
 * non-canonical mode with {@code stty} for the keys (space, c, q, Esc) and
 * restored after. With {@code --local N} the screens are side by side.
 */
final class Terminal {
    private Terminal() {}

    /** The braille bit of the dot at (column, row) of a cell. */
    private static final int[][] DOTS = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

    static String stty(String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", "stty " + String.join(" ", args) + " < /dev/tty").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    static void run(List<Balls> peers, long deadline) throws Exception {
        String saved = stty("-g");
        stty("-icanon", "-echo", "min", "1");
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        out.print("\033[?1049h\033[?25l\033[?7l"); // no autowrap: a frame for the size just left never scrolls
        try {
            loop(peers, deadline, out);
        } finally {
            out.print("\033[0m\033[?7h\033[?25h\033[?1049l");
            out.flush();
            stty(saved);
        }
    }

    private static void loop(List<Balls> peers, long deadline, PrintStream out) throws Exception {
        int rows = 24;
        int cols = 80;
        long nextSize = 0;
        Balls first = peers.get(0); // the keys act on the first screen
        // A blocking read on its own thread: available() on a terminal can fail (EINVAL, ESPIPE).
        ConcurrentLinkedQueue<Integer> keys = new ConcurrentLinkedQueue<>();
        Balls.thread(() -> {
            try {
                for (int k; (k = System.in.read()) >= 0; ) {
                    keys.add(k);
                }
            } catch (IOException e) {
                keys.add((int) 'q');
            }
        });
        while (System.nanoTime() < deadline) {
            peers.forEach(Balls::frame);
            for (Integer k; (k = keys.poll()) != null; ) {
                if (k == 'q' || k == 27) {
                    return;
                }
                synchronized (first) {
                    if (k == ' ') {
                        first.addBall();
                    } else if (k == 'c') {
                        first.balls.clear();
                    }
                }
            }
            if (System.nanoTime() > nextSize) { // follows a resize within a quarter second
                String[] size = stty("size").split(" ");
                if (size.length == 2 && !(size[0] + " " + size[1]).equals(rows + " " + cols)) {
                    rows = Math.max(Integer.parseInt(size[0]), 1);
                    cols = Math.max(Integer.parseInt(size[1]), 1);
                    out.print("\033[2J");
                }
                nextSize = System.nanoTime() + 250_000_000L;
            }
            out.print(draw(peers, rows, cols));
            out.flush();
            Thread.sleep(16);
        }
    }

    /** The whole screen: balls in colour, each peer's status in its pane's corner. */
    static String draw(List<Balls> peers, int rows, int cols) {
        int pane = Math.max(cols / peers.size(), 1);
        int[][] bits = new int[rows][cols];
        int[][][] colour = new int[rows][cols][];
        String[][] status = new String[peers.size()][];
        for (int p = 0; p < peers.size(); p++) {
            Balls peer = peers.get(p);
            synchronized (peer) {
                peer.width = (pane * 2.0) / (rows * 4.0);
                int h = rows * 4;
                for (Balls.Ball b : peer.balls) {
                    double cx = b.x * h;
                    double cy = (1 - b.y) * h;
                    double r = Math.max(b.r * h, 0.5);
                    for (int y = Math.max((int) (cy - r), 0); y < Math.min((int) (cy + r) + 1, h); y++) {
                        for (int x = Math.max((int) (cx - r), 0); x < Math.min((int) (cx + r) + 1, pane * 2); x++) {
                            double dx = x + 0.5 - cx;
                            double dy = y + 0.5 - cy;
                            int col = p * pane + x / 2;
                            if (dx * dx + dy * dy <= r * r && col < cols) {
                                bits[y / 4][col] |= DOTS[x % 2][y % 4];
                                colour[y / 4][col] = b.colour;
                            }
                        }
                    }
                }
            }
            status[p] = peer.status().toArray(new String[0]);
        }
        StringBuilder s = new StringBuilder();
        for (int row = 0; row < rows; row++) {
            s.append("\033[").append(row + 1).append(";1H\033[0m");
            for (int col = 0; col < cols; col++) {
                int p = Math.min(col / pane, peers.size() - 1);
                String[] lines = status[p];
                int at = col - p * pane;
                if (row < lines.length && at < Math.min(lines[row].length(), pane - 1)) {
                    char c = lines[row].charAt(at);
                    s.append("\033[0;7m").append(c >= ' ' && c <= '~' ? c : '?'); // nothing from the network steers it
                } else if (bits[row][col] != 0) {
                    int[] c = colour[row][col];
                    s.append("\033[0;38;2;").append(c[0]).append(';').append(c[1]).append(';').append(c[2]).append('m')
                        .append((char) (0x2800 + bits[row][col]));
                } else {
                    s.append("\033[0m ");
                }
            }
        }
        return s.append("\033[0m").toString();
    }
}
