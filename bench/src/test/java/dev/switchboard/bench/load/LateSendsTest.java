package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LateSendsTest {
    @Test
    void countsOnlyTheSendsMoreThanAMillisecondAfterTheirIntendedTime() {
        LateSends lateSends = new LateSends();
        long intended = 5_000_000_000L;

        lateSends.sent(intended, intended); // on time
        lateSends.sent(intended, intended + SendTicks.MAX_TICK_NANOS); // one tick late
        lateSends.sent(intended, intended + LateSends.THRESHOLD_NANOS); // at the threshold
        lateSends.sent(intended, intended + LateSends.THRESHOLD_NANOS + 1);
        lateSends.sent(intended, intended + 7_000_000); // a 7 ms pause

        assertThat(lateSends.count()).isEqualTo(2);
    }
}
