package dev.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void turnsOffNettysRecycler_whenTheOperatorDidNotSetIt() {
        Properties properties = new Properties();

        Main.turnOffNettysRecyclerUnlessSet(properties);

        assertThat(properties.getProperty("io.netty.recycler.maxCapacityPerThread")).isEqualTo("0");
    }

    @Test
    void keepsTheOperatorsRecyclerSetting() {
        Properties properties = new Properties();
        properties.setProperty("io.netty.recycler.maxCapacityPerThread", "4096");

        Main.turnOffNettysRecyclerUnlessSet(properties);

        assertThat(properties.getProperty("io.netty.recycler.maxCapacityPerThread")).isEqualTo("4096");
    }
}
