package dev.switchboard.client;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Batches cumulative acknowledgements (docs/PROTOCOL.md section 4): after an entry is processed, one
 * {@code ack} for the highest processed seq goes out within {@code delay}, or at once when {@code batch}
 * entries are waiting. One ack per batch instead of one per entry keeps the server's cursor writes low
 * while bounding how much a crash makes the server replay.
 *
 * <p>Not thread-safe: confined to the client's event loop, which is also the {@code scheduler}.
 */
final class AckTracker {
    private final ScheduledExecutorService scheduler;
    private final long delayNanos;
    private final int batch;
    private LongConsumer sender;
    private long processedSeq;
    private long ackedSeq;
    private int unacked;
    private ScheduledFuture<?> timer;

    /**
     * @param scheduler runs the delayed flush; the client's event loop
     * @param delay     longest time an ack is held back; zero flushes on every entry
     * @param batch     flush at once when this many entries are unacknowledged
     */
    AckTracker(ScheduledExecutorService scheduler, Duration delay, int batch) {
        this.scheduler = scheduler;
        this.delayNanos = delay.toNanos();
        this.batch = batch;
    }

    /**
     * A connection is ready: acks go to {@code sender} from now on. If entries beyond the server's
     * {@code cursor} were processed and never acknowledged (the old connection died first), they are
     * acknowledged at once.
     */
    void onConnected(LongConsumer sender, long cursor) {
        this.sender = sender;
        ackedSeq = cursor;
        if (processedSeq > ackedSeq) {
            flush();
        }
    }

    /** The connection is gone: hold acks until the next {@link #onConnected}. */
    void onDisconnected() {
        sender = null;
        cancelTimer();
    }

    /** The entries up to {@code seq} were processed (delivered, or skipped by {@code truncated}). */
    void onProcessed(long seq) {
        processedSeq = Math.max(processedSeq, seq);
        unacked++;
        if (unacked >= batch || delayNanos == 0) {
            flush();
        } else if (timer == null && sender != null) {
            timer = scheduler.schedule(this::flush, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Forgets processed entries beyond {@code seq}; used when the server's store was reset under the client. */
    void rebase(long seq) {
        cancelTimer();
        processedSeq = seq;
        unacked = 0;
    }

    /** Sends the ack now if anything is unacknowledged and a connection is ready; used before a clean close. */
    void flush() {
        cancelTimer();
        if (sender == null || processedSeq <= ackedSeq) {
            return;
        }
        sender.accept(processedSeq);
        ackedSeq = processedSeq;
        unacked = 0;
    }

    /** The highest seq acknowledged to the server (or its cursor at the last {@code welcome}). */
    long ackedSeq() {
        return ackedSeq;
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
