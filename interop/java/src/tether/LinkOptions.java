package tether;

import java.time.Duration;

/**
 * Settings of a link or listener, chained:
 * {@code new LinkOptions().framing(Framing.LINE).retryFor(Duration.ofSeconds(5))}.
 * Both peers must agree on the framing and {@code maxFrameLen}; the defaults
 * are tether's (length framing, 16 MiB, {@code TCP_NODELAY} on).
 */
public final class LinkOptions {
    /** The default {@code max_frame_len}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_LEN = 16 * 1024 * 1024;

    private Framing framing = Framing.LENGTH;
    private int maxFrameLen = DEFAULT_MAX_FRAME_LEN;
    private Duration connectTimeout;
    private Duration retryFor = Duration.ZERO;
    private boolean nodelay = true;

    /** The defaults. */
    public LinkOptions() {
        // every field has its default above
    }

    /**
     * Sets the framing (default {@link Framing#LENGTH}).
     *
     * @param framing the framing
     * @return this
     */
    public LinkOptions framing(Framing framing) {
        this.framing = framing;
        return this;
    }

    /**
     * Sets the largest message sent or accepted (length and line framing).
     *
     * @param maxFrameLen bytes, 0 to {@link FrameDecoder#MAX_LIMIT}
     * @return this
     */
    public LinkOptions maxFrameLen(int maxFrameLen) {
        if (maxFrameLen < 0 || maxFrameLen > FrameDecoder.MAX_LIMIT) {
            throw new IllegalArgumentException(
                    "max_frame_len must be 0 to " + FrameDecoder.MAX_LIMIT + ", not " + maxFrameLen);
        }
        this.maxFrameLen = maxFrameLen;
        return this;
    }

    /**
     * Gives up one connection attempt after this long (default: the system's).
     *
     * @param timeout the limit per attempt
     * @return this
     */
    public LinkOptions connectTimeout(Duration timeout) {
        this.connectTimeout = timeout;
        return this;
    }

    /**
     * Keeps trying to connect until this long has passed, for a peer that is
     * not up yet (default: one try).
     *
     * @param retryFor how long to keep trying
     * @return this
     */
    public LinkOptions retryFor(Duration retryFor) {
        this.retryFor = retryFor;
        return this;
    }

    /**
     * Sets {@code TCP_NODELAY} (default on, so small frames are not held back).
     *
     * @param nodelay whether Nagle's algorithm is off
     * @return this
     */
    public LinkOptions nodelay(boolean nodelay) {
        this.nodelay = nodelay;
        return this;
    }

    Framing framing() {
        return framing;
    }

    int maxFrameLen() {
        return maxFrameLen;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration retryFor() {
        return retryFor;
    }

    boolean nodelay() {
        return nodelay;
    }
}
