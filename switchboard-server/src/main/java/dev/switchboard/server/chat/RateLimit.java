package dev.switchboard.server.chat;

/**
 * A rate limit of {@code ratePerSecond} sustained and {@code burst} at once, as the generic cell rate
 * algorithm (GCRA, the token bucket expressed as one timestamp). One instance serves every connection;
 * each connection keeps only its state, a {@code long}: the time at which its bucket would be full
 * again ("theoretical arrival time"). Time comes from the caller, so tests need no clock.
 *
 * @implNote Idle connections are the bulk of a node's memory, so the per-connection part is one field
 * of the session instead of a bucket object (tokens, refill time, rate and burst) per limit.
 */
public final class RateLimit {
    /** What {@link #admit} returns for a refused request; the state stays as it was. */
    public static final long REFUSED = Long.MIN_VALUE;

    private final long intervalNanos;
    private final long toleranceNanos;

    public RateLimit(int ratePerSecond, int burst) {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("ratePerSecond must be positive: " + ratePerSecond);
        }
        this.intervalNanos = Math.max(1, 1_000_000_000L / ratePerSecond);
        this.toleranceNanos = intervalNanos * (Math.max(1, burst) - 1);
    }

    /** The state of a connection that has used nothing yet: the whole burst is available at {@code nowNanos}. */
    public long initialState(long nowNanos) {
        return nowNanos;
    }

    /**
     * Takes one unit if the limit allows it.
     *
     * @return the connection's new state, or {@link #REFUSED} (keep the old state)
     */
    public long admit(long state, long nowNanos) {
        long arrival = state - nowNanos > 0 ? state : nowNanos; // an idle bucket is full, never fuller
        if (arrival - nowNanos > toleranceNanos) {
            return REFUSED;
        }
        return arrival + intervalNanos;
    }
}
