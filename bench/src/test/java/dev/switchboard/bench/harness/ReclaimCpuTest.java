package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReclaimCpuTest {
    @Test
    void countsTheReclaimThreads_utimeAndStime() {
        assertThat(ReclaimCpu.ticksOf("83 (kdamond.0) S 2 0 0 0 -1 2129984 0 0 0 0 3100 1150 0 0 20 0 1 0 4 0 0"))
                .isEqualTo(3100 + 1150);
        assertThat(ReclaimCpu.ticksOf("57 (kswapd0) S 2 0 0 0 -1 10758208 0 0 0 0 7 40 0 0 20 0 1 0 3 0 0"))
                .isEqualTo(47);
    }

    @Test
    void ignoresOtherProcesses_evenWithParenthesesOrSpacesInTheirName() {
        assertThat(ReclaimCpu.ticksOf("900 (java) S 1 900 900 0 -1 0 0 0 0 0 5000 200 0 0 20 0 30 0 9 0 0")).isZero();
        assertThat(ReclaimCpu.ticksOf("901 (not (kdamond) x) S 1 0 0 0 -1 0 0 0 0 0 5000 200 0 0 20 0 1 0 9 0 0"))
                .isZero();
    }

    @Test
    void percentIsReclaimOverAllTimeBetweenTwoReadings() {
        CpuSteal.Sample from = new CpuSteal.Sample(1_000, 0);
        CpuSteal.Sample to = new CpuSteal.Sample(1_400, 0);

        assertThat(ReclaimCpu.percentBetween(50, 54, from, to)).isEqualTo(1.0);
        assertThat(ReclaimCpu.percentBetween(-1, 54, from, to)).isEqualTo(-1);
        assertThat(ReclaimCpu.percentBetween(50, 54, to, to)).isEqualTo(-1);
    }

    @Test
    void readsThisMachine() { // the harness runs on Linux only
        assertThat(ReclaimCpu.ticks()).isGreaterThanOrEqualTo(0);
    }
}
