package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final Duration BASE = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(30);

    @Test
    void ceiling_doublesPerAttempt_whenBelowMax() {
        Backoff backoff = new Backoff(BASE, MAX, new Random(1));

        assertThat(backoff.ceiling(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.ceiling(4)).isEqualTo(Duration.ofSeconds(16));
    }

    @Test
    void ceiling_isCappedAtMax_whenDoublingPassesIt() {
        Backoff backoff = new Backoff(BASE, MAX, new Random(1));

        assertThat(backoff.ceiling(5)).isEqualTo(MAX);
        assertThat(backoff.ceiling(62)).isEqualTo(MAX);
        assertThat(backoff.ceiling(Integer.MAX_VALUE)).as("no overflow for huge attempts").isEqualTo(MAX);
    }

    @Test
    void delay_staysWithinZeroAndCeiling_forEveryAttempt() {
        Backoff backoff = new Backoff(BASE, MAX, new Random(42));

        for (int attempt = 0; attempt < 40; attempt++) {
            for (int draw = 0; draw < 200; draw++) {
                Duration delay = backoff.delay(attempt);
                assertThat(delay).as("attempt %d", attempt).isBetween(Duration.ZERO, backoff.ceiling(attempt));
            }
        }
    }

    @Test
    void delay_isSpreadOverTheWholeRange_withFullJitter() {
        Backoff backoff = new Backoff(BASE, MAX, new Random(7));
        Set<Duration> distinct = new HashSet<>();
        long belowHalf = 0;
        int draws = 2000;

        for (int draw = 0; draw < draws; draw++) {
            Duration delay = backoff.delay(3);
            distinct.add(delay);
            if (delay.compareTo(Duration.ofSeconds(4)) < 0) {
                belowHalf++;
            }
        }

        assertThat(distinct).as("delays must not all be equal").hasSizeGreaterThan(draws / 2);
        assertThat(belowHalf).as("about half of uniform draws in [0, 8 s] fall below 4 s")
                .isBetween(draws * 4L / 10, draws * 6L / 10);
    }

    @Test
    void delay_growsWithAttempt_onAverage() {
        Backoff backoff = new Backoff(BASE, MAX, new Random(3));

        double meanFirst = meanMillis(backoff, 0);
        double meanFourth = meanMillis(backoff, 3);

        assertThat(meanFourth).as("mean of attempt 3 vs attempt 0").isGreaterThan(meanFirst * 4);
    }

    @Test
    void delay_isZero_whenBaseIsZero() {
        Backoff backoff = new Backoff(Duration.ZERO, MAX, new Random(1));

        assertThat(backoff.delay(10)).isEqualTo(Duration.ZERO);
    }

    @Test
    void constructor_throws_whenMaxIsBelowBase() {
        assertThatThrownBy(() -> new Backoff(MAX, BASE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void delay_throws_whenAttemptIsNegative() {
        Backoff backoff = new Backoff(BASE, MAX);

        assertThatThrownBy(() -> backoff.delay(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void advertisedOr_takesTheServersBackoff_andKeepsTheConfiguredOneWhenThereIsNoneOrItIsUnusable() {
        Backoff configured = new Backoff(BASE, MAX, new Random(1));

        Backoff advertised = Backoff.advertisedOr(5_000, 120_000, configured);
        assertThat(advertised.ceiling(0)).isEqualTo(Duration.ofSeconds(5));
        assertThat(advertised.ceiling(10)).isEqualTo(Duration.ofMinutes(2));

        assertThat(Backoff.advertisedOr(0, 0, configured)).as("none advertised").isSameAs(configured);
        assertThat(Backoff.advertisedOr(5_000, 1_000, configured)).as("cap below base").isSameAs(configured);
        assertThat(Backoff.advertisedOr(-1, 1_000, configured)).isSameAs(configured);
        assertThat(Backoff.advertisedOr(1_000, Long.MAX_VALUE, configured).ceiling(62))
                .as("cut to an hour").isEqualTo(Duration.ofHours(1));
        assertThat(Backoff.advertisedOr(Long.MAX_VALUE, Long.MAX_VALUE, configured).ceiling(0))
                .as("a base above the hour is cut with it").isEqualTo(Duration.ofHours(1));
    }

    private static double meanMillis(Backoff backoff, int attempt) {
        long total = 0;
        for (int draw = 0; draw < 1000; draw++) {
            total += backoff.delay(attempt).toMillis();
        }
        return total / 1000.0;
    }
}
