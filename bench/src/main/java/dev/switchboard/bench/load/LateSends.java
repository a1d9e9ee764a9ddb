package dev.switchboard.bench.load;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the latency sender's measured messages that were due more than {@link #THRESHOLD_NANOS}
 * before the tick that sent them woke: at least that many left the generator late, before the server
 * could see them.
 *
 * @implNote A message's latency is read from its intended send time (the correction for coordinated
 * omission), so a sending thread that waits for a core makes the message late whatever the server
 * does. On the two-core machines here the server and the generator share the cores; in the session
 * that added this count, about two thirds of the messages that reached the server's parse more than
 * 1.4 ms late had left the generator more than 1.4 ms late (bench/analysis.md, "Message by message:
 * where the time above the disk's floor goes"). Intended times fall on the ticks ({@link SendTicks}),
 * so only a late tick makes a message late. The count is a lower bound: a sender whose connection is
 * on the generator's other event loop has its frame written when that loop next runs, which is not
 * counted.
 */
final class LateSends {
    static final long THRESHOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final LongAdder late = new LongAdder();

    /**
     * A measured message, intended for {@code intendedNanos}, was handed to its connection by the tick
     * that woke at {@code tickNanos}.
     */
    void sent(long intendedNanos, long tickNanos) {
        if (tickNanos - intendedNanos > THRESHOLD_NANOS) {
            late.increment();
        }
    }

    long count() {
        return late.sum();
    }
}
