package dev.switchboard.server.chat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One {@link RateLimit} per key, shared by every thread of the node: handshakes per client address
 * (R2, checked before the token is verified, so an address that floods the node with upgrades costs a
 * map lookup each instead of a signature check and a store read) and sends per user (R11, shared by
 * all of a user's connections on this node).
 *
 * <p>Each key's state is one {@code long} (the {@link RateLimit} cell-rate state: when its bucket would
 * be full again). A key whose bucket is full again is forgotten by {@link #sweep}, so the map holds only
 * keys that used the limit within the last burst's worth of time (plus one sweep period): nothing for
 * an idle connection.
 *
 * @implNote The map is bounded ({@code maxTrackedKeys}). When it is full (of keys still refilling, or
 * full again but not swept yet), a new key is let through uncounted rather than refused: refusing would
 * let a flood from many addresses (or users) lock out every newcomer, while the node's own connection
 * cap and the per-connection limits still hold. {@link #untracked} counts such admissions (the metric
 * {@code switchboard_rate_limit_untracked_total}). For users the bound is far off: a user sends over a
 * connection, and a node holds {@code server.maxConnections} (18,000 by default) at a time.
 */
public final class KeyedRateLimiter {
    /** Keys tracked at most (about 100 bytes each). */
    static final int DEFAULT_MAX_TRACKED_KEYS = 100_000;

    private final RateLimit limit;
    private final int maxTrackedKeys;
    private final ConcurrentHashMap<String, Long> states = new ConcurrentHashMap<>();
    private final LongAdder untracked = new LongAdder();

    /** @param perSecond sustained admissions per second per key, 0 = no limit; @param burst admissions at once */
    public static KeyedRateLimiter of(int perSecond, int burst) {
        return new KeyedRateLimiter(perSecond, burst, DEFAULT_MAX_TRACKED_KEYS);
    }

    KeyedRateLimiter(int perSecond, int burst, int maxTrackedKeys) {
        if (perSecond < 0 || (perSecond > 0 && burst < 1)) {
            throw new IllegalArgumentException("a keyed rate limit needs a rate of 0 (off) or more and, when on, "
                    + "a burst of at least 1; got " + perSecond + " / " + burst);
        }
        this.limit = perSecond == 0 ? null : new RateLimit(perSecond, burst);
        this.maxTrackedKeys = maxTrackedKeys;
    }

    public boolean isEnabled() {
        return limit != null;
    }

    /** Counts one use by {@code key}; false when it is over the rate (the caller refuses it). */
    public boolean tryAcquire(String key, long nowNanos) {
        if (limit == null) {
            return true;
        }
        if (states.size() >= maxTrackedKeys && !states.containsKey(key)) {
            untracked.increment();
            return true;
        }
        boolean[] admitted = new boolean[1];
        states.compute(key, (ignored, state) -> {
            long next = limit.admit(state == null ? limit.initialState(nowNanos) : state, nowNanos);
            if (next == RateLimit.REFUSED) {
                return state;
            }
            admitted[0] = true;
            return next;
        });
        return admitted[0];
    }

    /**
     * Forgets every key whose bucket is full again at {@code nowNanos}; run periodically, off the event
     * loops. A removal is conditional on the state it saw, so a use racing with it is never lost.
     */
    public void sweep(long nowNanos) {
        states.values().removeIf(state -> state - nowNanos <= 0);
    }

    /** Keys currently tracked. */
    public int trackedKeys() {
        return states.size();
    }

    /** Uses let through uncounted because the map was full. */
    public long untracked() {
        return untracked.sum();
    }
}
