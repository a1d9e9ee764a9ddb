package dev.switchboard.server.gateway;

import dev.switchboard.server.chat.RateLimit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Handshakes per second per client address (R2): a sustained rate and a burst, checked before the
 * token is verified, so a client that reconnects in a loop or an address that floods the node with
 * upgrades costs a map lookup each instead of a signature check and a store read.
 *
 * <p>Each address's state is one {@code long} (the {@link RateLimit} cell-rate state: when its bucket
 * would be full again). An address whose bucket is full again is forgotten by {@link #sweep}, so the
 * map holds only addresses that handshook within the last burst's worth of time.
 *
 * @implNote The map is bounded ({@code maxTrackedAddresses}). When it is full of addresses that are
 * all still refilling, a new address is let through uncounted rather than refused: refusing would let
 * a flood from many addresses lock out every newcomer, and the node's own connection cap and the
 * per-address connection limit still hold. {@link #untracked} counts such handshakes for the metrics.
 */
public final class HandshakeRateLimiter {
    /** Addresses tracked at most (about 100 bytes each). */
    static final int DEFAULT_MAX_TRACKED_ADDRESSES = 100_000;

    private final RateLimit limit;
    private final int maxTrackedAddresses;
    private final ConcurrentHashMap<String, Long> states = new ConcurrentHashMap<>();
    private final LongAdder untracked = new LongAdder();

    /** @param perSecond sustained handshakes per second per address, 0 = no limit; @param burst handshakes at once */
    public static HandshakeRateLimiter of(int perSecond, int burst) {
        return new HandshakeRateLimiter(perSecond, burst, DEFAULT_MAX_TRACKED_ADDRESSES);
    }

    HandshakeRateLimiter(int perSecond, int burst, int maxTrackedAddresses) {
        if (perSecond < 0 || (perSecond > 0 && burst < 1)) {
            throw new IllegalArgumentException("limits.handshakesPerSecondPerIp must be 0 (off) or positive, "
                    + "limits.handshakeBurstPerIp at least 1");
        }
        this.limit = perSecond == 0 ? null : new RateLimit(perSecond, burst);
        this.maxTrackedAddresses = maxTrackedAddresses;
    }

    public boolean isEnabled() {
        return limit != null;
    }

    /** Counts one handshake from {@code address}; false when it is over the rate (answer 429). */
    public boolean tryAcquire(String address, long nowNanos) {
        if (limit == null) {
            return true;
        }
        if (states.size() >= maxTrackedAddresses && !states.containsKey(address)) {
            untracked.increment();
            return true;
        }
        boolean[] admitted = new boolean[1];
        states.compute(address, (ignored, state) -> {
            long next = limit.admit(state == null ? limit.initialState(nowNanos) : state, nowNanos);
            if (next == RateLimit.REFUSED) {
                return state;
            }
            admitted[0] = true;
            return next;
        });
        return admitted[0];
    }

    /** Forgets every address whose bucket is full again at {@code nowNanos}; run periodically, off the event loops. */
    public void sweep(long nowNanos) {
        states.values().removeIf(state -> state - nowNanos <= 0);
    }

    /** Addresses currently tracked. */
    public int trackedAddresses() {
        return states.size();
    }

    /** Handshakes let through uncounted because the map was full. */
    public long untracked() {
        return untracked.sum();
    }
}
