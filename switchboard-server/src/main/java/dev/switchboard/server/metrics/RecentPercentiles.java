package dev.switchboard.server.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Percentiles of a timer over about the last {@code window}, read from its Prometheus histogram:
 * each read keeps the histogram's cumulative bucket counts, and the percentiles come from the counts
 * added since the oldest kept read that is at least a window old (before a window has passed: since
 * the first read; at the first read: since the timer began), interpolated linearly within the bucket
 * that holds each percentile.
 *
 * @implNote Instead of the timer's own client-side percentiles, which record every value into three
 * rotating histograms besides the Prometheus one: that was two thirds of the timer's cost, which was
 * 6% of the event loop under durable load (bench/analysis.md). Reads are rare (the node's stats, once
 * a second), so the work moves from every delivery to those reads. The buckets (about 25% wide
 * between 50 µs and 10 s) bound the precision, as the client-side percentiles' one significant
 * digit did.
 */
final class RecentPercentiles {
    private final Timer timer;
    private final long windowNanos;
    private final ArrayDeque<Counts> reads = new ArrayDeque<>();

    private record Counts(long atNanos, double[] cumulative, double total) {
    }

    RecentPercentiles(Timer timer, long windowNanos) {
        this.timer = timer;
        this.windowNanos = windowNanos;
    }

    /** Each of {@code quantiles} (0–1) in milliseconds over the recent window; 0 when nothing was recorded in it. */
    synchronized double[] millis(long nowNanos, double... quantiles) {
        HistogramSnapshot snapshot = timer.takeSnapshot();
        CountAtBucket[] buckets = snapshot.histogramCounts();
        double[] cumulative = new double[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            cumulative[i] = buckets[i].count();
        }
        Counts now = new Counts(nowNanos, cumulative, snapshot.count());
        while (reads.size() > 1 && nowNanos - secondOldest().atNanos() >= windowNanos) {
            reads.removeFirst();
        }
        Counts base = reads.isEmpty() ? new Counts(0, new double[cumulative.length], 0) : reads.peekFirst();
        reads.addLast(now);
        double[] result = new double[quantiles.length];
        double total = now.total() - base.total();
        if (total <= 0) {
            return result;
        }
        for (int q = 0; q < quantiles.length; q++) {
            result[q] = valueAt(buckets, now, base, quantiles[q] * total);
        }
        return result;
    }

    private Counts secondOldest() {
        var iterator = reads.iterator();
        iterator.next();
        return iterator.next();
    }

    /** The value below which {@code rank} of the window's values lie, in milliseconds. */
    private static double valueAt(CountAtBucket[] buckets, Counts now, Counts base, double rank) {
        double lowerBound = 0;
        double lowerCount = 0;
        for (int i = 0; i < buckets.length; i++) {
            double upperBound = buckets[i].bucket(TimeUnit.MILLISECONDS);
            double upperCount = now.cumulative()[i] - base.cumulative()[i];
            if (upperCount >= rank) {
                double inBucket = upperCount - lowerCount;
                double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
                return lowerBound + fraction * (upperBound - lowerBound);
            }
            lowerBound = upperBound;
            lowerCount = upperCount;
        }
        return lowerBound; // above the last bucket (over 10 s): reported as its bound
    }
}
