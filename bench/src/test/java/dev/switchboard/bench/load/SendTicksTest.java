package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SendTicksTest {
    @Test
    void oneThousandAsecond_ticksEvery200Microseconds_andSendsEveryFifthTick() {
        SendTicks ticks = SendTicks.forRate(1000);

        assertThat(ticks.tickNanos()).isEqualTo(200_000);
        assertThat(ticks.intervalNanos()).isEqualTo(1_000_000);
    }

    @Test
    void aRateFasterThanTheLongestTick_ticksOncePerMessage() {
        SendTicks ticks = SendTicks.forRate(10_000);

        assertThat(ticks.tickNanos()).isEqualTo(100_000);
        assertThat(ticks.intervalNanos()).isEqualTo(100_000);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 999, 1000, 3000, 4999, 5000, 5001, 123_457, 1_000_000_000})
    void everyIntendedSendIsATick_theTickIsAtMost200Microseconds_andTheRateIsKept(int rate) {
        SendTicks ticks = SendTicks.forRate(rate);
        long requested = 1_000_000_000L / rate;

        assertThat(ticks.intervalNanos() % ticks.tickNanos()).isZero();
        assertThat(ticks.tickNanos()).isPositive().isLessThanOrEqualTo(SendTicks.MAX_TICK_NANOS);
        long ticksPerMessage = ticks.intervalNanos() / ticks.tickNanos();
        assertThat(requested - ticks.intervalNanos()).isBetween(0L, ticksPerMessage - 1); // rounded down, by < 1 ns a tick
    }

    @Test
    void aRateOfZero_isRefused() {
        assertThatThrownBy(() -> SendTicks.forRate(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
