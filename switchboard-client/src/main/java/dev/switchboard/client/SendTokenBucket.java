package dev.switchboard.client;

import java.util.concurrent.TimeUnit;

/**
 * The client's copy of the server's per-connection send limit (docs/PROTOCOL.md section 4,
 * {@code welcome.sendsPerSecond} and {@code sendBurst}): a token bucket that starts full and refills at
 * the advertised rate. A client that takes a token for every {@code send} it transmits stays under the
 * server's limit, so no send is refused with {@code rate_limited} and then stored after later ones.
 *
 * <p>Limits: the server counts arrivals, the client transmissions. With an exact copy, the first send
 * paced after a burst is accepted only if its trip to the server is no shorter than the burst's first
 * send's, so network and scheduling jitter alone would get it refused now and then.
 * {@link #forServerLimit} therefore keeps half of the burst (at least {@value #JITTER_ALLOWANCE_MILLIS} ms
 * worth) back as an allowance: the server's bucket then never falls below half full for a client
 * that paces itself, which absorbs scheduling and network delays — including a cold server JVM that
 * handles a burst's first send tens of milliseconds late — of up to half a burst's duration (1 s at
 * the defaults). Bigger delays can still cause a {@code rate_limited} refusal; {@link #empty} then
 * resynchronises with the server.
 *
 * <p>Time is passed in as {@link System#nanoTime()} values, so tests need no clock. Not thread-safe:
 * confined to the client's event loop.
 *
 * @implNote Kept as GCRA (virtual scheduling): a single theoretical arrival time instead of a fractional
 *     token count, which is the same bucket in whole nanoseconds. The interval per token is rounded up,
 *     so rounding can only make the client slower than the server allows, never faster.
 */
final class SendTokenBucket {
    /** The least arrival jitter the client absorbs by not using part of the burst; see the class comment. */
    static final long JITTER_ALLOWANCE_MILLIS = 10;

    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final SendTokenBucket UNLIMITED = new SendTokenBucket();

    private final boolean unlimited;
    private final long intervalNanos;
    /** How far the theoretical arrival time may run ahead of now: {@code burst - 1} intervals, less the allowance. */
    private final long toleranceNanos;
    private long theoreticalArrivalNanos;

    private SendTokenBucket() {
        this.unlimited = true;
        this.intervalNanos = 0;
        this.toleranceNanos = 0;
    }

    /**
     * A full bucket of {@code burst} tokens, refilled at {@code sendsPerSecond}.
     *
     * @param sendsPerSecond        refill rate; at least 1
     * @param burst                 capacity, and the tokens at {@code nowNanos}; at least 1
     * @param jitterAllowanceNanos  time taken off the capacity ({@code burst - 1} intervals at most); zero for none
     * @param nowNanos              the current {@link System#nanoTime()}
     * @throws IllegalArgumentException when a value is out of range
     */
    SendTokenBucket(int sendsPerSecond, int burst, long jitterAllowanceNanos, long nowNanos) {
        if (sendsPerSecond < 1 || burst < 1 || jitterAllowanceNanos < 0) {
            throw new IllegalArgumentException("need sendsPerSecond >= 1, burst >= 1, jitterAllowanceNanos >= 0; got "
                    + sendsPerSecond + ", " + burst + ", " + jitterAllowanceNanos);
        }
        this.unlimited = false;
        this.intervalNanos = (NANOS_PER_SECOND + sendsPerSecond - 1) / sendsPerSecond;
        long burstNanos = (burst - 1) * intervalNanos;
        this.toleranceNanos = burstNanos - Math.min(burstNanos, jitterAllowanceNanos);
        this.theoreticalArrivalNanos = nowNanos;
    }

    /** A bucket that always has a token: for a server that advertises no limit. */
    static SendTokenBucket unlimited() {
        return UNLIMITED;
    }

    /**
     * The bucket for a {@code welcome}'s limit, full at {@code nowNanos}, keeping half the burst back.
     *
     * @param sendsPerSecond the advertised rate; zero or less (an older server that sends none): unlimited
     * @param sendBurst      the advertised burst; below 1 counts as 1, as on the server
     */
    static SendTokenBucket forServerLimit(int sendsPerSecond, int sendBurst, long nowNanos) {
        if (sendsPerSecond < 1) {
            return UNLIMITED;
        }
        int burst = Math.max(1, sendBurst);
        long intervalNanos = (NANOS_PER_SECOND + sendsPerSecond - 1) / sendsPerSecond;
        long allowanceNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(JITTER_ALLOWANCE_MILLIS), (burst - 1) * intervalNanos / 2);
        return new SendTokenBucket(sendsPerSecond, burst, allowanceNanos, nowNanos);
    }

    boolean isUnlimited() {
        return unlimited;
    }

    /** Takes a token if one is available at {@code nowNanos}; returns false, and changes nothing, if not. */
    boolean tryTake(long nowNanos) {
        if (unlimited) {
            return true;
        }
        if (nanosUntilToken(nowNanos) > 0) {
            return false;
        }
        long start = theoreticalArrivalNanos - nowNanos < 0 ? nowNanos : theoreticalArrivalNanos;
        theoreticalArrivalNanos = start + intervalNanos;
        return true;
    }

    /** How long after {@code nowNanos} the next token is available; 0 when one is available now. */
    long nanosUntilToken(long nowNanos) {
        if (unlimited) {
            return 0;
        }
        long wait = theoreticalArrivalNanos - toleranceNanos - nowNanos;
        return Math.max(0, wait);
    }

    /**
     * Takes every token: the server said {@code rate_limited}, so its bucket is emptier than this one.
     * The next token is then one interval after {@code nowNanos}.
     */
    void empty(long nowNanos) {
        if (unlimited) {
            return;
        }
        long emptyArrival = nowNanos + toleranceNanos + intervalNanos;
        if (emptyArrival - theoreticalArrivalNanos > 0) {
            theoreticalArrivalNanos = emptyArrival;
        }
    }
}
