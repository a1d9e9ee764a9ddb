package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CpuStealTest {
    @Test
    void totalIsTheFirstEightFieldsAndStealTheEighth() {
        CpuSteal.Sample sample = CpuSteal.parse("cpu  100 2 30 800 5 1 2 60 40 0");

        assertThat(sample.totalTicks()).isEqualTo(100 + 2 + 30 + 800 + 5 + 1 + 2 + 60);
        assertThat(sample.stealTicks()).isEqualTo(60);
    }

    @Test
    void percentIsStealOverAllTimeBetweenTwoSamples() {
        CpuSteal.Sample from = new CpuSteal.Sample(1_000, 10);
        CpuSteal.Sample to = new CpuSteal.Sample(1_400, 30);

        assertThat(CpuSteal.percentBetween(from, to)).isEqualTo(5.0);
    }

    @Test
    void unknownWithoutTwoSamplesOrWithoutTimeBetweenThem() {
        CpuSteal.Sample sample = new CpuSteal.Sample(1_000, 10);

        assertThat(CpuSteal.percentBetween(null, sample)).isEqualTo(-1);
        assertThat(CpuSteal.percentBetween(sample, null)).isEqualTo(-1);
        assertThat(CpuSteal.percentBetween(sample, sample)).isEqualTo(-1);
    }

    @Test
    void refusesAPerCpuLine() {
        assertThatThrownBy(() -> CpuSteal.parse("cpu0 1 2 3 4 5 6 7 8 9 10"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsThisMachine() { // the harness runs on Linux only (it reads /proc for RSS and CPU too)
        CpuSteal.Sample sample = CpuSteal.sample();

        assertThat(sample).isNotNull();
        assertThat(sample.totalTicks()).isPositive();
        assertThat(sample.stealTicks()).isBetween(0L, sample.totalTicks());
    }
}
