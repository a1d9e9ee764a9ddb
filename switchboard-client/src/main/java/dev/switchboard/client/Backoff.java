package dev.switchboard.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter (docs/PROTOCOL.md section 9): before attempt {@code n}
 * (0, 1, 2 …) wait a uniformly random time in {@code [0, min(max, base × 2ⁿ)]}. Full jitter spreads the
 * reconnects of many clients cut off at the same moment (a server restart) instead of letting them
 * return in synchronized waves.
 *
 * <p>Stateless apart from the random generator: the caller counts attempts. Thread-safe when the
 * generator is (the default {@link Random} is).
 */
public final class Backoff {
    private final long baseNanos;
    private final long maxNanos;
    private final RandomGenerator random;

    /**
     * @param base   ceiling of the first delay; zero or positive
     * @param max    cap of every ceiling; at least {@code base}
     * @param random source of jitter
     * @throws IllegalArgumentException when {@code base} is negative or {@code max < base}
     */
    public Backoff(Duration base, Duration max, RandomGenerator random) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(max, "max");
        this.random = Objects.requireNonNull(random, "random");
        if (base.isNegative() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("need 0 <= base <= max, got base " + base + ", max " + max);
        }
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** Same, with a new {@link Random} as the source of jitter. */
    public Backoff(Duration base, Duration max) {
        this(base, max, new Random());
    }

    /** The longest backoff a server may advertise (PROTOCOL.md section 9): an hour. */
    static final long MAX_ADVERTISED_MILLIS = 3_600_000;

    /**
     * The reconnect backoff a {@code welcome} advertises ({@code reconnectBaseMs}, {@code reconnectMaxMs};
     * 0 when absent), or {@code configured} when it advertises none, or nothing usable (a base below 1 ms,
     * a cap below the base). A cap above an hour is cut to an hour.
     */
    static Backoff advertisedOr(long baseMillis, long maxMillis, Backoff configured) {
        if (baseMillis < 1 || maxMillis < baseMillis) {
            return configured;
        }
        long cap = Math.min(maxMillis, MAX_ADVERTISED_MILLIS);
        return new Backoff(Duration.ofMillis(Math.min(baseMillis, cap)), Duration.ofMillis(cap));
    }

    /**
     * The upper bound of the delay before attempt {@code attempt}: {@code min(max, base × 2^attempt)}.
     *
     * @throws IllegalArgumentException when {@code attempt} is negative
     */
    public Duration ceiling(int attempt) {
        return Duration.ofNanos(ceilingNanos(attempt));
    }

    /**
     * A random delay in {@code [0, ceiling(attempt)]}, both ends included.
     *
     * @throws IllegalArgumentException when {@code attempt} is negative
     */
    public Duration delay(int attempt) {
        long ceiling = ceilingNanos(attempt);
        return Duration.ofNanos(ceiling == Long.MAX_VALUE ? random.nextLong(ceiling) : random.nextLong(ceiling + 1));
    }

    private long ceilingNanos(int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt must be >= 0, got " + attempt);
        }
        // base × 2^attempt > max exactly when base > floor(max / 2^attempt); avoids overflowing the shift.
        if (attempt >= Long.SIZE - 1 || baseNanos > (maxNanos >> attempt)) {
            return maxNanos;
        }
        return baseNanos << attempt;
    }
}
