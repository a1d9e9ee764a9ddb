package dev.switchboard.bench.load;

import java.util.concurrent.TimeUnit;

/**
 * The latency sender's clock: it wakes every {@code tickNanos} and sends the messages that are due,
 * one every {@code intervalNanos}, a whole number of ticks, so that every intended send time is a tick.
 *
 * @implNote The intended send times used to be a schedule of their own, started 20 ms after a tick of
 * 200 µs that ran at a phase of its own. Each message then left up to 200 µs after its intended time,
 * by an amount fixed for the run and different in every run: Bun's p50 measured 68 µs in one run and
 * 228 µs in the next. A timer per message instead of a tick made every server's tail worse: with the
 * generator's core idle between messages, Bun's p99 went from 0.43–0.81 ms to 1.51–2.80 ms on the
 * same machine (bench/analysis.md). So the tick stays, at most 200 µs, and the schedule is laid on it.
 *
 * @param tickNanos     how often the sender wakes
 * @param intervalNanos the time between two intended sends, a multiple of {@code tickNanos}
 */
record SendTicks(long tickNanos, long intervalNanos) {
    static final long MAX_TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    /**
     * The ticks for {@code messagesPerSecond}: the longest tick of at most {@link #MAX_TICK_NANOS}
     * that divides the interval, which is rounded down to whole nanoseconds per tick (the interval
     * then short by less than a nanosecond per tick: at most 1 part in 100,000 of it).
     */
    static SendTicks forRate(int messagesPerSecond) {
        if (messagesPerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive: " + messagesPerSecond);
        }
        long requested = TimeUnit.SECONDS.toNanos(1) / messagesPerSecond;
        long ticksPerMessage = Math.max(1, (requested + MAX_TICK_NANOS - 1) / MAX_TICK_NANOS);
        long tick = requested / ticksPerMessage;
        return new SendTicks(tick, tick * ticksPerMessage);
    }
}
