package dev.switchboard.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecentPercentilesTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** The same histogram as the node's delivery latency timer. */
    private final Timer timer = Timer.builder("test.latency").publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(10))
            .register(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    private final RecentPercentiles recent = new RecentPercentiles(timer, 60 * SECOND);

    private void record(int count, long micros) {
        for (int i = 0; i < count; i++) {
            timer.record(micros, TimeUnit.MICROSECONDS);
        }
    }

    @Test
    void nothingRecorded_isZero() {
        assertThat(recent.millis(0, 0.5, 0.99)).containsExactly(0, 0);
    }

    @Test
    void percentiles_fallInTheBucketsOfTheValuesBelowAndAboveThem() {
        record(90, 200);
        record(10, 5_000);

        double[] millis = recent.millis(0, 0.5, 0.99);

        assertThat(millis[0]).isBetween(0.15, 0.25); // buckets about a quarter wide bound the precision
        assertThat(millis[1]).isBetween(4.0, 6.0);
    }

    @Test
    void valuesOlderThanTheWindow_dropOut() {
        record(100, 8_000); // before the first read: in no window after it
        recent.millis(0, 0.99);
        record(100, 1_000);
        recent.millis(30 * SECOND, 0.99);
        record(100, 200);

        double[] sinceFirstRead = recent.millis(61 * SECOND, 0.01, 0.99); // the read at 0 is still the newest a window old
        double[] sinceSecondRead = recent.millis(95 * SECOND, 0.01, 0.99); // now the read at 30 is

        assertThat(sinceFirstRead[0]).isBetween(0.15, 0.25);
        assertThat(sinceFirstRead[1]).isBetween(0.8, 1.2);
        assertThat(sinceSecondRead[1]).isBetween(0.15, 0.25);
    }

    @Test
    void aWindowWithNothingNew_isZero_evenAfterEarlierValues() {
        record(100, 1_000);
        recent.millis(0, 0.5);

        assertThat(recent.millis(61 * SECOND, 0.5)).containsExactly(0);
    }

    @Test
    void valuesAboveTheLastBucket_reportItsBound() {
        record(10, TimeUnit.SECONDS.toMicros(30));

        assertThat(recent.millis(0, 0.99)[0]).isEqualTo(10_000);
    }
}
