package balls;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The handover of balls over one link (docs/PROTOCOL.md, "A handoff"), as plain
 * data: the sender decides. A ball it offered is the receiver's only once the
 * receiver said it holds it (ack) and the sender said so (commit); until then
 * the sender may take it back (abort), and the receiver keeps it off its
 * screen. Each side remembers what the other may not have heard, so a link
 * that breaks at any point and comes back to the same peer ends with the ball
 * on exactly one screen. The same state machine as crates/balls/src/handoff.rs.
 */
final class Handover {
    static final int COMMIT = 3;
    static final int ABORT = 4;

    /** A ball offered to us, held off screen: how far past the edge, and the ball. */
    record Held(double depth, Balls.Ball ball) {}

    final Map<Long, Balls.Ball> offered = new LinkedHashMap<>();
    final Map<Long, Double> deadlines = new LinkedHashMap<>();
    /** Our word (COMMIT or ABORT) about each ball, until the neighbour says done. */
    final Map<Long, Integer> decided = new LinkedHashMap<>();
    final Map<Long, Held> reserved = new LinkedHashMap<>();
    Long neighbour;

    void offer(Balls.Ball b, double deadline) {
        offered.put(b.id, b);
        deadlines.put(b.id, deadline);
    }

    /** The ball given by this ack, or null; {@link #word} then says what to answer. */
    Balls.Ball ack(long id) {
        Balls.Ball b = offered.remove(id);
        deadlines.remove(id);
        if (b != null) {
            decided.put(id, COMMIT);
        }
        return b;
    }

    /** Our word about ball {@code id} (COMMIT, ABORT), or 0 if none. */
    int word(long id) {
        return decided.getOrDefault(id, 0);
    }

    void done(long id) {
        decided.remove(id);
    }

    boolean expired(double now) {
        return deadlines.values().stream().anyMatch(d -> d <= now);
    }

    /** The link is gone or hung: every offered ball is ours again. */
    List<Balls.Ball> takeBack() {
        List<Balls.Ball> back = new ArrayList<>(offered.values());
        back.forEach(b -> decided.put(b.id, ABORT));
        offered.clear();
        deadlines.clear();
        return back;
    }

    void reserve(double depth, Balls.Ball b) {
        reserved.putIfAbsent(b.id, new Held(depth, b));
    }

    /** The sender's word: on commit, the ball to put on screen, else null. */
    Held heard(long id, int word) {
        Held h = reserved.remove(id);
        return word == COMMIT ? h : null;
    }

    /**
     * A hello from {@code peer}: the same peer may have missed our words (they
     * go in {@code again}); another peer means the one before is gone with its
     * copy, so what it offered and never decided is ours (returned).
     */
    List<Held> hello(long peer, Map<Long, Integer> again) {
        boolean same = neighbour != null && neighbour == peer;
        neighbour = peer;
        if (same) {
            again.putAll(decided);
            return List.of();
        }
        decided.clear();
        List<Held> orphans = new ArrayList<>(reserved.values());
        reserved.clear();
        return orphans;
    }

    boolean busy() {
        return !offered.isEmpty() || !reserved.isEmpty();
    }
}
