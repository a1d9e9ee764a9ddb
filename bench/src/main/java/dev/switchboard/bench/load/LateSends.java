package dev.switchboard.bench.load;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the latency sender's measured messages that left more than {@link #THRESHOLD_NANOS} after
 * their intended time: the generator's own share of a row's tail.
 *
 * @implNote A message's latency is read from its intended send time (coordinated omission), so a
 * sending thread that waits for a core makes the message late whatever the server does. On the
 * two-core machines here the server and the generator share the cores; in the session that added this
 * count, about two thirds of the messages that reached the server's parse more than 1.4 ms late had left
 * the generator late (bench/analysis.md, the durable paragraph). The ticks themselves make a message
 * up to one tick late ({@link SendTicks#MAX_TICK_NANOS}), far under the threshold.
 */
final class LateSends {
    static final long THRESHOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final LongAdder late = new LongAdder();

    /** A measured message went out at {@code sentNanos}, intended for {@code intendedNanos}. */
    void sent(long intendedNanos, long sentNanos) {
        if (sentNanos - intendedNanos > THRESHOLD_NANOS) {
            late.increment();
        }
    }

    long count() {
        return late.sum();
    }
}
