package dev.switchboard.client;

/**
 * Decides which {@code send} goes out next and when: always the earliest due send in call order
 * ({@link PendingSends#peekDue()}), and only once its retry hold has passed and the
 * {@link SendTokenBucket} has a token. Nothing overtakes it, so sends are transmitted strictly in the
 * order they were made, and a send refused with a retryable error is transmitted again before every
 * later send that had not gone out yet (docs/PROTOCOL.md section 4, "Order").
 *
 * <p>Pure decisions with time passed in as {@link System#nanoTime()} values; the caller transmits and
 * schedules the next attempt. Not thread-safe: confined to the client's event loop.
 */
final class SendPacer {
    /** {@link #nanosUntilNext} when no send is due: wait for a new send or a retryable error. */
    static final long NOTHING_DUE = -1;

    private final PendingSends sends;
    private SendTokenBucket bucket = SendTokenBucket.unlimited();

    SendPacer(PendingSends sends) {
        this.sends = sends;
    }

    /**
     * A connection was welcomed: {@code next} (full) replaces the bucket, and every pending send is due
     * again in call order, without retry holds.
     */
    void restart(SendTokenBucket next) {
        bucket = next;
        sends.requeueAll();
    }

    /**
     * {@code send} was refused with a retryable error: it is due again from {@code notBeforeNanos} on, and
     * holds back every later send until then. For {@code rate_limited} the bucket is emptied as well,
     * since the server's is emptier than this one.
     */
    void holdForRetry(PendingSend send, long notBeforeNanos, boolean rateLimited, long nowNanos) {
        if (rateLimited) {
            bucket.empty(nowNanos);
        }
        sends.requeue(send, notBeforeNanos);
    }

    /**
     * Takes the send to transmit now, with its token, off the due sends.
     *
     * @return null when no send is due, the earliest is still held, or no token is available
     */
    PendingSend poll(long nowNanos) {
        PendingSend next = sends.peekDue();
        if (next == null || next.nanosHeld(nowNanos) > 0 || !bucket.tryTake(nowNanos)) {
            return null;
        }
        return sends.pollDue();
    }

    /**
     * Takes a token for something other than a send (a file chunk), which then does not wait behind the
     * sends: false when the bucket has none now.
     */
    boolean tryTakeToken(long nowNanos) {
        return bucket.tryTake(nowNanos);
    }

    /** How long after {@code nowNanos} the bucket has a token; 0 for now. */
    long nanosUntilToken(long nowNanos) {
        return bucket.nanosUntilToken(nowNanos);
    }

    /**
     * How long after {@code nowNanos} {@link #poll} will return a send, provided nothing changes: the later
     * of the earliest due send's hold and the next token; 0 for now; {@link #NOTHING_DUE} when none is due.
     */
    long nanosUntilNext(long nowNanos) {
        PendingSend next = sends.peekDue();
        if (next == null) {
            return NOTHING_DUE;
        }
        return Math.max(next.nanosHeld(nowNanos), bucket.nanosUntilToken(nowNanos));
    }
}
