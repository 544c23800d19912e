package tether;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child process the interop tests talk to (tether or python3), with its
 * stdout and stderr lines collected by threads so that every wait is bounded.
 */
final class Peer implements AutoCloseable {
    static final long WAIT_MS = 10_000;
    private static final String EOF = "\u0000eof";

    private final Process process;
    private final BlockingQueue<String> out = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> err = new LinkedBlockingQueue<>();
    private final List<String> errSeen = new ArrayList<>();

    private Peer(Process process) {
        this.process = process;
        pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), out);
        pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), err);
    }

    /** Starts {@code argv} in the repository root. */
    static Peer start(String... argv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(root().toFile());
        return new Peer(pb.start());
    }

    /** Starts the tether CLI with these arguments. */
    static Peer tether(String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(tetherBin());
        argv.addAll(Arrays.asList(args));
        return start(argv.toArray(new String[0]));
    }

    /** Starts Python (the one with the tether package) on an inline program. */
    static Peer python(String program, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(pythonBin(), "-c", program));
        argv.addAll(Arrays.asList(args));
        return start(argv.toArray(new String[0]));
    }

    static Path root() {
        return Paths.get(System.getProperty("tether.root", "../..")).toAbsolutePath().normalize();
    }

    static String tetherBin() {
        String bin = System.getenv("TETHER_BIN");
        Path p = bin != null ? Paths.get(bin) : root().resolve("target/debug/tether");
        if (!Files.isExecutable(p)) {
            throw new AssertionError("no tether binary at " + p + " (cargo build -p tether-cli, or set TETHER_BIN)");
        }
        return p.toString();
    }

    static String pythonBin() {
        String py = System.getenv("TETHER_PYTHON");
        if (py != null) {
            return py;
        }
        Path venv = root().resolve(".venv/bin/python");
        return Files.isExecutable(venv) ? venv.toString() : "python3";
    }

    private static void pump(BufferedReader r, BlockingQueue<String> q) {
        Thread t = new Thread(() -> {
            try (r) {
                for (String line; (line = r.readLine()) != null; ) {
                    q.add(line);
                }
            } catch (IOException e) {
                q.add("read error: " + e.getMessage());
            }
            q.add(EOF);
        }, "peer-output");
        t.setDaemon(true);
        t.start();
    }

    /** The next stdout line, or an assertion error after {@link #WAIT_MS}. */
    String line() throws InterruptedException {
        return take(out, "stdout");
    }

    /** The next stderr line, as {@link #line}. */
    String errLine() throws InterruptedException {
        String l = take(err, "stderr");
        errSeen.add(l);
        return l;
    }

    private String take(BlockingQueue<String> q, String which) throws InterruptedException {
        String l = q.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        if (l == null || l.equals(EOF)) {
            throw new AssertionError((l == null ? "no " : "end of ") + which + " line from the peer; stderr: "
                    + drainErr());
        }
        return l;
    }

    /** The first match of {@code regex}'s group 1 in the next lines of stderr (the endpoint banner). */
    String errMatch(String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        for (int i = 0; i < 20; i++) {
            Matcher m = p.matcher(errLine());
            if (m.find()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no line of stderr matches " + regex + ": " + errSeen);
    }

    /** The first match of {@code regex}'s group 1 in the next lines of stdout. */
    String outMatch(String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        for (int i = 0; i < 20; i++) {
            Matcher m = p.matcher(line());
            if (m.find()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no line of stdout matches " + regex);
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Waits for the exit and returns the status (killing the process after {@link #WAIT_MS}). */
    int waitFor() throws InterruptedException {
        if (!process.waitFor(WAIT_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("peer did not exit in " + WAIT_MS + " ms; stderr: " + drainErr());
        }
        return process.exitValue();
    }

    /** Asserts a zero exit status, naming stderr otherwise. */
    void assertSuccess() throws InterruptedException {
        int rc = waitFor();
        if (rc != 0) {
            throw new AssertionError("peer exited with " + rc + "; stderr: " + drainErr());
        }
    }

    String drainErr() {
        List<String> all = new ArrayList<>(errSeen);
        for (String l; (l = err.poll()) != null; ) {
            if (!l.equals(EOF)) {
                all.add(l);
            }
        }
        return String.join(" | ", all);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
