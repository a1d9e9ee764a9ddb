package dev.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class MainTest {
    private static final String CAPACITY = "io.netty.recycler.maxCapacityPerThread";

    @Test
    void turnsOffNettysRecycler_whenTheOperatorDidNotSetIt() {
        Properties properties = new Properties();

        Main.turnOffNettysRecyclerUnlessSet(properties);

        assertThat(properties.getProperty(CAPACITY)).isEqualTo("0");
    }

    @Test
    void keepsTheOperatorsRecyclerSetting() {
        Properties properties = new Properties();
        properties.setProperty(CAPACITY, "4096");

        Main.turnOffNettysRecyclerUnlessSet(properties);

        assertThat(properties.getProperty(CAPACITY)).isEqualTo("4096");
    }

    @Test
    void keepsTheOperatorsRecyclerSetting_underItsOlderName() {
        Properties properties = new Properties();
        properties.setProperty("io.netty.recycler.maxCapacity", "4096");

        Main.turnOffNettysRecyclerUnlessSet(properties);

        assertThat(properties.getProperty(CAPACITY)).isNull(); // Netty reads the older name then
    }

    @Test
    void mainItself_turnsItOff() {
        String before = System.getProperty(CAPACITY);
        System.clearProperty(CAPACITY);
        try {
            Main.main(new String[] {"--version"}); // exits 0 without System.exit

            assertThat(System.getProperty(CAPACITY)).isEqualTo("0");
        } finally {
            if (before == null) {
                System.clearProperty(CAPACITY);
            } else {
                System.setProperty(CAPACITY, before);
            }
        }
    }
}
